"""The compiled model: a scenario reduced to distributions and rules.

:class:`Model` is what the engine runs. It is plain, picklable data: every
input (problem profile, calibration, actor parameters, levers) under one flat
name, its distribution, its bounds, the rank correlations between inputs, and
the strategy. Flat names are the registry name for world-level inputs and
``"<actor>.<name>"`` for per-actor ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from waystation.distributions import Dist, sample
from waystation.levers import ACTOR_LEVERS, GLOBAL_LEVERS, LEVER_REGISTRY
from waystation.params import REGISTRY, params_in
from waystation.state import Array
from waystation.strategies import Strategy

WORLD_PARAMS: tuple[str, ...] = tuple(p.name for p in params_in("nature") + params_in("world"))
ACTOR_PARAMS: tuple[str, ...] = tuple(p.name for p in params_in("actor"))


@dataclass(frozen=True)
class Model:
    """A scenario ready to simulate."""

    name: str
    actors: tuple[str, ...]
    inputs: Mapping[str, Dist]
    start: float = 2026.0
    horizon: float = 2050.0
    dt: float = 0.25
    correlations: Mapping[tuple[str, str], float] = field(default_factory=dict)
    strategy: Strategy = field(default_factory=lambda: Strategy("default"))
    description: str = ""

    @property
    def steps(self) -> int:
        """Number of time steps from start to horizon."""
        return max(1, round((self.horizon - self.start) / self.dt))

    @property
    def times(self) -> Array:
        """Years at which the state is recorded: the start and the end of every step."""
        return self.start + self.dt * np.arange(self.steps + 1, dtype=np.float64)

    def uncertain(self) -> tuple[str, ...]:
        """Names of the inputs that are drawn from a non-degenerate distribution."""
        return tuple(k for k, d in self.inputs.items() if not d.is_constant)


def input_bounds(name: str) -> tuple[float, float]:
    """Admissible range of a flat input name, from the parameter or lever registry."""
    base = name.rsplit(".", 1)[-1]
    if base in REGISTRY:
        return REGISTRY[base].bounds
    return LEVER_REGISTRY[base].bounds


def draw_inputs(model: Model, n: int, rng: np.random.Generator) -> dict[str, Array]:
    """Draw every input for ``n`` worlds: shape (n,), clipped to the registry bounds."""
    drawn = sample(model.inputs, n, rng, model.correlations or None)
    out: dict[str, Array] = {}
    for name, values in drawn.items():
        lo, hi = input_bounds(name)
        out[name] = np.clip(values, lo, hi)
    return out


def assemble(model: Model, x: Mapping[str, Array]) -> tuple[dict[str, Array], dict[str, Array]]:
    """Shape flat draws into parameter and lever arrays: (W, 1) world-level, (W, A) per actor."""
    n = len(next(iter(x.values())))
    p: dict[str, Array] = {k: x[k][:, None] for k in WORLD_PARAMS}
    for k in ACTOR_PARAMS:
        p[k] = np.stack([x[f"{a}.{k}"] for a in model.actors], axis=1)
    p["C_si"] = p["C_aar"] + p["si_gap"]
    p["safety_ref"] = np.maximum(p["safety_researchers"].sum(axis=1, keepdims=True), 1.0)
    p["start"] = np.full((n, 1), model.start)
    lv: dict[str, Array] = {k: x[k][:, None] for k in GLOBAL_LEVERS}
    for k in ACTOR_LEVERS:
        lv[k] = np.stack([x[f"{a}.{k}"] for a in model.actors], axis=1)
    return p, lv
