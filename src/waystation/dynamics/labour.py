"""Sources of research labour: human, AI, and enhanced (emulated) human labour.

Essay section 5 (sources of labour) and the overview's account of the two
feedback loops (essay 4); docs/model.md section 2, "Labour". Labour is in
full-time-equivalent researchers (FTE).
"""

from __future__ import annotations

from waystation._kernels import xp_of
from waystation.dynamics.common import _EXP_CLIP, LN10, Levers, Params, actor_sum
from waystation.state import Array


def human_labour(p: Params, years: Array) -> tuple[Array, Array]:
    """Human safety and capabilities researchers after ``years`` of growth (FTE, section 5)."""
    xp = xp_of(p.safety_growth, p.capability_growth, years)
    hs = p.safety_researchers * xp.exp(p.log1p_safety_growth * years)
    hc = p.capability_researchers * xp.exp(p.log1p_capability_growth * years)
    return hs, hc


def automation(C: Array, p: Params) -> Array:
    """Automated research labour per 2026 capabilities researcher at capability ``C``.

    ``aar_labor`` at ``C_aar``; it grows ``10**k_approach`` per OOM on the way
    there and ``10**k_ai`` per OOM beyond it (the take-off's steepness), so a
    faster capabilities loop changes nothing before ``C_aar``.
    """
    xp = xp_of(C)
    x = xp.minimum(C - p.C_aar, p.C_max)
    slope = p.k_approach * xp.minimum(x, 0.0) + p.k_ai * xp.maximum(x, 0.0)
    return p.aar_labor * xp.exp(LN10 * xp.minimum(slope, 250.0))  # finite for any input


def ai_labour(C: Array, p: Params, lv: Levers) -> Array:
    """AI research labour in FTE: today's assistance plus automation near ``C_aar``.

    ``capability_researchers * (ai_labor_ratio + automation(C))``:
    the engine of the capabilities feedback loop (overview, essay 4). The
    second term is automation of research, a logistic share of tasks seen
    through Amdahl's law, whose labour grows tenfold per OOM or faster; it is
    calibrated to the AI 2027 take-off forecast (R&D multiplier ~5x at a
    superhuman coder, ~25x one milestone later). Tool-only AI gives up a
    share ``tool_labor_cut`` of it.
    """
    auto = automation(C, p)
    return (
        p.capability_researchers
        * (p.ai_labor_ratio + auto)
        * (1.0 - lv.tool_ai_only * p.tool_labor_cut)
    )


def rd_multiplier(C: Array, p: Params) -> Array:
    """AI R&D multiplier on algorithmic progress at capability ``C`` with 2026's human labour.

    ``(1 + L_ai / H_c0) ** lam_c``: the calibration quantity of the AI 2027
    take-off forecast (no tool-only cut).
    """
    xp = xp_of(C)
    return xp.exp(p.lam_c * xp.log(1.0 + p.ai_labor_ratio + automation(C, p)))


def trust(S_eff: Array, C: Array, p: Params) -> Array:
    """How far AI labour can be relied on (0..1, section 5): Gompertz in the true margin.

    ``exp(-exp((C - S_eff) / edge_width))``, like the hazard: 0.37 at the edge
    of the safety range, 0.69 one width inside and 0.87 two widths inside,
    but doubly exponentially small beyond it (0.07 one width out, 6e-4 two
    widths out), so trust falls faster than AI labour grows with capability:
    AI beyond its safety range cannot be relied on however much of it there is.
    """
    xp = xp_of(S_eff, C)
    z = xp.clip((C - S_eff) / p.edge_width, -_EXP_CLIP, _EXP_CLIP)
    return xp.exp(-xp.exp(z))


def ai_safety_labour(
    L_ai: Array, tr: Array, overseers: Array, p: Params, lv: Levers
) -> tuple[Array, Array]:
    """Usable and sabotaged AI safety labour, FTE (overview, essays 4, 5 and 7).

    Of the AI labour sent to safety (``(ai_safety_share + ai_outside_share) * L_ai *
    ai_safety_edge``: the lab's own share plus the AI safety work the field at large does
    on its systems beside it, so the returns to the share are finite at zero),
    the checkable share (``eval_ease``) counts in full when the AI is trusted
    (inside its safety range, weight ``trust``); when it is not, it counts only
    as far as the actor's trusted overseers (human and emulated safety
    researchers, ``oversight`` FTE each) can check it: a smooth minimum. The
    uncheckable share is honest in proportion ``1 - scheming`` and then counts
    as far as the AI is trusted; in proportion ``scheming`` it is *sabotage*,
    work that passes for progress and undoes ``sabotage_harm`` times as much
    honest work (others build on it, and finding and undoing it costs more
    than doing it), whether or not the AI could also take over. Checkable work
    is shielded from sabotage.
    """
    xp = xp_of(L_ai, tr)
    scheming = xp.clip(p.scheming, 0.0, 1.0)
    sent = (lv.ai_safety_share + p.ai_outside_share) * L_ai * p.ai_safety_edge
    ease = p.eval_ease
    trusted = tr * sent * (ease + (1.0 - ease) * (1.0 - scheming))
    checkable = (1.0 - tr) * sent * ease
    capacity = p.oversight * overseers
    checked = checkable * capacity / xp.maximum(checkable + capacity, 1e-300)
    sabotage = p.sabotage_harm * sent * (1.0 - ease) * scheming
    return trusted + checked, sabotage


def emulated_labour(t: Array | float, em_time: Array, p: Params) -> Array:
    """Enhanced human (emulated) labour available at ``t`` (FTE, section 5): grows by copying."""
    xp = xp_of(t, em_time, p.em_growth)
    age = xp.clip(t - em_time, 0.0, _EXP_CLIP / xp.maximum(p.em_growth, 1e-9))
    grown = xp.minimum(p.em_max, p.em_initial * xp.exp(p.em_growth * age))
    return xp.where(t >= em_time, grown, 0.0)


def wbe_effort(t: Array | float, hs: Array, hc: Array, L_ai: Array, p: Params, lv: Levers) -> Array:
    """Research effort going into whole-brain emulation this year (FTE, section 5)."""
    xp = xp_of(t, L_ai, p.wbe_background_growth)
    background = p.wbe_background * xp.exp(p.log1p_wbe_background_growth * (t - p.start))
    return background + actor_sum(lv.wbe_investment * (hs + hc + L_ai))
