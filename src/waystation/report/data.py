"""What a report shows: the runs, and every analysis for every strategy named.

:func:`gather` runs the strategies on common worlds (:func:`waystation.analyses.compare`),
then for each strategy its competence profile, the marginal value of every lever
its rules leave free, and a Morris screening of every uncertain input; and the
calibration table of the scenario. A single ``progress(done, total)`` callback
counts simulated worlds over the whole report.
"""

from __future__ import annotations

import os
import re
import shlex
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import copy_context
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from waystation import definitions
from waystation.analyses import CompetenceProfile, LeverTable, Sensitivity
from waystation.analyses.cruxes import CruxTable
from waystation.analyses.decision import DEFAULT_HORIZONS
from waystation.analyses.levers import lever_worlds
from waystation.api import compile_scenario, package_version
from waystation.io import load_scenario
from waystation.levers import LEVERS
from waystation.model import Model
from waystation.results import Results
from waystation.scenario import Scenario
from waystation.settings import RunSettings, resolve
from waystation.simulate import backend_in_use

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
    "decision": "Decision: how sure, and what would change it",
    "diagram": "Capability frontier and safety range",
    "waystations": "Waystations",
    "competence": "Competence profile",
    "levers": "Levers",
    "sensitivity": "Sensitivity",
    "equilibrium": "Strategic actors",
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
#: Levers the report's lever analysis leaves out: an actor's secret choice, not something a
#: funder buys (``waystation levers --levers covert_rate`` still ranks it).
NOT_FUNDED: tuple[str, ...] = ("covert_rate",)
#: The report's equilibrium search (opt-in, ``--equilibrium``): each actor chooses its
#: caution on a 3-point grid (plus parabolic refinement) from 2 starts, each candidate
#: on 500 worlds; equilibria and the optimum are reported on the analyses' worlds.
EQUILIBRIUM_SEARCH_WORLDS = 500
EQUILIBRIUM_GRID, EQUILIBRIUM_STARTS = 3, 2
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
        """The report's sizes for ``worlds`` worlds per strategy: analyses use a quarter.

        Calibration runs as many worlds as the main runs, as ``waystation
        calibration`` does at the same ``--worlds``: the same call, the same table.
        """
        small = max(200, worlds // 4)
        return cls(worlds, seed, small, worlds, max(MIN_TRAJECTORIES, worlds // 200))


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
    #: Cruxes of the first strategy against each other one, from the main runs' worlds.
    cruxes: tuple[CruxTable, ...] = ()
    #: The "cite this run" block (:func:`waystation.provenance.provenance`).
    provenance: dict[str, Any] | None = None
    #: The scenario's YAML and each strategy's rules as YAML, embedded as run.
    sources: dict[str, str] = field(default_factory=dict)
    #: What strategic actors choose (``--equilibrium``): the result, why it was not
    #: computed (text), or None when not asked for.
    equilibrium: Any = None

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
    equilibrium: bool = False,
) -> str:
    """The ``waystation report`` command that regenerates a report exactly."""
    parts = ["waystation", "report", scenario]
    for s in strategies:
        parts += ["-s", s]
    parts += ["--worlds", str(worlds), "--seed", str(seed), "-o", output]
    if fmt != "html":
        parts += ["--format", fmt]
    if equilibrium:
        parts.append("--equilibrium")
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


def report_horizons(model: Model) -> tuple[float, ...]:
    """The years a report reads outcomes at: the usual ones before the horizon, and the horizon."""
    return (*(y for y in DEFAULT_HORIZONS if model.start < y < model.horizon), model.horizon)


def total_worlds(
    n_strategies: int, free_levers: Sequence[int], s: Settings, inputs: int, horizons: int = 0
) -> int:
    """Worlds the whole report simulates, for the progress bar."""
    per = [
        s.analysis_worlds * len(COMPETENCE_GRID)
        + (lever_worlds(k, s.analysis_worlds) if k else 0)
        + s.trajectories * (inputs + 1)
        for k in free_levers
    ]
    main = s.worlds * n_strategies * max(1, horizons)  # the horizon's runs serve both
    return main + 3 * s.calibration_worlds + sum(per)


@contextmanager
def shared_runs() -> Iterator[None]:
    """Nothing to set up: repeated runs are shared through the run store in force.

    With ``--keep`` (a keeper, :mod:`waystation.keeping`) every repeated run
    of the report is served from the store: the calibration's main run is the
    comparison's run of the scenario's strategy, a lever analysis's baseline
    grows into the comparison's run of the same strategy, and a second report
    at the same settings is served whole. Without it nothing is kept: a
    temporary store cost more (writing every analysis run's rows and
    histograms) than the few runs it shared saved (measured; issue 23 note).
    """
    yield


def sources_of(scenario: str, names: Sequence[str]) -> dict[str, str]:
    """The scenario's YAML text and each strategy's rules as YAML, keyed ``scenario``/name."""
    from importlib import resources

    import yaml

    from waystation.io import shipped_scenarios
    from waystation.strategies import BUILTIN_STRATEGIES

    if scenario in shipped_scenarios():
        text = (resources.files("waystation.scenarios") / f"{scenario}.yaml").read_text("utf-8")
    else:
        text = Path(scenario).read_text(encoding="utf-8")
    out = {"scenario": text}
    for name in names:
        if name in BUILTIN_STRATEGIES:
            spec = {"name": name, **BUILTIN_STRATEGIES[name]}
            out[name] = yaml.safe_dump(spec, sort_keys=False, allow_unicode=True)
        elif Path(name).is_file():
            out[name] = Path(name).read_text(encoding="utf-8")
    return out


def report_provenance(
    scenario: str, model: Model, names: Sequence[str], results: Results, command: str
) -> dict[str, Any]:
    """The report's "cite this run" block: its first strategy's run, the report's command."""
    from waystation.io import shipped_scenarios
    from waystation.provenance import permalink, provenance

    link = None
    if scenario in shipped_scenarios():
        link = permalink(scenario, results.strategy, results.n_worlds, results.seed)
    block = provenance(model, results.n_worlds, results.seed, results.backend, command, link)
    block["strategies"] = list(names)
    return block


class _Counter:
    """Maps each analysis's own ``progress(done, total)`` onto worlds over the whole report.

    Analyses may run at once (one thread per strategy): each is a
    :meth:`stage` of known size, and the report's count is their sum.
    """

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress, self.total = progress, total
        self.done: list[int] = []
        self.lock = threading.Lock()
        self.cancelled = False  #: set when the report stops: analyses still running stop too

    @contextmanager
    def stage(self, size: int) -> Iterator[Progress]:
        """The ``progress`` of one analysis of ``size`` worlds; complete when the block ends."""
        with self.lock:
            k = len(self.done)
            self.done.append(0)
        yield lambda done, _t: self._set(k, min(done, size))
        self._set(k, size)

    def _set(self, k: int, done: int) -> None:
        if self.cancelled:
            raise RuntimeError("the report was stopped")
        with self.lock:
            self.done[k] = done
            total = sum(self.done)
        if self.progress is not None:
            self.progress(min(total, self.total), self.total)


def gather(
    scenario: str,
    strategies: Sequence[str] = (),
    worlds: int | None = None,
    seed: int = 0,
    *,
    output: str = "report.html",
    fmt: str = "html",
    settings: RunSettings | None = None,
    equilibrium: bool = False,
) -> ReportData:
    """Run the strategies on common worlds and every analysis for each of them.

    ``worlds`` defaults to :data:`waystation.definitions.DEFAULT_WORLDS`, as
    for ``run`` and ``compare``, so the report's probabilities are theirs.
    Analyses evaluate a quarter of ``worlds`` (at least 200) per point.
    ``settings`` says how every run is executed (results do not depend on
    it); its ``progress(done, total)`` counts worlds over the whole report.
    With the local engine the strategies' analyses run side by side, one
    thread per core (numpy and the fused kernel release the GIL), and
    repeated runs are served from one run store (:func:`shared_runs`).
    ``equilibrium`` adds what strategic actors would choose under the
    scenario as written (:func:`equilibrium_task`; a small search, stated).
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
    free = [[lv.name for lv in LEVERS if lv.name not in (*f, *NOT_FUNDED)] for f in fixed]
    inputs = models[0].uncertain()
    years = report_horizons(models[0])
    count = _Counter(
        how.progress,
        total_worlds(len(names), [len(f) for f in free], st, len(inputs), len(years)),
    )
    backend_in_use(how.backend)  # the fused kernel is built once, before any thread needs it
    side_by_side = how.engine == "local" and how.executor is None
    threads = max(how.workers, os.cpu_count() or 1) if side_by_side else 1
    # Small blocks: a stopped report's threads notice at their next block (results do not
    # depend on the block size).
    each = how.override(workers=1, block_size=min(how.block_size, 8192)) if threads > 1 else how
    tasks = [
        task
        for name, model, fix, levers in zip(names, models, fixed, free, strict=True)
        for task in _tasks(scenario, name, model, levers, st)
    ]
    if equilibrium:
        tasks.append(equilibrium_task(scenario, models[0], st))
    tasks.sort(key=lambda t: -t.size)  # largest first: the threads end together
    with shared_runs(), ThreadPoolExecutor(threads) as pool:
        jobs = [pool.submit(copy_context().run, t.run, count, each) for t in tasks]
        try:
            done = [job.result() for job in jobs]
        except BaseException:  # Ctrl-C or a failed analysis: stop the others at their next block
            count.cancelled = True
            for job in jobs:
                job.cancel()  # those not started never start
            raise
        found = {(t.strategy, t.kind): value for t, value in zip(tasks, done, strict=True)}
        with count.stage(worlds * len(names) * max(1, len(years))) as bar:
            cmp = analyses.compare(scenario, list(names), worlds, seed, horizons=years,
                                   settings=_spread(how, worlds, threads, bar))  # fmt: skip
        with count.stage(3 * st.calibration_worlds) as bar:
            calibration = check(scenario, st.calibration_worlds, seed,
                                _spread(how, st.calibration_worlds, threads, bar))  # fmt: skip
    per = {
        name: StrategyAnalyses(name, model, found[name, "competence"], found.get((name, "levers")),
                               fix, found[name, "sensitivity"])
        for name, model, fix in zip(names, models, fixed, strict=True)
    }  # fmt: skip
    labelled = {
        label: replace(per[name], name=label)
        for label, name in zip(cmp.strategies, names, strict=True)
    }
    command = command_line(scenario, strategies, worlds, seed, output, fmt, equilibrium)
    first = cmp.results[cmp.strategies[0]]
    return ReportData(
        sc,
        models[0],
        dict(cmp.results),
        cmp,
        labelled,
        calibration,
        st,
        command,
        package_version(),
        replace(how, progress=None),
        cruxes=report_cruxes(cmp, models[0]),
        provenance=report_provenance(scenario, models[0], names, first, command),
        sources=sources_of(scenario, names),
        equilibrium=found.get(("", "equilibrium")),
    )


def report_cruxes(cmp: Any, model: Model) -> tuple[CruxTable, ...]:
    """Cruxes of the first strategy against each other one, read from the compared worlds."""
    from waystation.analyses.compare import Comparison
    from waystation.analyses.cruxes import cruxes_of

    assert isinstance(cmp, Comparison)
    first = cmp.strategies[0]
    records = cmp.results[first].records
    if records is None or len(cmp.strategies) < 2 or cmp.worlds < 200:
        return ()
    draws = {k: v for k, v in records.items() if k in model.uncertain()}
    values = {s: cmp.results[s].records["p_victory"] for s in cmp.strategies}  # type: ignore[index]
    return tuple(
        cruxes_of(draws, (first, values[first]), (s, values[s]), model.horizon)
        for s in cmp.strategies[1:]
    )


@dataclass(frozen=True)
class _Task:
    """One analysis of one strategy, run on a thread of the report's pool."""

    strategy: str
    kind: str
    size: int  #: worlds it simulates
    call: Callable[[RunSettings], Any]

    def run(self, count: _Counter, how: RunSettings) -> Any:
        """Run it, its progress counted within the whole report."""
        with count.stage(self.size) as bar:
            return self.call(how.override(progress=bar))


def _tasks(scenario: str, name: str, model: Model, levers: list[str], st: Settings) -> list[_Task]:
    """Competence profile, lever values and Morris screening of one strategy, as tasks."""
    from waystation import analyses

    small, seed = st.analysis_worlds, st.seed
    out = [
        _Task(name, "competence", small * len(COMPETENCE_GRID),
              lambda how: analyses.competence(scenario, name, COMPETENCE_GRID, small, seed,
                                              settings=how)),
        _Task(name, "sensitivity", st.trajectories * (len(model.uncertain()) + 1),
              lambda how: analyses.sensitivity(scenario, name, method="morris",
                                               base_samples=st.trajectories, seed=seed,
                                               settings=how)),
    ]  # fmt: skip
    if levers:

        def values(how: RunSettings) -> Any:
            return analyses.lever_values(scenario, name, "victory", small, seed, levers=levers,
                                         settings=how)  # fmt: skip

        out.append(_Task(name, "levers", lever_worlds(len(levers), small), values))
    return out


def _spread(how: RunSettings, worlds: int, threads: int, progress: Progress) -> RunSettings:
    """``how`` with each run cut into one block per thread, run on threads (local engine only).

    Results do not depend on the block size or the engine; without this a
    20,000-world run is one block on one core.
    """
    if threads <= 1 or how.engine != "local" or how.executor is not None:
        return how.override(progress=progress)
    block = max(1024, min(-(-worlds // threads), 16384))  # small enough to stop promptly
    return how.override(engine="threads", workers=threads, block_size=block, progress=progress)


def equilibrium_task(scenario: str, model: Model, st: Settings) -> _Task:
    """The equilibria of the actors' caution under the scenario as written, as a task.

    Small on purpose (:data:`EQUILIBRIUM_SEARCH_WORLDS`, :data:`EQUILIBRIUM_GRID`,
    :data:`EQUILIBRIUM_STARTS`), reported on the analyses' worlds. Its result is
    the :class:`~waystation.analyses.equilibrium.EquilibriumResult`, or the reason
    there is none (one actor; a lever the scenario's strategy sets by rule).
    """
    from waystation.analyses.equilibrium import Question, equilibrium
    from waystation.game import SolverSettings

    search = min(EQUILIBRIUM_SEARCH_WORLDS, st.analysis_worlds)
    q = Question(
        worlds=st.analysis_worlds,
        search_worlds=search,
        seed=st.seed,
        solver=SolverSettings(grid=EQUILIBRIUM_GRID, starts=EQUILIBRIUM_STARTS),
    )
    runs = len(model.actors) * (EQUILIBRIUM_GRID + 1) * EQUILIBRIUM_STARTS * 4
    size = runs * search + 3 * st.analysis_worlds

    def call(how: RunSettings) -> Any:
        if len(model.actors) < 2:
            return "The scenario has one actor: there is no game to solve."
        bar = how.progress
        each = how.override(
            progress=None if bar is None else lambda done, _t: bar(done * search, size)
        )
        try:
            return equilibrium(scenario, q, each)
        except ValueError as e:
            return f"Not solved: {e}."

    return _Task("", "equilibrium", size, call)
