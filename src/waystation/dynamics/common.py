"""Forms shared by several mechanisms: logistic, ceilings, returns to research, actor folds.

docs/model.md section 1 (worlds, actors, time) fixes the shapes: world and
nature quantities are ``(W, 1)``, per-actor ones ``(W, A)``, so they
broadcast. The functions here are the building blocks the mechanism modules
use; each is written once.

The logistic :func:`sigmoid` and the returns to research :func:`returns`
are fused kernels (:func:`waystation._kernels.elementwise`): one expression,
evaluated as numpy, as a numba ufunc when numba is installed, or traced by
JAX.
"""

from __future__ import annotations

import operator
from collections.abc import Callable

import numpy as np

from waystation._kernels import elementwise, xp_of
from waystation.dynamics.inputs import Levers, Params
from waystation.state import Array

#: ln 10: powers of ten are computed as ``exp(LN10 * x)``.
LN10 = float(np.log(10.0))
#: Floor of logarithms in powers ``exp(lam * max(log x, LOG_FLOOR))``: ``0 ** lam``
#: is then 0 for any exponent above 1e-290 and 1 for ``lam == 0``, as ``pow`` gives.
LOG_FLOOR = -1e300
#: Exp arguments are clipped to this range: exp is slow when it over/underflows.
_EXP_CLIP = 40.0
#: Largest log of a research rate factor: rates stay finite whatever the inputs
#: (e**300 ~ 1e130 OOM/yr, far past any ceiling, which then saturates it).
_LOG_RATE_MAX = 300.0


@elementwise
def sigmoid(x: Array) -> Array:
    """The logistic function ``1 / (1 + e**-x)``, of an argument clipped so exp never overflows."""
    z = np.minimum(np.maximum(x, -_EXP_CLIP), _EXP_CLIP)
    return 1.0 / (1.0 + np.exp(-z))


def logistic(k: Array | float, a: Array, b: Array, width: Array | float) -> Array:
    """``k * sigmoid((a - b) / width)``: a step of height ``k`` where ``a`` passes ``b``."""
    return k * sigmoid((a - b) / width)


def saturate(rate: Array, ceiling: Array) -> Array:
    """A growth rate that approaches ``ceiling`` smoothly: ``r / sqrt(1 + (r / ceiling)**2)``.

    Below a third of the ceiling it changes a rate by under 5%; a larger raw
    rate always gives a larger result, so more labour still helps near the
    ceiling. Negative rates (sabotage) are bounded the same way.
    """
    xp = xp_of(rate, ceiling)
    return rate / xp.sqrt(1.0 + (rate / ceiling) ** 2)


@elementwise
def returns(
    scale: Array, labour: Array, ref: Array, lam: Array, done: Array, harder: Array
) -> Array:
    """``scale * (labour / ref) ** lam * 10 ** (-harder * max(0, done))``.

    Diminishing returns to research labour (``lam < 1``) and in the progress
    already ``done`` (ideas get harder to find): the form both feedback loops
    share (docs/model.md sections 3 and 4). Computed as one ``exp`` of summed
    logarithms; zero labour gives 0.
    """
    log_labour = np.maximum(np.log(labour / ref), LOG_FLOOR)
    z = lam * log_labour - LN10 * harder * np.maximum(done, 0.0)
    return scale * np.exp(np.minimum(z, _LOG_RATE_MAX))


def _across(x: Array, op: Callable[[Array, Array], Array]) -> Array:
    """Fold ``op`` over the actor columns of ``x``: (W, A) -> (W, 1).

    numpy reductions over a short trailing axis are slow; combining A column
    views is a handful of fast vector operations.
    """
    out = x[:, 0:1]
    for a in range(1, x.shape[1]):
        out = op(out, x[:, a : a + 1])
    return out


def actor_sum(x: Array) -> Array:
    """Sum over actors: (W, A) -> (W, 1)."""
    return _across(x, operator.add)


def actor_max(x: Array) -> Array:
    """Maximum over actors: (W, A) -> (W, 1)."""
    return _across(x, xp_of(x).maximum)


def actor_min(x: Array) -> Array:
    """Minimum over actors: (W, A) -> (W, 1)."""
    return _across(x, xp_of(x).minimum)


def actor_any(x: Array) -> Array:
    """Logical or over actors: (W, A) bool -> (W, 1)."""
    return _across(x, operator.or_)


def actor_all(x: Array) -> Array:
    """Logical and over actors: (W, A) bool -> (W, 1)."""
    return _across(x, operator.and_)


def rival_max(C: Array) -> Array:
    """Return, for each actor, the highest capability among the *other* actors (OOM).

    With a single actor there is no rival and the result is ``-inf``.
    """
    xp = xp_of(C)
    A = C.shape[1]
    if A == 1:
        return xp.full_like(C, -np.inf)
    cols = []
    for a in range(A):
        others = [C[:, b] for b in range(A) if b != a]
        col = others[0]
        for o in others[1:]:
            col = xp.maximum(col, o)
        cols.append(col)
    return xp.stack(cols).T  # (A, W) stacked: column-major (W, A)


def crossing(x0: Array, x1: Array, level: Array | float, rising: bool = True) -> Array:
    """Share of a step (0..1) at which ``x`` crossed ``level``, moving linearly from x0 to x1.

    0 if it was already past the level at the start (``>=`` if ``rising``, ``<=``
    otherwise); 1 if it never got there.
    """
    xp = xp_of(x0, x1)
    a, b = (x0 - level, x1 - level) if rising else (level - x0, level - x1)
    span = b - a
    frac = xp.where(span > 0.0, -a / xp.where(span > 0.0, span, 1.0), 1.0)
    return xp.where(a >= 0.0, 0.0, xp.clip(frac, 0.0, 1.0))


__all__ = [
    "LN10",
    "LOG_FLOOR",
    "Levers",
    "Params",
    "actor_all",
    "actor_any",
    "actor_max",
    "actor_min",
    "actor_sum",
    "crossing",
    "logistic",
    "returns",
    "rival_max",
    "saturate",
    "sigmoid",
]
