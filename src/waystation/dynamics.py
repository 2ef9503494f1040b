"""One time step of the model: each mechanism as a small pure function.

Every function takes arrays and returns arrays; ``step`` composes them into a
new :class:`~waystation.state.State`. Section numbers refer to the essay
"Paths and waystations in AI safety" (Carlsmith 2025) and to the project's
``docs/model.md``, which states each equation.

Conventions: ``p`` maps parameter names to arrays shaped ``(W, 1)`` (world
and nature parameters) or ``(W, A)`` (actor parameters); ``lv`` maps lever
names to ``(W, A)`` or ``(W, 1)`` arrays. Rates are per year, capability and
safety are in OOM, labour in full-time-equivalent researchers (FTE).

Every function is generic over the array namespace: ``xp = xp_of(...)`` is
numpy for numpy arrays and ``jax.numpy`` for JAX arrays, so the optional JAX
backend (:mod:`waystation.jax_backend`) traces this very code. Nothing here
writes into an array it did not create in the same numpy-only branch, except
:func:`freeze`, which restores rows of the arrays ``step`` has just made.
"""

from __future__ import annotations

from collections.abc import Mapping
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
#: Reference shares of safety labour at which ``e_base`` and ``o_base`` are stated.
EVAL_REF_SHARE = 0.1
HARDEN_REF_SHARE = 0.05
#: Extra hazard of a superintelligence outside its safety range (x hazard_rate).
SI_HAZARD = 10.0
#: Waystation thresholds (MODEL.md section 7).
PAUSE_LEVEL, PAUSE_YEARS = 0.9, 1.0
AAR_TRUST, AAR_SHARE = 0.5, 0.1
HARDENED_OOM = 2.0
_IDX = {name: k for k, name in enumerate(WAYSTATIONS)}


def sigmoid(x: Array) -> Array:
    """Logistic function, computed in place on a clipped copy so exp never overflows."""
    xp = xp_of(x)
    if xp is not np:  # functional form, same operations in the same order
        return 1.0 / (1.0 + xp.exp(-xp.clip(x, -_EXP_CLIP, _EXP_CLIP)))
    z = np.array(np.clip(x, -_EXP_CLIP, _EXP_CLIP), dtype=np.float64, ndmin=1)
    if np.ndim(x) == 0:
        return 1.0 / (1.0 + np.exp(-z.reshape(())))
    np.negative(z, out=z)
    np.exp(z, out=z)
    z += 1.0
    return np.reciprocal(z, out=z)


def actor_sum(x: Array) -> Array:
    """Sum over actors as column additions: (W, A) -> (W, 1).

    numpy reductions over a short trailing axis are slow; adding A column
    views is a handful of fast vector operations.
    """
    out = x[:, 0:1]
    for a in range(1, x.shape[1]):
        out = out + x[:, a : a + 1]
    return out


def actor_any(x: Array) -> Array:
    """Logical or over actors: (W, A) bool -> (W, 1)."""
    out = x[:, 0:1]
    for a in range(1, x.shape[1]):
        out = out | x[:, a : a + 1]
    return out


def actor_all(x: Array) -> Array:
    """Logical and over actors: (W, A) bool -> (W, 1)."""
    out = x[:, 0:1]
    for a in range(1, x.shape[1]):
        out = out & x[:, a : a + 1]
    return out


