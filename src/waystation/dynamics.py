"""One time step of the model (v2): each mechanism as a small pure function.

Every function takes arrays and returns arrays; ``step`` composes them into a
new :class:`~waystation.state.State`. Section numbers refer to the essay
"Paths and waystations in AI safety" (Carlsmith 2025) and to the project's
``docs/model.md``, which states each equation and why it has its form.

Conventions: ``p`` maps parameter names to arrays shaped ``(W, 1)`` (world
and nature parameters) or ``(W, A)`` (actor parameters); ``lv`` maps lever
names to ``(W, A)`` or ``(W, 1)`` arrays. Rates are per year, capability and
safety are in OOM, labour in full-time-equivalent researchers (FTE).

Every function is generic over the array namespace: ``xp = xp_of(...)`` is
numpy for numpy arrays and ``jax.numpy`` for JAX arrays, so the optional JAX
backend (:mod:`waystation.jax_backend`) traces this very code.

Integration (docs/model.md, "Time steps"): the continuous state (capability,
safety ranges, hardening, evaluation quality) advances by Heun's method --
growth rates at the start of the step and at an Euler prediction of its end,
averaged -- with the pause decided once per step from the start-of-step
evaluation; survival integrates the lethal hazard by the trapezoid rule. Both
are second order in ``dt``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import NamedTuple

import numpy as np

from waystation._kernels import elementwise, xp_of
from waystation.state import WAYSTATIONS, Array, Shocks, State

Params = Mapping[str, Array]
Levers = Mapping[str, Array]

#: ln 10: powers of ten are computed as ``exp(LN10 * x)``.
LN10 = float(np.log(10.0))
#: Floor of logarithms in powers ``exp(lam * max(log x, LOG_FLOOR))``: ``0 ** lam``
#: is then 0 for any exponent above 1e-290 and 1 for ``lam == 0``, as ``pow`` gives.
LOG_FLOOR = -1e300
#: Exp arguments are clipped to this range: exp is slow when it over/underflows.
_EXP_CLIP = 40.0
#: Column of enhanced human labour among the waystations (its arrival is known in advance).
_EHL = WAYSTATIONS.index("enhanced_human_labor")
#: Largest log of a research rate factor: rates stay finite whatever the inputs
#: (e**300 ~ 1e130 OOM/yr, far past any ceiling, which then saturates it).
_LOG_RATE_MAX = 300.0
#: Reference shares of safety labour at which ``e_base`` and ``o_base`` are stated.
EVAL_REF_SHARE = 0.1
HARDEN_REF_SHARE = 0.05
#: Extra hazard of a superintelligence outside its safety range (x hazard_rate).
SI_HAZARD = 10.0
#: Caution is kept this far from 0 and 1 in the logit of the pause response.
CAUTION_EPS = 1e-6
#: Waystation thresholds (docs/model.md section 8).
PAUSE_LEVEL, PAUSE_YEARS = 0.9, 1.0
#: Usable AI safety labour (FTE) that makes an automated alignment researcher:
#: as much as the whole technical AI-safety field of 2026 (McAleese 2025: ~700).
AAR_LABOUR = 700.0
HARDENED_OOM = 2.0
#: Take-off: years of 2026-pace progress compressed into one year (Forethought 2025).
TAKEOFF_YEARS = 3.0
_IDX = {name: k for k, name in enumerate(WAYSTATIONS)}


def sigmoid(x: Array) -> Array:
    """Logistic function of a clipped argument, so exp never overflows."""
    xp = xp_of(x)
    return 1.0 / (1.0 + xp.exp(-xp.clip(x, -_EXP_CLIP, _EXP_CLIP)))


def saturate(rate: Array, ceiling: Array) -> Array:
    """A growth rate that approaches ``ceiling`` smoothly: ``r / sqrt(1 + (r / ceiling)**2)``.

    Below a third of the ceiling it changes a rate by under 5%; a larger raw
    rate always gives a larger result, so more labour still helps near the
    ceiling. Negative rates (sabotage) are bounded the same way.
    """
    xp = xp_of(rate, ceiling)
    return rate / xp.sqrt(1.0 + (rate / ceiling) ** 2)


def _across(x: Array, op: Callable[[Array, Array], Array]) -> Array:
    """Fold ``op`` over the actor columns of ``x``: (W, A) -> (W, 1).

    numpy reductions over a short trailing axis are slow; combining A column
    views is a handful of fast vector operations.
    """
    out = x[:, 0:1]
    for a in range(1, x.shape[1]):
        out = op(out, x[:, a : a + 1])
    return out


def actor_sum(x: Array) -> Array:
    """Sum over actors: (W, A) -> (W, 1)."""
    return _across(x, operator.add)


def actor_max(x: Array) -> Array:
    """Maximum over actors: (W, A) -> (W, 1)."""
    return _across(x, xp_of(x).maximum)


def actor_min(x: Array) -> Array:
    """Minimum over actors: (W, A) -> (W, 1)."""
    return _across(x, xp_of(x).minimum)


def _crossing(x0: Array, x1: Array, level: Array | float, rising: bool = True) -> Array:
    """Share of a step (0..1) at which ``x`` crossed ``level``, moving linearly from x0 to x1.

    0 if it was already past the level at the start (``>=`` if ``rising``, ``<=``
    otherwise); 1 if it never got there.
    """
    xp = xp_of(x0, x1)
    a, b = (x0 - level, x1 - level) if rising else (level - x0, level - x1)
    span = b - a
    frac = xp.where(span > 0.0, -a / xp.where(span > 0.0, span, 1.0), 1.0)
    return xp.where(a >= 0.0, 0.0, xp.clip(frac, 0.0, 1.0))


def actor_any(x: Array) -> Array:
    """Logical or over actors: (W, A) bool -> (W, 1)."""
    return _across(x, operator.or_)


def actor_all(x: Array) -> Array:
    """Logical and over actors: (W, A) bool -> (W, 1)."""
    return _across(x, operator.and_)


def rival_max(C: Array) -> Array:
    """Return, for each actor, the highest capability among the *other* actors (OOM).

    With a single actor there is no rival and the result is ``-inf``.
    """
    xp = xp_of(C)
    A = C.shape[1]
    if A == 1:
        return xp.full_like(C, -np.inf)
    cols = []
    for a in range(A):
        others = [C[:, b] for b in range(A) if b != a]
        col = others[0]
        for o in others[1:]:
            col = xp.maximum(col, o)
        cols.append(col)
    return xp.stack(cols).T  # (A, W) stacked and transposed: column-major (W, A) in numpy


# Fused elementwise kernels (see waystation._kernels): each is written once and
# runs as one numba ufunc when numba is installed, as numpy otherwise.


@elementwise
def _logistic(k: Array, a: Array, b: Array, width: Array) -> Array:
    """``k * sigmoid((a - b) / width)``, with the exp argument clipped."""
    z = np.minimum(np.maximum((a - b) / width, -_EXP_CLIP), _EXP_CLIP)
    return k * (1.0 / (1.0 + np.exp(-z)))


@elementwise
def _returns(
    scale: Array, labour: Array, ref: Array, lam: Array, done: Array, harder: Array
) -> Array:
    """``scale * (labour / ref) ** lam * 10 ** (-harder * max(0, done))``.

    Diminishing returns to research labour (``lam < 1``) and in the progress
    already ``done`` (ideas get harder to find): the form both feedback loops
    share. Computed as one ``exp`` of summed logarithms; zero labour gives 0.
    """
    log_labour = np.maximum(np.log(labour / ref), LOG_FLOOR)
    z = lam * log_labour - LN10 * harder * np.maximum(done, 0.0)
    return scale * np.exp(np.minimum(z, _LOG_RATE_MAX))


@elementwise
def _hazard(
    C: Array, S_eff: Array, rate: Array, width: Array, C_si: Array, tool: Array,
    tool_cut: Array,
) -> Array:  # fmt: skip
    """Kernel of :func:`hazard`: the total hazard rate of loss-of-control events.

    A Gompertz curve in the excess ``(C - S_eff) / width`` -- ``exp(-1)`` of
    ``rate`` at the edge, doubly-exponentially small inside the range -- that
    keeps growing, ``1 + excess`` (OOM), the further the frontier is beyond it.
    """
    z = np.minimum(np.maximum((S_eff - C) / width, -_EXP_CLIP), _EXP_CLIP)
    h = rate * np.exp(-np.exp(z)) * (1.0 + np.maximum(C - S_eff, 0.0))
    z = np.minimum(np.maximum((C - C_si) / width, -_EXP_CLIP), _EXP_CLIP)
    h = h * (1.0 + SI_HAZARD * (1.0 / (1.0 + np.exp(-z))))
    return h * (1.0 - tool * tool_cut)


# --- labour (essay section 5) -----------------------------------------------------


def human_labour(p: Params, years: Array) -> tuple[Array, Array]:
    """Human safety and capabilities researchers after ``years`` of growth (FTE, section 5)."""
    xp = xp_of(p["safety_growth"], p["capability_growth"], years)
    hs = p["safety_researchers"] * xp.exp(p["log1p_safety_growth"] * years)
    hc = p["capability_researchers"] * xp.exp(p["log1p_capability_growth"] * years)
    return hs, hc


def automation(C: Array, p: Params) -> Array:
    """Automated research labour per 2026 capabilities researcher at capability ``C``.

    ``aar_labor`` at ``C_aar``; it grows ``10**k_approach`` per OOM on the way
    there and ``10**k_ai`` per OOM beyond it (the take-off's steepness), so a
    faster capabilities loop changes nothing before ``C_aar``.
    """
    xp = xp_of(C)
    x = xp.minimum(C - p["C_aar"], p["C_max"])
    slope = p["k_approach"] * xp.minimum(x, 0.0) + p["k_ai"] * xp.maximum(x, 0.0)
    return p["aar_labor"] * xp.exp(LN10 * xp.minimum(slope, 250.0))  # finite for any input


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
        p["capability_researchers"]
        * (p["ai_labor_ratio"] + auto)
        * (1.0 - lv["tool_ai_only"] * p["tool_labor_cut"])
    )


def rd_multiplier(C: Array, p: Params) -> Array:
    """AI R&D multiplier on algorithmic progress at capability ``C`` with 2026's human labour.

    ``(1 + L_ai / H_c0) ** lam_c``: the calibration quantity of the AI 2027
    take-off forecast (no tool-only cut).
    """
    xp = xp_of(C)
    return xp.exp(p["lam_c"] * xp.log(1.0 + p["ai_labor_ratio"] + automation(C, p)))


def trust(S_eff: Array, C: Array, p: Params) -> Array:
    """How far AI labour can be relied on (0..1, section 5): Gompertz in the true margin.

    ``exp(-exp((C - S_eff) / edge_width))``, like the hazard: 0.37 at the edge
    of the safety range, 0.69 one width inside and 0.87 two widths inside,
    but doubly exponentially small beyond it (0.07 one width out, 6e-4 two
    widths out), so trust falls faster than AI labour grows with capability:
    AI beyond its safety range cannot be relied on however much of it there is.
    """
    xp = xp_of(S_eff, C)
    z = xp.clip((C - S_eff) / p["edge_width"], -_EXP_CLIP, _EXP_CLIP)
    return xp.exp(-xp.exp(z))


def ai_safety_labour(
    L_ai: Array, tr: Array, overseers: Array, p: Params, lv: Levers
) -> tuple[Array, Array]:
    """Usable and sabotaged AI safety labour, FTE (overview, essays 4, 5 and 7).

    Of the AI labour sent to safety (``ai_safety_share * L_ai * ai_safety_edge``),
    the checkable share (``eval_ease``) counts in full when the AI is trusted
    (inside its safety range, weight ``trust``); when it is not, it counts only
    as far as the actor's trusted overseers (human and emulated safety
    researchers, ``oversight`` FTE each) can check it: a smooth minimum. The
    uncheckable share is honest in proportion ``1 - scheming`` and then counts
    as far as the AI is trusted; in proportion ``scheming`` it is *sabotage*,
    work that passes for progress and undoes it, whether or not the AI could
    also take over. Checkable work is shielded from sabotage.
    """
    xp = xp_of(L_ai, tr)
    scheming = xp.clip(p["scheming"], 0.0, 1.0)
    sent = lv["ai_safety_share"] * L_ai * p["ai_safety_edge"]
    ease = p["eval_ease"]
    trusted = tr * sent * (ease + (1.0 - ease) * (1.0 - scheming))
    checkable = (1.0 - tr) * sent * ease
    capacity = p["oversight"] * overseers
    checked = checkable * capacity / xp.maximum(checkable + capacity, 1e-300)
    sabotage = sent * (1.0 - ease) * scheming
    return trusted + checked, sabotage


def emulated_labour(t: Array | float, em_time: Array, p: Params) -> Array:
    """Enhanced human (emulated) labour available at ``t`` (FTE, section 5): grows by copying."""
    xp = xp_of(t, em_time, p["em_growth"])
    age = xp.clip(t - em_time, 0.0, _EXP_CLIP / xp.maximum(p["em_growth"], 1e-9))
    grown = xp.minimum(p["em_max"], p["em_initial"] * xp.exp(p["em_growth"] * age))
    return xp.where(t >= em_time, grown, 0.0)


def wbe_effort(t: Array | float, hs: Array, hc: Array, L_ai: Array, p: Params, lv: Levers) -> Array:
    """Research effort going into whole-brain emulation this year (FTE, section 5)."""
    xp = xp_of(t, L_ai, p["wbe_background_growth"])
    background = p["wbe_background"] * xp.exp(p["log1p_wbe_background_growth"] * (t - p["start"]))
    return background + actor_sum(lv["wbe_investment"] * (hs + hc + L_ai))


# --- capability (essay section 4, capability frontier) ----------------------------


def capability_rate(
    t: Array | float, hc: Array, L_ai: Array, C: Array, p: Params, lv: Levers
) -> Array:
    """Unrestrained capability growth in OOM/yr (section 4, capability frontier).

    Compute grows at the actor's share of the frontier trend for
    ``scaling_years``, then at the hardware trend alone; algorithmic progress
    scales with research labour relative to 2026 as ``labour**lam_c`` and gets
    harder per OOM already gained (``ideas_harder``). The total approaches
    ``max_rate`` smoothly (:func:`saturate`).
    """
    scaling = sigmoid(p["start"] + p["scaling_years"] - t)
    compute = p["g_hardware"] + (p["g_compute"] - p["g_hardware"]) * scaling
    labour = (hc + (1.0 - lv["ai_safety_share"]) * L_ai) * (1.0 - lv["wbe_investment"])
    ref = p["capability_researchers"] * (1.0 + p["ai_labor_ratio"])
    algo = _returns(p["g_algo"], labour, ref, p["lam_c"], C - p["frontier"], p["ideas_harder"])
    return saturate(p["compute_scale"] * compute + algo, p["max_rate"])


def sabotage(C: Array, rival: Array, p: Params, lv: Levers) -> Array:
    """Share of an actor's growth lost to rivals' sabotage once its lead passes a threshold.

    Models deterrence by "mutually assured AI malfunction" (section 6).
    """
    xp = xp_of(C, rival)
    lead = xp.where(xp.isfinite(rival), C - rival, -np.inf)  # no rival: nobody to sabotage
    return _logistic(lv["deterrence"], lead, p["deterrence_threshold"], 0.1)


# --- safety progress (essay section 4, safety progress) ----------------------------


def hardening_cover(O: Array, C: Array, p: Params) -> Array:
    """The part of world hardening ``O`` that still protects against capability ``C`` (OOM).

    Option control is a tool for weaker systems (overview, essay 7): it
    counts in full up to ``C_aar`` and fades linearly to nothing at ``C_si``,
    so only motivation control (``S``) can make superintelligence safe.
    """
    xp = xp_of(O, C)
    return O * xp.clip((p["C_si"] - C) / p["si_gap"], 0.0, 1.0)


def safety_range(S: Array, O: Array, C: Array, p: Params) -> Array:
    """Effective safety range per actor: own range plus the hardening that still covers it."""
    return S + hardening_cover(O, C, p)


def _shares(lv: Levers) -> tuple[Array, Array, Array]:
    """Motivation-control, evaluation and hardening shares of safety labour (sum to 1)."""
    xp = xp_of(lv["eval_investment"], lv["hardening_investment"])
    e_share, h_share = lv["eval_investment"], lv["hardening_investment"]
    total = xp.maximum(1.0, e_share + h_share)
    e_share, h_share = e_share / total, h_share / total
    return xp.maximum(1.0 - e_share - h_share, 0.0), e_share, h_share


def safety_rates(
    I_s: Array, bad: Array, C: Array, S: Array, O: Array, E: Array, B: Array, will: Array,
    p: Params, lv: Levers,
) -> tuple[Array, Array, Array]:  # fmt: skip
    """Growth of safety ranges, world hardening and evaluation quality per year (section 4).

    Safety labour is split between motivation control (``S``), evaluation
    (``E``) and hardening (``O``), normalised by the fixed reference
    ``safety_ref``. Motivation control and hardening have diminishing returns
    in labour (``lam_s``) and in progress already made (``safety_harder``), and
    a rate ceiling (``max_safety_rate``), as capability has; motivation control
    also slows ``beyond_frontier`` (log10) per OOM it already lies beyond the
    actor's own frontier, since its empirical loops need systems to study
    (overview, essay 5). Sabotaged labour undoes motivation-control progress.
    Each actor receives ``spillover`` of
    the others' net progress. Returns ``(dS, dO, dE)``.
    """
    xp = xp_of(I_s, B)
    ref, lam, harder = p["safety_ref"], p["lam_s"], p["safety_harder"]
    s_share, e_share, h_share = _shares(lv)
    scale = p["s_base"] * B / p["hardness"]
    # log10 penalty: progress already made, and range already beyond the own frontier
    made = harder * xp.maximum(S - p["safety_range"], 0.0)
    made = made + p["beyond_frontier"] * xp.maximum(S - C, 0.0)
    net = _returns(scale, s_share * I_s, ref, lam, made, 1.0) - _returns(
        scale, s_share * bad, ref, lam, made, 1.0
    )
    shared = net + lv["spillover"] * (actor_sum(net) - net)
    dS = saturate(shared, p["max_safety_rate"])
    harden = actor_sum(h_share * I_s)
    dO = _returns(p["o_base"] * B / p["hardness"], harden, HARDEN_REF_SHARE * ref, lam, O,
                  p["harden_harder"])  # fmt: skip
    dO = saturate(dO, p["max_safety_rate"])
    eval_own = _returns(1.0, e_share * I_s, EVAL_REF_SHARE * ref, lam, 0.0, 0.0)
    eval_shared = eval_own + lv["spillover"] * (actor_sum(eval_own) - eval_own)
    dE = p["e_base"] * B * (1.0 + will) * eval_shared / (1.0 + E)
    return dS, dO, dE


# --- risk evaluation and capability restraint (essay section 4) --------------------


def evaluation_error(noise: Array, z: Array, dt: float, p: Params) -> Array:
    """Advance the unit evaluation error, an Ornstein-Uhlenbeck process (section 4).

    Exact discretisation: the stationary sd is 1 and the correlation time
    ``eval_memory`` years, whatever ``dt``.
    """
    xp = xp_of(noise, z, p["eval_memory"])
    a = xp.exp(-dt / p["eval_memory"])
    return noise * a + xp.sqrt(1.0 - a * a) * z


def estimated_margin(S_eff: Array, C: Array, E: Array, noise: Array, p: Params) -> Array:
    """An actor's estimate of its margin ``S_eff - C`` (OOM, section 4, risk evaluation).

    Noise shrinks with evaluation quality; scheming systems past ``C_aar``
    bias the estimate towards "safe".
    """
    xp = xp_of(S_eff, C)
    bias = p["scheming"] * xp.maximum(0.0, C - p["C_aar"])
    return (S_eff - C) + bias + p["sigma_eval"] / (1.0 + E) * noise


def race_relief(C: Array, rival: Array, p: Params) -> Array:
    """How much race pressure erodes voluntary restraint (0..race_pressure, section 4).

    Grows with how far the nearest rival (capability ``rival``) leads; half
    strength when neck and neck.
    """
    return _logistic(p["race_pressure"], rival, C, p["race_scale"])


def coordination(will: Array, B: Array, p: Params, lv: Levers) -> Array:
    """Strength of a coordinated pause, 0..1 (section 4 collective restraint; section 6).

    A strategy's ``global_pause`` plus what political will raised by warning
    shots can bring about (``will_to_pause`` per unit of will), multiplied by
    backdrop capacity: a functional civilisation coordinates better.
    """
    xp = xp_of(will, B)
    return xp.clip((lv["global_pause"] + p["will_to_pause"] * will) * B, 0.0, 1.0)


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
    actor's own caution.
    """
    xp = xp_of(M_fc, will)
    caution = xp.clip(lv["caution"] + will, 0.0, 1.0)
    # caution is the pause at the target margin; the pause rises towards 1 as the
    # forecast falls further below it and towards 0 above it (logit-linear)
    c = xp.clip(caution, CAUTION_EPS, 1.0 - CAUTION_EPS)
    urgency = (lv["margin_target"] - M_fc) / p["pause_width"] + xp.log(c / (1.0 - c))
    voluntary = xp.where(caution > 0.0, sigmoid(urgency), 0.0)
    voluntary = xp.maximum(0.0, voluntary - relief)
    enforced = xp.clip((lv["enforcement"] + will) * B, 0.0, 1.0)
    governed = coord * (enforced + (1.0 - enforced) * caution)
    return xp.clip(voluntary + governed, 0.0, 1.0)


