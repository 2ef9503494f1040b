"""Safety progress: motivation control, world hardening, evaluation, verification.

Essay section 4 (safety progress) and section 6 (formal verification and
interpretability as waystations); the overview's motivation vs option
control (essays 2, 6, 7) and its account of evaluation as the bottleneck
(essay 5). docs/model.md section 4, "Safety progress".
"""

from __future__ import annotations

from waystation._kernels import xp_of
from waystation.dynamics.common import Levers, Params, actor_sum, returns, saturate
from waystation.state import Array

#: Reference shares of safety labour at which ``e_base`` and ``o_base`` are stated.
EVAL_REF_SHARE = 0.1
HARDEN_REF_SHARE = 0.05


def hardening_cover(O: Array, C: Array, p: Params) -> Array:
    """The part of world hardening ``O`` that still protects against capability ``C`` (OOM).

    Option control is a tool for weaker systems (overview, essay 7): it
    counts in full up to ``C_aar`` and fades linearly to nothing at ``C_si``,
    so only motivation control (``S``) can make superintelligence safe.
    """
    xp = xp_of(O, C)
    return O * xp.clip((p.C_si - C) / p.si_gap, 0.0, 1.0)


def safety_range(S: Array, O: Array, C: Array, p: Params) -> Array:
    """Effective safety range per actor: own range plus the hardening that still covers it."""
    return S + hardening_cover(O, C, p)


def _shares(lv: Levers) -> tuple[Array, Array, Array]:
    """Motivation-control, evaluation and hardening shares of safety labour (sum to 1)."""
    xp = xp_of(lv.eval_investment, lv.hardening_investment)
    e_share, h_share = lv.eval_investment, lv.hardening_investment
    total = xp.maximum(1.0, e_share + h_share)
    e_share, h_share = e_share / total, h_share / total
    return xp.maximum(1.0 - e_share - h_share, 0.0), e_share, h_share


def share_returns(
    scale: Array, labour: Array, total: Array, ref: Array, lam: Array, outside: Array,
    ref_share: float, done: Array | float, harder: Array | float,
) -> Array:  # fmt: skip
    """Returns to the ``labour`` a share of ``total`` sends, with outside effort beside it.

    ``R(labour + outside * total) / norm`` with ``R`` the returns of
    :func:`~waystation.dynamics.common.returns`: in the share (``labour /
    total``) this is ``(share + outside)**lam``, concave with a finite slope
    at a zero share, ``(1 + ref_share / outside)**(1 - lam)`` times the slope
    at ``ref_share``. ``outside`` is the evaluation and hardening work done
    beside each lab (security institutes, academia, the security industry:
    essay section 4's collective factors, shared tools and practices for
    evals and the hardening of the world at large), stated as a share of the
    lab's safety labour; ``norm = ((ref_share + outside) / ref_share)**lam``
    keeps ``e_base`` and ``o_base`` the rates at the reference share.
    """
    xp = xp_of(labour, total)
    norm = xp.power((ref_share + outside) / ref_share, lam)
    return returns(scale, labour + outside * total, ref, lam, done, harder) / norm


