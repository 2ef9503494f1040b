"""Compare strategies side by side on common random numbers (docs/model.md section 13).

Every strategy runs on the same worlds with the same shocks, so the
difference between two strategies is estimated world by world: its standard
error is that of the per-world differences, far smaller than the error of two
independent runs when the strategies' outcomes are correlated across worlds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from waystation.analyses._common import (
    Interval,
    ScenarioLike,
    StrategyLike,
    check_worlds,
    frame_of,
    paired_models,
    running,
)
from waystation.definitions import DEFAULT_WORLDS
from waystation.results import OUTCOMES, Results
from waystation.settings import RunSettings

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Comparison:
    """Outcome probabilities of several strategies and paired differences from the first.

    ``differences[name][outcome]`` is P(outcome | name) - P(outcome | first
    strategy), estimated on common random numbers, with a 95% interval.
    """

    scenario: str
    seed: int
    worlds: int
    strategies: tuple[str, ...]
    results: dict[str, Results]
    differences: dict[str, dict[str, Interval]]

    def to_frame(self) -> pd.DataFrame:
        """One row per strategy: probabilities, standard errors and differences from the first."""
        rows: list[dict[str, object]] = []
        for name in self.strategies:
            res = self.results[name]
            row: dict[str, object] = {"strategy": name}
            for o in OUTCOMES:
                d = self.differences[name][o]
                row.update(
                    {
                        o: res.probabilities[o],
                        f"{o}_se": res.standard_errors[o],
                        f"{o}_diff": d.estimate,
                        f"{o}_diff_low": d.low,
                        f"{o}_diff_high": d.high,
                    }
                )
            rows.append(row)
        return frame_of(rows, "strategy")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready comparison (the ``--json`` output of ``waystation compare``)."""
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "worlds": self.worlds,
            "strategies": {
                name: {
                    "probabilities": dict(self.results[name].probabilities),
                    "standard_errors": dict(self.results[name].standard_errors),
                }
                for name in self.strategies
            },
            "differences": {
                name: {o: d.to_dict() for o, d in diffs.items()}
                for name, diffs in self.differences.items()
            },
        }


def paired_difference(a: Results, b: Results, outcome: str) -> Interval:
    """P(outcome) under ``b`` minus under ``a``, from per-world paired differences."""
    assert a.records is not None and b.records is not None
    key = f"p_{outcome}"
    d = np.asarray(b.records[key], dtype=np.float64) - np.asarray(a.records[key], np.float64)
    return Interval.of_mean(d)


def _unique(names: list[str]) -> list[str]:
    """Strategy names made unique by numbering repeats: race, race#2, ..."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return out


def compare(
    scenario: ScenarioLike,
    strategies: Sequence[StrategyLike],
    worlds: int = DEFAULT_WORLDS,
    seed: int = 0,
    *,
    settings: RunSettings | None = None,
) -> Comparison:
    """Run a scenario under each strategy on the same worlds and compare them with the first.

    ``strategies`` are built-in names, YAML paths or specs; a name given
    twice is reported as ``name#2``. Differences are paired (common random
    numbers) with normal 95% intervals over worlds. How it runs is
    ``settings`` (:class:`~waystation.settings.RunSettings`).
    """
    if len(strategies) < 1:
        raise ValueError("compare needs at least one strategy")
    worlds = check_worlds(worlds)
    _, models = paired_models(scenario, list(strategies))
    names = _unique([m.strategy.name for m in models])
    results: dict[str, Results] = {}
    with running(seed, worlds * len(models), settings) as runner:
        for name, model in zip(names, models, strict=True):
            results[name] = runner.run(model, worlds)
    first = results[names[0]]
    differences = {
        name: {o: paired_difference(first, results[name], o) for o in OUTCOMES} for name in names
    }
    return Comparison(models[0].name, seed, worlds, tuple(names), results, differences)
