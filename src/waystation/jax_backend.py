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
(:func:`waystation.tally.fixed`) over the valid rows (``row < n_valid``,
a mask, so one executable serves every ``n_valid``) after every step, and
the histogram counts (:func:`waystation.tally.hist_counts`) at every recorded
step. From the same states they are bit-identical to what numpy computes
(tested on CPU). The loop stops early once every world of the block is done:
the states then no longer change, so the remaining survival sums and
histogram rows are copies of the last ones, and the numbers are those of a
loop run to the horizon (tested). The design is for a GPU: on a CPU, where
the numpy and fused engines drop finished worlds, stepping them masked
costs several times the CPU time (docs/performance.md, "The JAX backend").

One executable per strategy, actors, block shape and number of steps is
compiled per process (jit's cache, under one traced function per strategy
and actors, :data:`_CACHE`). JAX is imported on first use, in float64 mode
(``jax_enable_x64``, a global JAX setting). Install it with
``pip install 'waystation[jax]'``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import numpy as np

from waystation.dynamics import Levers, Params, step
from waystation.model import Model
from waystation.rng import Draws, step_shocks
from waystation.state import Array, State, map_arrays
from waystation.strategies import apply_strategy
from waystation.tally import NBINS, fixed, hist_counts

__all__ = ["MISSING_JAX", "jax_available", "run_steps"]

MISSING_JAX = (
    "the jax backend needs JAX: pip install 'waystation[jax]' (or run with --backend numpy)"
)
#: Stop a block's loop once every world is done (changes no number; tests switch it off).
EARLY_EXIT = True
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


def _block_loop(model: Model) -> Callable[..., Any]:
    """The jitted loop that runs a block to the horizon (one per strategy and actors).

    Arguments: the initial state, parameters and levers, the run's key (two
    uint64 words), the block's global world indices ``(W,)``, ``n_valid``,
    step lengths ``dts`` (``dts[i]`` for step ``i``, ``(T + 1,)``), the
    recorded steps ``(R,)`` and the static ``early_exit``. Returns the final
    state, the survival sums ``(T + 1,)`` (entry 0 unused) and the histogram
    counts ``(R, A, bins)`` (row 0 unused).
    """
    key = (repr(model.strategy), model.actors)
    fn = _CACHE.get(key)
    if fn is not None:
        return fn
    jax = _jax()
    jnp, lax = jax.numpy, jax.lax
    strategy, actors = model.strategy, model.actors
    A = len(actors)

    def run(
        s: State, p: Any, base: Any, key: Any, world: Any, n_valid: Any, dts: Any, rec: Any,
        early_exit: bool,
    ) -> tuple[State, Any, Any]:  # fmt: skip
        """The whole block, as one compiled function: its arrays are its traced arguments."""
        k = (key[0], key[1])
        valid = jnp.arange(world.shape[0]) < n_valid
        T, R = dts.shape[0] - 1, rec.shape[0]

        def one_step(i: Any, carry: tuple[State, Any]) -> tuple[State, Any]:
            st, surv = carry
            lv = apply_strategy(strategy, base, st, p, actors)
            new = step(st, p, lv, step_shocks(k, world, i.astype(jnp.uint64), A), dts[i])
            total = jnp.sum(jnp.where(valid, fixed(new.survival[:, 0]), 0))
            return new, surv.at[i].set(total)

        def segment(carry: tuple[Any, State, Any, Any]) -> tuple[Any, State, Any, Any]:
            r, st, surv, hist = carry
            st, surv = lax.fori_loop(rec[r - 1] + 1, rec[r] + 1, one_step, (st, surv))
            return r + 1, st, surv, hist.at[r].set(hist_counts(st, valid, p))

        def more(carry: tuple[Any, State, Any, Any]) -> Any:
            r, st = carry[0], carry[1]
            if not early_exit:
                return r < R
            return (r < R) & ((r == 1) | ~jnp.all(st.done))

        hist0 = jnp.zeros((R, A, NBINS), dtype=jnp.int64)
        start = (jnp.int64(1), s, jnp.zeros(T + 1, dtype=jnp.int64), hist0)
        r, s, surv, hist = lax.while_loop(more, segment, start)
        # Stopped early: every world is done and frozen, so later tallies repeat the last ones.
        last = rec[r - 1]
        surv = jnp.where(jnp.arange(T + 1) > last, surv[last], surv)
        hist = jnp.where((jnp.arange(R) >= r)[:, None, None], hist[r - 1], hist)
        return s, surv, hist

    fn = jax.jit(run, static_argnames="early_exit")
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
        dts, np.asarray(model.record_steps, dtype=np.int64), early_exit=EARLY_EXIT,
    )  # fmt: skip
    survival_t[1:] = np.asarray(surv)[1:]
    hist[1:] += np.asarray(counts)[1:]
    return map_arrays(np.array, out)._replace(t=t)
