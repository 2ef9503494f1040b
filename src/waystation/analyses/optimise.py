"""The lever mix that maximises an objective within a budget (docs/model.md section 13).

Each chosen lever is moved by a shift ``delta`` from the scenario's values
(for an actor lever, every actor's value moves by the same shift, clipped to
the lever's bounds). A mix costs the sum over levers and actors of the cost
per unit times the *increase* over the scenario's value; lowering a lever is
free. On common random numbers the objective is a deterministic function of
the shifts, maximised by SLSQP with the budget as an inequality constraint
and forward differences (5% of each range) for the gradient. The best
affordable mix evaluated is returned; its value and the baseline's are then
re-estimated on fresh worlds (seed + 1), so the reported gain is not inflated
by having been selected on the same worlds. Levers that the strategy's rules
set are held by the rules.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from waystation.analyses._common import (
    Interval,
    Runner,
    ScenarioLike,
    check_objective,
    check_worlds,
    frame_of,
    paired_models,
    per_world,
    running,
)
from waystation.analyses.levers import check_levers, lever_inputs, shifted
from waystation.definitions import DEFAULT_WORLDS
from waystation.levers import LEVER_REGISTRY, Lever
from waystation.model import Model
from waystation.settings import RunSettings
from waystation.state import Array

if TYPE_CHECKING:
    import pandas as pd

#: Forward-difference step of the gradient, as a share of each lever's shift range.
GRAD_STEP = 0.05


@dataclass(frozen=True)
class Optimum:
    """The best affordable lever mix: values by flat input name, cost and objective values.

    ``value`` and ``baseline_value`` are estimated on held-out worlds
    (``holdout_seed``); ``gain`` is their paired difference.
    """

    scenario: str
    seed: int
    worlds: int
    objective: str
    levers: dict[str, float]
    baseline: dict[str, float]
    value: Interval
    baseline_value: Interval
    gain: Interval
    cost: float
    budget: float
    evaluations: int
    holdout_seed: int

    def to_frame(self) -> pd.DataFrame:
        """One row per optimised input: baseline and optimal value."""
        rows: list[dict[str, object]] = [
            {"input": k, "baseline": self.baseline[k], "optimum": v} for k, v in self.levers.items()
        ]
        return frame_of(rows, "input")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready optimum (the ``--json`` output of ``waystation optimise``)."""
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "worlds": self.worlds,
            "objective": self.objective,
            "levers": dict(self.levers),
            "baseline": dict(self.baseline),
            "value": self.value.to_dict(),
            "baseline_value": self.baseline_value.to_dict(),
            "gain": self.gain.to_dict(),
            "cost": self.cost,
            "budget": self.budget,
            "evaluations": self.evaluations,
            "holdout_seed": self.holdout_seed,
        }


class _ExhaustedError(Exception):
    """Raised inside the objective when the evaluation budget is spent."""


@dataclass(frozen=True)
class _Space:
    """The optimisation space: levers, their shift ranges, and costs of a unit vector ``u``."""

    model: Model
    levers: tuple[Lever, ...]
    lo: Array
    hi: Array

    @classmethod
    def of(cls, model: Model, levers: tuple[Lever, ...]) -> _Space:
        ranges = []
        for lv in levers:
            base = [model.inputs[k].median() for k in lever_inputs(model, lv)]
            ranges.append((lv.bounds[0] - max(base), lv.bounds[1] - min(base)))
        return cls(
            model, levers, np.array([r[0] for r in ranges]), np.array([r[1] for r in ranges])
        )

    def shifts(self, u: Array) -> Array:
        return self.lo + np.clip(u, 0.0, 1.0) * (self.hi - self.lo)

    def start(self) -> Array:
        span = np.where(self.hi > self.lo, self.hi - self.lo, 1.0)
        return np.asarray(-self.lo / span, dtype=np.float64)

    def overrides(self, u: Array) -> dict[str, float]:
        out: dict[str, float] = {}
        for lv, d in zip(self.levers, self.shifts(u), strict=True):
            out.update(shifted(self.model, lv, float(d)))
        return out

    def cost(self, u: Array) -> float:
        values = self.overrides(u)
        total = 0.0
        for k, v in values.items():
            unit = LEVER_REGISTRY[k.rsplit(".", 1)[-1]].cost
            total += unit * max(0.0, v - self.model.inputs[k].median())
        return total


