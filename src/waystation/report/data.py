"""What a report shows: the runs, and every analysis for every strategy named.

:func:`gather` runs the strategies on common worlds (:func:`waystation.analyses.compare`),
then for each strategy its competence profile, the marginal value of every lever
its rules leave free, and a Morris screening of every uncertain input; and the
calibration table of the scenario. A single ``progress(done, total)`` callback
counts simulated worlds over the whole report.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from waystation import definitions
from waystation.analyses import CompetenceProfile, LeverTable, Sensitivity
from waystation.api import compile_scenario, package_version
from waystation.io import load_scenario
from waystation.levers import LEVERS
from waystation.model import Model
from waystation.results import Results
from waystation.scenario import Scenario
from waystation.settings import RunSettings, resolve

#: The essay's question when no strategy is named: the scenario's default against two paths.
DEFAULT_STRATEGIES: tuple[str, ...] = (
    "default",
    "pause-then-enhanced-labor",
    "automated-alignment-researcher",
)
#: Section ids and titles, in order.
SECTIONS: dict[str, str] = {
    "findings": "Key findings",
    "question": "Question and scenario",
    "methods": "Methods",
    "assumptions": "Assumptions",
    "outcomes": "Outcomes",
    "comparison": "Strategy comparison",
    "diagram": "Capability frontier and safety range",
    "waystations": "Waystations",
    "competence": "Competence profile",
    "levers": "Levers",
    "sensitivity": "Sensitivity",
    "calibration": "Calibration",
    "definitions": "Definitions",
    "limitations": "Limitations",
    "parameters": "Parameters",
    "figures": "List of figures",
    "reproduce": "Reproduce",
}
#: Hardness values of the report's competence profile (x baseline).
COMPETENCE_GRID: tuple[float, ...] = (0.1, 0.32, 1.0, 3.2, 10.0)
#: Fewest Morris trajectories per strategy; more come with more worlds (one per 200).
MIN_TRAJECTORIES = 16
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Settings:
    """How much the report simulated: worlds per run, per analysis evaluation, trajectories."""

    worlds: int
    seed: int
    analysis_worlds: int
    calibration_worlds: int
    trajectories: int

    @classmethod
    def of(cls, worlds: int, seed: int) -> Settings:
        """The report's sizes for ``worlds`` worlds per strategy: analyses use a quarter."""
        small = max(200, worlds // 4)
        return cls(worlds, seed, small, small, max(MIN_TRAJECTORIES, worlds // 200))


@dataclass(frozen=True)
class StrategyAnalyses:
    """Every analysis of one strategy; ``fixed`` maps levers its rules fix to how."""

    name: str
    model: Model
    competence: CompetenceProfile
    levers: LeverTable | None
    fixed: dict[str, str]
    sensitivity: Sensitivity


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows: runs per strategy, their analyses and the calibration."""

    scenario: Scenario
    model: Model
    results: dict[str, Results]
    comparison: Any
    analyses: dict[str, StrategyAnalyses]
    calibration: list[dict[str, Any]]
    settings: Settings
    command: str
    version: str
    #: How the report's runs were executed (backend, engine, workers, block size);
    #: the methods text is written from it.
    run: RunSettings = field(default_factory=RunSettings)

    @property
    def worlds(self) -> int:
        """Worlds per strategy of the main runs."""
        return self.settings.worlds

    @property
    def seed(self) -> int:
        """The seed of every run of the report."""
        return self.settings.seed


def slug(name: str) -> str:
    """An id-safe form of a strategy name (letters, digits and dashes)."""
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower() or "strategy"


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


def fixed_levers(model: Model) -> dict[str, str]:
    """Levers the strategy's rules set in every world, step and actor, with the value set.

    An unconditional rule for all actors overrides the scenario's value for
    good, so the lever's marginal value under this strategy is zero by
    construction; later rules may still change it under conditions.
    """
    return {
        name: f"{value:g}"
        for rule in model.strategy.rules
        if rule.when is None and rule.actors is None
        for name, value in rule.levers.items()
    }


def total_worlds(n_strategies: int, free_levers: Sequence[int], s: Settings, inputs: int) -> int:
    """Worlds the whole report simulates, for the progress bar."""
    per = [
        s.analysis_worlds * (len(COMPETENCE_GRID) + 2 * k + (1 if k else 0))
        + s.trajectories * (inputs + 1)
        for k in free_levers
    ]
    return s.worlds * n_strategies + 2 * s.calibration_worlds + sum(per)


class _Counter:
    """Maps each analysis's own ``progress(done, total)`` onto worlds over the whole report."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress, self.total, self.base = progress, total, 0

    def part(self, how: RunSettings) -> RunSettings:
        """``how`` reporting the next analysis's progress within the whole report."""
        base = self.base
        return how.override(progress=lambda done, _t: self.tick(base + done))

    def tick(self, done: int) -> None:
        if self.progress is not None:
            self.progress(min(done, self.total), self.total)

    def advance(self, worlds: int) -> None:
        self.base += worlds
        self.tick(self.base)


def gather(
    scenario: str,
    strategies: Sequence[str] = (),
    worlds: int | None = None,
    seed: int = 0,
    *,
    output: str = "report.html",
    fmt: str = "html",
    settings: RunSettings | None = None,
) -> ReportData:
    """Run the strategies on common worlds and every analysis for each of them.

    ``worlds`` defaults to :data:`waystation.definitions.DEFAULT_WORLDS`, as
    for ``run`` and ``compare``, so the report's probabilities are theirs.
    Analyses evaluate a quarter of ``worlds`` (at least 200) per point.
    ``settings`` says how every run is executed (results do not depend on
    it); its ``progress(done, total)`` counts worlds over the whole report.
    """
    from waystation import analyses
    from waystation.calibration import check

    how = resolve(settings)
    worlds = definitions.DEFAULT_WORLDS if worlds is None else worlds
    st = Settings.of(worlds, seed)
    names = tuple(strategies) or DEFAULT_STRATEGIES
    sc = load_scenario(scenario)
    models = [compile_scenario(scenario, n) for n in names]
    fixed = [fixed_levers(m) for m in models]
    free = [[lv.name for lv in LEVERS if lv.name not in f] for f in fixed]
    inputs = models[0].uncertain()
    count = _Counter(
        how.progress, total_worlds(len(names), [len(f) for f in free], st, len(inputs))
    )
    cmp = analyses.compare(scenario, list(names), worlds, seed, settings=count.part(how))
    count.advance(worlds * len(names))
    per: dict[str, StrategyAnalyses] = {}
    small = st.analysis_worlds
    for label, name, model, fix, levers in zip(
        cmp.strategies, names, models, fixed, free, strict=True
    ):
        prof = analyses.competence(
            scenario, name, COMPETENCE_GRID, small, seed, settings=count.part(how)
        )
        count.advance(small * len(COMPETENCE_GRID))
        table = None
        if levers:
            table = analyses.lever_values(
                scenario, name, "victory", small, seed, levers=levers, settings=count.part(how)
            )
            count.advance(small * (2 * len(levers) + 1))
        sens = analyses.sensitivity(
            scenario,
            name,
            method="morris",
            base_samples=st.trajectories,
            seed=seed,
            settings=count.part(how),
        )
        count.advance(st.trajectories * (len(inputs) + 1))
        per[label] = StrategyAnalyses(label, model, prof, table, fix, sens)
    calibration = check(scenario, st.calibration_worlds, seed, replace(how, progress=None))
    count.advance(2 * st.calibration_worlds)
    return ReportData(
        sc,
        models[0],
        dict(cmp.results),
        cmp,
        per,
        calibration,
        st,
        command_line(scenario, strategies, worlds, seed, output, fmt),
        package_version(),
        replace(how, progress=None),
    )
