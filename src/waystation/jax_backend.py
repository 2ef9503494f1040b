"""Optional JAX backend: the model's own step functions, compiled with XLA.

Nothing here restates an equation. :func:`waystation.dynamics.step` and
:func:`waystation.strategies.apply_strategy` (with its conditions) are generic
over the array namespace, so ``jax.jit`` traces the very code the numpy engine
runs, inside ``jax.lax.scan`` over the steps between two recorded years.

Random numbers stay numpy's: every shock of a block is drawn up front from
the same stream-block generators in the same order as the numpy engine, and
fed to the scan, so both backends see identical draws. Results differ only by
XLA's ``exp``/``pow`` rounding (outcome probabilities agree within about
1e-12 relative); the engine's exact tallies, histograms and per-world rows are
computed from the scanned states by the numpy code of :mod:`waystation.simulate`,
so a JAX run is still bit-identical across block sizes and workers.

JAX is imported on first use, in float64 mode (``jax_enable_x64``, a global
JAX setting). Install it with ``pip install 'waystation[jax]'``. Each process
compiles once per strategy, block size and segment length (a few seconds).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from waystation.dynamics import step
from waystation.model import Model
from waystation.simulate import STREAM_BLOCK, _histogram, fixed
from waystation.state import Array, Shocks, State
from waystation.strategies import apply_strategy

__all__ = ["MISSING_JAX", "jax_available", "run_steps"]

MISSING_JAX = (
    "the jax backend needs JAX: pip install 'waystation[jax]' (or run with --backend numpy)"
)
_CACHE: dict[tuple[str, tuple[str, ...], float], Callable[..., Any]] = {}


def _jax() -> Any:
    """The ``jax`` module in float64 mode, or a clear error when the extra is missing."""
    try:
        jax = importlib.import_module("jax")
    except ImportError as err:
        raise ImportError(MISSING_JAX) from err
    jax.config.update("jax_enable_x64", True)
    return jax


def jax_available() -> bool:
    """Whether JAX can be imported."""
    try:
        importlib.import_module("jax")
    except ImportError:
        return False
    return True


def _advance(model: Model) -> Callable[..., Any]:
    """The jitted scan that advances a state over a segment of steps (cached per model rules)."""
    key = (repr(model.strategy), model.actors, model.dt)
    fn = _CACHE.get(key)
    if fn is not None:
        return fn
    jax = _jax()
    strategy, actors, dt = model.strategy, model.actors, model.dt

    def advance(
        s: State, p: dict[str, Any], base: dict[str, Any], z: Any, wu: Any, vu: Any
    ) -> tuple[State, Any]:
        def body(s: State, shocks: tuple[Any, Any, Any]) -> tuple[State, Any]:
            lv = apply_strategy(strategy, base, s, p, actors)
            new = step(s, p, lv, Shocks(*shocks), dt)
            return new, new.survival

        return jax.lax.scan(body, s, (z, wu, vu))

    fn = jax.jit(advance)
    _CACHE[key] = fn
    return fn


def _draw_steps(rngs: list[np.random.Generator], steps: int, A: int) -> tuple[Array, Array, Array]:
    """The next ``steps`` steps' shocks, drawn in the numpy engine's order.

    Shapes (steps, W, A), (steps, W, 1), (steps, W, 1): per step, every
    generator's normals, then uniforms, then uniforms, exactly as
    :func:`waystation.simulate._run_steps` draws them.
    """
    W = STREAM_BLOCK * len(rngs)
    z = np.empty((steps, W, A))
    wu = np.empty((steps, W, 1))
    vu = np.empty((steps, W, 1))
    for i in range(steps):  # drawing into slices gives the very numbers _draw stacks
        for j, g in enumerate(rngs):
            g.standard_normal(out=z[i, j * STREAM_BLOCK : (j + 1) * STREAM_BLOCK])
        for j, g in enumerate(rngs):
            g.random(out=wu[i, j * STREAM_BLOCK : (j + 1) * STREAM_BLOCK])
        for j, g in enumerate(rngs):
            g.random(out=vu[i, j * STREAM_BLOCK : (j + 1) * STREAM_BLOCK])
    return z, wu, vu


def run_steps(
    model: Model,
    rngs: list[np.random.Generator],
    p: Mapping[str, Array],
    base: Mapping[str, Array],
    s: State,
    n_valid: int,
    hist: Array,
    survival_t: Array,
) -> State:
    """Step the block to the horizon with JAX; fill survival sums and histograms like numpy.

    Same contract as :func:`waystation.simulate._run_steps`: returns the final
    state (as numpy arrays) and adds into ``hist`` and ``survival_t``. The
    steps between two recorded years run as one compiled scan; while XLA
    computes it (JAX dispatches asynchronously), numpy draws the next
    segment's shocks.
    """
    jax = _jax()
    jnp = jax.numpy
    A = len(model.actors)
    advance = _advance(model)
    js = State(*[jnp.asarray(np.asarray(v)) for v in s])
    jp = {k: jnp.asarray(np.asarray(v)) for k, v in p.items()}
    jbase = {k: jnp.asarray(np.asarray(v)) for k, v in base.items()}
    record = [int(k) for k in model.record_steps]
    shocks = _draw_steps(rngs, record[1] - record[0], A)
    pending: tuple[int, State, Any] | None = None
    out = s

    def finish(r: int, state: State, survival: Any) -> State:
        a, b = record[r - 1], record[r]
        survival_t[a + 1 : b + 1] = fixed(np.asarray(survival)[:, :n_valid, 0]).sum(axis=1)
        arrays: list[Any] = [np.asarray(v) for v in state]
        done = State(*arrays)
        _histogram(done, hist, r, n_valid, p["C_max"])
        return done

    for r in range(1, len(record)):
        js, survival = advance(js, jp, jbase, *shocks)
        if r + 1 < len(record):  # drawn while XLA runs this segment
            shocks = _draw_steps(rngs, record[r + 1] - record[r], A)
        if pending is not None:  # the previous segment's histogram, also overlapped
            finish(*pending)
        pending = (r, js, survival)
    if pending is not None:
        out = finish(*pending)
    return out._replace(t=float(out.t))
