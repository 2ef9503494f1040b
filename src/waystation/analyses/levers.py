"""The value of the next step of each lever, its response curve and its shape.

The default method (``"forward"``) answers the budget question honestly on
the margin: every lever is moved *up* by one budget unit's worth from the
scenario's setting (for an actor lever, every actor at once, so one step
costs ``budget_step`` units in all) and the change in the objective is
estimated on common random numbers -- every world and shock the same, so the
difference is paired and its interval is tight. It is reported per budget
unit. ``method="central"`` instead estimates a *derivative* by a central
difference of ``step`` times the lever's range (one-sided at a bound); at a
kink of the response that slope belongs to no real step, so the table says
when the two disagree in sign (each is computed, the one not ranked on the
first ``curve_worlds`` worlds).

Every lever also gets a **response curve**: the objective with the lever set
to each of ``curve_points`` values across its range (every actor at that
value), on the first ``curve_worlds`` of the same worlds (a run of fewer
worlds is a prefix of the longer one, so the points are paired with each other
and with the baseline), and its shape in words (:mod:`.shapes`). Levers that
the strategy's rules set are held by the rules, so their value under that
strategy is (near) zero and their curve flat.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np

from waystation.analyses._common import (
    Interval,
    Runner,
    ScenarioLike,
    StrategyLike,
    check_objective,
    check_worlds,
    frame_of,
    paired_models,
    per_world,
    running,
)
from waystation.analyses.shapes import Shape, shape_of
from waystation.definitions import DEFAULT_WORLDS
from waystation.levers import LEVER_REGISTRY, LEVERS, Lever
from waystation.model import Model
from waystation.settings import RunSettings
from waystation.state import Array

if TYPE_CHECKING:
    import pandas as pd


#: Ranking methods: the value of the next budget unit, or a central derivative.
METHODS: tuple[str, ...] = ("forward", "central")
#: Points of each lever's response curve.
CURVE_POINTS = 6


@dataclass(frozen=True)
class ResponseCurve:
    """Objective against one lever's value: points, 95% intervals and the curve's shape.

    ``diff_se[i]`` is the paired standard error of ``mean[i+1] - mean[i]``;
    ``current`` is the scenario's setting (the mean over actors of an actor
    lever); ``worlds`` the common worlds behind every point.
    """

    x: tuple[float, ...]
    mean: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]
    diff_se: tuple[float, ...]
    shape: Shape
    current: float
    worlds: int

    @classmethod
    def of(cls, x: Array, values: list[Array], current: float) -> ResponseCurve:
        """The curve of per-world objective values at each point (common worlds)."""
        ivs = [Interval.of_mean(v) for v in values]
        n = len(values[0])
        dse = [float(np.std(b - a, ddof=1) / np.sqrt(n)) for a, b in pairwise(values)]
        mean = tuple(iv.estimate for iv in ivs)
        return cls(
            tuple(float(v) for v in x),
            mean,
            tuple(iv.low for iv in ivs),
            tuple(iv.high for iv in ivs),
            tuple(dse),
            shape_of(x, mean, dse),
            float(current),
            n,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready curve: ``x``, ``mean``, ``low``, ``high``, ``diff_se``, ``shape`` ..."""
        return {
            "x": list(self.x),
            "mean": list(self.mean),
            "low": list(self.low),
            "high": list(self.high),
            "diff_se": list(self.diff_se),
            "shape": self.shape.to_dict(),
            "current": self.current,
            "worlds": self.worlds,
        }


