"""``waystation equilibrium``: what strategic actors choose, and what it costs.

Calls :func:`waystation.analyses.equilibrium.equilibrium` (or, with
``--sweep``, :func:`~waystation.analyses.equilibrium_sweep.equilibrium_sweep`),
prints the equilibria, the cooperative optimum and the price of anarchy with
findings in words and the meanings of the terms underneath (or ``--json``:
the result's ``to_dict()`` plus a ``definitions`` block), and draws a progress
bar on stderr. ``--plot FILE`` saves the sweep's figure.

The command's parameters are its command-line options (typer reads them from
the signature; its docstring is its ``--help``), hence more than eight; how
to run arrives as one :class:`~waystation.settings.RunSettings`, ``how``
(:func:`waystation.cli._settings.run_options`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.markup import escape
from rich.table import Table

from waystation.analyses.equilibrium import (
    DEFAULT_CHOOSE,
    DEFAULT_SEARCH_WORLDS,
    EquilibriumResult,
    Question,
    equilibrium,
)
from waystation.analyses.equilibrium_sweep import (
    Sweep,
    equilibrium_sweep,
    findings,
    parse_sweep,
    sweep_findings,
)
from waystation.cli._app import (
    Json_,
    Scenario_,
    Seed_,
    app,
    footnote,
    friendly_errors,
    out,
    print_json,
    progress_bar,
    scenario_source,
)
from waystation.cli._settings import run_options
from waystation.definitions import DEFAULT_WORLDS
from waystation.game import SolverSettings
from waystation.settings import RunSettings

EQUILIBRIUM_DEFINITIONS = (
    "equilibrium",
    "best_deviation_gain",
    "stable_equilibrium",
    "cooperative_optimum",
    "price_of_anarchy",
    "payoff",
    "victory_value",
    "costly_non_failure_value",
    "failure_value",
    "own_advantage",
    "enmity",
    "interval_95",
    "common_worlds",
    "default_worlds",
)


def _choose(text: str) -> tuple[str, ...]:
    return tuple(c.strip() for c in text.split(",") if c.strip())


def _settings(items: list[str] | None) -> dict[str, float]:
    """``--set NAME=VALUE`` pairs as model input overrides (checked by the model)."""
    out: dict[str, float] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not sep or not name.strip() or not np.isfinite(number):
            raise ValueError(f"--set: expected NAME=NUMBER, e.g. global_pause=1, got {item!r}")
        out[name.strip()] = number
    return out


@app.command("equilibrium")
@run_options
def equilibrium_cmd(
    scenario: Scenario_,
    choose: Annotated[
        str,
        typer.Option("--choose", help="Levers every actor chooses, e.g. caution,ai_safety_share."),
    ] = ",".join(DEFAULT_CHOOSE),
    sweep: Annotated[
        str | None,
        typer.Option(
            "--sweep",
            help="Solve at each value of one quantity: enmity=0:1:5 (start:stop:count), "
            "own_advantage=0,1,2, spillover=..., actors=1:3:3.",
        ),
    ] = None,
    worlds: Annotated[
        int,
        typer.Option("--worlds", "-n", min=2, max=10_000_000, help="Worlds of each reported run."),
    ] = DEFAULT_WORLDS,
    search_worlds: Annotated[
        int,
        typer.Option(
            "--search-worlds",
            min=2,
            max=10_000_000,
            help="Worlds per candidate during the search (the first of the reported worlds).",
        ),
    ] = DEFAULT_SEARCH_WORLDS,
    information: Annotated[
        str,
        typer.Option(
            "--information",
            help="What an actor knows of capabilities: 'none' (one value per lever), 'own' "
            "(its own: one value before C_aar, one from it), 'public' (everyone's, through its "
            "risk evaluation's noise: one value while its estimated lead is >= 0, one while "
            "behind) or 'lead' (everyone's, exactly).",
        ),
    ] = "none",
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="NAME=VALUE",
            help="Fix a model input for the whole question, e.g. --set global_pause=1 "
            "--set enforcement=0.3 (repeat; a lever or parameter; '<actor>.<lever>' for one "
            "actor).",
        ),
    ] = None,
    grid: Annotated[int, typer.Option("--grid", min=3, max=21, help="Grid points per lever.")] = 5,
    starts: Annotated[int, typer.Option("--starts", min=1, max=20, help="Starting profiles.")] = 3,
    seed: Seed_ = 0,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="With --sweep: save the figure (png, svg, pdf).")
    ] = None,
    json: Json_ = False,
    *,
    how: RunSettings,
) -> None:
    """Equilibria of the actors' own choices, the cooperative optimum and the price of anarchy."""
    with friendly_errors():
        named = parse_sweep(sweep) if sweep is not None else None
        if plot is not None and named is None:
            raise ValueError("--plot draws a sweep: give --sweep too")
        q = Question(
            _choose(choose), worlds, min(search_worlds, worlds), seed,
            SolverSettings(grid=grid, starts=starts), overrides=_settings(set_),
            information=information,
        )  # fmt: skip
        label = (
            "equilibrium (candidate runs)"
            if named is None
            else f"equilibrium sweep over {named[0]} (per mille)"
        )
        with progress_bar(1, label) as bar:
            settings = how.override(progress=bar)
            if named is None:
                res = equilibrium(scenario_source(scenario), q, settings)
            else:
                swept = equilibrium_sweep(scenario_source(scenario), *named, q, settings)
        if named is not None and plot is not None:
            from waystation.plots import save
            from waystation.plots.equilibrium import equilibrium_sweep as sweep_figure

            save(sweep_figure(swept), plot)
    if named is None:
        if json:
            print_json({**res.to_dict(), "findings": findings(res)}, EQUILIBRIUM_DEFINITIONS)
        else:
            show_equilibrium(res)
    elif json:
        print_json({**swept.to_dict(), "findings": sweep_findings(swept)}, EQUILIBRIUM_DEFINITIONS)
    else:
        show_sweep(swept)
        if plot is not None:
            out.print(f"  figure: {escape(str(plot))}")


