"""The inputs the equations read: parameters and levers as typed records of arrays.

docs/model.md section 1 ("Worlds, actors, time"): world and nature
quantities are ``(W, 1)`` arrays (0-d when the same in every world), per-actor
ones ``(W, A)``, column-major. :func:`waystation.model.assemble` builds a
:class:`Params` and a :class:`Levers` from a model's flat draws; it is the one
place that turns the scenario's ``"<actor>.<name>"`` inputs into ``(W, A)``
columns. The equations read attributes (``p.hardness``, ``lv.caution``), so a
misspelt name is a type error, not a ``KeyError`` deep inside a run.

Both are named tuples (``typing.NamedTuple``): immutable, picklable, and JAX pytrees without
registration, so the JAX backend traces them as they are. The fields are
written out; tests/test_inputs.py checks that they are the registries'
names (:data:`waystation.params.REGISTRY`, :data:`waystation.levers.LEVERS`)
plus :data:`DERIVED`, so a parameter added to a registry without a field here
fails loudly. Units are the registries'.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from waystation.state import Array

#: Parameters computed by :func:`waystation.model.assemble` from others, not drawn.
DERIVED: tuple[str, ...] = (
    "C_si",
    "log1p_safety_growth",
    "log1p_capability_growth",
    "log1p_wbe_background_growth",
    "start",
)


class Params(NamedTuple):
    """Every parameter the equations read, one array per field (registry order, then derived)."""

    # nature: the problem profile, (W, 1)
    hardness: Array  #: (W, 1) x baseline: labour per unit of safety progress
    edge_width: Array  #: (W, 1) OOM: softness of the safety range's edge
    hazard_rate: Array  #: (W, 1) events/yr: loss-of-control events far outside the range
    warning_share: Array  #: (W, 1) share: hazard events that are survivable warning shots
    warning_response: Array  #: (W, 1) share: societies' response to a survivable incident
    scheming: Array  #: (W, 1) share, OOM/OOM: sabotage share and margin hidden by scheming AI
    eval_ease: Array  #: (W, 1) share: safety research whose output can be checked
    wbe_cost: Array  #: (W, 1) FTE-years: research effort before emulation works
    ai_safety_edge: Array  #: (W, 1) ratio: AI labour's productivity on safety vs capabilities
    # world: calibration, (W, 1)
    g_compute: Array  #: (W, 1) OOM/yr: effective-compute growth, hardware and spending
    g_hardware: Array  #: (W, 1) OOM/yr: effective-compute growth from hardware alone
    scaling_years: Array  #: (W, 1) yr: years before spending stops scaling
    g_algo: Array  #: (W, 1) OOM/yr: algorithmic progress at 2026 research effort
    lam_c: Array  #: (W, 1) exponent: returns to labour in algorithmic progress
    ideas_harder: Array  #: (W, 1) OOM/OOM: fall in algorithmic progress per OOM gained
    ai_labor_ratio: Array  #: (W, 1) ratio: 2026 AI research labour per human researcher
    k_approach: Array  #: (W, 1) OOM/OOM: automation growth per OOM below C_aar
    k_ai: Array  #: (W, 1) OOM/OOM: automation growth per OOM beyond C_aar
    aar_labor: Array  #: (W, 1) ratio: automated labour at C_aar per 2026 researcher
    C_aar: Array  #: (W, 1) OOM: capability of an automated alignment researcher
    si_gap: Array  #: (W, 1) OOM: distance from C_aar to superintelligence
    max_rate: Array  #: (W, 1) OOM/yr: ceiling on capability growth
    max_safety_rate: Array  #: (W, 1) OOM/yr: ceiling on safety-range and hardening growth
    C_max: Array  #: (W, 1) OOM: ceiling on capability
    s_base: Array  #: (W, 1) OOM/yr: safety-range growth at 2026 safety labour
    lam_s: Array  #: (W, 1) exponent: returns to labour in safety progress
    safety_harder: Array  #: (W, 1) OOM/OOM: fall in safety progress per OOM gained
    beyond_frontier: Array  #: (W, 1) OOM/OOM: fall in progress per OOM beyond the frontier
    oversight: Array  #: (W, 1) FTE/FTE: AI safety work one trusted researcher can check
    sabotage_harm: Array  #: (W, 1) FTE/FTE: honest labour undone per unit of sabotage
    ai_outside_share: Array  #: (W, 1) share: AI safety work beside each lab, of its AI labour
    harden_harder: Array  #: (W, 1) OOM/OOM: fall in hardening progress per OOM gained
    safety_ref: Array  #: (W, 1) FTE: reference safety labour of s_base, o_base, e_base
    safety_growth: Array  #: (W, 1) 1/yr: growth of human safety researchers
    capability_growth: Array  #: (W, 1) 1/yr: growth of human capabilities researchers
    o_base: Array  #: (W, 1) OOM/yr: hardening growth at all 2026 safety labour
    e_base: Array  #: (W, 1) 1/yr: evaluation-quality growth at all 2026 safety labour
    outside_share: Array  #: (W, 1) share: evaluation and hardening work beside each lab
    sigma_eval: Array  #: (W, 1) OOM: sd of the 2026 margin estimate
    eval_memory: Array  #: (W, 1) yr: correlation time of evaluation errors
    pause_width: Array  #: (W, 1) OOM: softness of the pause response
    race_pressure: Array  #: (W, 1) share: largest cut of a pause when a rival leads
    race_scale: Array  #: (W, 1) OOM: gap over which race relief saturates
    will_per_warning: Array  #: (W, 1) evidence: perceived risk per incident at full response
    will_decay: Array  #: (W, 1) 1/yr: decay rate of political will
    will_to_pause: Array  #: (W, 1) pause/will: coordinated pause per unit of will
    eval_alarm: Array  #: (W, 1) evidence/yr: perceived risk from fully credible evaluation
    C_lethal: Array  #: (W, 1) OOM: capability at which half of events are lethal
    lethal_width: Array  #: (W, 1) OOM: width of the containable-to-lethal transition
    b_gain: Array  #: (W, 1) 1/OOM: backdrop gain per OOM safely deployed
    b_erosion: Array  #: (W, 1) 1/OOM: backdrop erosion per OOM deployed unsafely
    b_tau: Array  #: (W, 1) yr: adjustment time of backdrop capacity
    wbe_background: Array  #: (W, 1) FTE: emulation researchers outside the actors
    wbe_background_growth: Array  #: (W, 1) 1/yr: growth of that background effort
    wbe_lag: Array  #: (W, 1) yr: delay from breakthrough to usable emulations
    em_initial: Array  #: (W, 1) FTE: emulated researchers when usable
    em_growth: Array  #: (W, 1) 1/yr: e-folding rate of emulated labour
    em_max: Array  #: (W, 1) FTE: ceiling on emulated labour
    verify_rate: Array  #: (W, 1) 1/yr: verification breakthroughs per year at 2026 labour
    verify_jump: Array  #: (W, 1) OOM: safety-range jump at a verification breakthrough
    tool_labor_cut: Array  #: (W, 1) share: AI labour lost under tool-AI only
    tool_hazard_cut: Array  #: (W, 1) share: hazard removed under tool-AI only
    deterrence_threshold: Array  #: (W, 1) OOM: lead that triggers sabotage
    # actor: per-actor starting points, (W, A)
    frontier: Array  #: (W, A) OOM: starting capability frontier
    safety_range: Array  #: (W, A) OOM: starting safety range
    safety_researchers: Array  #: (W, A) FTE: human safety researchers in 2026
    capability_researchers: Array  #: (W, A) FTE: human capabilities researchers in 2026
    compute_scale: Array  #: (W, A) ratio: compute growth relative to the frontier trend
    # derived (DERIVED)
    C_si: Array  #: (W, 1) OOM: superintelligence, C_aar + si_gap
    log1p_safety_growth: Array  #: (W, 1) 1/yr: ln(1 + safety_growth)
    log1p_capability_growth: Array  #: (W, 1) 1/yr: ln(1 + capability_growth)
    log1p_wbe_background_growth: Array  #: (W, 1) 1/yr: ln(1 + wbe_background_growth)
    start: Array  #: 0-d, year: the model's start year


class Levers(NamedTuple):
    """Every lever in force, one array per field (global levers, then per-actor ones)."""

    spillover: Array  #: (W, 1) share: safety progress reaching the other actors
    global_pause: Array  #: (W, 1) share: strength of a coordinated pause
    enforcement: Array  #: (W, 1) share: enforced part of a coordinated pause
    deterrence: Array  #: (W, 1) share: strength of rivals' sabotage of a leader
    ai_safety_share: Array  #: (W, A) share: AI labour sent to safety research
    caution: Array  #: (W, A) share: how strongly the actor pauses below target
    margin_target: Array  #: (W, A) OOM: forecast margin below which it pauses
    lookahead: Array  #: (W, A) yr: how far ahead it forecasts its margin
    eval_investment: Array  #: (W, A) share: safety labour spent on evaluations
    wbe_investment: Array  #: (W, A) share: research labour sent to emulation
    hardening_investment: Array  #: (W, A) share: safety labour spent on hardening
    tool_ai_only: Array  #: (W, A) share: degree of building only tool AI


def params_of(values: Mapping[str, Any]) -> Params:
    """A :class:`Params` with the given fields and NaN in every other one.

    For evaluating single equations that read a few parameters (calibration
    metrics, tests): a field read by mistake is NaN, visible in the result.
    An unknown name raises ``TypeError``.
    """
    return Params(**{**dict.fromkeys(Params._fields, np.float64(np.nan)), **values})


def levers_of(values: Mapping[str, Any]) -> Levers:
    """A :class:`Levers` with the given fields and NaN in every other one (as :func:`params_of`)."""
    return Levers(**{**dict.fromkeys(Levers._fields, np.float64(np.nan)), **values})


__all__ = ["DERIVED", "Levers", "Params", "levers_of", "params_of"]
