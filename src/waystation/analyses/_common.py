"""Pieces shared by the analyses: intervals, objectives and a runner on common random numbers.

Every analysis compares runs of one scenario that share their worlds: the
same seed gives the same inputs and the same shocks whatever the strategy or
override (docs/model.md section 12, "Engine"), so per-world differences are paired and their
Monte Carlo error is small. :class:`Runner` runs those models, shares one
process pool between them and reports progress over the whole analysis.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from waystation._pool import process_pool
from waystation.api import compile_scenario, run_model
from waystation.engines import opened
from waystation.io import load_scenario
from waystation.model import Model
from waystation.present import Z95 as Z95  # re-exported for the analyses
from waystation.results import OUTCOMES, Results
from waystation.scenario import Scenario, StrategySpec
from waystation.settings import Progress as Progress  # re-exported for the analyses
from waystation.settings import RunSettings, resolve
from waystation.state import Array

if TYPE_CHECKING:
    import pandas as pd

OBJECTIVES: tuple[str, ...] = ("victory", "non_failure", "utility")
#: Default utility of each outcome: victory 1, costly non-failure 0.5, failure 0.
DEFAULT_UTILITY: Mapping[str, float] = {"victory": 1.0, "costly_non_failure": 0.5, "failure": 0.0}

ScenarioLike = Scenario | str | Path
StrategyLike = str | Path | StrategySpec


@dataclass(frozen=True)
class Interval:
    """An estimate with its 95% interval (``low``, ``high``)."""

    estimate: float
    low: float
    high: float

    def __post_init__(self) -> None:
        for key in ("estimate", "low", "high"):
            object.__setattr__(self, key, float(getattr(self, key)))

    @classmethod
    def normal(cls, estimate: float, se: float) -> Interval:
        """The normal-approximation interval ``estimate ± 1.96 se``."""
        return cls(float(estimate), float(estimate - Z95 * se), float(estimate + Z95 * se))

    @classmethod
    def of_mean(cls, x: Array) -> Interval:
        """Mean of per-world values with its Monte Carlo interval."""
        n = len(x)
        se = float(np.std(x, ddof=1) / math.sqrt(n)) if n > 1 else 0.0
        return cls.normal(float(np.mean(x)), se)

    def scaled(self, factor: float) -> Interval:
        """The interval multiplied by a positive number."""
        return Interval(self.estimate * factor, self.low * factor, self.high * factor)

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the closed interval."""
        return self.low <= value <= self.high

    def to_dict(self) -> dict[str, float]:
        """JSON-ready ``{"estimate", "low", "high"}``."""
        return {"estimate": self.estimate, "low": self.low, "high": self.high}


def check_objective(objective: str, utility: Mapping[str, float] | None) -> dict[str, float]:
    """Validate an objective name and return the utility weights in force."""
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}; got {objective!r}")
    weights = dict(DEFAULT_UTILITY)
    for key, value in (utility or {}).items():
        if key not in OUTCOMES:
            raise ValueError(f"utility: unknown outcome {key!r}; outcomes: {', '.join(OUTCOMES)}")
        if not math.isfinite(value):
            raise ValueError(f"utility: {key} must be a finite number, got {value!r}")
        weights[key] = float(value)
    return weights


def per_world(res: Results, objective: str, utility: Mapping[str, float] | None = None) -> Array:
    """Each world's value of the objective: P(victory), P(non-failure) or expected utility."""
    if res.records is None:  # pragma: no cover - the runner always keeps worlds
        raise ValueError("per-world records are needed: run with keep_worlds=True")
    r = res.records
    if objective == "victory":
        return np.asarray(r["p_victory"], dtype=np.float64)
    if objective == "non_failure":
        return 1.0 - np.asarray(r["p_failure"], dtype=np.float64)
    w = check_objective(objective, utility)
    return sum(
        (w[o] * np.asarray(r[f"p_{o}"], dtype=np.float64) for o in OUTCOMES), np.zeros(res.n_worlds)
    )


