"""Waystations: the first arrival of each world at each, and the frontier's milestones.

Essay section 6 (waystations on the path); docs/model.md section 8,
"Waystations", whose thresholds are the constants below.
"""

from __future__ import annotations

import numpy as np

from waystation._kernels import xp_of
from waystation.dynamics.common import Params, actor_all, actor_any, actor_max
from waystation.state import WAYSTATIONS, Array, State

#: Waystation thresholds (docs/model.md section 8).
PAUSE_LEVEL, PAUSE_YEARS = 0.9, 1.0
#: Usable AI safety labour (FTE) that makes an automated alignment researcher:
#: as much as the whole technical AI-safety field of 2026 (McAleese 2025: ~700).
AAR_LABOUR = 700.0
HARDENED_OOM = 2.0
#: Take-off: years of 2026-pace progress compressed into one year (Forethought 2025).
TAKEOFF_YEARS = 3.0
#: Column of each waystation in ``State.reached``.
WAYSTATION_INDEX = {name: k for k, name in enumerate(WAYSTATIONS)}


def track_waystations(
    s: State, S_eff: Array, was_done: Array, verified: Array, h_dt: Array, p: Params
) -> State:
    """Record the first arrival at each waystation of docs/model.md section 8 (essay section 6).

    ``S_eff`` is the effective safety range of the new state. Also records the
    frontier's milestones (first year at ``C_aar``, at ``C_si``, and at the
    end of a take-off, ``C_aar`` plus :data:`TAKEOFF_YEARS` of 2026-pace
    growth or ``C_si`` if nearer) used by the calibration targets.
    """
    xp = xp_of(s.C, s.pause_run)
    running = ~s.done  # the victory step itself is not time spent before victory
    all_paused = actor_all(s.pause >= PAUSE_LEVEL)
    pause_run = xp.where(all_paused, s.pause_run + h_dt, 0.0)
    past_aar = p.C_aar <= s.C
    aar = actor_any(past_aar & (S_eff >= s.C) & (s.usable_ai >= AAR_LABOUR))
    sweet = actor_any(past_aar & (p.C_si > s.C) & (S_eff >= s.C)) & running
    ehl = s.t + 0.5 * h_dt >= s.em_time  # the step end nearest to its arrival
    events = xp.concatenate(
        [pause_run >= PAUSE_YEARS, aar, ehl, sweet, s.O >= HARDENED_OOM, verified], axis=1
    )
    frontier = actor_max(s.C)
    takeoff = p.C_aar + xp.minimum(TAKEOFF_YEARS * s.g0, p.si_gap)
    passed = xp.concatenate([frontier >= p.C_aar, frontier >= p.C_si, frontier >= takeoff], axis=1)
    s = s._replace(pause_run=pause_run, sweet_years=s.sweet_years + sweet * h_dt)
    new_mile = passed & xp.isnan(s.milestones) & ~was_done
    first = events & xp.isnan(s.reached) & ~was_done
    if xp is np and not first.any() and not new_mile.any():  # exact shortcut
        return s
    milestones = xp.where(new_mile, s.t, s.milestones)
    # Enhanced labour arrives at a time known in advance (em_time): it is
    # flagged at the step end nearest to it, so rules that wait for it switch
    # without bias, and its arrival is recorded exactly.
    ehl_column = xp.arange(first.shape[1]) == WAYSTATION_INDEX["enhanced_human_labor"]
    when = xp.where(ehl_column, s.em_time, s.t)
    return s._replace(
        reached=xp.where(first, when, s.reached),
        reach_survival=xp.where(first, s.survival, s.reach_survival),
        milestones=np.asfortranarray(milestones) if xp is np else milestones,
    )
