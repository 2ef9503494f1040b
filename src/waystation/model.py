"""The compiled model: a scenario reduced to distributions and rules.

:class:`Model` is what the engine runs. It is plain, picklable data: every
input (problem profile, calibration, actor parameters, levers) under one flat
name, its distribution, its bounds, the rank correlations between inputs, and
the strategy. Flat names are the registry name for world-level inputs and
``"<actor>.<name>"`` for per-actor ones.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from waystation import rng
from waystation.distributions import Dist, from_normals, parse_dist
from waystation.dynamics.inputs import Levers, Params
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
    horizon: float = 2100.0
    dt: float = 0.25
    correlations: Mapping[tuple[str, str], float] = field(default_factory=dict)
    strategy: Strategy = field(default_factory=lambda: Strategy("default"))
    description: str = ""
    layout: tuple[str, ...] | None = None

    def stream_layout(self) -> tuple[str, ...]:
        """Inputs that get a column of the inputs' normals (:mod:`waystation.rng`), in order.

        Fixed when the model is first built, so that overriding an input
        (e.g. fixing hardness for the competence profile) leaves every other
        input's draws unchanged: common random numbers.
        """
        return self.layout if self.layout is not None else self.uncertain()

    def with_overrides(self, values: Mapping[str, Dist | float]) -> Model:
        """A copy with some inputs replaced (numbers become constants), same random layout.

        Correlations are kept for drawing, so the inputs left uncertain keep
        exactly their draws (a fixed input's own draw is discarded).
        """
        unknown = sorted(set(values) - set(self.inputs))
        if unknown:
            raise ValueError(f"unknown inputs: {', '.join(unknown)}")
        inputs = dict(self.inputs)
        for k, v in values.items():
            inputs[k] = v if isinstance(v, Dist) else parse_dist(float(v))
        return replace(self, inputs=inputs, layout=self.stream_layout())

    def with_strategy(self, strategy: Strategy) -> Model:
        """A copy under another strategy, same worlds and shocks."""
        return replace(self, strategy=strategy, layout=self.stream_layout())

    @property
    def steps(self) -> int:
        """Number of time steps from start to horizon (the last one may be shorter)."""
        return max(1, math.ceil((self.horizon - self.start) / self.dt - 1e-9))

    def step_dt(self, i: int) -> float:
        """Length of step ``i`` (1-based): ``dt``, or less for a last step ending at the horizon."""
        if i < self.steps:
            return self.dt
        return float(self.horizon - self.start - (self.steps - 1) * self.dt)

    @property
    def record_steps(self) -> Array:
        """Step indices at which trajectories are recorded: yearly, plus the last step."""
        every = max(1, round(1.0 / self.dt))
        idx = np.arange(0, self.steps + 1, every)
        return idx if idx[-1] == self.steps else np.append(idx, self.steps)

    @property
    def times(self) -> Array:
        """Years at which the state is recorded: the start and the end of every step."""
        t = self.start + self.dt * np.arange(self.steps + 1, dtype=np.float64)
        t[-1] = self.horizon
        return t

    def uncertain(self) -> tuple[str, ...]:
        """Names of the inputs that are drawn from a non-degenerate distribution."""
        return tuple(k for k, d in self.inputs.items() if not d.is_constant)


def input_bounds(name: str) -> tuple[float, float]:
    """Admissible range of a flat input name, from the parameter or lever registry."""
    base = name.rsplit(".", 1)[-1]
    if base in REGISTRY:
        return REGISTRY[base].bounds
    return LEVER_REGISTRY[base].bounds


_PLACEHOLDER = parse_dist("uniform(0, 1)")


def draw_inputs(
    model: Model, worlds: int | np.integer | Array, seed: int | tuple[int, int]
) -> dict[str, Array]:
    """Draw every input for the given worlds: shape (worlds,), clipped to the registry bounds.

    ``worlds`` is a count (worlds ``0 .. n-1``) or an array of global world
    indices; ``seed`` is the run's root seed or its Philox key. World ``i``'s
    inputs are a pure function of ``(seed, i)`` (:mod:`waystation.rng`,
    variable ``inputs``), whatever else is drawn with it. Every name in the
    stream layout takes its column (its lane of normals) even when it has since
    been fixed to a constant, so the other inputs keep their draws.
    """
    index = np.arange(worlds) if isinstance(worlds, int | np.integer) else np.asarray(worlds)
    world = index.astype(np.uint64)
    key = seed if isinstance(seed, tuple) else rng.key_of(seed)
    layout = model.stream_layout()
    dists = {
        k: (model.inputs[k] if not model.inputs[k].is_constant else _PLACEHOLDER) for k in layout
    }
    dists.update({k: d for k, d in model.inputs.items() if k not in dists})
    k = sum(not d.is_constant for d in dists.values())
    drawn = from_normals(dists, rng.normals(key, world, 0, "inputs", k),
                         model.correlations or None)  # fmt: skip
    out: dict[str, Array] = {}
    for name, dist in model.inputs.items():
        values = np.full(len(world), dist.median()) if dist.is_constant else drawn[name]
        lo, hi = input_bounds(name)
        out[name] = np.clip(values, lo, hi)
    return out


def assemble(model: Model, x: Mapping[str, Array]) -> tuple[Params, Levers]:
    """Shape flat draws into the equations' typed parameters and levers.

    World-level inputs become (W, 1) arrays, per-actor ones (W, A) in column-major
    order: the ``"<actor>.<name>"`` draws of one name become one array's columns,
    and nothing after this sees a flattened name. World-level inputs that are the
    same in every world collapse to 0-d arrays. Per-actor ones stay full (W, A)
    arrays even when constant: a (1, A) row broadcast against a (W, 1) column
    makes a row-major (W, A) array, and mixing row- and column-major operands
    makes numpy's loops 4-10x slower.
    """

    def world(k: str) -> Array:
        return np.asarray(x[k][0]) if model.inputs[k].is_constant else x[k][:, None]

    def actors(k: str) -> Array:
        return _columns([x[f"{a}.{k}"] for a in model.actors])

    p: dict[str, Array] = {k: world(k) for k in WORLD_PARAMS}
    p.update({k: actors(k) for k in ACTOR_PARAMS})
    p["C_si"] = p["C_aar"] + p["si_gap"]
    for k in ("safety_growth", "capability_growth", "wbe_background_growth"):
        p[f"log1p_{k}"] = np.log1p(p[k])  # growth factors are exp(log1p(g) * years)
    p["start"] = np.asarray(model.start)
    lv: dict[str, Array] = {k: world(k) for k in GLOBAL_LEVERS}
    lv.update({k: actors(k) for k in ACTOR_LEVERS})
    return Params(**p), Levers(**lv)


def _columns(cols: list[Array]) -> Array:
    """Stack per-actor columns into a (W, A) array in Fortran order.

    Column-major (W, A) arrays keep each actor's values contiguous, so sums and
    maxima over actors are fast vector operations rather than strided loops.
    """
    return np.asfortranarray(np.stack(cols, axis=1))