def as_scenario(scenario: ScenarioLike) -> Scenario:
    """Accept a Scenario, a shipped scenario name or a YAML path."""
    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def paired_models(
    scenario: ScenarioLike, strategies: list[StrategyLike | None]
) -> tuple[Scenario, list[Model]]:
    """Compile one scenario under several strategies, all on the first model's random layout."""
    sc = as_scenario(scenario)
    models = [compile_scenario(sc, s) for s in strategies]
    return sc, [models[0].with_strategy(m.strategy) for m in models]


def named_models(
    scenario: ScenarioLike, strategies: list[StrategyLike | None]
) -> tuple[Scenario, list[Model], tuple[str, ...]]:
    """:func:`paired_models` and each model's strategy name, made unique (``race``, ``race-2``)."""
    sc, models = paired_models(scenario, strategies)
    return sc, models, tuple(unique_names([m.strategy.name for m in models]))


def check_worlds(worlds: int) -> int:
    """Validate a number of worlds (at least 2, so that errors can be estimated)."""
    if isinstance(worlds, bool) or int(worlds) != worlds or worlds < 2:
        raise ValueError(f"worlds must be an integer of at least 2, got {worlds!r}")
    return int(worlds)


@contextmanager
def worker_pool(workers: int, executor: Executor | None = None) -> Iterator[Executor | None]:
    """The executor shared by every run of an analysis.

    A given ``executor`` (e.g. a Dask client's, see :func:`waystation.engines.executor_for`)
    is used as it is; otherwise one process pool of ``workers`` processes, or
    None (this process) for one worker.
    """
    if executor is not None:
        yield executor
        return
    if workers <= 1:
        yield None
        return
    with process_pool(workers) as pool:  # stops its workers at once if interrupted
        yield pool


@contextmanager
def running(seed: int, total: int, settings: RunSettings | None = None) -> Iterator[Runner]:
    """A :class:`Runner` for an analysis of ``total`` worlds whose runs share one open engine.

    The engine of ``settings`` (default ``RunSettings()``) is opened once
    (:func:`waystation.engines.opened`) and, for ``local`` with several
    workers, one process pool serves every run (:func:`worker_pool`).
    Progress is reported as complete when the analysis ends.
    """
    with (
        opened(resolve(settings)) as started,
        worker_pool(started.workers, started.executor) as pool,
    ):
        runner = Runner(seed, total, replace(started, executor=pool))
        yield runner
        runner.finish()


@dataclass
class Runner:
    """Runs the models of one analysis at one seed and reports progress over all of them.

    ``total`` is the number of worlds the whole analysis will simulate;
    ``settings`` says how every run is executed (its executor is shared by
    them, see :func:`worker_pool`), and its ``progress(done, total)`` is
    called as blocks finish, counting over the whole analysis.
    """

    seed: int
    total: int
    settings: RunSettings = field(default_factory=RunSettings)
    done: int = 0

    def run(
        self,
        model: Model,
        worlds: int,
        fixed: Mapping[str, Array] | None = None,
        seed: int | None = None,
    ) -> Results:
        """Run ``worlds`` worlds of ``model`` (optionally with per-world input values)."""
        start = self.done
        report: Callable[[int, int], None] | None = None
        if self.settings.progress is not None:
            callback = self.settings.progress
            report = lambda d, _t: callback(min(start + d, self.total), self.total)  # noqa: E731
        res = run_model(
            model,
            worlds,
            self.seed if seed is None else seed,
            settings=replace(self.settings, progress=report, keep_worlds=True),
            fixed_inputs=fixed,
        )
        self.done = start + worlds
        return res

    def finish(self) -> None:
        """Report the analysis as complete."""
        if self.settings.progress is not None:
            self.settings.progress(self.total, self.total)


def frame_of(rows: list[dict[str, object]], index: str) -> pd.DataFrame:
    """A pandas DataFrame of plain rows indexed by ``index`` (pandas imported lazily)."""
    import pandas as pd

    return pd.DataFrame(rows).set_index(index)


def unique_names(names: list[str]) -> list[str]:
    """Strategy names made unique by numbering repeats: race, race#2, ..."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return out
