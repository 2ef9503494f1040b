"""Many steps per kernel call: a segment of the run in which the levers stay fixed.

Between two record steps the engine only needs each step's survival sum;
when the strategy's levers do not depend on the state, a whole segment can
run inside the kernel (``ws_run``), each world carried through every step
of the segment while its numbers sit in the cache, its shocks drawn inline
by Philox in C (the same counters as :func:`waystation.rng.step_shocks`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from waystation import _fused
from waystation.dynamics import step
from waystation.rng import step_shocks
from waystation.state import Array, State
from waystation.strategies import Strategy

__all__ = ["run_segment", "run_segment_numpy", "static_levers"]

#: Fixed point of survival sums: units of 2**-32 (simulate.FIX).
_FIX = float(2**32)


def static_levers(strategy: Strategy) -> bool:
    """Whether the strategy's levers are the same at every step (no rule has a condition).

    Only then does :func:`waystation.strategies.apply_strategy` not depend on
    the state, so one set of levers serves a whole segment.
    """
    return all(rule.when is None for rule in strategy.rules)


def run_segment_numpy(
    state: State, p: Mapping[str, Array], lv: Mapping[str, Array], key: tuple[int, int],
    world: Array, first_step: int, dts: Array, n_valid: int,
) -> tuple[State, Array]:  # fmt: skip
    """:func:`run_segment` by repeated :func:`waystation.dynamics.step` (the reference)."""
    A = state.C.shape[1]
    sums = np.zeros(len(dts), dtype=np.int64)
    for k, dt in enumerate(dts):
        state = step(state, p, lv, step_shocks(key, world, first_step + k, A), float(dt))
        sums[k] = np.rint(state.survival[:n_valid, 0] * _FIX).astype(np.int64).sum()
    return state, sums


def run_segment(
    state: State, p: Mapping[str, Array], lv: Mapping[str, Array], key: tuple[int, int],
    world: Array, first_step: int, dts: Array, n_valid: int, *, overwrite: bool = False,
) -> tuple[State, Array]:  # fmt: skip
    """Advance a block through the steps ``first_step, first_step + 1, ...`` of lengths ``dts``.

    ``key`` is the run's Philox key and ``world`` the block's global world
    indices (as for :func:`waystation.rng.step_shocks`); ``lv`` the levers,
    which must hold for the whole segment (see :func:`static_levers`).
    Returns the state after the last step and, for each step, the exact
    fixed-point sum of survival over the first ``n_valid`` worlds
    (``simulate.fixed(survival[:n_valid]).sum()``). Finished worlds stay
    frozen, as with :func:`waystation.dynamics.step`. Uses the fused kernel
    (``ws_run``), or numpy where it is unavailable or the block has more
    actors than it holds. ``state`` is not modified, unless ``overwrite``:
    then the kernel may work in its float arrays (saving a copy of the state
    per call; the engine owns them).
    """
    kernel = _fused._kernel()
    dts = np.asarray(dts, dtype=np.float64)
    if isinstance(kernel, str) or kernel.max_actors < state.C.shape[1]:
        return run_segment_numpy(state, p, lv, key, world, first_step, dts, n_valid)
    return kernel.run(state, p, lv, (key, world), first_step, dts, n_valid, overwrite)
