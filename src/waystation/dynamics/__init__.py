"""The model's equations (v3), one module per section of ``docs/model.md``.

=====================  =============================================  ======================
module                 mechanism                                      docs/model.md section
=====================  =============================================  ======================
``inputs``             typed parameters and levers (``Params``,        1 (shapes)
                       ``Levers``) the equations read
``common``             logistic, ceilings, returns, sums over actors  1 (shapes), 3, 4
``labour``             human, AI and emulated research labour         2. Labour
``capability``         frontier growth, deterrence by sabotage        3. Capability (and 5)
``safety``             motivation control, hardening, evaluation,     4. Safety progress
                       verification breakthroughs
``restraint``          margin estimates, race relief, pauses          5. Risk evaluation and
                                                                      capability restraint
``hazard``             lethal and survivable hazard                   6. Hazard and outcomes
``backdrop``           backdrop capacity                              7. Backdrop capacity
``waystations``        first arrivals, frontier milestones            8. Waystations
``integrate``          initial state, one Heun step, freezing         6, "Time steps"
=====================  =============================================  ======================

Each module cites the essay section it models ("Paths and waystations in
AI safety", Carlsmith 2025). Every function takes arrays and returns arrays;
:func:`step` composes them into a new :class:`~waystation.state.State`.

Conventions: ``p`` is a :class:`Params` whose fields are arrays shaped
``(W, 1)`` (world and nature parameters) or ``(W, A)`` (actor parameters);
``lv`` is a :class:`Levers` of ``(W, A)`` or ``(W, 1)`` arrays. Equations
read attributes (``p.hardness``), so mypy checks every name. Rates are per year, capability and
safety are in OOM, labour in full-time-equivalent researchers (FTE).

Every function is generic over the array namespace: ``xp = xp_of(...)`` is
numpy for numpy arrays and ``jax.numpy`` for JAX arrays, so the optional JAX
backend (:mod:`waystation.jax_backend`) traces this very code.

Every name is importable from the package itself
(``from waystation.dynamics import step, freeze, ...``). Importing it loads
numpy only.
"""

from __future__ import annotations

from waystation.dynamics.backdrop import backdrop_target
from waystation.dynamics.capability import capability_rate, sabotage
from waystation.dynamics.common import (
    LN10,
    LOG_FLOOR,
    Levers,
    Params,
    actor_all,
    actor_any,
    actor_max,
    actor_min,
    actor_sum,
    crossing,
    logistic,
    returns,
    rival_max,
    saturate,
    sigmoid,
)
from waystation.dynamics.hazard import MAX_INCIDENTS, SI_HAZARD, gompertz, hazard, incident_count
from waystation.dynamics.integrate import (
    EVOLVING_WHEN_DONE,
    Growth,
    StepFn,
    freeze,
    growth,
    initial_state,
    range_growth,
    step,
)
from waystation.dynamics.labour import (
    ai_labour,
    ai_safety_labour,
    automation,
    emulated_labour,
    human_labour,
    rd_multiplier,
    trust,
    wbe_effort,
)
from waystation.dynamics.restraint import (
    CAUTION_EPS,
    coordination,
    estimated_margin,
    evaluation_error,
    political_will,
    race_relief,
    restraint,
    shown_danger,
)
from waystation.dynamics.safety import (
    EVAL_REF_SHARE,
    HARDEN_REF_SHARE,
    breakthrough_chance,
    hardening_cover,
    safety_range,
    safety_rates,
    share_returns,
)
from waystation.dynamics.waystations import (
    AAR_LABOUR,
    HARDENED_OOM,
    PAUSE_LEVEL,
    PAUSE_YEARS,
    TAKEOFF_YEARS,
    WAYSTATION_INDEX,
    track_waystations,
)

__all__ = [
    "AAR_LABOUR",
    "CAUTION_EPS",
    "EVAL_REF_SHARE",
    "EVOLVING_WHEN_DONE",
    "HARDENED_OOM",
    "HARDEN_REF_SHARE",
    "LN10",
    "LOG_FLOOR",
    "MAX_INCIDENTS",
    "PAUSE_LEVEL",
    "PAUSE_YEARS",
    "SI_HAZARD",
    "TAKEOFF_YEARS",
    "WAYSTATION_INDEX",
    "Growth",
    "Levers",
    "Params",
    "StepFn",
    "actor_all",
    "actor_any",
    "actor_max",
    "actor_min",
    "actor_sum",
    "ai_labour",
    "ai_safety_labour",
    "automation",
    "backdrop_target",
    "breakthrough_chance",
    "capability_rate",
    "coordination",
    "crossing",
    "emulated_labour",
    "estimated_margin",
    "evaluation_error",
    "freeze",
    "gompertz",
    "growth",
    "hardening_cover",
    "hazard",
    "human_labour",
    "incident_count",
    "initial_state",
    "logistic",
    "political_will",
    "race_relief",
    "range_growth",
    "rd_multiplier",
    "restraint",
    "returns",
    "rival_max",
    "sabotage",
    "safety_range",
    "safety_rates",
    "saturate",
    "share_returns",
    "shown_danger",
    "sigmoid",
    "step",
    "track_waystations",
    "trust",
    "wbe_effort",
]