@dataclass(frozen=True)
class LeverValue:
    """The value of one lever: per unit of lever and per budget unit, and how it responds.

    ``per_cost`` is the ranking value under ``method``: the forward step's
    gain per budget unit, or the derivative per budget unit. ``derivative``
    is the central-difference slope (objective per unit of lever), ``forward``
    the gain of the next step of ``step`` lever units (NaN at the upper
    bound). ``sign_disagreement``: forward and central point in opposite
    directions and at least one of them is resolved (its interval excludes 0).
    """

    name: str
    scope: str
    cost: float
    derivative: Interval
    per_cost: Interval
    forward: Interval | None = None
    step: float = float("nan")
    method: str = "central"
    sign_disagreement: bool = False
    curve: ResponseCurve | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready row."""
        nan = Interval(float("nan"), float("nan"), float("nan"))
        return {
            "name": self.name,
            "scope": self.scope,
            "cost": self.cost,
            "method": self.method,
            "per_cost": self.per_cost.to_dict(),
            "forward": (self.forward or nan).to_dict(),
            "step": self.step,
            "derivative": self.derivative.to_dict(),
            "sign_disagreement": self.sign_disagreement,
            "shape": None if self.curve is None else self.curve.shape.to_dict(),
            "curve": None if self.curve is None else self.curve.to_dict(),
        }


@dataclass(frozen=True)
class LeverTable:
    """Levers ranked by value per budget unit (highest first)."""

    scenario: str
    strategy: str
    seed: int
    worlds: int
    objective: str
    rows: tuple[LeverValue, ...]
    method: str = "central"
    budget_step: float = 1.0

    def to_frame(self) -> pd.DataFrame:
        """One row per lever, in rank order."""
        rows: list[dict[str, object]] = []
        for r in self.rows:
            fw = r.forward or Interval(float("nan"), float("nan"), float("nan"))
            rows.append(
                {
                    "lever": r.name,
                    "scope": r.scope,
                    "cost": r.cost,
                    "per_cost": r.per_cost.estimate,
                    "per_cost_low": r.per_cost.low,
                    "per_cost_high": r.per_cost.high,
                    "forward": fw.estimate,
                    "forward_low": fw.low,
                    "forward_high": fw.high,
                    "derivative": r.derivative.estimate,
                    "derivative_low": r.derivative.low,
                    "derivative_high": r.derivative.high,
                    "sign_disagreement": r.sign_disagreement,
                    "shape": None if r.curve is None else r.curve.shape.words(),
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
            "method": self.method,
            "budget_step": self.budget_step,
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


def curve_worlds_for(worlds: int) -> int:
    """Default worlds behind each curve point: a quarter, at least 2,000 (never more than all)."""
    return min(worlds, max(worlds // 4, 2000))


def lever_worlds(
    levers: int,
    worlds: int,
    method: str = "forward",
    points: int = CURVE_POINTS,
    curve_worlds: int | None = None,
) -> int:
    """Worlds a lever table simulates (for progress bars that span several analyses)."""
    cw = min(worlds, curve_worlds_for(worlds) if curve_worlds is None else curve_worlds)
    full, part = (1, 2) if method == "forward" else (2, 1)
    return worlds * (1 + full * levers) + cw * levers * (part + points)


def lever_values(
    scenario: ScenarioLike,
    strategy: StrategyLike | None = None,
    objective: str = "victory",
    worlds: int = DEFAULT_WORLDS,
    seed: int = 0,
    *,
    method: str = "forward",
    step: float = 0.05,
    budget_step: float = 1.0,
    curve_points: int = CURVE_POINTS,
    curve_worlds: int | None = None,
    utility: Mapping[str, float] | None = None,
    levers: Sequence[str] | None = None,
    settings: RunSettings | None = None,
) -> LeverTable:
    """Rank the levers by the value of the next budget unit (or a derivative), on common worlds.

    ``objective`` is ``"victory"`` (P(victory)), ``"non_failure"`` or
    ``"utility"`` (expected utility with weights ``utility``, default victory
    1, costly non-failure 0.5, failure 0). ``method="forward"`` (default)
    ranks by the gain of raising each lever by ``budget_step`` budget units;
    ``"central"`` by the derivative (central difference of ``step`` times the
    range). ``curve_points`` (0 for none, else at least 3) values across each
    lever's range make its response curve, on ``curve_worlds`` worlds
    (default :func:`curve_worlds_for`). ``levers`` restricts the table to some
    registry names (default: every lever). How it runs is ``settings``
    (:class:`~waystation.settings.RunSettings`). The question has many
    arguments of its own (method, steps, curves, objective and its weights,
    levers); all but the scenario, strategy, objective, worlds and seed are
    keywords.
    """
    weights = check_objective(objective, utility)
    worlds = check_worlds(worlds)
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    if not 0.0 < step <= 0.5:
        raise ValueError(f"step must be in (0, 0.5], got {step!r}")
    if not (np.isfinite(budget_step) and budget_step > 0):
        raise ValueError(f"budget_step must be a positive number, got {budget_step!r}")
    if curve_points != 0 and not 3 <= curve_points <= 50:
        raise ValueError(f"curve_points must be 0 (no curves) or 3 to 50, got {curve_points!r}")
    cw = curve_worlds_for(worlds) if curve_worlds is None else check_worlds(curve_worlds)
    cw = min(cw, worlds)
    chosen = check_levers(levers)
    _, (model,) = paired_models(scenario, [strategy])
    total = lever_worlds(len(chosen), worlds, method, curve_points, cw)
    plan = _Plan(model, objective, weights, worlds, cw)
    with running(seed, total, settings) as runner:
        plan.runner = runner
        rows = [plan.row(lever, method, step, budget_step, curve_points) for lever in chosen]
    ranked = sorted(
        rows, key=lambda r: -r.per_cost.estimate if np.isfinite(r.per_cost.estimate) else np.inf
    )
    return LeverTable(
        model.name, model.strategy.name, seed, worlds, objective, tuple(ranked), method, budget_step
    )


_NAN = Interval(float("nan"), float("nan"), float("nan"))


@dataclass
class _Plan:
    """The runs of one lever table: one shared baseline, steps and curves on common worlds."""

    model: Model
    objective: str
    weights: dict[str, float]
    worlds: int
    curve_worlds: int
    runner: Runner | None = None
    baseline: Array | None = None

    def values(self, overrides: Mapping[str, float] | None, worlds: int) -> Array:
        """Per-world objective of the model with ``overrides``, on the first ``worlds`` worlds."""
        if overrides is None:
            if self.baseline is None:
                self.baseline = self._run(self.model, self.worlds)
            return self.baseline[:worlds]
        return self._run(self.model.with_overrides(overrides), worlds)

    def _run(self, model: Model, worlds: int) -> Array:
        assert self.runner is not None
        return per_world(self.runner.run(model, worlds), self.objective, self.weights)

    def row(
        self, lever: Lever, method: str, step: float, budget_step: float, points: int
    ) -> LeverValue:
        """One lever's forward step, central derivative and response curve."""
        cost = lever_cost(self.model, lever)
        fw_n, ce_n = (
            (self.worlds, self.curve_worlds)
            if method == "forward"
            else (self.curve_worlds, self.worlds)
        )
        size, forward = self.forward(lever, budget_step / cost, fw_n)
        derivative = self.central(lever, step, ce_n)
        per_cost = (
            (forward.scaled(1.0 / (size * cost)) if size > 0 else _NAN)
            if method == "forward"
            else derivative.scaled(1.0 / cost)
        )
        disagree = _disagree(forward, derivative)
        curve = self.curve(lever, points) if points else None
        return LeverValue(
            lever.name,
            lever.scope,
            cost,
            derivative,
            per_cost,
            forward,
            size,
            method,
            disagree,
            curve,
        )

    def forward(self, lever: Lever, delta: float, n: int) -> tuple[float, Interval]:
        """The next step: up by ``delta`` (less at the upper bound), paired gain; size moved."""
        _, up = room(self.model, lever, delta)
        if up <= 0.0:
            return 0.0, _NAN
        gain = self.values(shifted(self.model, lever, up), n) - self.values(None, n)
        return up, Interval.of_mean(gain)

    def central(self, lever: Lever, step: float, n: int) -> Interval:
        """Central (one-sided at a bound) paired difference quotient: a derivative."""
        down, up = room(self.model, lever, step * (lever.bounds[1] - lever.bounds[0]))
        if down + up <= 0.0:
            return _NAN
        hi = self.values(shifted(self.model, lever, up), n) if up else self.values(None, n)
        lo = self.values(shifted(self.model, lever, -down), n) if down else self.values(None, n)
        return Interval.of_mean((hi - lo) / (down + up))

    def curve(self, lever: Lever, points: int) -> ResponseCurve:
        """The objective with every input of the lever set to each value of a grid on its range."""
        grid = np.linspace(lever.bounds[0], lever.bounds[1], points)
        keys = lever_inputs(self.model, lever)
        values = [self.values(dict.fromkeys(keys, float(x)), self.curve_worlds) for x in grid]
        current = float(np.mean([self.model.inputs[k].median() for k in keys]))
        return ResponseCurve.of(grid, values, current)


def _disagree(forward: Interval, derivative: Interval) -> bool:
    """Opposite signs, at least one of them resolved (interval excluding zero)."""
    if not (np.isfinite(forward.estimate) and np.isfinite(derivative.estimate)):
        return False
    if forward.estimate * derivative.estimate >= 0:
        return False
    return not (forward.contains(0.0) and derivative.contains(0.0))
