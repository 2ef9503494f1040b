"""Value of information: how much better we would choose a strategy if we knew the world.

With per-world outcomes ``f_s(w)`` of each strategy on common random numbers:

- EVPI = E_w[max_s f_s(w)] - max_s E_w[f_s(w)]: the value of learning
  *everything* about the world (its problem profile, calibration and even its
  shock path) before choosing. It bounds every partial value from above.
- EVPPI of a part ``x`` (e.g. ``hardness``) = E_x[max_s E[f_s | x]] - max_s
  E[f_s], estimated by binning ``x`` into quantile bins: E_bin[max_s E[f_s |
  bin]] - max_s E[f_s].

Both plug-in estimators are biased (the binned one upward when bins hold few
worlds, since noise in the bin means looks like information). Each is
corrected by a bootstrap over worlds (bias = mean of resampled estimates minus
the estimate), and its interval is the corrected estimate ± 1.96 bootstrap
standard errors, clipped at zero since information is never worth less.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from waystation.analyses._common import (
    Z95,
    Interval,
    ScenarioLike,
    StrategyLike,
    check_objective,
    check_worlds,
    frame_of,
    paired_models,
    per_world,
    running,
)
from waystation.analyses.compare import _unique
from waystation.definitions import DEFAULT_WORLDS
from waystation.settings import RunSettings
from waystation.state import Array

if TYPE_CHECKING:
    import pandas as pd

#: Bootstrap resamples of worlds behind the bias correction and intervals.
BOOTSTRAP = 200


@dataclass(frozen=True)
class ValueOfInformation:
    """EVPI and per-part EVPPI (objective units), the best strategy and each one's mean."""

    scenario: str
    seed: int
    worlds: int
    objective: str
    strategies: tuple[str, ...]
    means: dict[str, float]
    best_strategy: str
    evpi: Interval
    evppi: dict[str, Interval]

    def to_frame(self) -> pd.DataFrame:
        """One row for EVPI and one per part."""
        rows: list[dict[str, object]] = [
            {"information": "everything (EVPI)", **self.evpi.to_dict()}
        ]
        rows += [{"information": k, **v.to_dict()} for k, v in self.evppi.items()]
        return frame_of(rows, "information")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values (the ``--json`` output of ``waystation voi``)."""
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "worlds": self.worlds,
            "objective": self.objective,
            "strategies": list(self.strategies),
            "means": dict(self.means),
            "best_strategy": self.best_strategy,
            "evpi": self.evpi.to_dict(),
            "evppi": {k: v.to_dict() for k, v in self.evppi.items()},
        }


def binned_value(F: Array, bins: Array, k: int) -> float:
    """E_bin[max_s mean(F_s | bin)] - max_s mean(F_s) for ``F`` (strategies x worlds)."""
    n = F.shape[1]
    G = F - F[int(np.argmax(F.mean(axis=1)))]  # same value, and exactly 0 for equal strategies
    sums = np.stack([np.bincount(bins, weights=row, minlength=k) for row in G])
    return float(sums.max(axis=0).sum() / n - G.mean(axis=1).max())


def corrected(F: Array, bins: Array, k: int, rng: np.random.Generator) -> Interval:
    """Bootstrap bias-corrected :func:`binned_value` with its 95% interval (clipped at 0)."""
    estimate = binned_value(F, bins, k)
    n = F.shape[1]
    boots = np.empty(BOOTSTRAP)
    for b in range(BOOTSTRAP):
        idx = rng.integers(0, n, n)
        boots[b] = binned_value(F[:, idx], bins[idx], k)
    value = estimate - (boots.mean() - estimate)
    se = float(boots.std(ddof=1))
    return Interval(max(0.0, value), max(0.0, value - Z95 * se), max(0.0, value + Z95 * se))


def quantile_bins(x: Array, bins: int) -> Array:
    """Index of each value's quantile bin, 0..bins-1 (ties may leave some bins empty)."""
    edges = np.quantile(x, np.linspace(0.0, 1.0, bins + 1)[1:-1])
    return np.searchsorted(edges, x, side="right").astype(np.int64)


def voi(
    scenario: ScenarioLike,
    strategies: Sequence[StrategyLike],
    parts: Sequence[str] = ("hardness", "scheming", "eval_ease", "hazard_rate"),
    worlds: int = DEFAULT_WORLDS,
    seed: int = 0,
    objective: str = "victory",
    bins: int = 10,
    *,
    utility: Mapping[str, float] | None = None,
    settings: RunSettings | None = None,
) -> ValueOfInformation:
    """Expected value of perfect (EVPI) and partial (EVPPI) information for a strategy choice.

    ``parts`` are input names (``"<actor>.<name>"`` for actor inputs); a part
    that is constant in the scenario is already known and is worth exactly 0.
    How it runs is ``settings`` (:class:`~waystation.settings.RunSettings`).
    Nine parameters, past the usual eight: the question has five of its own
    (strategies, parts, objective, bins, utility weights) beside the
    scenario, worlds, seed and settings.
    """
    weights = check_objective(objective, utility)
    worlds = check_worlds(worlds)
    if len(strategies) < 2:
        raise ValueError("value of information needs at least two strategies to choose among")
    if not 2 <= bins <= worlds // 2:
        raise ValueError(f"bins must be between 2 and worlds/2 = {worlds // 2}; got {bins!r}")
    _, models = paired_models(scenario, list(strategies))
    unknown = [p for p in parts if p not in models[0].inputs]
    if unknown:
        raise ValueError(f"unknown inputs: {', '.join(unknown)}")
    names = _unique([m.strategy.name for m in models])
    rows, records = [], None
    with running(seed, worlds * len(models), settings) as runner:
        for model in models:
            res = runner.run(model, worlds)
            rows.append(per_world(res, objective, weights))
            records = res.records
    assert records is not None
    F = np.stack(rows)
    means = F.mean(axis=1)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0x766F69,)))
    evpi = corrected(F, np.arange(worlds), worlds, rng)
    evppi = {}
    for part in parts:
        if part not in records:  # constant in this scenario: already known
            evppi[part] = Interval(0.0, 0.0, 0.0)
            continue
        evppi[part] = corrected(F, quantile_bins(np.asarray(records[part]), bins), bins, rng)
    return ValueOfInformation(
        models[0].name,
        seed,
        worlds,
        objective,
        tuple(names),
        {n: float(m) for n, m in zip(names, means, strict=True)},
        names[int(np.argmax(means))],
        evpi,
        evppi,
    )