# --- hazard and outcomes (essay sections 2 and 4, footnote 14) --------------------


def hazard(C: Array, S_eff: Array, p: Params, lv: Levers) -> tuple[Array, Array]:
    """Lethal and survivable hazard rates per actor, events/yr (section 4, footnote 14).

    The hazard grows with how far the frontier is beyond its safety range and
    is almost nil well inside it; the share of events that are unrecoverable
    grows with capability itself, on the logit scale: ``1 - warning_share`` at
    ``C_lethal``, tending to none for weak systems and to all for strong ones;
    unsafe superintelligence is ``SI_HAZARD`` times worse.
    """
    h = _hazard(C, S_eff, p["hazard_rate"], p["edge_width"], p["C_si"], lv["tool_ai_only"],
                p["tool_hazard_cut"])  # fmt: skip
    xp = xp_of(C, S_eff)
    ws = xp.clip(p["warning_share"], 1e-9, 1.0 - 1e-9)
    lethal_share = sigmoid((C - p["C_lethal"]) / p["lethal_width"] + xp.log((1.0 - ws) / ws))
    return h * lethal_share, h * (1.0 - lethal_share)


# --- backdrop capacity (essay section 4) --------------------------------------------


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
    return xp.clip(1.0 + p["b_gain"] * safe - p["b_erosion"] * (unsafe + race), 0.25, 4.0)


