"""``waystation run``, ``scenarios``, ``strategies`` and ``params``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from waystation import present
from waystation.api import compile_scenario, run_model
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
from waystation.cli.runs import export_worlds, print_wide
from waystation.definitions import DEFAULT_WORLDS, define
from waystation.export import export_format
from waystation.io import Problem, ScenarioError, load_scenario, load_strategy, shipped_scenarios
from waystation.levers import LEVERS
from waystation.params import PARAMS
from waystation.results import OUTCOMES, Results
from waystation.settings import RunSettings
from waystation.strategies import BUILTIN_STRATEGIES

Worlds = Annotated[
    int,
    typer.Option(
        "--worlds",
        "-n",
        min=1,
        max=100_000_000,
        help="Possible worlds to simulate (the same default in every command).",
    ),
]
KeepWorlds = Annotated[
    bool, typer.Option("--keep-worlds/--no-keep-worlds", help="Keep per-world records in memory.")
]
Export_ = Annotated[
    Path | None,
    typer.Option(
        "--export",
        help="Write the per-world rows (inputs drawn, outcome probabilities, years of events, "
        "waystations reached) to a .parquet or .csv file, with a data dictionary beside it "
        "(<name>.dictionary.csv).",
        dir_okay=False,
    ),
]


@app.command()
@run_options
def run(
    scenario: Scenario_ = "default",
    worlds: Worlds = DEFAULT_WORLDS,
    seed: Seed_ = 0,
    strategy: Strategy_ = None,
    json: Json_ = False,
    keep_worlds: KeepWorlds = False,
    export: Export_ = None,
    *,
    how: RunSettings,
) -> None:
    """Run possible worlds of a scenario and report outcome probabilities."""
    if export is not None:
        with friendly_errors():
            export_format(export)
    with friendly_errors():
        model = compile_scenario(scenario_source(scenario), strategy)
        with progress_bar(worlds, "worlds") as progress:
            res = run_model(
                model,
                worlds,
                seed,
                settings=how.override(
                    progress=progress, keep_worlds=keep_worlds or export is not None
                ),
            )
        if export is not None and res.records is not None:
            export_worlds(res.records, export)
    if json:
        print_json(res.to_dict(), RUN_DEFINITIONS + tuple(res.waystations))
    else:
        show_results(res)


#: Registry keys a run's table and ``--json`` document use (plus its waystations).
RUN_DEFINITIONS: tuple[str, ...] = (
    *OUTCOMES,
    "plus_minus",
    "standard_error",
    "interval_95",
    "costly_non_failure_breakdown",
    "median_victory_year",
    "final_state",
    "p_reached",
    "median_year",
    "p_victory_given_reached",
    "p_victory_given_not_reached",
    "sweet_spot_years",
    "default_worlds",
    "common_worlds",
)


def show_results(res: Results) -> None:
    """Readable tables of a run: outcomes, victory year, final states and waystations."""
    horizon = res.times[-1]
    table = Table(
        title=f"{res.scenario} · strategy {res.strategy} · {res.n_worlds:,} worlds "
        f"· seed {res.seed} · horizon {horizon:g}",
        caption=f"stepped by the {res.backend} backend" if res.backend else None,
    )
    for col in ("outcome", "probability ± 95%", "s.e.", "95% interval"):
        table.add_column(col, justify="left" if col == "outcome" else "right")
    for o in OUTCOMES:
        p, se = res.probabilities[o], res.standard_errors[o]
        table.add_row(
            o.replace("_", " "),
            present.probability(p, se),
            present.standard_error(se),
            present.probability_interval(p, se),
        )
    out.print(table)
    footnote(*OUTCOMES, "plus_minus", "standard_error", "interval_95")
    b = res.breakdown
    out.print(
        f"  costly non-failure at the horizon: restrained {b['restrained']:.4f}, "
        f"still climbing unsafely {b['unsafe_climbing']:.4f}, safe below "
        f"superintelligence {b['safe_below_superintelligence']:.4f}"
    )
    year = res.median_victory_year
    out.print(f"  median year of victory: {'none' if year is None else f'{year:g}'}")
    timing = ", ".join(f"{y} {p:.4f}" for y, p in res.failure_by.items())
    out.print(f"  P(failure) by {timing}")
    footnote("costly_non_failure_breakdown", "median_victory_year")
    out.print()
    finals = Table(
        title=f"State at {horizon:g} (or at victory): quantiles over worlds, OOM above 2026"
    )
    for col in ("actor", "frontier q05", "q50", "q95", "safety range q05", "q50 ", "q95 "):
        finals.add_column(col, justify="right")
    cap, saf = res.final_quantiles("capability"), res.final_quantiles("safety_range")
    for actor in res.actors:
        c, s = cap[actor], saf[actor]
        finals.add_row(
            actor,
            *(f"{c[q]:.2f}" for q in ("q05", "q50", "q95")),
            *(f"{s[q]:.2f}" for q in ("q05", "q50", "q95")),
        )
    out.print(finals)
    footnote("final_state")
    show_waystations(res)


def show_waystations(res: Results) -> None:
    """The waystation table: how often reached, when, and how much easier victory becomes."""
    table = Table(
        title="Waystations (survival-weighted; the conditional columns are associations "
        "across worlds, not effects of reaching them)"
    )
    table.add_column("waystation: what reaching it means", justify="left", ratio=1, overflow="fold")
    for col in (
        "P(reached)",
        "median year",
        "P(victory | reached)",
        "P(victory | not reached)",
    ):
        table.add_column(col, justify="right", max_width=12)
    for name, w in res.waystations.items():
        table.add_row(
            f"{name}\n[dim]{escape(define(name).meaning)}[/]",
            present.number(w.p_reached),
            "—" if w.median_year is None else f"{w.median_year:g}",
            present.number(w.p_victory_given_reached),
            present.number(w.p_victory_given_not_reached),
        )
    out.print(table)
    out.print(f"  mean years in the sweet spot: {res.mean_sweet_spot_years:.2f}")
    never = [n for n, w in res.waystations.items() if w.p_reached == 0]
    if never:
        out.print(
            f"  never reached in these worlds: {', '.join(never)} (its condition above never "
            "held before the horizon under this scenario and strategy)",
            highlight=False,
        )
    footnote(
        "p_reached",
        "median_year",
        "p_victory_given_reached",
        "p_victory_given_not_reached",
        "sweet_spot_years",
    )


@app.command()
def scenarios(json: Json_ = False) -> None:
    """List the scenarios shipped with waystation."""
    shipped = shipped_scenarios()
    if json:
        print_json(shipped)
        return
    table = Table(title="Shipped scenarios")
    table.add_column("name")
    table.add_column("description")
    for name, text in shipped.items():
        table.add_row(name, text)
    out.print(table)
    from waystation.presets import PRESETS

    presets = Table(title="Presets (run with --preset NAME)")
    for col in ("name", "kind", "beliefs", "sources"):
        presets.add_column(col)
    for p in PRESETS.values():
        cited = "; ".join(source.split(": ")[0] for source in p.sources)  # the works cited
        presets.add_row(p.name, p.kind, escape(p.title), escape(cited))
    out.print(presets)


@app.command()
def strategies(json: Json_ = False) -> None:
    """List the built-in strategies with one-line descriptions."""
    if json:
        print_json({name: s["description"] for name, s in BUILTIN_STRATEGIES.items()})
        return
    table = Table(title="Built-in strategies")
    table.add_column("name")
    table.add_column("description")
    for name, spec in BUILTIN_STRATEGIES.items():
        table.add_row(name, spec["description"])
    out.print(table)


@app.command()
def params(json: Json_ = False) -> None:
    """List every model parameter and lever with unit, default, bounds and source."""
    rows = [
        {
            "name": p.name,
            "group": p.group,
            "unit": p.unit,
            "default": p.default,
            "bounds": list(p.bounds),
            "meaning": p.meaning,
            "source": p.source,
        }
        for p in PARAMS
    ] + [
        {
            "name": v.name,
            "group": f"lever ({v.scope})",
            "unit": v.unit,
            "default": v.default,
            "bounds": list(v.bounds),
            "meaning": v.meaning,
            "source": v.source,
            "cost": v.cost,
        }
        for v in LEVERS
    ]
    for r in rows:
        r["status"] = source_status(str(r["source"]))
    if json:
        print_json(rows)
        return
    illustrative = sum(r["status"] == "illustrative" for r in rows)
    table = Table(
        title="Parameters and levers",
        caption=f"{illustrative} of {len(rows)} entries are illustrative (judgement calls that "
        "make the essay computable, not estimates); 'calibrated' entries cite their source. "
        f"Budget unit (the cost column): {define('budget_unit').meaning}",
    )
    for col in ("name", "group", "unit", "default", "bounds", "cost per unit (budget units)",
                "status", "source", "meaning"):  # fmt: skip
        table.add_column(col, overflow="fold")
    for r in rows:
        lo, hi = (float(b) for b in r["bounds"])  # type: ignore[union-attr]
        cost = f"{r['cost']:g}" if "cost" in r else ""
        status = str(r["status"])
        table.add_row(
            str(r["name"]),
            str(r["group"]),
            str(r["unit"]),
            f"{r['default']:g}" if isinstance(r["default"], float) else str(r["default"]),
            f"{lo:g} to {hi:g}",
            cost,
            f"[dim]{status}[/]" if status == "illustrative" else status,
            escape(str(r["source"])),
            escape(str(r["meaning"])),
        )
    print_wide(table)


def source_status(source: str) -> str:
    """``illustrative``, ``convention`` or ``calibrated`` (a cited figure), from a source text."""
    text = source.strip().lower()
    if text.startswith("illustrative"):
        return "illustrative"
    return "convention" if text.startswith("convention") else "calibrated"


@app.command()
def validate(
    scenario: Scenario_,
    strategy: Strategy_ = None,
    json: Json_ = False,
) -> None:
    """Check a scenario (and strategy) file and report every problem with its line."""
    if json:
        doc = validation(scenario, strategy)
        print_json(doc)
        raise typer.Exit(0 if doc["valid"] else 2)
    with friendly_errors():
        sc = load_scenario(scenario_source(scenario))
        if strategy is not None:
            load_strategy(strategy, sc)
        compile_scenario(sc, strategy)
    out.print(f"[green]ok[/]: {scenario} is a valid scenario with {len(sc.actors)} actors")


def problems_of(scenario: str, strategy: str | None) -> list[Problem]:
    """Every located problem of a scenario (and strategy); empty if it is valid."""
    try:
        sc = load_scenario(scenario_source(scenario))
        if strategy is not None:
            load_strategy(strategy, sc)
        compile_scenario(sc, strategy)
    except ScenarioError as e:
        return list(e.problems)
    except (ValueError, OSError) as e:
        return [Problem(scenario, None, "", str(e))]
    return []


def validation(scenario: str, strategy: str | None) -> dict[str, object]:
    """The ``validate --json`` document: ``valid`` and every problem with its file and line."""
    found = problems_of(scenario, strategy)
    return {
        "scenario": scenario,
        "strategy": strategy,
        "valid": not found,
        "problems": [
            {"source": p.source, "line": p.line, "path": p.path, "message": p.message}
            for p in found
        ],
    }


@app.command()
@run_options
def calibration(
    scenario: Scenario_ = "default",
    worlds: Annotated[
        int, typer.Option("--worlds", "-n", min=100, max=10_000_000, help="Worlds per run.")
    ] = DEFAULT_WORLDS,
    seed: Seed_ = 0,
    json: Json_ = False,
    *,
    how: RunSettings,
) -> None:
    """Compare the model with published figures: band, source and the model's value."""
    from waystation.calibration import check

    with friendly_errors(), progress_bar(3 * worlds, "calibration runs (worlds)") as progress:
        rows = check(scenario_source(scenario), worlds, seed, how.override(progress=progress))
    if json:
        print_json(
            {"scenario": scenario, "worlds": worlds, "seed": seed, "targets": rows},
            CALIBRATION_DEFINITIONS,
        )
        return
    table = Table(title=f"Calibration of {scenario} · {worlds:,} worlds · seed {seed}")
    for col in ("target", "band", "model (s.e.)", "inside", "source"):
        table.add_column(col, overflow="fold")
    for r in rows:
        lo, hi = r["band"]
        table.add_row(
            r["target"],
            f"{lo:g}-{hi:g} {r['unit']}",
            # years read as years (2030.6), not 2.03e+03
            f"{r['value']:.{'1f' if r['unit'] == 'year' else '3g'}} (s.e. {r['se']:.2g})",
            "yes" if r["inside"] else "[red]NO[/red]",
            r["source"],
        )
    out.print(table)
    if not all(r["inside"] for r in rows):
        out.print("[red]some targets are outside their bands[/red]")
    footnote(*CALIBRATION_DEFINITIONS)


CALIBRATION_DEFINITIONS = ("calibration_band", "standard_error", "default_worlds")
