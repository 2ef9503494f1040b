"""What a report shows: the runs and analyses it gathers, and its figures as SVG."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from io import StringIO
from typing import Any

from waystation.api import compile_scenario, package_version
from waystation.io import load_scenario
from waystation.model import Model
from waystation.params import PARAMS
from waystation.results import Results
from waystation.scenario import Scenario

#: The essay's question when no strategy is named: the scenario's default against two paths.
DEFAULT_STRATEGIES: tuple[str, ...] = (
    "default",
    "pause-then-enhanced-labor",
    "automated-alignment-researcher",
)
#: Section ids and titles, in order.
SECTIONS: dict[str, str] = {
    "question": "Question and scenario",
    "outcomes": "Outcomes",
    "diagram": "Capability frontier and safety range",
    "waystations": "Waystations",
    "comparison": "Strategy comparison",
    "competence": "Competence profile",
    "levers": "Levers",
    "sensitivity": "Sensitivity",
    "parameters": "Parameters",
    "reproduce": "Reproduce",
}
STAGES = 4
#: Hardness values of the report's competence profile (x baseline).
COMPETENCE_GRID: tuple[float, ...] = (0.1, 0.32, 1.0, 3.2, 10.0)
#: Morris trajectories of the report's sensitivity screening.
MORRIS_TRAJECTORIES = 16
Z95 = 1.96


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows: runs per strategy and the analyses' result objects."""

    scenario: Scenario
    model: Model
    results: dict[str, Results]
    comparison: Any
    competence: Any
    levers: Any
    sensitivity: Any
    worlds: int
    seed: int
    command: str
    version: str


def command_line(
    scenario: str,
    strategies: Sequence[str],
    worlds: int,
    seed: int,
    output: str = "report.html",
    fmt: str = "html",
) -> str:
    """The ``waystation report`` command that regenerates a report exactly."""
    parts = ["waystation", "report", scenario]
    for s in strategies:
        parts += ["-s", s]
    parts += ["--worlds", str(worlds), "--seed", str(seed), "-o", output]
    if fmt != "html":
        parts += ["--format", fmt]
    return shlex.join(parts)


def gather(
    scenario: str,
    strategies: Sequence[str] = (),
    worlds: int = 2000,
    seed: int = 0,
    *,
    output: str = "report.html",
    fmt: str = "html",
    progress: Callable[[int, int], None] | None = None,
) -> ReportData:
    """Run the strategies on common random numbers and the analyses a report shows.

    Analyses are kept small so the default report takes seconds: a quarter of
    ``worlds`` per evaluation (at least 200), a 5-point hardness grid, and a
    Morris screening of the problem profile's uncertain inputs.
    """
    from waystation import analyses

    tick = progress or (lambda done, total: None)
    names = tuple(strategies) or DEFAULT_STRATEGIES
    sc = load_scenario(scenario)
    small = max(200, worlds // 4)
    cmp = analyses.compare(scenario, list(names), worlds=worlds, seed=seed)
    tick(1, STAGES)
    first = names[0]
    model = compile_scenario(scenario, first)
    prof = analyses.competence(
        scenario, strategy=first, grid=COMPETENCE_GRID, worlds=small, seed=seed
    )
    tick(2, STAGES)
    lev = analyses.lever_values(scenario, strategy=first, worlds=small, seed=seed)
    tick(3, STAGES)
    profile = [p.name for p in PARAMS if p.group == "nature" and p.name in model.uncertain()]
    sens = analyses.sensitivity(
        scenario,
        strategy=first,
        method="morris",
        seed=seed,
        base_samples=MORRIS_TRAJECTORIES,
        names=profile or None,
    )
    tick(4, STAGES)
    return ReportData(
        sc,
        model,
        dict(cmp.results),
        cmp,
        prof,
        lev,
        sens,
        worlds,
        seed,
        command_line(scenario, strategies, worlds, seed, output, fmt),
        package_version(),
    )


def figure_svgs(data: ReportData) -> dict[str, str]:
    """The report's figures as SVG text, by section id."""
    from waystation import plots

    first = next(iter(data.results.values()))
    levels = plots.thresholds_of(data.model)
    figs = {
        "outcomes": plots.outcomes(data.results),
        "diagram": plots.diagram(first, levels=levels),
        "waystations": plots.waystation_value(first),
        "comparison": plots.comparison(data.comparison),
        "competence": plots.competence_profile(data.competence),
        "levers": plots.tornado(data.levers),
        "sensitivity": plots.sobol(data.sensitivity),
    }
    return {k: _svg(f) for k, f in figs.items()}


def _svg(fig: Any) -> str:
    """SVG text of a figure without XML prologue or metadata, for inline use."""
    buf = StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    return re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)


# -- text pieces shared by both formats ------------------------------------------------------