def _ci(x: object, digits: int = 3) -> str:
    e, lo, hi = (getattr(x, k) for k in ("estimate", "low", "high"))
    return f"{e:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


def show_equilibrium(res: EquilibriumResult) -> None:
    """Tables of each equilibrium and the optimum, then findings and meanings."""
    table = Table(
        title=f"{res.scenario} · actors choose {', '.join(res.choose)} "
        f"(information: {res.information}) · search on "
        f"{res.search_worlds:,} worlds, reported on {res.worlds:,} · seed {res.seed}"
    )
    table.add_column("profile")
    table.add_column("actor")
    for c in res.choose:
        table.add_column(c, justify="right")
    table.add_column("payoff", justify="right")
    table.add_column("P(failure)", justify="right")
    table.add_column("stable", justify="center")
    rows = [(f"equilibrium {i + 1}", e) for i, e in enumerate(res.equilibria)]
    rows.append(("cooperative optimum", res.optimum))
    for label, f in rows:
        for i, a in enumerate(res.actors):
            cells = [f"{f.choices[a][c]:.2f}" for c in res.choose]
            failure = _ci(f.point.failure) if i == 0 else ""
            stable = "" if i or f.stable is None else ("yes" if f.stable else "no")
            if i == 0 and f.is_equilibrium is False:
                stable = "not an equilibrium"
            table.add_row(
                label if i == 0 else "", a, *cells, _ci(f.point.payoffs[i]), failure, stable
            )
        table.add_section()
    out.print(table)
    for line in findings(res):
        out.print(f"  - {escape(line)}", highlight=False)
    footnote(*EQUILIBRIUM_DEFINITIONS)


def show_sweep(sw: Sweep) -> None:
    """One row per swept value: worst equilibrium against the optimum."""
    choose = sw.results[0].choose
    table = Table(title=f"equilibrium sweep over {sw.name} · {sw.results[0].scenario}")
    table.add_column(sw.name, justify="right")
    for c in choose:
        table.add_column(f"{c} (eq / opt)", justify="right")
    table.add_column("P(failure) equilibrium", justify="right")
    table.add_column("P(failure) optimum", justify="right")
    table.add_column("price of anarchy", justify="right")
    for row in sw.rows():
        eq = row["equilibrium_choices"]
        cells = [
            f"{'-' if eq is None else f'{eq[c]:.2f}'} / {row['optimum_choices'][c]:.2f}"
            for c in choose
        ]
        ef = row["equilibrium_failure"]
        of = row["optimum_failure"]
        table.add_row(
            f"{row['value']:g}", *cells,
            "none found" if ef is None else f"{ef['estimate']:.3f}",
            f"{of['estimate']:.3f}", f"{row['price_of_anarchy']:.2f}",
        )  # fmt: skip
    out.print(table)
    for line in sweep_findings(sw):
        out.print(f"  - {escape(line)}", highlight=False)
    footnote(*EQUILIBRIUM_DEFINITIONS)
