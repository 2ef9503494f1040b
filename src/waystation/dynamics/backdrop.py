"""Backdrop capacity: how well civilisation as a whole functions (1 = 2026).

Essay section 4 (backdrop capacity as a security factor); docs/model.md
section 7, "Backdrop capacity". The step relaxes ``B`` towards
:func:`backdrop_target` with time constant ``b_tau``.
"""

from __future__ import annotations

from waystation._kernels import xp_of
from waystation.dynamics.common import Params, actor_max, actor_sum
from waystation.state import Array


def backdrop_target(C: Array, S_eff: Array, relief: Array, p: Params) -> Array:
    """Backdrop capacity that current AI deployment pushes towards (1 = 2026, section 4).

    The most capable safely deployed AI raises it; every actor's deployment
    beyond its safety range, and the race at the frontier (the leader's race
    relief), erode it. Actors far from the frontier and inside their range
    change nothing.
    """
    xp = xp_of(C, S_eff)
    safe = actor_max(xp.maximum(0.0, xp.minimum(C, S_eff)))
    unsafe = actor_sum(xp.maximum(0.0, C - S_eff))
    leader = actor_max(C) <= C
    race = actor_max(xp.where(leader, relief, 0.0))
    return xp.clip(1.0 + p.b_gain * safe - p.b_erosion * (unsafe + race), 0.25, 4.0)
