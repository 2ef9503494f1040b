"""Risk evaluation and capability restraint: how actors estimate their margin and pause.

Essay section 4 (risk evaluation, capability restraint, collective
restraint and race dynamics) and section 6 (a coordinated global pause);
docs/model.md section 5, "Risk evaluation and capability restraint".
"""

from __future__ import annotations

from waystation._kernels import xp_of
from waystation.dynamics.common import Levers, Params, actor_sum, logistic, sigmoid
from waystation.state import Array

#: Caution is kept this far from 0 and 1 in the logit of the pause response.
CAUTION_EPS = 1e-6


def evaluation_error(noise: Array, z: Array, dt: float, p: Params) -> Array:
    """Advance the unit evaluation error, an Ornstein-Uhlenbeck process (section 4).

    Exact discretisation: the stationary sd is 1 and the correlation time
    ``eval_memory`` years, whatever ``dt``.
    """
    xp = xp_of(noise, z, p.eval_memory)
    a = xp.exp(-dt / p.eval_memory)
    return noise * a + xp.sqrt(1.0 - a * a) * z


def estimated_margin(S_eff: Array, C: Array, E: Array, noise: Array, p: Params) -> Array:
    """An actor's estimate of its margin ``S_eff - C`` (OOM, section 4, risk evaluation).

    Noise shrinks with evaluation quality; scheming systems past ``C_aar``
    bias the estimate towards "safe".
    """
    xp = xp_of(S_eff, C)
    bias = p.scheming * xp.maximum(0.0, C - p.C_aar)
    return (S_eff - C) + bias + p.sigma_eval / (1.0 + E) * noise


def political_will(will: Array, warned: Array, p: Params, dt: float) -> Array:
    """Political will after a step of ``dt`` years (section 4, collective restraint; section 6).

    Will fades at ``will_decay`` per year, and each survivable incident of the
    step (``warned``, 0 or 1 per world) adds ``will_per_warning``: warning shots
    are what moves publics and governments towards a coordinated pause
    (:func:`coordination`).
    """
    xp = xp_of(will)
    return will * xp.exp(-p.will_decay * dt) + warned * p.will_per_warning


def race_relief(C: Array, rival: Array, p: Params) -> Array:
    """How much race pressure erodes voluntary restraint (0..race_pressure, section 4).

    Grows with how far the nearest rival (capability ``rival``) leads; half
    strength when neck and neck.
    """
    return logistic(p.race_pressure, rival, C, p.race_scale)


def coordination(will: Array, B: Array, p: Params, lv: Levers) -> Array:
    """Strength of a coordinated pause, 0..1 (section 4 collective restraint; section 6).

    A strategy's ``global_pause`` plus what political will raised by warning
    shots can bring about (``will_to_pause`` per unit of will), multiplied by
    backdrop capacity: a functional civilisation coordinates better.
    """
    xp = xp_of(will, B)
    return xp.clip((lv.global_pause + p.will_to_pause * will) * B, 0.0, 1.0)


def detection(
    undetected: Array, usable_ai: Array, coord: Array, p: Params, lv: Levers, h_dt: Array
) -> Array:
    """Probability that an actor's covert defection is still undetected after a step (section 6).

    An actor skipping a share ``covert_rate`` of a coordinated pause of
    strength ``coord`` is detected at the rate
    ``detection_rate * monitoring * covert_rate * coord`` per year, where
    monitoring ``1 - (1 - enforcement) / (1 + M / safety_ref)`` rises with the
    enforcement regime (inspection and verification) and with the usable AI
    safety labour ``M`` of all actors, which also watches for defection.
    With ``covert_rate = 0`` nothing changes (the factor is exactly 1).
    """
    xp = xp_of(undetected, usable_ai)
    watch = actor_sum(usable_ai) / p.safety_ref
    monitoring = 1.0 - (1.0 - lv.enforcement) / (1.0 + watch)
    rate = p.detection_rate * monitoring * lv.covert_rate * coord
    return undetected * xp.exp(-rate * h_dt)


def restraint(
    M_fc: Array,
    relief: Array,
    will: Array,
    coord: Array,
    B: Array,
    undetected: Array,
    p: Params,
    lv: Levers,
) -> Array:
    """Pause fraction of each actor, 0..1 (section 4, capability restraint; section 6).

    Voluntary restraint: ``caution`` is the share paused when the forecast
    margin sits at the actor's target; the pause rises towards 1 as the
    forecast falls below the target (in units of ``pause_width``, on the logit
    scale) and falls towards 0 above it. Race pressure erodes it; a coordinated
    pause binds through enforcement (helped by will
    and backdrop capacity), and the unenforced part of it through each
    actor's own caution. An actor may secretly skip a share ``covert_rate``
    of its coordinated pause while its defection is undetected (probability
    ``undetected``, :func:`detection`); once detected, the coordinated pause
    is imposed on it in full.
    """
    xp = xp_of(M_fc, will)
    caution = xp.clip(lv.caution + will, 0.0, 1.0)
    # caution is the pause at the target margin; the pause rises towards 1 as the
    # forecast falls further below it and towards 0 above it (logit-linear)
    c = xp.clip(caution, CAUTION_EPS, 1.0 - CAUTION_EPS)
    urgency = (lv.margin_target - M_fc) / p.pause_width + xp.log(c / (1.0 - c))
    voluntary = xp.where(caution > 0.0, sigmoid(urgency), 0.0)
    voluntary = xp.maximum(0.0, voluntary - relief)
    enforced = xp.clip((lv.enforcement + will) * B, 0.0, 1.0)
    governed = enforced + (1.0 - enforced) * caution
    governed = coord * (undetected * (1.0 - lv.covert_rate) * governed + (1.0 - undetected))
    return xp.clip(voluntary + governed, 0.0, 1.0)
