"""Marginal value of each lever per unit cost: where competence is cheapest to buy.

For every lever of the registry the objective's derivative is estimated by
a central difference on common random numbers: the lever is moved by
``step`` times its range up and down (one-sided at a bound), every world and
shock staying the same, so the difference is paired and its interval is tight.
An actor lever is moved for every actor at once, and its cost is the cost per
unit times the number of actors. Levers that the strategy's rules set are held
by the rules, so their marginal value under that strategy is (near) zero.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from waystation.analyses._common import (
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
from waystation.definitions import DEFAULT_WORLDS
from waystation.levers import LEVER_REGISTRY, LEVERS, Lever
from waystation.model import Model
from waystation.settings import RunSettings
from waystation.state import Array

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class LeverValue:
    """The marginal value of one lever: objective per unit of lever, and per budget unit."""

    name: str
    scope: str
    cost: float
    derivative: Interval
    per_cost: Interval

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready row."""
        return {
            "name": self.name,
            "scope": self.scope,
            "cost": self.cost,
            "derivative": self.derivative.to_dict(),
            "per_cost": self.per_cost.to_dict(),
        }


@dataclass(frozen=True)
class LeverTable:
    """Levers ranked by marginal value per unit cost (highest first)."""

    scenario: str
    strategy: str
    seed: int
    worlds: int
    objective: str
    rows: tuple[LeverValue, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per lever, in rank order."""
        rows: list[dict[str, object]] = []
        for r in self.rows:
            rows.append(
                {
                    "lever": r.name,
                    "scope": r.scope,
                    "cost": r.cost,
                    "derivative": r.derivative.estimate,
                    "derivative_low": r.derivative.low,
                    "derivative_high": r.derivative.high,
                    "per_cost": r.per_cost.estimate,
                    "per_cost_low": r.per_cost.low,
                    "per_cost_high": r.per_cost.high,
                }
            )
        return frame_of(rows, "lever")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready table (the ``--json`` output of ``waystation levers``)."""
        return {
            "scenario": self.scenario,
            "strategy": self.strategy,
            "seed": self.seed,
            "worlds": self.worlds,
            "objective": self.objective,
            "levers": [r.to_dict() for r in self.rows],
        }


def lever_inputs(model: Model, lever: Lever) -> tuple[str, ...]:
    """Flat input names a lever stands for: itself, or ``<actor>.<lever>`` for every actor."""
    if lever.scope == "global":
        return (lever.name,)
    return tuple(f"{a}.{lever.name}" for a in model.actors)


def lever_cost(model: Model, lever: Lever) -> float:
    """Budget units of raising the lever by one unit (for every actor, for an actor lever)."""
    return lever.cost * len(lever_inputs(model, lever))


def shifted(model: Model, lever: Lever, delta: float) -> dict[str, float]:
    """Overrides moving every input of a lever by ``delta`` from its value (median if uncertain)."""
    lo, hi = lever.bounds
    return {
        k: float(np.clip(model.inputs[k].median() + delta, lo, hi))
        for k in lever_inputs(model, lever)
    }


def room(model: Model, lever: Lever, h: float) -> tuple[float, float]:
    """How far the lever can move down and up (at most ``h``) with every actor inside bounds."""
    lo, hi = lever.bounds
    values = [model.inputs[k].median() for k in lever_inputs(model, lever)]
    return max(0.0, min(h, min(values) - lo)), max(0.0, min(h, hi - max(values)))


def check_levers(levers: Sequence[str] | None) -> tuple[Lever, ...]:
    """Levers by registry name (default: all), each named once."""
    if levers is None:
        return LEVERS
    bad = [n for n in levers if n not in LEVER_REGISTRY]
    if bad:
        raise ValueError(f"unknown levers: {', '.join(bad)}; levers: {', '.join(LEVER_REGISTRY)}")
    if not levers or len(set(levers)) != len(levers):
        raise ValueError("give at least one lever, each named once")
    return tuple(LEVER_REGISTRY[n] for n in levers)


def lever_values(
    scenario: ScenarioLike,
    strategy: StrategyLike | None = None,
    objective: str = "victory",
    worlds: int = DEFAULT_WORLDS,
    seed: int = 0,
    *,
    step: float = 0.05,
    utility: Mapping[str, float] | None = None,
    levers: Sequence[str] | None = None,
    settings: RunSettings | None = None,
) -> LeverTable:
    """Rank the levers by d(objective)/d(lever) per unit cost, on common random numbers.

    ``objective`` is ``"victory"`` (P(victory)), ``"non_failure"`` or
    ``"utility"`` (expected utility with weights ``utility``, default victory
    1, costly non-failure 0.5, failure 0). The difference step is ``step``
    times the lever's range, clipped inside its bounds (one-sided at a bound).
    Levers the strategy's rules set are held by the rules. ``levers``
    restricts the table to some registry names (default: every lever).
    How it runs is ``settings`` (:class:`~waystation.settings.RunSettings`).
    Nine parameters, past the usual eight: the question has five of its own
    (strategy, objective, its utility weights, step, levers) beside the
    scenario, worlds, seed and settings.
    """
    weights = check_objective(objective, utility)
    worlds = check_worlds(worlds)
    if not 0.0 < step <= 0.5:
        raise ValueError(f"step must be in (0, 0.5], got {step!r}")
    chosen = check_levers(levers)
    _, (model,) = paired_models(scenario, [strategy])
    cache: dict[float, Array] = {}
    rows = []
    with running(seed, worlds * (2 * len(chosen) + 1), settings) as runner:

        def f(lever: Lever, delta: float) -> Array:
            if delta == 0.0 and 0.0 in cache:
                return cache[0.0]
            res = runner.run(
                model.with_overrides(shifted(model, lever, delta)) if delta else model, worlds
            )
            values = per_world(res, objective, weights)
            if delta == 0.0:
                cache[0.0] = values
            return values

        for lever in chosen:
            down, up = room(model, lever, step * (lever.bounds[1] - lever.bounds[0]))
            rows.append(_row(model, lever, down, up, f))
    ranked = sorted(
        rows, key=lambda r: -r.per_cost.estimate if np.isfinite(r.per_cost.estimate) else np.inf
    )
    return LeverTable(model.name, model.strategy.name, seed, worlds, objective, tuple(ranked))


def _row(model: Model, lever: Lever, down: float, up: float, f: Any) -> LeverValue:
    """Central (or one-sided) paired difference of one lever and its value per unit cost."""
    cost = lever_cost(model, lever)
    if down + up <= 0.0:
        nan = Interval(float("nan"), float("nan"), float("nan"))
        return LeverValue(lever.name, lever.scope, cost, nan, nan)
    d = (f(lever, up) - f(lever, -down)) / (down + up)
    derivative = Interval.of_mean(d)
    return LeverValue(lever.name, lever.scope, cost, derivative, derivative.scaled(1.0 / cost))
