"""The competence profile: outcome probabilities as a function of problem hardness.

Essay section 3 asks how competent civilisation must be for a given
problem profile. Here ``hardness`` (labour per unit of safety progress) is
fixed at each grid value while every other input and shock keeps its draw
(common random numbers), so the curves move only because hardness does. The
*frontier* is the hardness at which P(non-failure) falls to 50%.
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
from waystation.model import input_bounds
from waystation.settings import RunSettings
from waystation.state import Array

if TYPE_CHECKING:
    import pandas as pd

CURVES: tuple[str, ...] = ("victory", "costly_non_failure", "failure", "non_failure")
#: Bootstrap resamples of worlds behind the frontier's interval.
BOOTSTRAP = 200


@dataclass(frozen=True)
class CompetenceProfile:
    """Outcome probabilities at each hardness of ``grid``, with Monte Carlo errors.

    ``curves[k][i]`` is P(k) at hardness ``grid[i]``; ``frontier`` is the
    hardness where P(non_failure) crosses 0.5 (interpolated in log hardness,
    95% interval from a paired bootstrap over worlds), or None if it never does.
    """

    scenario: str
    strategy: str
    seed: int
    worlds: int
    grid: Array
    curves: dict[str, Array]
    standard_errors: dict[str, Array]
    frontier: Interval | None

    def to_frame(self) -> pd.DataFrame:
        """One row per hardness: each curve and its standard error."""
        rows: list[dict[str, object]] = []
        for i, h in enumerate(self.grid):
            row: dict[str, object] = {"hardness": float(h)}
            for k in CURVES:
                row[k] = float(self.curves[k][i])
                row[f"{k}_se"] = float(self.standard_errors[k][i])
            rows.append(row)
        return frame_of(rows, "hardness")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready profile (the ``--json`` output of ``waystation competence``)."""
        return {
            "scenario": self.scenario,
            "strategy": self.strategy,
            "seed": self.seed,
            "worlds": self.worlds,
            "grid": [float(h) for h in self.grid],
            "curves": {k: v.tolist() for k, v in self.curves.items()},
            "standard_errors": {k: v.tolist() for k, v in self.standard_errors.items()},
            "frontier": None if self.frontier is None else self.frontier.to_dict(),
        }


def check_grid(grid: Sequence[float] | None) -> Array:
    """Validate a hardness grid: at least two increasing values inside hardness's bounds."""
    g = np.geomspace(0.1, 10.0, 13) if grid is None else np.asarray(grid, dtype=np.float64)
    lo, hi = input_bounds("hardness")
    if g.ndim != 1 or len(g) < 2:
        raise ValueError(f"grid needs at least two hardness values, got {g.tolist()}")
    if not np.isfinite(g).all() or g.min() < lo or g.max() > hi:
        raise ValueError(f"grid values must lie in hardness's bounds [{lo:g}, {hi:g}]")
    if (np.diff(g) <= 0).any():
        raise ValueError(f"grid values must be strictly increasing, got {g.tolist()}")
    return g


def crossing(grid: Array, curve: Array, level: float = 0.5) -> float | None:
    """First hardness where ``curve`` falls from at least ``level`` to below it (log-linear)."""
    above = curve >= level
    idx = np.flatnonzero(above[:-1] & ~above[1:])
    if len(idx) == 0:
        return None
    k = int(idx[0])
    t = (curve[k] - level) / (curve[k] - curve[k + 1])
    lg = np.log(grid[k]) + t * (np.log(grid[k + 1]) - np.log(grid[k]))
    return float(np.exp(lg))


def frontier_interval(grid: Array, nonfail: Array, seed: int) -> Interval | None:
    """The 50% frontier of per-world P(non-failure) ``nonfail[g, w]``, with a bootstrap interval.

    Worlds are resampled jointly across the grid (they are paired); resamples
    whose curve does not cross count at the grid's edge they fall beyond.
    """
    estimate = crossing(grid, nonfail.mean(axis=1))
    if estimate is None:
        return None
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0x636F6D70,)))
    n = nonfail.shape[1]
    boots = np.empty(BOOTSTRAP)
    for b in range(BOOTSTRAP):
        curve = nonfail[:, rng.integers(0, n, n)].mean(axis=1)
        x = crossing(grid, curve)
        boots[b] = x if x is not None else (grid[0] if curve[0] < 0.5 else grid[-1])
    low, high = np.quantile(np.log(boots), [0.025, 0.975])
    return Interval(estimate, float(np.exp(low)), float(np.exp(high)))


def competence(
    scenario: ScenarioLike,
    strategy: StrategyLike | None = None,
    grid: Sequence[float] | None = None,
    worlds: int = DEFAULT_WORLDS,
    seed: int = 0,
    *,
    settings: RunSettings | None = None,
) -> CompetenceProfile:
    """P(victory), P(costly non-failure), P(failure) and P(non-failure) against hardness.

    ``grid`` defaults to 13 log-spaced values from 0.1 to 10. Each point runs
    ``worlds`` worlds with hardness fixed and everything else on common random
    numbers, so the curves are smooth and differences along them are paired.
    How it runs is ``settings`` (:class:`~waystation.settings.RunSettings`).
    """
    worlds = check_worlds(worlds)
    g = check_grid(grid)
    _, (model,) = paired_models(scenario, [strategy])
    keys = ("p_victory", "p_costly_non_failure", "p_failure")
    per: dict[str, list[Array]] = {k: [] for k in keys}
    with running(seed, worlds * len(g), settings) as runner:
        for h in g:
            res = runner.run(model.with_overrides({"hardness": float(h)}), worlds)
            assert res.records is not None
            for k in keys:
                per[k].append(np.asarray(res.records[k], dtype=np.float64))
    mats = {k: np.stack(v) for k, v in per.items()}
    mats["p_non_failure"] = 1.0 - mats["p_failure"]
    curves = {k: mats[f"p_{k}"].mean(axis=1) for k in CURVES}
    ses = {k: mats[f"p_{k}"].std(axis=1, ddof=1) / np.sqrt(worlds) for k in CURVES}
    return CompetenceProfile(
        model.name,
        model.strategy.name,
        seed,
        worlds,
        g,
        curves,
        ses,
        frontier_interval(g, mats["p_non_failure"], seed),
    )