def rival_max(C: Array) -> Array:
    """Return, for each actor, the highest capability among the *other* actors (OOM).

    Uses running maxima from both sides, so it costs O(A) column operations.
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


# Fused elementwise kernels (see waystation._kernels): each is written once,
# as the expression the functions below document, and runs as one numba ufunc
# when numba is installed. Operations keep the order of the plain numpy
# expression, so both paths give the same bits.


@elementwise
def _logistic(k: Array, a: Array, b: Array, width: Array) -> Array:
    """``k * sigmoid((a - b) / width)``, with the exp argument clipped."""
    z = np.minimum(np.maximum((a - b) / width, -_EXP_CLIP), _EXP_CLIP)
    return k * (1.0 / (1.0 + np.exp(-z)))


@elementwise
def _ai_labour(
    C: Array, C_useful: Array, C_max: Array, ratio: Array, researchers: Array,
    k_ai: Array, tool: Array, tool_cut: Array,
) -> Array:  # fmt: skip
    """Kernel of :func:`ai_labour`."""
    oom = np.minimum(np.maximum(C - C_useful, 0.0), C_max)
    return ratio * researchers * np.exp(LN10 * k_ai * oom) * (1.0 - tool * tool_cut)


@elementwise
def _trusted_ai_safety(
    L_ai: Array, tr: Array, scheming: Array, eval_ease: Array, share: Array, edge: Array
) -> Array:
    """Kernel of :func:`trusted_ai_safety`."""
    honest = np.minimum(np.maximum(1.0 - scheming, 0.0), 1.0)
    quality = eval_ease + (1.0 - eval_ease) * tr * honest
    return share * L_ai * edge * quality


@elementwise
def _capability_rate(
    compute: Array, human_cap: Array, ai: Array, share: Array, wbe: Array,
    researchers: Array, ratio: Array, ideas_harder: Array, progress: Array,
    compute_scale: Array, g_algo: Array, lam_c: Array, max_rate: Array,
) -> Array:  # fmt: skip
    """Kernel of :func:`capability_rate`, given the (W, 1) compute growth.

    ``(labour / ref) ** lam_c * 10 ** (-ideas_harder * progress)`` is computed
    as one ``exp`` of the summed logarithms (see :data:`LOG_FLOOR` for zero labour).
    """
    labour = (human_cap + (1.0 - share) * ai) * (1.0 - wbe)
    ref = researchers * (1.0 + ratio)
    log_labour = np.maximum(np.log(labour / ref), LOG_FLOOR)
    log_ideas = lam_c * log_labour - LN10 * ideas_harder * np.maximum(0.0, progress)
    rate = compute_scale * compute + g_algo * np.exp(log_ideas)
    return np.minimum(rate, max_rate)


@elementwise
def _returns(scale: Array, share: Array, labour: Array, ref: Array, lam: Array) -> Array:
    """``scale * (share * labour / ref) ** lam``: diminishing returns to research labour.

    The power is ``exp(lam * log(...))``, within a few ulp of ``pow`` and
    about a third cheaper (see :data:`LOG_FLOOR` for zero labour).
    """
    return scale * np.exp(lam * np.maximum(np.log(share * labour / ref), LOG_FLOOR))


@elementwise
def _estimated_margin(
    S_eff: Array, C: Array, E: Array, noise: Array, scheming: Array, C_aar: Array,
    sigma: Array,
) -> Array:  # fmt: skip
    """Kernel of :func:`estimated_margin`."""
    bias = scheming * np.maximum(0.0, C - C_aar)
    return (S_eff - C) + bias + sigma / (1.0 + E) * noise


@elementwise
def _restraint(
    M_fc: Array, relief: Array, will: Array, caution_lv: Array, target: Array,
    width: Array, enforcement: Array, global_pause: Array,
) -> Array:  # fmt: skip
    """Kernel of :func:`restraint`."""
    caution = np.minimum(np.maximum(caution_lv + will, 0.0), 1.0)
    z = np.minimum(np.maximum((target - M_fc) / width, -_EXP_CLIP), _EXP_CLIP)
    voluntary = np.maximum(0.0, caution * (1.0 / (1.0 + np.exp(-z))) - relief)
    enforced = np.minimum(np.maximum(enforcement + will, 0.0), 1.0)
    governed = global_pause * (enforced + (1.0 - enforced) * caution)
    return np.minimum(np.maximum(voluntary + governed, 0.0), 1.0)


@elementwise
def _hazard(
    C: Array, S_eff: Array, rate: Array, width: Array, C_si: Array, tool: Array,
    tool_cut: Array,
) -> Array:  # fmt: skip
    """Kernel of :func:`hazard`: the total hazard rate."""
    z = np.minimum(np.maximum((C - S_eff) / width, -_EXP_CLIP), _EXP_CLIP)
    h = rate * (1.0 / (1.0 + np.exp(-z)))
    z = np.minimum(np.maximum((C - C_si) / width, -_EXP_CLIP), _EXP_CLIP)
    h = h * (1.0 + SI_HAZARD * (1.0 / (1.0 + np.exp(-z))))
    return h * (1.0 - tool * tool_cut)


class Labour(NamedTuple):
    """Labour pools of one step, in FTE (essay section 5)."""

    human_safety: Array  #: (W, A)
    human_cap: Array  #: (W, A)
    ai: Array  #: (W, A) all AI research labour
    ai_safety: Array  #: (W, A) trusted, effective AI safety labour
    emulated: Array  #: (W, 1) enhanced human labour per actor
    progress: Array  #: (W, A) capability gained since 2026, OOM


def human_labour(p: Params, years: Array) -> tuple[Array, Array]:
    """Human safety and capabilities researchers after ``years`` of growth (FTE, section 5)."""
    xp = xp_of(p["safety_growth"], p["capability_growth"], years)
    hs = p["safety_researchers"] * xp.exp(p["log1p_safety_growth"] * years)
    hc = p["capability_researchers"] * xp.exp(p["log1p_capability_growth"] * years)
    return hs, hc


def ai_labour(C: Array, p: Params, lv: Levers) -> Array:
    """AI research labour, growing 10**k_ai per OOM of capability (FTE; overview, essay 4).

    This is the engine of the capabilities feedback loop. Tool-only AI gives up
    a share ``tool_labor_cut`` of it.
    """
    return _ai_labour(C, p["C_useful"], p["C_max"], p["ai_labor_ratio"],
                      p["capability_researchers"], p["k_ai"], lv["tool_ai_only"],
                      p["tool_labor_cut"])  # fmt: skip


def trust(S_eff: Array, C: Array, p: Params) -> Array:
    """How far AI labour can be relied on: sigmoid of the true margin (0..1, section 5)."""
    return _logistic(1.0, S_eff, C, p["edge_width"])


def trusted_ai_safety(L_ai: Array, tr: Array, p: Params, lv: Levers) -> Array:
    """AI safety labour after the trust discount (FTE; overview, essays 4-5).

    Checkable work (share ``eval_ease``) counts in full; the rest only as far as
    the AI is trusted and not scheming.
    """
    return _trusted_ai_safety(L_ai, tr, p["scheming"], p["eval_ease"], lv["ai_safety_share"],
                              p["ai_safety_edge"])  # fmt: skip


def emulated_labour(t: float, em_time: Array, p: Params) -> Array:
    """Enhanced human (emulated) labour available at ``t`` (FTE, section 5): grows by copying."""
    xp = xp_of(t, em_time, p["em_growth"])
    age = xp.clip(t - em_time, 0.0, _EXP_CLIP / xp.maximum(p["em_growth"], 1e-9))
    grown = xp.minimum(p["em_max"], p["em_initial"] * xp.exp(p["em_growth"] * age))
    return xp.where(t >= em_time, grown, 0.0)


def capability_rate(t: float, lab: Labour, p: Params, lv: Levers) -> Array:
    """Unrestrained capability growth in OOM/yr (section 4, capability frontier).

    Compute grows at the actor's share of the frontier trend for
    ``scaling_years``, then at the hardware trend alone; algorithmic progress
    scales with research labour relative to 2026 as ``labour**lam_c``.
    """
    scaling = sigmoid(p["start"] + p["scaling_years"] - t)
    compute = p["g_hardware"] + (p["g_compute"] - p["g_hardware"]) * scaling
    return _capability_rate(
        compute, lab.human_cap, lab.ai, lv["ai_safety_share"], lv["wbe_investment"],
        p["capability_researchers"], p["ai_labor_ratio"], p["ideas_harder"], lab.progress,
        p["compute_scale"], p["g_algo"], p["lam_c"], p["max_rate"],
    )  # fmt: skip


def safety_inputs(lab: Labour, lv: Levers) -> Array:
    """Total safety labour per actor: human, trusted AI and emulated (FTE, section 5)."""
    return (lab.human_safety * (1.0 - lv["wbe_investment"])) + lab.ai_safety + lab.emulated


def safety_rates(I_s: Array, B: Array, p: Params, lv: Levers) -> tuple[Array, Array, Array]:
    """Growth of safety ranges, world hardening and evaluation quality per year (section 4).

    Safety labour is split between motivation control (``S``), evaluation
    (``E``) and hardening (``O``); each actor receives ``spillover`` of the
    others' progress. Returns ``(dS, dO, dE)`` rates.
    """
    xp = xp_of(I_s, B)
    ref = p["safety_ref"]
    e_share, h_share = lv["eval_investment"], lv["hardening_investment"]
    total = xp.maximum(1.0, e_share + h_share)
    e_share, h_share = e_share / total, h_share / total
    s_share = 1.0 - e_share - h_share
    scale = p["s_base"] * B / p["hardness"]
    own = _returns(scale, s_share, I_s, ref, p["lam_s"])
    shared = own + lv["spillover"] * (actor_sum(own) - own)
    harden = actor_sum(h_share * I_s) / (HARDEN_REF_SHARE * ref)
    dO = p["o_base"] * B / p["hardness"] * xp.power(harden, p["lam_s"])
    eval_own = _returns(1.0, e_share, I_s, EVAL_REF_SHARE * ref, p["lam_s"])
    eval_shared = eval_own + lv["spillover"] * (actor_sum(eval_own) - eval_own)
    dE = p["e_base"] * B * eval_shared
    return shared, dO, dE


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
    return _estimated_margin(S_eff, C, E, noise, p["scheming"], p["C_aar"], p["sigma_eval"])


def race_relief(C: Array, rival: Array, p: Params) -> Array:
    """How much race pressure erodes voluntary restraint (0..race_pressure, section 4).

    Grows with how far the nearest rival (capability ``rival``) leads; half
    strength when neck and neck.
    """
    return _logistic(p["race_pressure"], rival, C, p["race_scale"])


def restraint(M_fc: Array, relief: Array, will: Array, p: Params, lv: Levers) -> Array:
    """Pause fraction of each actor, 0..1 (section 4, capability restraint).

    Voluntary caution responds to the forecast margin and is eroded by race
    pressure; a coordinated pause binds through enforcement, and the
    unenforced part of it through each actor's own caution.
    """
    return _restraint(M_fc, relief, will, lv["caution"], lv["margin_target"], p["pause_width"],
                      lv["enforcement"], lv["global_pause"])  # fmt: skip


def sabotage(C: Array, rival: Array, p: Params, lv: Levers) -> Array:
    """Share of an actor's growth lost to rivals' sabotage once its lead passes a threshold.

    Models deterrence by "mutually assured AI malfunction" (section 6).
    """
    xp = xp_of(C, rival)
    lead = xp.where(xp.isfinite(rival), C - rival, -np.inf)  # no rival: nobody to sabotage
    return _logistic(lv["deterrence"], lead, p["deterrence_threshold"], 0.1)


def hazard(C: Array, S_eff: Array, p: Params, lv: Levers) -> tuple[Array, Array]:
    """Lethal and survivable hazard rates per actor, events/yr (section 4, footnote 14).

    The hazard is a logistic in how far the frontier is beyond the safety
    range. Events from systems well below ``C_aar`` are mostly survivable
    warning shots; unsafe superintelligence is ``SI_HAZARD`` times worse.
    """
    width = p["edge_width"]
    h = _hazard(C, S_eff, p["hazard_rate"], width, p["C_si"], lv["tool_ai_only"],
                p["tool_hazard_cut"])  # fmt: skip
    lethal_share = _logistic(1.0 - p["warning_share"], C, p["C_aar"] - p["lethal_offset"], width)
    return h * lethal_share, h * (1.0 - lethal_share)


def backdrop_target(C: Array, S_eff: Array, relief: Array, p: Params) -> Array:
    """Backdrop capacity that current AI deployment pushes towards (1 = 2026, section 4).

    Safely deployed capability raises it; deployment beyond the safety range
    and racing erode it.
    """
    xp = xp_of(C, S_eff)
    safe = actor_sum(xp.maximum(0.0, xp.minimum(C, S_eff))) / C.shape[1]
    unsafe = actor_sum(xp.maximum(0.0, C - S_eff)) / C.shape[1]
    race = actor_sum(relief) / C.shape[1]
    return xp.clip(1.0 + p["b_gain"] * safe - p["b_erosion"] * (unsafe + race), 0.25, 4.0)


def wbe_effort(t: float, lab: Labour, p: Params, lv: Levers) -> Array:
    """Research effort going into whole-brain emulation this year (FTE, section 5)."""
    xp = xp_of(t, lab.ai, p["wbe_background_growth"])
    background = p["wbe_background"] * xp.exp(p["log1p_wbe_background_growth"] * (t - p["start"]))
    invested = lv["wbe_investment"] * (lab.human_safety + lab.human_cap + lab.ai)
    return background + actor_sum(invested)


def labour(state: State, S_eff: Array, p: Params, lv: Levers) -> tuple[Labour, Array]:
    """All labour pools at the start of a step, and the trust in AI labour."""
    hs, hc = human_labour(p, state.t - p["start"])
    L_ai = ai_labour(state.C, p, lv)
    tr = trust(S_eff, state.C, p)
    em = emulated_labour(state.t, state.em_time, p) / state.C.shape[1]
    progress = state.C - p["frontier"]
    return Labour(hs, hc, L_ai, trusted_ai_safety(L_ai, tr, p, lv), em, progress), tr


def step(state: State, p: Params, lv: Levers, shocks: Shocks, dt: float) -> State:
    """Advance every world by ``dt`` years; worlds that reached victory stay frozen.

    A world stops at victory (MODEL.md section 5): from the next step on it
    keeps its state exactly (:func:`freeze`), so an engine may drop finished
    worlds from the arrays it steps without changing a single number.
    """
    xp = xp_of(state.C, state.survival)
    live = (~state.done).astype(np.float64)
    h_dt = dt * live
    S_eff = state.S + state.O
    lab, tr = labour(state, S_eff, p, lv)

    noise = evaluation_error(state.noise, shocks.eval_z, dt, p)
    M_hat = estimated_margin(S_eff, state.C, state.E, noise, p)
    M_fc = M_hat + (state.dS_rate - state.dC_rate) * lv["lookahead"]
    pause = restraint(M_fc, state.relief, state.will, p, lv)  # relief: end of last step

    dC = capability_rate(state.t, lab, p, lv) * (1.0 - pause)
    # No deterrence anywhere: 1 - 0 * sigmoid is exactly 1, so skipping is exact. Under
    # JAX tracing the levers are not known, and the term is always applied (same bits).
    if xp is not np or np.any(lv["deterrence"]):
        dC = dC * (1.0 - sabotage(state.C, rival_max(state.C), p, lv))
    I_s = safety_inputs(lab, lv)
    dS, dO, dE = safety_rates(I_s, state.B, p, lv)
    dE = dE * (1.0 + state.will)
    verify_p = -xp.expm1(-p["verify_rate"] * p["eval_ease"] * _labour_ratio(I_s, p) * h_dt)
    verified = shocks.verify_u < verify_p
    C = xp.minimum(state.C + dC * h_dt, p["C_max"])
    S = xp.minimum(state.S + dS * h_dt + verified * p["verify_jump"], p["C_max"])
    O = state.O + dO * h_dt
    E = state.E + dE * h_dt

    S_eff = S + O  # the new safety ranges
    lethal, survivable = hazard(C, S_eff, p, lv)
    survival = state.survival * xp.exp(-actor_sum(lethal) * h_dt)
    warn_p = -xp.expm1(-actor_sum(survivable) * h_dt)
    warned = shocks.warn_u < warn_p
    will = state.will * xp.exp(-p["will_decay"] * dt) + warned * p["will_per_warning"]

    relief = race_relief(C, rival_max(C), p)
    B_t = backdrop_target(C, S_eff, relief, p)
    B = B_t + (state.B - B_t) * xp.exp(-h_dt / p["b_tau"])

    t = state.t + dt
    wbe = state.wbe_progress + wbe_effort(state.t, lab, p, lv) * h_dt
    em_time = xp.where(
        xp.isinf(state.em_time) & (wbe >= p["wbe_cost"]), t + p["wbe_lag"], state.em_time
    )

    win = actor_any((p["C_si"] <= C) & (S_eff >= C)) & ~state.done
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
        trust=tr,
        pause=pause,
        relief=relief,
        dC_rate=dC,
        dS_rate=dS,
        wbe_progress=wbe,
        em_time=em_time,
        survival=survival,
        p_victory=state.p_victory + win * survival,
        done=state.done | win,
        victory_year=xp.where(win, t, state.victory_year),
        warnings=state.warnings + warned,
    )
    return freeze(state, track_waystations(new, S_eff, state.done, lv, verified, h_dt, p))


#: Fields a step still changes in a world that is already done. Every other
#: field stays put by construction: its increments are multiplied by
#: ``h_dt = 0`` and no event can fire (tested).
EVOLVING_WHEN_DONE = ("B", "will", "noise", "margin_est", "trust", "pause", "relief",
                      "dC_rate", "dS_rate", "pause_run")  # fmt: skip


def freeze(old: State, new: State) -> State:
    """``new``, except that worlds already done in ``old`` keep their old state (``t`` moves).

    Only the fields of :data:`EVOLVING_WHEN_DONE` need it. With numpy, their
    done rows are copied back into the arrays ``step`` has just created (few
    rows: the engine drops finished worlds). Under JAX it is a ``where`` per
    field, except for the growth rates: they only feed the next step's
    forecast, whose results a done world discards, and selecting them made
    XLA evaluate their powers twice (60% slower).
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
    """Total safety labour relative to the 2026 total, for breakthrough chances."""
    total: Array = actor_sum(I_s) / p["safety_ref"]
    return xp_of(total).power(total, p["lam_s"])