# --- one step ----------------------------------------------------------------------


class Growth(NamedTuple):
    """Growth rates of the continuous state at one point of a step, and the labour behind them."""

    dC_free: Array  #: (W, A) capability growth the actor would get without pausing, OOM/yr
    dS: Array  #: (W, A) own safety-range growth, OOM/yr
    dO: Array  #: (W, 1) hardening growth, OOM/yr
    dE: Array  #: (W, A) evaluation-quality growth, 1/yr
    I_s: Array  #: (W, A) usable safety labour, FTE
    usable_ai: Array  #: (W, A) usable AI safety labour, FTE
    trust: Array  #: (W, A) trust in AI labour
    wbe: Array  #: (W, 1) emulation research effort, FTE
    S_eff: Array  #: (W, A) effective safety range at this point, OOM


def growth(
    t: Array | float, C: Array, S: Array, O: Array, E: Array, B: Array, will: Array, em_time: Array,
    p: Params, lv: Levers,
) -> Growth:  # fmt: skip
    """Growth rates of ``C`` (before any pause), ``S``, ``O``, ``E`` at one point."""
    xp = xp_of(C, S)
    hs, hc = human_labour(p, t - p["start"])
    L_ai = ai_labour(C, p, lv)
    S_eff = safety_range(S, O, C, p)
    tr = trust(S_eff, C, p)
    em = emulated_labour(t, em_time, p) / C.shape[1]
    usable, bad = ai_safety_labour(L_ai, tr, hs + em, p, lv)
    I_s = hs * (1.0 - lv["wbe_investment"]) + usable + em
    free = capability_rate(t, hc, L_ai, C, p, lv)
    # No deterrence anywhere: 1 - 0 * sigmoid is exactly 1, so skipping is exact.
    if xp is not np or np.any(lv["deterrence"]):
        free = free * (1.0 - sabotage(C, rival_max(C), p, lv))
    dS, dO, dE = safety_rates(I_s, bad, C, S, O, E, B, will, p, lv)
    return Growth(free, dS, dO, dE, I_s, usable, tr, wbe_effort(t, hs, hc, L_ai, p, lv), S_eff)


