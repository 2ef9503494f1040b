"""``waystation compare``, ``competence``, ``levers``, ``sensitivity``, ``voi`` and ``optimise``.

Each command calls one function of :mod:`waystation.analyses`, prints a
readable table with the meanings of its columns underneath (or ``--json``:
the result's ``to_dict()`` plus a ``definitions`` block), and shows a
progress bar on stderr when stderr is a terminal (or ``WAYSTATION_PROGRESS=1``).
Every command simulates ``DEFAULT_WORLDS`` worlds per run unless told
otherwise. Errors exit with code 2.

A command's parameters are its command-line options (typer reads them from
the signature; its docstring is its ``--help``), so some take more than
eight; the options that say how to run are shared by every command and
arrive as one :class:`~waystation.settings.RunSettings`, ``how``
(:func:`waystation.cli._settings.run_options`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

import typer
from rich.table import Table

from waystation import present
from waystation.analyses import (
    Comparison,
    CompetenceProfile,
    LeverTable,
    Optimum,
    Sensitivity,
    ValueOfInformation,
    compare,
    competence,
    lever_values,
    optimise,
    sensitivity,
    voi,
)
from waystation.cli._app import (
    Json_,
    Scenario_,
    Seed_,
    Strategy_,
    app,
    footnote,
    friendly_errors,
    out,
    print_json,
    progress_bar,
    scenario_source,
)
from waystation.cli._settings import run_options
from waystation.definitions import DEFAULT_WORLDS, define
from waystation.results import OUTCOMES
from waystation.settings import RunSettings

R = TypeVar("R")

Strategies = Annotated[
    list[str] | None,
    typer.Option(
        "--strategy", "-s", help="A strategy to include (repeat: -s race -s cautious-lab)."
    ),
]
Objective = Annotated[
    str, typer.Option("--objective", help="victory, non_failure or utility (expected utility).")
]
Utility = Annotated[
    str | None,
    typer.Option("--utility", help="Utility weights, e.g. victory=1,costly_non_failure=0.5."),
]


Levers_ = Annotated[list[str] | None, typer.Option("--lever", help="Only these levers.")]
WorldsOpt = Annotated[
    int,
    typer.Option(
        "--worlds",
        "-n",
        min=2,
        max=100_000_000,
        help="Possible worlds per run (the same default in every command).",
    ),
]


def _utility(text: str | None) -> dict[str, float] | None:
    """Parse ``victory=1,costly_non_failure=0.5`` into weights."""
    if text is None:
        return None
    weights = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        try:
            weights[key.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            raise ValueError(f"--utility: expected outcome=number, got {part!r}")
    return weights


@contextmanager
def _progress(label: str, run_worlds: int = 0) -> Iterator[Callable[[int, int], None]]:
    """Progress of an analysis on stderr (see :func:`progress_bar`), never on stdout.

    In percent of the worlds it will simulate, or, given ``run_worlds`` (the
    worlds of one run), in runs: ``optimise`` then counts its evaluations.
    """
    if run_worlds > 0:
        with progress_bar(1, f"{label} (runs of {run_worlds:,} worlds)") as bar:
            yield lambda done, total: bar(done // run_worlds, max(1, -(-total // run_worlds)))
        return
    with progress_bar(100, f"{label} (%)") as bar:
        yield lambda done, total: bar(int(100 * done / max(1, total)), 100)


def analysed(
    label: str, how: RunSettings, compute: Callable[[RunSettings], R], run_worlds: int = 0
) -> R:
    """``compute(settings)`` with the command's run settings, a progress bar and located errors.

    ``compute`` calls one analysis; the settings it receives are ``how``
    with the bar of :func:`_progress` as their progress callback. A bad
    argument exits with code 2 and one line (:func:`friendly_errors`).
    """
    with friendly_errors(), _progress(label, run_worlds) as bar:
        return compute(how.override(progress=bar))


def emit(res: Any, json: bool, keys: Sequence[str], show: Callable[[Any], None]) -> None:
    """Print a result: ``--json`` (``to_dict()`` and the meanings of ``keys``) or ``show(res)``."""
    if json:
        print_json(res.to_dict(), keys)
    else:
        show(res)


def _strategies(names: list[str] | None, least: int) -> list[str]:
    """The ``-s`` strategies of a command that needs at least ``least`` of them."""
    if len(names or []) < least:
        count = {1: "one strategy", 2: "two strategies"}[least]
        raise ValueError(f"give at least {count}: -s race -s cautious-lab")
    return list(names or [])


@app.command("compare")
@run_options
def compare_cmd(
    scenario: Scenario_,
    strategy: Strategies = None,
    worlds: WorldsOpt = DEFAULT_WORLDS,
    seed: Seed_ = 0,
    json: Json_ = False,
    *,
    how: RunSettings,
) -> None:
    """Compare strategies on the same worlds: probabilities and paired differences."""
    res = analysed(
        "compare",
        how,
        lambda s: compare(
            scenario_source(scenario), _strategies(strategy, 1), worlds, seed, settings=s
        ),
    )
    emit(res, json, COMPARE_DEFINITIONS, show_comparison)


COMPARE_DEFINITIONS = (
    *OUTCOMES,
    "plus_minus",
    "standard_error",
    "difference",
    "difference_sign",
    "interval_95",
    "common_worlds",
    "default_worlds",
)


def show_comparison(res: Comparison) -> None:
    """Table of strategies: outcome probabilities and differences from the first."""
    first = res.strategies[0]
    table = Table(
        title=f"{res.scenario} · {res.worlds:,} common worlds · seed {res.seed} · "
        f"Δ = strategy minus {first} (95% interval)"
    )
    table.add_column("strategy")
    for o in OUTCOMES:
        table.add_column(f"P({o.replace('_', ' ')})", justify="right")
    table.add_column("Δ victory", justify="right")
    table.add_column("Δ failure", justify="right")
    for name in res.strategies:
        r, d = res.results[name], res.differences[name]
        cells = [present.probability(r.probabilities[o], r.standard_errors[o]) for o in OUTCOMES]
        table.add_row(name, *cells, present.interval(d["victory"]), present.interval(d["failure"]))
    out.print(table)
    footnote(*COMPARE_DEFINITIONS)


@app.command("competence")
@run_options
def competence_cmd(
    scenario: Scenario_,
    strategy: Strategy_ = None,
    grid: Annotated[
        str | None, typer.Option("--grid", help="Hardness values, e.g. 0.1,0.3,1,3,10.")
    ] = None,
    worlds: WorldsOpt = DEFAULT_WORLDS,
    seed: Seed_ = 0,
    json: Json_ = False,
    *,
    how: RunSettings,
) -> None:
    """Outcome probabilities against problem hardness, and where P(non-failure) falls to 50%."""
    res = analysed(
        "competence",
        how,
        lambda s: competence(
            scenario_source(scenario), strategy, _grid(grid), worlds, seed, settings=s
        ),
    )
    emit(res, json, COMPETENCE_DEFINITIONS, show_competence)


def _grid(text: str | None) -> list[float] | None:
    """Parse ``--grid 0.1,0.3,1`` into numbers (None: the analysis's default grid)."""
    if text is None:
        return None
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise ValueError(f"--grid: expected numbers separated by commas, got {text!r}") from None


COMPETENCE_DEFINITIONS = (
    "hardness",
    *OUTCOMES,
    "non_failure",
    "plus_minus",
    "standard_error",
    "competence_frontier",
    "interval_95",
    "common_worlds",
    "default_worlds",
)


def show_competence(res: CompetenceProfile) -> None:
    """Table of the competence profile and its 50% frontier."""
    table = Table(
        title=f"{res.scenario} · strategy {res.strategy} · {res.worlds:,} worlds "
        "per hardness · common random numbers"
    )
    table.add_column("hardness", justify="right")
    for k in ("victory", "costly_non_failure", "failure", "non_failure"):
        table.add_column(f"P({k.replace('_', ' ')})", justify="right")
    for i, h in enumerate(res.grid):
        cells = [
            present.probability(res.curves[k][i], res.standard_errors[k][i])
            for k in ("victory", "costly_non_failure", "failure", "non_failure")
        ]
        table.add_row(f"{h:.3g}", *cells)
    out.print(table)
    f = res.frontier
    text = (
        "P(non-failure) does not cross 50% on this grid"
        if f is None
        else f"P(non-failure) falls to 50% at hardness {f.estimate:.3g} "
        f"(95% interval {f.low:.3g} to {f.high:.3g})"
    )
    out.print(f"  {text}")
    footnote(*COMPETENCE_DEFINITIONS)


@app.command("levers")
@run_options
def levers_cmd(
    scenario: Scenario_,
    strategy: Strategy_ = None,
    objective: Objective = "victory",
    utility: Utility = None,
    lever: Levers_ = None,
    step: Annotated[float, typer.Option("--step", help="Difference step, share of range.")] = 0.05,
    worlds: WorldsOpt = DEFAULT_WORLDS,
    seed: Seed_ = 0,
    json: Json_ = False,
    *,
    how: RunSettings,
) -> None:
    """Rank levers by marginal value per unit cost (central differences on common worlds)."""
    res = analysed(
        "levers",
        how,
        lambda s: lever_values(
            scenario_source(scenario), strategy, objective, worlds, seed,
            step=step, utility=_utility(utility), levers=lever, settings=s,
        ),
    )  # fmt: skip
    emit(res, json, LEVER_DEFINITIONS + tuple(r.name for r in res.rows), show_levers)


LEVER_DEFINITIONS = (
    "objective",
    "cost",
    "budget_unit",
    "derivative",
    "per_cost",
    "interval_95",
    "common_worlds",
    "default_worlds",
)


def show_levers(res: LeverTable) -> None:
    """Table of levers ranked by value per budget unit."""
    table = Table(
        title=f"{res.scenario} · strategy {res.strategy} · d {res.objective} / d lever "
        f"· {res.worlds:,} worlds (95% intervals)"
    )
    for col in (
        "rank",
        "lever",
        "scope",
        "cost per unit (budget units)",
        "marginal value per unit of lever",
        "value per budget unit",
    ):
        table.add_column(col, justify="left" if col in ("lever", "scope") else "right")
    for k, r in enumerate(res.rows, 1):
        table.add_row(
            str(k),
            r.name,
            r.scope,
            f"{r.cost:g}",
            present.interval(r.derivative),
            present.interval(r.per_cost),
        )
    out.print(table)
    out.print("  Levers that the strategy's rules set are held by the rules (value near 0).")
    footnote(*LEVER_DEFINITIONS)
    footnote(*(r.name for r in res.rows), title="levers")


@app.command("sensitivity")
@run_options
def sensitivity_cmd(
    scenario: Scenario_,
    strategy: Strategy_ = None,
    method: Annotated[str, typer.Option("--method", help="sobol or morris.")] = "sobol",
    base_samples: Annotated[
        int | None,
        typer.Option(
            "--base-samples",
            min=2,
            help="Sobol base samples (a power of 2) or Morris trajectories; default: as many "
            "as keep the analysis within the default world count (1,024 Sobol or 1,111 Morris "
            "for the 17 inputs of the shipped scenarios).",
            show_default=False,
        ),
    ] = None,
    objective: Objective = "victory",
    utility: Utility = None,
    name: Annotated[list[str] | None, typer.Option("--input", help="Only these inputs.")] = None,
    seed: Seed_ = 0,
    json: Json_ = False,
    *,
    how: RunSettings,
) -> None:
    """Global sensitivity of the objective to the uncertain inputs (Sobol or Morris)."""
    res = analysed(
        "sensitivity",
        how,
        lambda s: sensitivity(
            scenario_source(scenario), strategy, method, base_samples, seed, objective, name,
            utility=_utility(utility), settings=s,
        ),
    )  # fmt: skip
    emit(res, json, _sensitivity_keys(res) + tuple(_defined(res.names)), show_sensitivity)


def _sensitivity_keys(res: Sensitivity) -> tuple[str, ...]:
    indices = ("first_order", "total_order") if res.method == "sobol" else ("mu_star", "sigma")
    return ("objective", *indices, "plus_minus", "interval_95", "common_worlds", "default_worlds")


def _defined(names: tuple[str, ...]) -> list[str]:
    """The input names that the registry defines (all of them, for registry parameters)."""
    from waystation.definitions import DEFINITIONS

    return [n for n in names if n in DEFINITIONS]


def show_sensitivity(res: Sensitivity) -> None:
    """Table of indices, most influential input first."""
    table = Table(
        title=f"{res.scenario} · {res.method} indices of {res.objective} · "
        f"{res.worlds:,} worlds (± 95% interval half-width)"
    )
    table.add_column("input")
    if res.ST is not None and res.S1 is not None and res.S1_conf and res.ST_conf:
        st, s1, c1, ct = res.ST, res.S1, res.S1_conf, res.ST_conf
        table.add_column("first order S1", justify="right")
        table.add_column("total ST", justify="right")
        for n in sorted(res.names, key=lambda n: -st[n]):
            table.add_row(
                n, present.plus_minus(s1[n], c1[n], 3), present.plus_minus(st[n], ct[n], 3)
            )
    elif res.mu_star is not None and res.mu_star_conf is not None and res.sigma is not None:
        mu, mc, sg = res.mu_star, res.mu_star_conf, res.sigma
        table.add_column("mu*", justify="right")
        table.add_column("sigma", justify="right")
        for n in sorted(res.names, key=lambda n: -mu[n]):
            table.add_row(n, present.plus_minus(mu[n], mc[n]), present.number(sg[n], 4))
    out.print(table)
    footnote(*_sensitivity_keys(res))
    footnote(*_defined(res.names), title="inputs")


@app.command("voi")
@run_options
def voi_cmd(
    scenario: Scenario_,
    strategy: Strategies = None,
    part: Annotated[
        list[str] | None, typer.Option("--part", help="An input whose value we might learn.")
    ] = None,
    objective: Objective = "victory",
    utility: Utility = None,
    bins: Annotated[int, typer.Option("--bins", min=2, help="Quantile bins for EVPPI.")] = 10,
    worlds: WorldsOpt = DEFAULT_WORLDS,
    seed: Seed_ = 0,
    json: Json_ = False,
    *,
    how: RunSettings,
) -> None:
    """Value of learning the world (EVPI) or one input (EVPPI) before choosing a strategy."""
    parts: dict[str, list[str]] = {"parts": part} if part else {}
    res = analysed(
        "voi",
        how,
        lambda s: voi(
            scenario_source(scenario), _strategies(strategy, 2), worlds=worlds, seed=seed,
            objective=objective, bins=bins, utility=_utility(utility), settings=s, **parts,
        ),
    )  # fmt: skip
    emit(res, json, VOI_DEFINITIONS + tuple(_defined(tuple(res.evppi))), show_voi)


VOI_DEFINITIONS = ("objective", "voi", "interval_95", "common_worlds", "default_worlds")


def show_voi(res: ValueOfInformation) -> None:
    """Tables of the strategies' means and the value of each piece of information."""
    table = Table(title=f"{res.scenario} · expected {res.objective} · {res.worlds:,} worlds")
    table.add_column("strategy")
    table.add_column("mean", justify="right")
    for n in res.strategies:
        table.add_row(
            n + (" (best)" if n == res.best_strategy else ""), present.number(res.means[n], 4)
        )
    out.print(table)
    info = Table(title="Value of information (objective units, bias-corrected, 95% interval)")
    info.add_column("learning")
    info.add_column("value", justify="right")
    info.add_row("everything (EVPI)", present.interval(res.evpi))
    for k, v in res.evppi.items():
        info.add_row(k, present.interval(v))
    out.print(info)
    footnote(*VOI_DEFINITIONS)
    footnote(*_defined(tuple(res.evppi)), title="inputs")


@app.command("optimise")
@run_options
def optimise_cmd(
    scenario: Scenario_,
    budget: Annotated[
        float,
        typer.Option("--budget", min=0, help=f"Budget units ({define('budget_unit').meaning})."),
    ] = 100.0,
    objective: Objective = "victory",
    utility: Utility = None,
    lever: Levers_ = None,
    max_evaluations: Annotated[
        int | None, typer.Option("--max-evaluations", min=1, help="Cap on search runs.")
    ] = None,
    worlds: WorldsOpt = DEFAULT_WORLDS,
    seed: Seed_ = 0,
    json: Json_ = False,
    *,
    how: RunSettings,
) -> None:
    """The lever mix that maximises the objective within a budget."""
    res = analysed(
        "optimise",
        how,
        lambda s: optimise(
            scenario_source(scenario), budget, objective, lever, worlds, seed,
            utility=_utility(utility), max_evaluations=max_evaluations, settings=s,
        ),
        run_worlds=worlds,
    )  # fmt: skip
    emit(res, json, OPTIMISE_DEFINITIONS + tuple(_lever_keys(res.levers)), show_optimum)


OPTIMISE_DEFINITIONS = (
    "objective",
    "budget_unit",
    "cost",
    "gain",
    "interval_95",
    "common_worlds",
    "default_worlds",
)


def _lever_keys(inputs: dict[str, float]) -> list[str]:
    """Registry keys of the levers behind flat input names (``lab.caution`` -> ``caution``)."""
    return _defined(tuple(dict.fromkeys(k.rsplit(".", 1)[-1] for k in inputs)))


def show_optimum(res: Optimum) -> None:
    """Table of the optimal lever values against the scenario's."""
    table = Table(
        title=f"{res.scenario} · best {res.objective} within {res.budget:g} budget "
        f"units · {res.evaluations} evaluations of {res.worlds:,} worlds"
    )
    for col in ("input", "scenario", "optimum"):
        table.add_column(col, justify="left" if col == "input" else "right")
    for k, v in res.levers.items():
        table.add_row(k, f"{res.baseline[k]:.3f}", f"{v:.3f}")
    out.print(table)
    out.print(
        f"  cost {res.cost:.2f} of {res.budget:g}; on fresh worlds (seed {res.holdout_seed}): "
        f"{res.objective} {present.interval(res.value)} vs scenario "
        f"{present.interval(res.baseline_value)}, gain {present.interval(res.gain)}"
    )
    footnote(*OPTIMISE_DEFINITIONS)
    footnote(*_lever_keys(res.levers), title="levers")