def track_waystations(
    s: State, S_eff: Array, was_done: Array, lv: Levers, verified: Array, h_dt: Array, p: Params
) -> State:
    """Record the first arrival at each waystation of MODEL.md section 7 (essay section 6).

    ``S_eff`` is ``s.S + s.O``, the safety ranges of the new state.
    """
    xp = xp_of(s.C, s.pause_run)
    all_paused = actor_all(s.pause >= PAUSE_LEVEL)
    pause_run = xp.where(all_paused, s.pause_run + h_dt, 0.0)
    past_aar = p["C_aar"] <= s.C
    aar = past_aar & (s.trust >= AAR_TRUST) & (lv["ai_safety_share"] >= AAR_SHARE)
    sweet = actor_any(past_aar & (S_eff >= s.C))
    events = xp.concatenate(
        [
            pause_run >= PAUSE_YEARS,
            actor_any(aar),
            s.t >= s.em_time,
            sweet,
            s.O >= HARDENED_OOM,
            verified,
        ],
        axis=1,
    )
    first = events & xp.isnan(s.reached) & ~was_done
    s = s._replace(pause_run=pause_run, sweet_years=s.sweet_years + sweet * h_dt)
    if xp is np and not first.any():  # nothing reached this step (exact shortcut)
        return s
    return s._replace(
        reached=xp.where(first, s.t, s.reached),
        reach_survival=xp.where(first, s.survival, s.reach_survival),
    )