def safety_rates(
    I_s: Array, bad: Array, C: Array, S: Array, O: Array, E: Array, B: Array, will: Array,
    p: Params, lv: Levers,
) -> tuple[Array, Array, Array, Array]:  # fmt: skip
    """Growth of safety ranges, world hardening and evaluation quality per year (section 4).

    Safety labour is split between motivation control (``S``), evaluation
    (``E``) and hardening (``O``), normalised by the fixed reference
    ``safety_ref``. Motivation control and hardening have diminishing returns
    in labour (``lam_s``) and in progress already made (``safety_harder``), and
    a rate ceiling (``max_safety_rate``), as capability has; motivation control
    also slows ``beyond_frontier`` (log10) per OOM it already lies beyond the
    actor's own frontier, since its empirical loops need systems to study
    (overview, essay 5). Sabotaged labour undoes motivation-control progress,
    unseen: it passes for progress, so the range as evaluations see it grows at
    ``dS_seen``, the same rates without the sabotage (overview, essays 4-5), except
    for the share of the damage that risk evaluation catches, its credibility
    ``eval_ease * E / (1 + eval_ease * E)`` (as for the danger it shows, section 5).
    Each actor receives ``spillover`` of
    the others' net progress. Returns ``(dS, dO, dE, dS_seen)``. It takes each state
    array separately (ten parameters), as every equation of ``dynamics``
    does: the C kernel restates it argument for argument.
    """
    xp = xp_of(I_s, B)
    ref, lam, harder = p.safety_ref, p.lam_s, p.safety_harder
    s_share, e_share, h_share = _shares(lv)
    scale = p.s_base * B / p.hardness
    # log10 penalty: progress already made, and range already beyond the own frontier
    made = harder * xp.maximum(S - p.safety_range, 0.0)
    made = made + p.beyond_frontier * xp.maximum(S - C, 0.0)
    # sabotage passes for progress and undoes it labour for labour: the signed
    # returns of the net labour (negative where sabotage outweighs honest work)
    work = s_share * (I_s - bad)
    net = returns(scale, xp.maximum(work, 0.0), ref, lam, made, 1.0) - returns(
        scale, xp.maximum(-work, 0.0), ref, lam, made, 1.0
    )
    shared = net + lv.spillover * (actor_sum(net) - net)
    dS = saturate(shared, p.max_safety_rate)
    # what evaluations see: the same rates with the sabotage passing for no harm
    seen = s_share * I_s
    net_seen = returns(scale, xp.maximum(seen, 0.0), ref, lam, made, 1.0) - returns(
        scale, xp.maximum(-seen, 0.0), ref, lam, made, 1.0
    )
    shared_seen = net_seen + lv.spillover * (actor_sum(net_seen) - net_seen)
    # risk evaluation catches the damage in proportion to its credibility (restraint)
    missed = 1.0 / (1.0 + p.eval_ease * E)
    dS_seen = dS + missed * (saturate(shared_seen, p.max_safety_rate) - dS)
    harden = actor_sum(h_share * I_s)
    dO = share_returns(p.o_base * B / p.hardness, harden, actor_sum(I_s), HARDEN_REF_SHARE * ref,
                       lam, p.outside_share, HARDEN_REF_SHARE, O, p.harden_harder)  # fmt: skip
    dO = saturate(dO, p.max_safety_rate)
    one = xp.ones_like(I_s)
    eval_own = share_returns(one, e_share * I_s, I_s, EVAL_REF_SHARE * ref, lam, p.outside_share,
                             EVAL_REF_SHARE, 0.0, 0.0)  # fmt: skip
    eval_shared = eval_own + lv.spillover * (actor_sum(eval_own) - eval_own)
    dE = p.e_base * B * (1.0 + will) * eval_shared / (1.0 + E)
    return dS, dO, dE, dS_seen


def _labour_ratio(I_s: Array, p: Params) -> Array:
    """Total safety labour relative to the fixed reference, for breakthrough chances."""
    total: Array = actor_sum(I_s) / p.safety_ref
    return xp_of(total).power(total, p.lam_s)


def breakthrough_chance(I_s: Array, h_dt: Array, p: Params) -> Array:
    """Chance of a verification breakthrough within a step of ``h_dt`` years (essay section 6).

    A Poisson event whose rate is ``verify_rate`` times the checkable share
    ``eval_ease`` times the world's safety labour (relative to ``safety_ref``,
    with returns ``lam_s``); :func:`~waystation.dynamics.integrate.step` lets
    it happen once per world and raises every actor's range by ``verify_jump``.
    """
    xp = xp_of(I_s, h_dt)
    return -xp.expm1(-p.verify_rate * p.eval_ease * _labour_ratio(I_s, p) * h_dt)
