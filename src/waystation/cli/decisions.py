"""``waystation cruxes`` and ``waystation response``: what would change the decision.

Each command calls one function of :mod:`waystation.analyses` with a
:class:`~waystation.settings.RunSettings` built from ``--workers``/
``--engine``/``--address``, prints readable tables with the meanings of their
columns underneath (or ``--json``: the result's ``to_dict()`` plus a
``definitions`` block), can draw its figure (``--plot PATH``) and shows a
progress bar on stderr when stderr is a terminal (or ``WAYSTATION_PROGRESS=1``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from waystation import present
from waystation.analyses._common import Interval
from waystation.cli._app import (
    Json_,
    Scenario_,
    Seed_,
    app,
    err,
    footnote,
    friendly_errors,
    out,
    print_json,
    progress_bar,
    scenario_source,
)
from waystation.cli._settings import run_options
from waystation.cli.runs import print_wide
from waystation.definitions import DEFAULT_WORLDS
from waystation.settings import RunSettings

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from waystation.analyses import Comparison
    from waystation.analyses.cruxes import Cruxes
    from waystation.analyses.response import Response

Strategies_ = Annotated[
    list[str] | None,
    typer.Option("--strategy", "-s", help="A strategy (repeat: -s default -s race)."),
]
Worlds_ = Annotated[
    int,
    typer.Option("--worlds", "-n", min=2, max=100_000_000, help="Possible worlds per run."),
]
Objective_ = Annotated[
    str, typer.Option("--objective", help="victory, non_failure or utility (expected utility).")
]
Plot_ = Annotated[
    Path | None,
    typer.Option(
        "--plot",
        help="Also draw the figure to this .png/.svg/.pdf file (cruxes: the first table with "
        "a switch point, else the first).",
    ),
]
Horizons_ = Annotated[
    str | None,
    typer.Option("--horizons", help="Years at which to read outcomes, e.g. 2040,2050,2100."),
]


def parse_years(text: str | None) -> list[float] | None:
    """``"2040,2050,2100"`` as years, or a clear error naming the flag."""
    if text is None:
        return None
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"--horizons: expected years separated by commas, got {text!r}") from None


@contextmanager
def with_progress(label: str, how: RunSettings) -> Iterator[RunSettings]:
    """``how`` with a progress bar in percent on stderr, and errors as one located line."""
    with friendly_errors(), progress_bar(100, f"{label} (%)") as bar:
        yield how.override(progress=lambda done, total: bar(int(100 * done / max(1, total)), 100))


def save_plot(fig_path: Path | None, draw: Callable[[], Figure]) -> None:
    """Save a figure (``draw()`` builds it) when ``--plot`` is given."""
    if fig_path is None:
        return
    from waystation.plots import save

    save(draw(), fig_path)
    err.print(f"figure: {fig_path}")  # stderr: stdout may be a --json document


CRUX_DEFINITIONS = (
    "explained",
    "switch_point",
    "mass_above",
    "acceptability",
    "metamodel",
    "horizon",
    "interval_95",
    "common_worlds",
    "default_worlds",
)


@app.command("cruxes")
@run_options
def cruxes_cmd(
    scenario: Scenario_,
    strategy: Strategies_ = None,
    objective: Objective_ = "victory",
    horizons: Horizons_ = None,
    name: Annotated[
        list[str] | None, typer.Option("--input", help="Only these uncertain inputs.")
    ] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Inputs shown per table.")] = 6,
    worlds: Worlds_ = DEFAULT_WORLDS,
    seed: Seed_ = 0,
    plot: Plot_ = None,
    json: Json_ = False,
    *,
    how: RunSettings,
) -> None:
    """What you would have to believe for each strategy to be the better one: switch points."""
    from waystation.analyses.cruxes import cruxes

    with with_progress("cruxes", how) as settings:
        if not strategy or len(strategy) < 2:
            raise ValueError("give at least two strategies: -s default -s race")
        res = cruxes(
            scenario_source(scenario),
            strategy,
            worlds,
            seed,
            objective,
            horizons=parse_years(horizons),
            inputs=name,
            settings=settings,
        )
    if json:
        print_json(res.to_dict(), CRUX_DEFINITIONS)
    else:
        show_cruxes(res, top)
    from waystation.plots.decisions import cruxes as draw

    switching = [t for t in res.tables if any(c.switch_points for c in t.cruxes)]
    with friendly_errors():
        save_plot(plot, lambda: draw((switching or list(res.tables))[0]))


def show_cruxes(res: Cruxes, top: int) -> None:
    """One table per pair and horizon: inputs by share explained, switch points, beliefs."""
    for t in res.tables:
        d = t.difference
        table = Table(
            title=f"{res.scenario} · {t.a} − {t.b} by {t.horizon:g} · {res.worlds:,} "
            f"common worlds · {res.objective} {d.estimate:+.4f} "
            f"[{d.low:+.4f}, {d.high:+.4f}] · P({t.a} better) {t.acceptability:.2f}"
        )
        for col in ("input", "explains", "switch point (95% interval)", "mass below / above"):
            table.add_column(col, justify="left" if col == "input" else "right")
        for c in t.cruxes[:top]:
            points = "; ".join(
                f"{p.value:.3g} ({p.low:.3g} to {p.high:.3g}), {p.better_above} above"
                for p in c.switch_points
            )
            mass = "; ".join(
                f"{p.mass_below:.0%} / {1 - p.mass_below:.0%}" for p in c.switch_points
            )
            table.add_row(c.input, f"{c.explained:.1%}", points or "none in range", mass or "–")
        out.print(table)
        for c in t.cruxes[: min(top, 3)]:
            out.print(f"  [bold]{c.input}[/]")
            for s in (t.a, t.b):
                out.print(f"    - {c.believe[s]}", highlight=False)
    footnote(*CRUX_DEFINITIONS)


RESPONSE_DEFINITIONS = (
    "response_curve",
    "response_shape",
    "metamodel",
    "acceptability",
    "interval_95",
    "common_worlds",
    "default_worlds",
)


@app.command("response")
@run_options
def response_cmd(
    scenario: Scenario_,
    param: Annotated[str, typer.Argument(help="A lever (registry name) or an uncertain input.")],
    against: Annotated[
        str | None, typer.Option("--against", help="A second lever or input: a two-way map.")
    ] = None,
    strategy: Strategies_ = None,
    objective: Objective_ = "victory",
    points: Annotated[
        int, typer.Option("--points", min=3, max=25, help="Values of each lever axis.")
    ] = 6,
    worlds: Worlds_ = DEFAULT_WORLDS,
    seed: Seed_ = 0,
    plot: Plot_ = None,
    json: Json_ = False,
    *,
    how: RunSettings,
) -> None:
    """The objective against a lever or input (curve), or two of them (best-strategy map)."""
    from waystation.analyses.response import response

    with with_progress("response", how) as settings:
        res = response(
            scenario_source(scenario),
            param,
            against,
            strategy,
            worlds,
            seed,
            objective,
            points=points,
            settings=settings,
        )
    if json:
        print_json(res.to_dict(), RESPONSE_DEFINITIONS)
    else:
        show_response(res)
    from waystation.plots import decisions as figures

    with friendly_errors():
        save_plot(
            plot,
            lambda: figures.response_curves(res) if len(res.axes) == 1 else figures.best_map(res),
        )


def show_response(res: Response) -> None:
    """A table of the curve (or the map's best strategy), with the shape of each curve."""
    from waystation.analyses._common import Z95

    axes = res.axes
    head = f"{res.scenario} · {res.objective} · {res.method} · {res.worlds:,} worlds"
    table = Table(title=head)
    if len(axes) == 1:
        table.add_column(axes[0].name, justify="right")
        for s in res.strategies:
            table.add_column(s, justify="right")
        step = max(1, len(axes[0].values) // 12)
        for i in range(0, len(axes[0].values), step):
            cells = [f"{res.mean[s][i]:.4f} ± {Z95 * res.se[s][i]:.4f}" for s in res.strategies]
            table.add_row(f"{axes[0].values[i]:.3g}", *cells)
        out.print(table)
        for s in res.strategies:
            shape = res.shape[s]
            out.print(f"  {s}: {shape.words() if shape else 'no shape'}")
    else:
        table.add_column(f"{axes[0].name} \\ {axes[1].name}")
        cols = list(range(0, len(axes[1].values), max(1, len(axes[1].values) // 7)))
        for j in cols:
            table.add_column(f"{axes[1].values[j]:.3g}", justify="right")
        rows = range(0, len(axes[0].values), max(1, len(axes[0].values) // 10))
        code = {s: chr(ord("A") + k) for k, s in enumerate(res.strategies)}
        for i in rows:
            table.add_row(f"{axes[0].values[i]:.3g}", *(code[res.best[i][j]] for j in cols))
        out.print(table)
        out.print("  best strategy: " + ", ".join(f"{c} = {s}" for s, c in code.items()))
    footnote(*RESPONSE_DEFINITIONS)


def show_decision(res: Comparison) -> None:
    """P(best) and expected loss of each strategy; outcomes by each horizon and ranking changes."""
    dec = res.decision
    if dec is not None:
        table = Table(title=f"Which to choose on P(victory) · EVPI {_ci(dec.evpi)}")
        for col in ("strategy", "P(best)", "expected loss"):
            table.add_column(col, justify="left" if col == "strategy" else "right")
        for s in dec.strategies:
            a = dec.acceptability[s]
            mark = " (least loss)" if s == dec.best else ""
            table.add_row(
                s + mark, f"{a.estimate:.3f} [{a.low:.3f}, {a.high:.3f}]", _ci(dec.expected_loss[s])
            )
        print_wide(table)
    h = res.horizons
    if h is None:
        return
    table = Table(title=f"P(victory) by year on the same {res.worlds:,} worlds (95% intervals)")
    table.add_column("strategy")
    for y in h.years:
        table.add_column(f"by {y:g}", justify="right")
    for s in h.strategies:
        cells = []
        for y in h.years:
            iv = h.probabilities[y][s]["victory"]
            star = " *" if h.best(y) == s else ""
            cells.append(f"{iv.estimate:.3f} ± {(iv.high - iv.low) / 2:.3f}{star}")
        table.add_row(s, *cells)
    print_wide(table)
    out.print("  * best by that year (highest P(victory))")
    for sentence in h.changes or ("No resolved ranking changes between these years.",):
        out.print(f"  {sentence}", highlight=False)


def _ci(x: Interval) -> str:
    return present.interval(x)
