"""Optional JAX backend: a whole block of worlds in one compiled loop, on any XLA device.

Nothing here restates an equation. :func:`waystation.dynamics.step` and
:func:`waystation.strategies.apply_strategy` (with its conditions) are generic
over the array namespace, so ``jax.jit`` traces the very code the numpy engine
runs. A block is one call of one compiled executable (:func:`_block_loop`):
a ``lax.while_loop`` over the recorded years, each running a ``fori_loop``
over its steps, with no host round trip in between. Only the block's inputs
go to the device, and only the final state, the per-step survival sums
``(T + 1,)`` and the histograms ``(R, A, bins)`` come back; no per-step state
is stacked.

Random numbers are drawn on the device, inside the loop, by the same
counter-based generator as the numpy engine (:mod:`waystation.rng`, traced
with ``jax.numpy``): each world's shocks of step ``i`` are a function of the
run's key, its global index and ``i``. The integer words and uniforms are
bit-identical to numpy's, the normals agree within a few ulp (XLA's
``log``/``tan``), and results differ only by such rounding (outcome
probabilities agree within about 1e-12 relative; tested within 1e-9).

Masks instead of compaction: the whole block stays resident and finished
worlds are frozen by :func:`waystation.dynamics.freeze`, so they are stepped
without changing. The tallies are reduced on the device in int64 by the
numpy engine's own code, traced: the fixed-point survival sum
(:func:`waystation.simulate.fixed`) over the valid rows (``row < n_valid``,
a mask, so one executable serves every ``n_valid``) after every step, and
the histogram counts (:func:`waystation.simulate._counts`) at every recorded
step. From the same states they are bit-identical to what numpy computes
(tested on CPU). The loop stops early once every world of the block is done:
the states then no longer change, so the remaining survival sums and
histogram rows are copies of the last ones, and the numbers are those of a
loop run to the horizon (tested).

One executable per strategy, actors, block shape and number of steps is
compiled per process (jit's cache, under one traced function per strategy
and actors, :data:`_CACHE`). JAX is imported on first use, in float64 mode
(``jax_enable_x64``, a global JAX setting). Install it with
``pip install 'waystation[jax]'``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, NamedTuple

import numpy as np

from waystation.dynamics import step
from waystation.model import Model
from waystation.rng import step_shocks
from waystation.simulate import _NBINS, Draws, _counts, fixed
from waystation.state import Array, State, map_arrays
from waystation.strategies import apply_strategy

__all__ = ["MISSING_JAX", "jax_available", "run_steps"]

MISSING_JAX = (
    "the jax backend needs JAX: pip install 'waystation[jax]' (or run with --backend numpy)"
)
#: Stop a block's loop once every world is done (changes no number; tests switch it off).
EARLY_EXIT = True
#: Rows per chunk of the block loop, by JAX platform (None: the whole block, masks only).
#: On a CPU, leaving finished worlds out of the steps pays (most worlds finish early).
CHUNKS: dict[str, int | None] = {"cpu": 8192}
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


class _Carry(NamedTuple):
    """What the block loop carries from one recorded year to the next (all on the device)."""

    r: Any  #: next histogram row
    state: State  #: the block's state, rows in the order of ``order``
    p: Any  #: parameters, per-world leaves in the same row order
    base: Any  #: lever settings, likewise
    world: Any  #: (W,) global world index of each row
    valid: Any  #: (W,) whether the row is tallied (its block row < n_valid)
    order: Any  #: (W,) block row of each row
    chunks: Any  #: chunks of rows still stepped: the first ``chunks * size`` rows
    survival: Any  #: (T + 1,) fixed-point survival sums after each step
    hist: Any  #: (R, A, bins) histogram counts at each recorded step


def _block_loop(model: Model) -> Callable[..., Any]:
    """The jitted loop that runs a block to the horizon (one per strategy and actors).

    Arguments: the initial state, parameters and levers, the run's key (two
    uint64 words), the block's global world indices ``(W,)``, ``n_valid``,
    step lengths ``dts`` (``dts[i]`` for step ``i``, ``(T + 1,)``), the
    recorded steps ``(R,)``, and the static ``size`` (rows per chunk, a
    divisor of W) and ``early_exit``. Returns the final state, the survival
    sums ``(T + 1,)`` (entry 0 unused) and the histogram counts
    ``(R, A, bins)`` (row 0 unused).

    Each step runs over the chunks of ``size`` rows that still hold a running
    world. After each recorded year, when finished worlds would free a chunk,
    the rows are reordered on the device (running worlds first, a stable
    sort), parameters and world indices with them. Finished worlds are frozen,
    so leaving them out of later steps changes no number, and the tallies are
    sums over every valid row, whatever their order; the final state is put
    back in block order. With ``size == W`` nothing is ever reordered: masks only.
    """
    key = (repr(model.strategy), model.actors)
    fn = _CACHE.get(key)
    if fn is not None:
        return fn
    jax = _jax()
    jnp, lax, tree_map = jax.numpy, jax.lax, jax.tree_util.tree_map
    strategy, actors = model.strategy, model.actors
    A = len(actors)

    def run(
        s: State, p: Any, base: Any, key: Any, world: Any, n_valid: Any, dts: Any, rec: Any,
        size: int, early_exit: bool,
    ) -> tuple[State, Any, Any]:  # fmt: skip
        k = (key[0], key[1])
        W = world.shape[0]
        T, R = dts.shape[0] - 1, rec.shape[0]

        def rows(fn: Callable[[Any], Any], tree: Any) -> Any:
            """``fn`` applied to the per-world leaves of ``tree`` (first axis W); others kept."""
            return tree_map(lambda x: fn(x) if jnp.ndim(x) and x.shape[0] == W else x, tree)

        def one_step(i: Any, c: _Carry) -> _Carry:
            t, dt = c.state.t, dts[i]

            def chunk(j: Any, st: State) -> State:
                part = partial(lax.dynamic_slice_in_dim, start_index=j * size, slice_size=size)
                cs, cp, cb = rows(part, (st._replace(t=t), c.p, c.base))
                lv = apply_strategy(strategy, cb, cs, cp, actors)
                shocks = step_shocks(k, part(c.world), i.astype(jnp.uint64), A)
                new = step(cs, cp, lv, shocks, dt)
                put = lambda x, y: lax.dynamic_update_slice_in_dim(x, y, j * size, 0)  # noqa: E731
                return State(st.t, *(put(x, y) for x, y in zip(st[1:], new[1:], strict=True)))

            st = lax.fori_loop(0, c.chunks, chunk, c.state)._replace(t=t + dt)
            total = jnp.sum(jnp.where(c.valid, fixed(st.survival[:, 0]), 0))
            return c._replace(state=st, survival=c.survival.at[i].set(total))

        def compact(c: _Carry) -> _Carry:
            perm = jnp.argsort(c.state.done[:, 0], stable=True)  # running worlds first
            take = lambda x: x[perm]  # noqa: E731
            st, p, base = rows(take, (c.state, c.p, c.base))
            return c._replace(state=st._replace(t=c.state.t), p=p, base=base,
                              world=take(c.world), valid=take(c.valid), order=take(c.order))  # fmt: skip

        def segment(c: _Carry) -> _Carry:
            c = lax.fori_loop(rec[c.r - 1] + 1, rec[c.r] + 1, one_step, c)
            c = c._replace(r=c.r + 1, hist=c.hist.at[c.r].set(_counts(c.state, c.valid, p)))
            needed = -(-jnp.sum(~c.state.done) // size)
            if size == W:
                return c
            c = lax.cond(needed < c.chunks, compact, lambda c: c, c)
            return c._replace(chunks=jnp.minimum(c.chunks, needed))

        def more(c: _Carry) -> Any:
            if not early_exit:
                return c.r < R
            return (c.r < R) & ((c.r == 1) | ~jnp.all(c.state.done))

        order = jnp.arange(W)
        start = _Carry(
            jnp.int64(1), s, p, base, world, order < n_valid, order, jnp.int64(W // size),
            jnp.zeros(T + 1, dtype=jnp.int64), jnp.zeros((R, A, _NBINS), dtype=jnp.int64),
        )  # fmt: skip
        c = lax.while_loop(more, segment, start)
        # Stopped early: every world is done and frozen, so later tallies repeat the last ones.
        last = rec[c.r - 1]
        surv = jnp.where(jnp.arange(T + 1) > last, c.survival[last], c.survival)
        hist = jnp.where((jnp.arange(R) >= c.r)[:, None, None], c.hist[c.r - 1], c.hist)
        back = jnp.argsort(c.order)
        out = rows(lambda x: x[back], c.state)._replace(t=c.state.t)
        return out, surv, hist

    fn = jax.jit(run, static_argnames=("size", "early_exit"))
    _CACHE[key] = fn
    return fn


def _to_device(tree: Any, worlds: int) -> Any:
    """Put a mapping (dict, NamedTuple, any pytree) of block arrays on the device.

    A per-world array whose rows are all equal travels as its first row:
    ``(1, k)`` broadcasts against ``(W, k)`` to the same numbers.
    """
    jax = _jax()

    def leaf(x: Any) -> Array:
        x = np.asarray(x)
        if x.ndim == 2 and x.shape[0] == worlds and x.shape[0] > 1 and (x == x[:1]).all():
            return x[:1]
        return x

    return jax.device_put(jax.tree_util.tree_map(leaf, tree))


def _chunk_size(worlds: int) -> int:
    """Rows per chunk for a block of ``worlds`` on the default device: a divisor of ``worlds``."""
    jax = _jax()
    size = CHUNKS.get(jax.devices()[0].platform) or worlds
    return size if worlds % size == 0 else worlds


def run_steps(
    model: Model,
    draws: Draws,
    p: Mapping[str, Array],
    base: Mapping[str, Array],
    s: State,
    n_valid: int,
    hist: Array,
    survival_t: Array,
) -> State:
    """Step the block to the horizon with JAX; fill survival sums and histograms like numpy.

    Same contract as :func:`waystation.simulate._run_steps`: returns the
    final state (as numpy arrays), writes ``survival_t[1:]`` and adds into
    ``hist[1:]``. The whole block runs in one call of the compiled loop
    (:func:`_block_loop`), drawing each world's shocks on the device from the
    run's key ``draws[0]`` and its global index ``draws[1]``.
    """
    jax = _jax()
    key, world = draws
    W = s.C.shape[0]
    t = float(s.t)
    dts = np.zeros(model.steps + 1)
    for i in range(1, model.steps + 1):
        dts[i] = model.step_dt(i)
        t = t + dts[i]  # the final year, accumulated as the numpy engine does
    dev_p, dev_base = _to_device(p, W), _to_device(base, W)
    state = jax.device_put(s._replace(t=np.float64(s.t)))
    out, surv, counts = _block_loop(model)(
        state, dev_p, dev_base, np.array(key, dtype=np.uint64), world, np.int64(n_valid),
        dts, np.asarray(model.record_steps, dtype=np.int64), size=_chunk_size(W),
        early_exit=EARLY_EXIT,
    )  # fmt: skip
    survival_t[1:] = np.asarray(surv)[1:]
    hist[1:] += np.asarray(counts)[1:]
    return map_arrays(np.array, out)._replace(t=t)