def range_growth(g: Growth, C: Array, O: Array, p: Params) -> Array:
    """Growth of the effective safety range, OOM/yr, at growth ``g`` if the actor did not pause.

    Own growth, plus the hardening growth that covers ``C``, minus the cover
    that fading loses as capability grows towards ``C_si``.
    """
    xp = xp_of(C, O)
    cover = hardening_cover(xp.ones_like(O), C, p)
    fading = xp.where((cover > 0.0) & (cover < 1.0), O / p["si_gap"], 0.0)
    return g.dS + cover * g.dO - fading * g.dC_free


def step(state: State, p: Params, lv: Levers, shocks: Shocks, dt: float) -> State:
    """Advance every world by ``dt`` years; worlds that reached victory stay frozen.

    A world stops at victory (docs/model.md section 6): from the next step on
    it keeps its state exactly (:func:`freeze`), so an engine may drop
    finished worlds from the arrays it steps without changing a single number.
    """
    xp = xp_of(state.C, state.survival)
    live = (~state.done).astype(np.float64)
    h_dt = dt * live
    C0, S0, O0, E0 = state.C, state.S, state.O, state.E

    # Heun's method: growth at the start of the step and at an Euler prediction
    # of its end. The pause is feedback control, decided at each of the two
    # points from that point's evaluation (same error) and unrestrained rates.
    noise = evaluation_error(state.noise, shocks.eval_z, dt, p)
    coord = coordination(state.will, state.B, p, lv)
    g1 = growth(state.t, C0, S0, O0, E0, state.B, state.will, state.em_time, p, lv)
    S_eff0 = g1.S_eff
    M_hat = estimated_margin(S_eff0, C0, E0, noise, p)
    pause0 = restraint(
        M_hat + (range_growth(g1, C0, O0, p) - g1.dC_free) * lv["lookahead"],
        state.relief, state.will, coord, state.B, p, lv,
    )  # fmt: skip
    dC1 = g1.dC_free * (1.0 - pause0)
    C1 = C0 + dC1 * h_dt
    S1 = S0 + g1.dS * h_dt
    O1 = O0 + g1.dO * h_dt
    E1 = E0 + g1.dE * h_dt
    g2 = growth(state.t + dt, C1, S1, O1, E1, state.B, state.will, state.em_time, p, lv)
    M_fc1 = (
        estimated_margin(g2.S_eff, C1, E1, noise, p)
        + (range_growth(g2, C1, O1, p) - g2.dC_free) * lv["lookahead"]
    )
    relief1 = race_relief(C1, rival_max(C1), p)
    pause1 = restraint(M_fc1, relief1, state.will, coord, state.B, p, lv)
    pause = 0.5 * (pause0 + pause1)
    dC = 0.5 * (dC1 + g2.dC_free * (1.0 - pause1))
    dS = 0.5 * (g1.dS + g2.dS)
    I_s = 0.5 * (g1.I_s + g2.I_s)

    verify_p = -xp.expm1(-p["verify_rate"] * p["eval_ease"] * _labour_ratio(I_s, p) * h_dt)
    once = xp.isnan(state.reached[:, _IDX["verified_safety"] : _IDX["verified_safety"] + 1])
    verified = (shocks.verify_u < verify_p) & once  # one breakthrough per world
    C = xp.minimum(C0 + dC * h_dt, p["C_max"])
    # Sabotage can undo progress an actor made, not the methods it started with.
    S = xp.maximum(S0 + dS * h_dt, p["safety_range"]) + verified * p["verify_jump"]
    O = O0 + 0.5 * (g1.dO + g2.dO) * h_dt
    E = E0 + 0.5 * (g1.dE + g2.dE) * h_dt

    S_eff = safety_range(S, O, C, p)  # the new safety ranges
    lethal, survivable = hazard(C, S_eff, p, lv)
    lethal, survivable = actor_sum(lethal), actor_sum(survivable)
    survival = state.survival * xp.exp(-0.5 * (state.lethal + lethal) * h_dt)
    warn_p = -xp.expm1(-0.5 * (state.survivable + survivable) * h_dt)
    warned = shocks.warn_u < warn_p
    will = state.will * xp.exp(-p["will_decay"] * dt) + warned * p["will_per_warning"]

    relief = race_relief(C, rival_max(C), p)
    B_t = backdrop_target(C, S_eff, relief, p)
    B = B_t + (state.B - B_t) * xp.exp(-h_dt / p["b_tau"])

    t = state.t + dt
    wbe = state.wbe_progress + 0.5 * (g1.wbe + g2.wbe) * h_dt
    # emulation research reaches wbe_cost within the step: interpolate the moment
    crossed = _crossing(state.wbe_progress, wbe, p["wbe_cost"])
    em_time = xp.where(
        xp.isinf(state.em_time) & (wbe >= p["wbe_cost"]),
        state.t + crossed * h_dt + p["wbe_lag"],
        state.em_time,
    )

    # Victory: some actor at or past C_si inside its safety range. The world
    # stops at the moment within the step when the later of the two conditions
    # was met (linear interpolation), with the survival of that moment.
    winner = (p["C_si"] <= C) & (S_eff >= C)
    win = actor_any(winner) & ~state.done
    frac = _crossing(C0, C, p["C_si"])
    frac = xp.maximum(frac, _crossing(C0 - S_eff0, C - S_eff, 0.0, rising=False))
    frac = actor_min(xp.where(winner, frac, 1.0))
    lethal_frac = frac * (state.lethal + 0.5 * frac * (lethal - state.lethal))
    survival_win = state.survival * xp.exp(-lethal_frac * h_dt)
    survival = xp.where(win, survival_win, survival)
    t_win = state.t + frac * dt
    new = state._replace(
        t=t,
        C=C,
        S=S,
        O=O,
        E=E,
        B=B,
        will=will,
        noise=noise,
        margin_est=M_hat,
        trust=g2.trust,
        pause=pause,
        relief=relief,
        dC_rate=g2.dC_free,
        dS_rate=range_growth(g2, C1, O1, p),
        usable_ai=g2.usable_ai,
        wbe_progress=wbe,
        em_time=em_time,
        lethal=lethal,
        survivable=survivable,
        survival=survival,
        p_victory=state.p_victory + win * survival,
        done=state.done | win,
        victory_year=xp.where(win, t_win, state.victory_year),
        warnings=state.warnings + warned,
    )
    return freeze(state, track_waystations(new, S_eff, state.done, verified, h_dt, p))


