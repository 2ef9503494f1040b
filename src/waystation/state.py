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

#: Waystations whose first arrival is recorded per world (MODEL.md section 7).
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
    O: Array  #: (W, 1) world hardening added to every safety range, OOM
    E: Array  #: (W, A) evaluation quality (error shrinks as 1/(1+E))
    B: Array  #: (W, 1) backdrop capacity, 1 = 2026
    will: Array  #: (W, 1) political will raised by warning shots, caution units
    noise: Array  #: (W, A) unit evaluation error (Ornstein-Uhlenbeck)
    margin_est: Array  #: (W, A) last estimated margin S_eff - C, OOM
    trust: Array  #: (W, A) last trust in AI safety labour, 0..1
    pause: Array  #: (W, A) last pause fraction, 0..1
    relief: Array  #: (W, A) race pressure on voluntary restraint at the current capabilities
    dC_rate: Array  #: (W, A) last capability growth, OOM/yr
    dS_rate: Array  #: (W, A) last safety-range growth, OOM/yr
    wbe_progress: Array  #: (W, 1) cumulative emulation research, FTE-years
    em_time: Array  #: (W, 1) year emulated labour becomes usable (inf if not yet)
    survival: Array  #: (W, 1) probability that no loss of control has happened
    p_victory: Array  #: (W, 1) probability of victory so far
    done: BoolArray  #: (W, 1) victory reached: the world stops
    victory_year: Array  #: (W, 1) year of victory (nan if none)
    warnings: Array  #: (W, 1) warning shots so far
    pause_run: Array  #: (W, 1) years every actor has been paused >= 0.9 in a row
    sweet_years: Array  #: (W, 1) years some actor spent in the sweet spot
    reached: Array  #: (W, K) year each waystation was first reached (nan if not)
    reach_survival: Array  #: (W, K) survival when it was reached (0 if not)


def map_arrays(fn: Callable[..., Any], *states: State) -> State:
    """Apply ``fn`` field by field to the arrays of ``states``; the time ``t`` is the last one's."""
    arrays: dict[str, Any] = {k: fn(*(getattr(s, k) for s in states)) for k in State._fields[1:]}
    return State(t=states[-1].t, **arrays)


class Shocks(NamedTuple):
    """Random draws for one step: passed in so that ``step`` stays pure."""

    eval_z: Array  #: (W, A) standard normal innovations of evaluation error
    warn_u: Array  #: (W, 1) uniform draw deciding a warning shot
    verify_u: Array  #: (W, 1) uniform draw deciding a verification breakthrough
