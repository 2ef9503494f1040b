"""Optional JAX backend: the model's own step functions, compiled with XLA.

Nothing here restates an equation. :func:`waystation.dynamics.step` and
:func:`waystation.strategies.apply_strategy` (with its conditions) are generic
over the array namespace, so ``jax.jit`` traces the very code the numpy engine
runs, inside ``jax.lax.scan`` over the steps between two recorded years.

Random numbers are drawn on the device, inside the compiled scan, by the
same counter-based generator as the numpy engine (:mod:`waystation.rng`,
traced with ``jax.numpy``): each world's shocks of step ``i`` are a function
of the run's key, its global index and ``i``, so nothing is drawn on the host
or shipped. The integer words and uniforms are bit-identical to numpy's, the
normals agree within a few ulp (XLA's ``log``/``tan``), and results differ
only by such rounding (outcome probabilities agree within about 1e-12
relative); the engine's exact tallies, histograms and per-world rows are
computed from the scanned states by the numpy code of :mod:`waystation.simulate`,
so a JAX run is still bit-identical across block sizes and workers.

Active worlds are packed into chunks of :data:`CHUNK` worlds, and finished
worlds are dropped between segments once a whole chunk can go (they are
frozen, so nothing changes; tested). One compiled shape serves every block.

JAX is imported on first use, in float64 mode (``jax_enable_x64``, a global
JAX setting). Install it with ``pip install 'waystation[jax]'``. Each process
compiles once per strategy and segment length (a few seconds).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from waystation.dynamics import Levers, Params, step
from waystation.model import Model
from waystation.rng import Draws, step_shocks
from waystation.state import Array, State, map_arrays
from waystation.strategies import apply_strategy
from waystation.tally import HIST_FIELDS, Dropped, fixed, hist_counts

__all__ = ["MISSING_JAX", "jax_available", "run_steps"]

MISSING_JAX = (
    "the jax backend needs JAX: pip install 'waystation[jax]' (or run with --backend numpy)"
)
_CACHE: dict[tuple[str, tuple[str, ...]], Callable[..., Any]] = {}


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
    key = (repr(model.strategy), model.actors)
    fn = _CACHE.get(key)
    if fn is not None:
        return fn
    jax = _jax()
    strategy, actors = model.strategy, model.actors
    A = len(actors)

    def advance(
        s: State, p: Params, base: Levers, key: Any, world: Any, steps: Any,
        dts: Any,
    ) -> tuple[State, Any]:  # fmt: skip
        k = (key[0], key[1])

        def body(s: State, xs: tuple[Any, Any]) -> tuple[State, Any]:
            lv = apply_strategy(strategy, base, s, p, actors)
            new = step(s, p, lv, step_shocks(k, world, xs[0], A), xs[1])
            return new, new.survival

        return jax.lax.scan(body, s, (steps, dts))

    fn = jax.jit(advance)
    _CACHE[key] = fn
    return fn


#: Worlds per compiled chunk: active worlds are packed into chunks of this size.
CHUNK = 8192
#: State fields read back after every segment (histograms, and ``done`` to compact).
_SEGMENT_FIELDS = (*HIST_FIELDS, "done")


class _Chunk(NamedTuple):
    """A chunk of active worlds on the device: block rows (padded), real count, arrays."""

    rows: Array  #: (CHUNK,) block rows; padded with repeats of its first row
    n: int  #: real worlds in the chunk
    state: State
    p: Params
    base: Levers


def _pack(rows: Array, full: State, t: float, p: Params, base: Levers) -> list[_Chunk]:
    """Put the worlds ``rows`` of the block on the device, in chunks of :data:`CHUNK`."""
    jax = _jax()
    W = full.C.shape[0]

    def per_world(x: Array) -> bool:
        return np.ndim(x) == 2 and x.shape[0] == W and not (x == x[:1]).all()

    def row(x: Array) -> Array:  # the same in every world: one (1, A) row broadcasts alike
        return np.asarray(x)[:1] if np.ndim(x) == 2 and x.shape[0] == W else np.asarray(x)

    # Inputs that are the same in every world go to the device once, for all chunks.
    inputs = {**p._asdict(), **base._asdict()}
    varying = {k for k, v in inputs.items() if per_world(v)}
    shared = jax.device_put({k: row(v) for k, v in inputs.items() if k not in varying})
    chunks = []
    for k in range(0, len(rows), CHUNK):
        real = rows[k : k + CHUNK]
        idx = np.concatenate([real, np.full(CHUNK - len(real), real[0])])
        state, cp, cb = jax.device_put(
            (
                map_arrays(lambda x, idx=idx: np.asarray(x)[idx], full)._replace(t=np.float64(t)),
                {k: np.asarray(v)[idx] for k, v in p._asdict().items() if k in varying},
                {k: np.asarray(v)[idx] for k, v in base._asdict().items() if k in varying},
            )
        )
        cp.update({k: shared[k] for k in p._fields if k in shared})
        cb.update({k: shared[k] for k in base._fields if k in shared})
        chunks.append(_Chunk(idx, len(real), state, Params(**cp), Levers(**cb)))
    return chunks


def _pull(chunks: list[_Chunk], full: State, fields: tuple[str, ...]) -> None:
    """Copy ``fields`` of the chunks' real worlds back into the block's state ``full``."""
    for c in chunks:
        for name in fields:
            getattr(full, name)[c.rows[: c.n]] = np.asarray(getattr(c.state, name))[: c.n]


def run_steps(
    model: Model,
    draws: Draws,
    p: Params,
    base: Levers,
    s: State,
    n_valid: int,
    hist: Array,
    survival_t: Array,
) -> State:
    """Step the block to the horizon with JAX; fill survival sums and histograms like numpy.

    Same contract as :func:`waystation.simulate._run_steps`: returns the final
    state (as numpy arrays) and adds into ``hist`` and ``survival_t``. The
    steps between two recorded years run as one compiled scan per chunk of
    :data:`CHUNK` active worlds (one compiled shape, whatever the block),
    drawing each world's shocks on the device from the run's key ``draws[0]``
    and its global index (``draws[1]`` per block row). When finished worlds
    would free a whole chunk, they are dropped and the rest repacked: a won
    world is frozen, so this changes no number.
    """
    A = len(model.actors)
    advance = _advance(model)
    jax = _jax()
    key, world = draws
    dev_key = jax.device_put(np.array(key, dtype=np.uint64))
    W = s.C.shape[0]
    full = map_arrays(lambda x: np.array(x, order="K"), s)  # own copies, updated in place
    t = float(s.t)
    rows = np.arange(W)
    chunks = _pack(rows, full, t, p, base)
    dropped = Dropped(A, n_valid)
    record = [int(k) for k in model.record_steps]
    for r in range(1, len(record)):
        a, b = record[r - 1], record[r]
        dts = np.array([model.step_dt(i) for i in range(a + 1, b + 1)])
        steps = np.arange(a + 1, b + 1, dtype=np.uint64)
        outs = [advance(c.state, c.p, c.base, dev_key, world[c.rows], steps, dts)
                for c in chunks]  # fmt: skip
        for i in range(a + 1, b + 1):
            t = t + model.step_dt(i)  # as the numpy engine accumulates it
        sums = np.full(b - a, dropped.survival, dtype=np.int64)
        chunks = [c._replace(state=js) for c, (js, _) in zip(chunks, outs, strict=True)]
        for c, (_, survival) in zip(chunks, outs, strict=True):
            valid = c.rows[: c.n] < n_valid
            sums += fixed(np.asarray(survival)[:, : c.n, 0][:, valid]).sum(axis=1)
        survival_t[a + 1 : b + 1] = sums
        _pull(chunks, full, _SEGMENT_FIELDS)
        hist[r] += dropped.counts + hist_counts(full, rows[rows < n_valid], p)
        done = full.done[rows, 0]
        if -(-(len(rows) - int(done.sum())) // CHUNK) < len(chunks):  # a whole chunk can go
            _pull(chunks, full, State._fields[1:])
            dropped.add(full, rows[done], p)
            rows = rows[~done]
            chunks = _pack(rows, full, t, p, base) if len(rows) else []
    _pull(chunks, full, State._fields[1:])
    return full._replace(t=t)