#: Fields a step still changes in a world that is already done. Every other
#: field stays put by construction: its increments are multiplied by
#: ``h_dt = 0`` and no event can fire (tested).
EVOLVING_WHEN_DONE = ("will", "noise", "margin_est", "trust", "pause", "relief",
                      "dC_rate", "dS_rate", "usable_ai", "lethal", "survivable",
                      "pause_run")  # fmt: skip


def freeze(old: State, new: State) -> State:
    """``new``, except that worlds already done in ``old`` keep their old state (``t`` moves).

    Only the fields of :data:`EVOLVING_WHEN_DONE` need it. With numpy, their
    done rows are copied back into the arrays ``step`` has just created (few
    rows: the engine drops finished worlds). Under JAX it is a ``where`` per
    field, except for the growth rates: they only feed the next step's
    forecast, whose results a done world discards.
    """
    xp = xp_of(old.C, new.C)
    if xp is not np:
        fields = set(EVOLVING_WHEN_DONE) - {"dC_rate", "dS_rate"}
        return new._replace(**{k: xp.where(old.done, getattr(old, k), getattr(new, k))
                               for k in fields})  # fmt: skip
    rows = np.flatnonzero(old.done[:, 0])
    if rows.size:
        for name in EVOLVING_WHEN_DONE:
            o, n = getattr(old, name), getattr(new, name)
            if n is not o:
                n[rows] = o[rows]
    return new


