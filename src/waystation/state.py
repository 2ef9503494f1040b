"""Immutable simulation state and per-step random shocks.

Arrays are shaped ``(W, A)`` for per-actor quantities and ``(W, 1)`` for
world-level ones, so that the two broadcast against each other without copies.
Capability ``C`` and safety ranges ``S``, ``O`` are on a log scale: orders of
magnitude (OOM) of effective compute above the 2026 frontier.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

#: Arrays of floats, booleans or integers; shapes are documented per field.
Array = NDArray[Any]
BoolArray = NDArray[np.bool_]

#: Waystations whose first arrival is recorded per world (docs/model.md section 8, "Waystations").
WAYSTATIONS: tuple[str, ...] = (
    "global_pause",
    "automated_alignment_researcher",
    "enhanced_human_labor",
    "sweet_spot",
    "hardened_world",
    "verified_safety",
)


class State(NamedTuple):
    """Everything that evolves in a block of worlds; only the simulator advances it."""

    t: float  #: current year
    C: Array  #: (W, A) capability frontier, OOM
    S: Array  #: (W, A) actor's own safety range, OOM
    S_seen: Array  #: (W, A) the own range as evaluations see it (sabotage unseen), OOM
    O: Array  #: (W, 1) world hardening added to every safety range, OOM
    E: Array  #: (W, A) evaluation quality (error shrinks as 1/(1+E))
    B: Array  #: (W, 1) backdrop capacity, 1 = 2026
    will: Array  #: (W, 1) political will raised by warning shots, caution units
    noise: Array  #: (W, A) unit evaluation error (Ornstein-Uhlenbeck)
    margin_est: Array  #: (W, A) last estimated margin S_eff - C, OOM
    trust: Array  #: (W, A) last trust in AI safety labour, 0..1
    pause: Array  #: (W, A) last pause fraction, 0..1
    undetected: Array  #: (W, A) probability that the actor's covert defection is undetected
    relief: Array  #: (W, A) race pressure on voluntary restraint at the current capabilities
    dC_rate: (
        Array  #: (W, A) last capability growth without pausing (what a forecast assumes), OOM/yr
    )
    dS_rate: Array  #: (W, A) last growth of the effective safety range (no jumps), OOM/yr
    usable_ai: Array  #: (W, A) usable AI safety labour at the end of the last step, FTE
    wbe_progress: Array  #: (W, 1) cumulative emulation research, FTE-years
    em_time: Array  #: (W, 1) year emulated labour becomes usable (inf if not yet)
    lethal: Array  #: (W, 1) lethal hazard rate at the current state, summed over actors
    survivable: Array  #: (W, 1) rate of survivable incidents (warning shots) at the current state
    survival: Array  #: (W, 1) probability that no loss of control has happened
    p_victory: Array  #: (W, 1) probability of victory so far
    done: BoolArray  #: (W, 1) the world stops: victory, or failure certain (RETIRED)
    victory_year: Array  #: (W, 1) year of victory (nan if none)
    warnings: Array  #: (W, 1) warning shots so far
    pause_run: Array  #: (W, 1) years every actor has been paused >= 0.9 in a row
    sweet_years: Array  #: (W, 1) years some actor spent in the sweet spot
    reached: Array  #: (W, K) year each waystation was first reached (nan if not)
    reach_survival: Array  #: (W, K) survival when it was reached (0 if not)
    g0: Array  #: (W, 1) the frontier's growth rate at the start, OOM/yr
    milestones: Array  #: (W, 3) first year the frontier reached C_aar, C_si, end of take-off


#: Frontier milestones recorded per world for the calibration targets.
MILESTONES: tuple[str, ...] = ("C_aar", "C_si", "takeoff")

#: One-line definition of every waystation (docs/model.md section 8).
WAYSTATION_DEFINITIONS: dict[str, str] = {
    "global_pause": "every actor paused at least 90% for a year in a row, whether a strategy "
    "or political will after warning shots brought it about",
    "automated_alignment_researcher": "some actor at or past C_aar gets at least 700 FTE of "
    "usable AI safety labour (as much as the whole 2026 technical safety field)",
    "enhanced_human_labor": "whole-brain emulations are usable (research reached wbe_cost, "
    "plus wbe_lag years)",
    "sweet_spot": "before victory, some actor is at or past C_aar, below C_si and inside its "
    "safety range: AI useful for safety but not beyond control",
    "hardened_world": "world hardening (option control) reached 2 OOM",
    "verified_safety": "a verification breakthrough (formal methods, interpretability) jumped "
    "every safety range",
}


def map_arrays(fn: Callable[..., Any], *states: State) -> State:
    """Apply ``fn`` field by field to the arrays of ``states``; the time ``t`` is the last one's."""
    arrays: dict[str, Any] = {k: fn(*(getattr(s, k) for s in states)) for k in State._fields[1:]}
    return State(t=states[-1].t, **arrays)


class Shocks(NamedTuple):
    """Random draws for one step: passed in so that ``step`` stays pure."""

    eval_z: Array  #: (W, A) standard normal innovations of evaluation error
    warn_u: Array  #: (W, 1) uniform draw deciding a warning shot
    verify_u: Array  #: (W, 1) uniform draw deciding a verification breakthrough
