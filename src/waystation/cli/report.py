"""``waystation plot`` (one figure) and ``waystation report`` (a self-contained HTML page)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from waystation.cli._app import (
    Scenario_,
    Seed_,
    app,
    fail,
    friendly_errors,
    out,
    progress_bar,
    scenario_source,
)
from waystation.cli._files import atomic_outputs
from waystation.cli._settings import run_options
from waystation.definitions import DEFAULT_WORLDS
from waystation.settings import RunSettings

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Figure kinds of ``waystation plot`` and whether each needs an analysis.
KINDS: dict[str, str] = {
    "diagram": "capability frontier vs safety range per actor (essay section 4), the unsafe "
    "region and the share of worlds beyond their safety range; strategies side by side",
    "outcomes": "outcome probabilities per strategy with 95% error bars",
    "over-time": "P(victory by year), P(neither yet) and P(failure by year), per strategy",
    "outside": "share of worlds beyond each actor's safety range by year, per strategy",
    "arrivals": "P(reached by year) for each waystation, per strategy",
    "paths": "a few sampled victory and failure worlds, year by year (one strategy)",
    "cumulative": "P(victory by t) and P(failure by t) (one strategy)",
    "waystations": "P(victory | reached) vs not reached per waystation (one strategy)",
    "competence": "outcomes vs problem hardness, with the competence frontier",
    "levers": "marginal value of each lever per unit cost, ranked",
    "sobol": "Sobol sensitivity indices S1 and ST",
    "comparison": "paired differences vs the first strategy",
}
FORMATS = ("png", "svg", "pdf")
#: Kinds drawn from plain runs of the scenario, one per strategy.
RUN_KINDS = ("diagram", "outcomes", "over-time", "outside", "arrivals", "paths", "cumulative",
             "waystations")  # fmt: skip
#: Kinds that draw a single strategy.
SINGLE = ("paths", "cumulative", "waystations")

Kind = Annotated[str, typer.Argument(help="Figure: " + ", ".join(KINDS) + ".")]
Strategies = Annotated[
    list[str] | None,
    typer.Option("--strategy", "-s", help="Strategy name or YAML file; repeat to compare."),
]
Worlds = Annotated[
    int, typer.Option("--worlds", "-n", min=1, max=10_000_000, help="Possible worlds per strategy.")
]
Output = Annotated[Path, typer.Option("--output", "-o", help="File to write.")]
Format = Annotated[str, typer.Option("--format", "-f", help="html or md.")]


def make_figure(
    kind: str,
    scenario: str,
    strategies: list[str],
    worlds: int,
    seed: int,
    how: RunSettings | None = None,
) -> Figure:
    """Run what figure ``kind`` needs (executed as ``how`` says) and draw it."""
    from waystation import plots
    from waystation.api import run

    sc = scenario_source(scenario)
    names: list[Any] = list(strategies) or [None]
    if kind in SINGLE and len(names) > 1:
        raise ValueError(
            f"the {kind!r} figure draws one strategy; for several use diagram, over-time, "
            "outside, arrivals or outcomes"
        )
    if kind in RUN_KINDS:
        runs = [run(sc, worlds, seed, strategy=s, settings=how) for s in names]
        return _draw_runs(kind, sc, names[0], runs)
    from waystation import analyses

    if kind == "comparison":
        if len(names) < 2:
            raise ValueError("a comparison needs at least two strategies: -s A -s B")
        return plots.comparison(analyses.compare(sc, names, worlds, seed, settings=how))
    if kind == "competence":
        return plots.competence_profile(
            analyses.competence(sc, names[0], worlds=worlds, seed=seed, settings=how)
        )
    if kind == "levers":
        return plots.tornado(
            analyses.lever_values(sc, names[0], worlds=worlds, seed=seed, settings=how)
        )
    return plots.sobol(
        analyses.sensitivity(sc, names[0], "sobol", base_samples=64, seed=seed, settings=how)
    )


def _draw_runs(kind: str, sc: Any, strategy: Any, runs: list[Any]) -> Figure:
    """Draw a figure of runs (one per strategy, keyed by strategy name)."""
    from waystation import plots

    by_name = {r.strategy: r for r in runs}
    if len(by_name) < len(runs):
        raise ValueError("the strategies must have different names to be drawn side by side")
    if kind == "paths":
        from waystation.api import compile_scenario
        from waystation.trace import sample_traces

        model = compile_scenario(sc, strategy)
        trace = sample_traces(model, runs[0], per_outcome=3, seed=runs[0].seed)
        return plots.paths(trace, levels=plots.thresholds_of(model))
    draw = {
        "diagram": plots.diagram,
        "outcomes": plots.outcomes,
        "over-time": plots.outcomes_over_time,
        "outside": plots.outside_share,
        "arrivals": plots.arrivals,
    }
    if kind in draw:
        return draw[kind](by_name)
    return plots.cumulative(runs[0]) if kind == "cumulative" else plots.waystation_value(runs[0])


def _check_output(path: Path, allowed: tuple[str, ...]) -> str:
    ext = path.suffix.lower().lstrip(".")
    if ext not in allowed:
        fail(
            f"cannot write {path.name!r}: the file must end in "
            + ", ".join(f".{a}" for a in allowed)
        )
    return ext


@app.command()
@run_options
def plot(
    kind: Kind,
    scenario: Scenario_,
    output: Output,
    strategy: Strategies = None,
    worlds: Worlds = DEFAULT_WORLDS,
    seed: Seed_ = 0,
    *,
    how: RunSettings,
) -> None:
    """Draw one figure of a scenario and write it as PNG, SVG or PDF.

    With several ``-s`` the diagram, over-time, outside, arrivals and outcomes
    figures draw every strategy side by side on shared axes.
    """
    if kind not in KINDS:
        fail(f"unknown figure kind {kind!r}; choose one of: {', '.join(KINDS)}")
    _check_output(output, FORMATS)
    with friendly_errors():
        from waystation.plots import save

        fig = make_figure(kind, scenario, list(strategy or []), worlds, seed, how)
        with atomic_outputs() as files:
            save(fig, files.path(output))
    out.print(f"wrote {output}")


ReportWorlds = Annotated[
    int | None,
    typer.Option(
        "--worlds",
        "-n",
        min=2,
        max=10_000_000,
        help="Possible worlds per strategy (default: 20,000, as for run and compare); "
        "analyses use a quarter of them per evaluation.",
        show_default=False,
    ),
]
FiguresDir = Annotated[
    Path | None,
    typer.Option(
        "--figures",
        help="Also write every figure as a vector PDF into this folder (for papers and slides).",
        file_okay=False,
    ),
]
WithEquilibrium = Annotated[
    bool,
    typer.Option(
        "--equilibrium",
        help="Add what strategic actors would choose (each its own caution; a small search: "
        "about 20 CPU-seconds on the default scenario; waystation equilibrium searches more "
        "finely).",
    ),
]
#: Steps of the report's progress bar (per cent of its simulated worlds).
BAR_STEPS = 100


@app.command()
@run_options
def report(
    scenario: Scenario_,
    output: Output,
    strategy: Strategies = None,
    worlds: ReportWorlds = None,
    seed: Seed_ = 0,
    format: Format = "html",
    figures: FiguresDir = None,
    equilibrium: WithEquilibrium = False,
    *,
    how: RunSettings,
) -> None:
    """Run every analysis for each strategy and write one self-contained report.

    The report opens with key findings (best strategy on victory and on
    non-failure, with paired 95% intervals), then methods, assumptions,
    per-strategy analyses, calibration, definitions and limitations.
    """
    if format not in ("html", "md"):
        fail(f"unknown format {format!r}: use html or md")
    _check_output(output, (format,))
    from waystation import definitions
    from waystation.report import figure_items, gather, render_html, render_markdown, svg
    from waystation.report.figures import pdf_name

    n = definitions.DEFAULT_WORLDS if worlds is None else worlds
    with friendly_errors():
        with progress_bar(BAR_STEPS, "report (% of worlds)", True) as bar:
            data = gather(
                str(scenario),
                list(strategy or []),
                n,
                seed,
                output=output.name,
                fmt=format,
                settings=how.override(
                    progress=lambda done, total: bar(done * BAR_STEPS // max(1, total), BAR_STEPS)
                ),
                equilibrium=equilibrium,
            )
        items = figure_items(data)
        with atomic_outputs() as files:  # all files appear together, or none
            if format == "html":
                files.path(output).write_text(render_html(data, items), encoding="utf-8")
            else:
                names = {i.id: f"{output.stem}-{i.id.removeprefix('fig-')}.svg" for i in items}
                for i in items:
                    target = files.path(output.parent / names[i.id])
                    target.write_text(svg(i.figure), encoding="utf-8")
                files.path(output).write_text(render_markdown(data, names, items), encoding="utf-8")
            if figures is not None:
                figures.mkdir(parents=True, exist_ok=True)
                for i in items:
                    i.figure.savefig(
                        files.path(figures / pdf_name(i)),
                        format="pdf",
                        metadata={"CreationDate": None},
                    )
    out.print(
        f"wrote {output}" + (f" and {len(items)} PDF figures in {figures}" if figures else "")
    )