def _labour_ratio(I_s: Array, p: Params) -> Array:
    """Total safety labour relative to the fixed reference, for breakthrough chances."""
    total: Array = actor_sum(I_s) / p["safety_ref"]
    return xp_of(total).power(total, p["lam_s"])


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
    past_aar = p["C_aar"] <= s.C
    aar = actor_any(past_aar & (S_eff >= s.C) & (s.usable_ai >= AAR_LABOUR))
    sweet = actor_any(past_aar & (p["C_si"] > s.C) & (S_eff >= s.C)) & running
    ehl = s.t + 0.5 * h_dt >= s.em_time  # the step end nearest to its arrival
    events = xp.concatenate(
        [pause_run >= PAUSE_YEARS, aar, ehl, sweet, s.O >= HARDENED_OOM, verified], axis=1
    )
    frontier = actor_max(s.C)
    takeoff = p["C_aar"] + xp.minimum(TAKEOFF_YEARS * s.g0, p["si_gap"])
    passed = xp.concatenate(
        [frontier >= p["C_aar"], frontier >= p["C_si"], frontier >= takeoff], axis=1
    )
    s = s._replace(pause_run=pause_run, sweet_years=s.sweet_years + sweet * h_dt)
    new_mile = passed & xp.isnan(s.milestones) & ~was_done
    first = events & xp.isnan(s.reached) & ~was_done
    if xp is np and not first.any() and not new_mile.any():  # exact shortcut
        return s
    milestones = xp.where(new_mile, s.t, s.milestones)
    # Enhanced labour arrives at a time known in advance (em_time): it is
    # flagged at the step end nearest to it, so rules that wait for it switch
    # without bias, and its arrival is recorded exactly.
    when = xp.where(xp.arange(first.shape[1]) == _EHL, s.em_time, s.t)
    return s._replace(
        reached=xp.where(first, when, s.reached),
        reach_survival=xp.where(first, s.survival, s.reach_survival),
        milestones=np.asfortranarray(milestones) if xp is np else milestones,
    )