def optimise(
    scenario: ScenarioLike,
    budget: float = 100.0,
    objective: str = "victory",
    levers: Sequence[str] | None = None,
    worlds: int = DEFAULT_WORLDS,
    seed: int = 0,
    *,
    utility: Mapping[str, float] | None = None,
    max_evaluations: int | None = None,
    settings: RunSettings | None = None,
) -> Optimum:
    """Maximise the objective over lever shifts costing at most ``budget`` budget units.

    ``levers`` are registry names (default: every lever); the scenario's own
    strategy is in force. At most ``max_evaluations`` runs of ``worlds``
    worlds are spent searching (default ``8 * (len(levers) + 1)``). How it
    runs is ``settings`` (:class:`~waystation.settings.RunSettings`). Nine
    parameters, past the usual eight: the question has five of its own
    (budget, objective, levers, utility weights, evaluation cap) beside the
    scenario, worlds, seed and settings.
    """
    weights = check_objective(objective, utility)
    worlds = check_worlds(worlds)
    if not np.isfinite(budget) or budget < 0:
        raise ValueError(f"budget must be a non-negative number, got {budget!r}")
    chosen = check_levers(levers)
    cap = max_evaluations if max_evaluations is not None else 8 * (len(chosen) + 1)
    if cap < 1:
        raise ValueError(f"max_evaluations must be at least 1, got {cap!r}")
    _, (model,) = paired_models(scenario, [None])
    space = _Space.of(model, chosen)
    with running(seed, worlds * (cap + 2), settings) as runner:
        search = _Search(space, runner, worlds, lambda r: per_world(r, objective, weights), cap)
        best = search.solve(float(budget))
        holdout = seed + 1
        base_y = per_world(runner.run(model, worlds, seed=holdout), objective, weights)
        best_model = model.with_overrides(space.overrides(best))
        best_y = per_world(runner.run(best_model, worlds, seed=holdout), objective, weights)
    u0 = space.start()
    return Optimum(
        model.name,
        seed,
        worlds,
        objective,
        space.overrides(best),
        space.overrides(u0),
        Interval.of_mean(best_y),
        Interval.of_mean(base_y),
        Interval.of_mean(best_y - base_y),
        space.cost(best),
        float(budget),
        len(search.seen),
        holdout,
    )


class _Search:
    """SLSQP over unit-scaled shifts with memoised, capped evaluations of the objective."""

    def __init__(self, space: _Space, runner: Runner, worlds: int, f: Any, cap: int) -> None:
        self.space, self.runner, self.worlds, self.f, self.cap = space, runner, worlds, f, cap
        self.seen: dict[tuple[float, ...], float] = {}

    def value(self, u: Array) -> float:
        key = tuple(np.round(np.clip(u, 0.0, 1.0), 12))
        if key not in self.seen:
            if len(self.seen) >= self.cap:
                raise _ExhaustedError
            model = self.space.model.with_overrides(self.space.overrides(np.array(key)))
            self.seen[key] = float(np.mean(self.f(self.runner.run(model, self.worlds))))
        return self.seen[key]

    def gradient(self, u: Array) -> Array:
        f0 = self.value(u)
        g = np.zeros(len(u))
        for i in range(len(u)):
            h = GRAD_STEP if u[i] + GRAD_STEP <= 1.0 else -GRAD_STEP
            e = u.copy()
            e[i] = np.clip(e[i] + h, 0.0, 1.0)
            g[i] = (self.value(e) - f0) / h
        return -g

    def solve(self, budget: float) -> Array:
        """Best affordable point evaluated (the start, cost 0, is always affordable)."""
        from scipy.optimize import minimize

        u0 = self.space.start()
        self.value(u0)
        constraint = {"type": "ineq", "fun": lambda u: budget - self.space.cost(u)}
        with contextlib.suppress(_ExhaustedError):
            # Scale so the first gradient has unit size: SLSQP's first step then
            # reaches across the box instead of creeping by a probability's slope.
            scale = max(float(np.abs(self.gradient(u0)).max()), 1e-9)
            minimize(
                lambda u: -self.value(u) / scale,
                u0,
                jac=lambda u: self.gradient(u) / scale,
                method="SLSQP",
                bounds=[(0.0, 1.0)] * len(u0),
                constraints=[constraint],
                options={"maxiter": 50, "ftol": 1e-6},
            )
        costs = {k: self.space.cost(np.array(k)) for k in self.seen}
        affordable = [k for k, c in costs.items() if c <= budget * (1 + 1e-9) + 1e-12]
        best = max(affordable, key=lambda k: (self.seen[k], -costs[k]))
        return np.array(best)
