"""Risk evaluation and capability restraint: margins, perceived risk, political will, pauses.

Essay section 4 (risk evaluation, capability restraint, collective
restraint and race dynamics) and section 6 (a coordinated global pause, whose
bottleneck is political will, which better understanding of the risks could
move); docs/model.md section 5, "Risk evaluation and capability restraint".
"""

from __future__ import annotations

from waystation._kernels import xp_of
from waystation.dynamics.common import Levers, Params, actor_max, logistic, sigmoid
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


def race_relief(C: Array, rival: Array, p: Params) -> Array:
    """How much race pressure erodes voluntary restraint (0..race_pressure, section 4).

    Grows with how far the nearest rival (capability ``rival``) leads; half
    strength when neck and neck.
    """
    return logistic(p.race_pressure, rival, C, p.race_scale)


def shown_danger(M_hat: Array, E: Array, p: Params) -> Array:
    """Perceived risk that risk evaluation puts before the world, per year (W, 1) (section 4).

    Evaluations, demonstrations and forecasts show each actor's danger as the
    chance, on its *estimated* margin, that its frontier is past the edge of
    its range, ``sigmoid(-M_hat / edge_width)``: already one half at the edge
    and a quarter one width inside, so it shows danger before harm, where the
    hazard (a Gompertz in the true margin) is still small. Scheming inflates
    the estimate and so hides the danger. How far the world believes it is the
    evaluation's credibility, ``eval_ease * E / (1 + eval_ease * E)``:
    informative in proportion to evaluation quality and to how checkable the
    science is while both are small, and near-perfect when quality is high. The
    most alarming actor sets the evidence (one convincing demonstration is
    public), at ``eval_alarm`` units of perceived risk per year at full
    credibility and certain danger.
    """
    ease_E = p.eval_ease * E
    credibility = ease_E / (1.0 + ease_E)
    danger = sigmoid(-M_hat / p.edge_width)
    return p.eval_alarm * actor_max(credibility * danger)


def political_will(will: Array, shown: Array, incidents: Array, p: Params, dt: float) -> Array:
    """Political will after a step of ``dt`` years, 0..1 (section 4 collective restraint; 6).

    Perceived risk arrives as evidence: ``shown`` per year from risk
    evaluation (:func:`shown_danger`) and, per survivable incident, the
    society's response ``warning_response * will_per_warning`` (a nature input:
    from normalisation, near 0, to a strong coordinated response). Each unit of
    evidence closes a share of the gap to full will (diminishing response:
    ``1 - exp(-evidence)``), and will fades at ``will_decay`` per year:

        will' = 1 - (1 - will * exp(-will_decay dt)) * exp(-(shown dt + k * response))

    exact for evidence that arrives at the step's end, and independent of the
    order of the incidents within the step.
    """
    xp = xp_of(will, shown)
    kept = will * xp.exp(-p.will_decay * dt)
    evidence = shown * dt + incidents * (p.warning_response * p.will_per_warning)
    return 1.0 - (1.0 - kept) * xp.exp(-evidence)


def coordination(will: Array, B: Array, p: Params, lv: Levers) -> Array:
    """Strength of a coordinated pause, 0..1 (section 4 collective restraint; section 6).

    A strategy's ``global_pause`` plus what political will (perceived risk
    from evaluations and incidents) can bring about, ``will_to_pause`` per
    unit of will, multiplied by backdrop capacity: a functional civilisation
    coordinates better.
    """
    xp = xp_of(will, B)
    return xp.clip((lv.global_pause + p.will_to_pause * will) * B, 0.0, 1.0)


def restraint(
    M_fc: Array, relief: Array, will: Array, coord: Array, B: Array, p: Params, lv: Levers
) -> Array:
    """Pause fraction of each actor, 0..1 (section 4, capability restraint).

    Voluntary restraint: ``caution`` is the share paused when the forecast
    margin sits at the actor's target; the pause rises towards 1 as the
    forecast falls below the target (in units of ``pause_width``, on the logit
    scale) and falls towards 0 above it. Race pressure erodes it; a coordinated
    pause binds through enforcement (helped by will
    and backdrop capacity), and the unenforced part of it through each
    actor's own caution. Political will closes the share ``will`` of the gap
    from an actor's caution, and from the enforced share, to 1.
    """
    xp = xp_of(M_fc, will)
    caution = xp.clip(lv.caution + (1.0 - lv.caution) * will, 0.0, 1.0)
    # caution is the pause at the target margin; the pause rises towards 1 as the
    # forecast falls further below it and towards 0 above it (logit-linear)
    c = xp.clip(caution, CAUTION_EPS, 1.0 - CAUTION_EPS)
    urgency = (lv.margin_target - M_fc) / p.pause_width + xp.log(c / (1.0 - c))
    voluntary = xp.where(caution > 0.0, sigmoid(urgency), 0.0)
    voluntary = xp.maximum(0.0, voluntary - relief)
    enforced = xp.clip((lv.enforcement + (1.0 - lv.enforcement) * will) * B, 0.0, 1.0)
    governed = coord * (enforced + (1.0 - enforced) * caution)
    return xp.clip(voluntary + governed, 0.0, 1.0)
