"""One time step of the model (v2): the mechanisms composed, and the state they start from.

docs/model.md section 6, "Time steps", and essay section 2 (the outcomes a
world can reach). The continuous state (capability, safety ranges,
hardening, evaluation quality) advances by Heun's method -- growth rates at
the start of the step and at an Euler prediction of its end, averaged --
with the pause decided at each of the two points from that point's
evaluation; survival integrates the lethal hazard by the trapezoid rule.
Both are second order in ``dt``. A world stops at victory and keeps its
state from then on (:func:`freeze`).

:func:`initial_state` is the state at the start year; :func:`step` advances
it. Every function is generic over the array namespace (numpy, or
``jax.numpy`` under the JAX backend).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from waystation._kernels import xp_of
from waystation.dynamics.backdrop import backdrop_target
from waystation.dynamics.capability import capability_rate, sabotage
from waystation.dynamics.common import (
    Levers,
    Params,
    actor_any,
    actor_max,
    actor_min,
    actor_sum,
    crossing,
    rival_max,
)
from waystation.dynamics.hazard import hazard, incident_count
from waystation.dynamics.labour import (
    ai_labour,
    ai_safety_labour,
    emulated_labour,
    human_labour,
    trust,
    wbe_effort,
)
from waystation.dynamics.restraint import (
    coordination,
    detection,
    estimated_margin,
    evaluation_error,
    political_will,
    race_relief,
    restraint,
    shown_danger,
)
from waystation.dynamics.safety import (
    breakthrough_chance,
    hardening_cover,
    safety_range,
    safety_rates,
)
from waystation.dynamics.waystations import WAYSTATION_INDEX, track_waystations
from waystation.state import MILESTONES, WAYSTATIONS, Array, Shocks, State


class Growth(NamedTuple):
    """Growth rates of the continuous state at one point of a step, and the labour behind them."""

    dC_free: Array  #: (W, A) capability growth the actor would get without pausing, OOM/yr
    dS: Array  #: (W, A) own safety-range growth, OOM/yr
    dS_seen: Array  #: (W, A) own range growth as evaluations see it (sabotage unseen), OOM/yr
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
    """Growth rates of ``C`` (before any pause), ``S``, ``O``, ``E`` at one point.

    Ten parameters: the state arrays one by one (the Heun step calls it at
    two points of different state), as every equation of ``dynamics`` takes them.
    """
    xp = xp_of(C, S)
    hs, hc = human_labour(p, t - p.start)
    L_ai = ai_labour(C, p, lv)
    S_eff = safety_range(S, O, C, p)
    tr = trust(S_eff, C, p)
    em = emulated_labour(t, em_time, p) / C.shape[1]
    usable, bad = ai_safety_labour(L_ai, tr, hs + em, p, lv)
    I_s = hs * (1.0 - lv.wbe_investment) + usable + em
    free = capability_rate(t, hc, L_ai, C, p, lv)
    # No deterrence anywhere: 1 - 0 * sigmoid is exactly 1, so skipping is exact.
    if xp is not np or np.any(lv.deterrence):
        free = free * (1.0 - sabotage(C, rival_max(C), p, lv))
    dS, dO, dE, dS_seen = safety_rates(I_s, bad, C, S, O, E, B, will, p, lv)
    wbe = wbe_effort(t, hs, hc, L_ai, p, lv)
    return Growth(free, dS, dS_seen, dO, dE, I_s, usable, tr, wbe, S_eff)


def range_growth(g: Growth, C: Array, O: Array, p: Params, seen: bool = False) -> Array:
    """Growth of the effective safety range, OOM/yr, at growth ``g`` if the actor did not pause.

    Own growth (as evaluations see it if ``seen``: sabotage unseen), plus the
    hardening growth that covers ``C``, minus the cover that fading loses as
    capability grows towards ``C_si``.
    """
    xp = xp_of(C, O)
    cover = hardening_cover(xp.ones_like(O), C, p)
    fading = xp.where((cover > 0.0) & (cover < 1.0), O / p.si_gap, 0.0)
    return (g.dS_seen if seen else g.dS) + cover * g.dO - fading * g.dC_free


#: Survival below which a world has failed for every figure waystation reports, and stops.
#: A world's outcome probabilities are summed in units of 2**-32 (``tally.fixed``):
#: below 2**-34 its survival, its P(victory) (which can only be a part of that
#: survival) and its P(costly non-failure) all round to 0 and its P(failure) to 1,
#: whatever it does later, so stopping it changes no probability, no survival
#: sum and no waystation tally to the bit. It stops its per-world records (a
#: victory year, warning shots, arrivals) where failure is certain rather than
#: following a world that exists with probability below 6e-11 (docs/model.md
#: section 6, "Retired worlds").
RETIRED = 2.0**-34

#: The signature of :func:`step`, which the fused kernel's ``ws_step`` shares.
StepFn = Callable[[State, Params, Levers, Shocks, float], State]


def step(state: State, p: Params, lv: Levers, shocks: Shocks, dt: float) -> State:
    """Advance every world by ``dt`` years; worlds that stopped stay frozen.

    A world stops at victory, or once its survival is below :data:`RETIRED`
    (failure certain to every reported digit; docs/model.md section 6): from
    the next step on it keeps its state exactly (:func:`freeze`), so an engine
    may drop finished worlds from the arrays it steps without changing a
    single number.
    """
    xp = xp_of(state.C, state.survival)
    live = (~state.done).astype(np.float64)
    h_dt = dt * live
    C0, S0, O0, E0, V0 = state.C, state.S, state.O, state.E, state.S_seen

    # Heun's method: growth at the start of the step and at an Euler prediction
    # of its end. The pause is feedback control, decided at each of the two
    # points from that point's evaluation (same error) and unrestrained rates.
    # Evaluations see the range V = S_seen: sabotage passes for progress.
    noise = evaluation_error(state.noise, shocks.eval_z, dt, p)
    coord = coordination(state.will, state.B, p, lv)
    g1 = growth(state.t, C0, S0, O0, E0, state.B, state.will, state.em_time, p, lv)
    S_eff0 = g1.S_eff
    M_hat = estimated_margin(safety_range(V0, O0, C0, p), C0, E0, noise, p)
    M_fc0 = M_hat + (range_growth(g1, C0, O0, p, True) - g1.dC_free) * lv.lookahead
    pause0 = restraint(M_fc0, state.relief, state.will, coord, state.B, state.undetected, p, lv)
    dC1 = g1.dC_free * (1.0 - pause0)
    C1 = C0 + dC1 * h_dt
    S1 = S0 + g1.dS * h_dt
    V1 = V0 + g1.dS_seen * h_dt
    O1 = O0 + g1.dO * h_dt
    E1 = E0 + g1.dE * h_dt
    g2 = growth(state.t + dt, C1, S1, O1, E1, state.B, state.will, state.em_time, p, lv)
    M_fc1 = (
        estimated_margin(safety_range(V1, O1, C1, p), C1, E1, noise, p)
        + (range_growth(g2, C1, O1, p, True) - g2.dC_free) * lv.lookahead
    )
    relief1 = race_relief(C1, rival_max(C1), p)
    pause1 = restraint(M_fc1, relief1, state.will, coord, state.B, state.undetected, p, lv)
    pause = 0.5 * (pause0 + pause1)
    dC = 0.5 * (dC1 + g2.dC_free * (1.0 - pause1))
    dS = 0.5 * (g1.dS + g2.dS)
    I_s = 0.5 * (g1.I_s + g2.I_s)

    verify_p = breakthrough_chance(I_s, h_dt, p)
    k = WAYSTATION_INDEX["verified_safety"]
    once = xp.isnan(state.reached[:, k : k + 1])
    verified = (shocks.verify_u < verify_p) & once  # one breakthrough per world
    C = xp.minimum(C0 + dC * h_dt, p.C_max)
    # Sabotage can undo progress an actor made, not the methods it started with.
    S = xp.maximum(S0 + dS * h_dt, p.safety_range) + verified * p.verify_jump
    dV = 0.5 * (g1.dS_seen + g2.dS_seen)
    S_seen = xp.maximum(V0 + dV * h_dt, p.safety_range) + verified * p.verify_jump
    O = O0 + 0.5 * (g1.dO + g2.dO) * h_dt
    E = E0 + 0.5 * (g1.dE + g2.dE) * h_dt

    S_eff = safety_range(S, O, C, p)  # the new safety ranges
    lethal, survivable = hazard(C, S_eff, p, lv)
    lethal, survivable = actor_sum(lethal), actor_sum(survivable)
    survival = state.survival * xp.exp(-0.5 * (state.lethal + lethal) * h_dt)
    # Survivable incidents: a Poisson count of the trapezoid-integrated rate.
    incidents = incident_count(shocks.warn_u, 0.5 * (state.survivable + survivable) * h_dt)
    # Perceived risk that evaluations show (what systems would do given the chance:
    # the motivation-control margin, trapezoid over the step) and incidents move will.
    shown = 0.5 * (
        shown_danger(estimated_margin(V0, C0, E0, noise, p), E0, p)
        + shown_danger(estimated_margin(S_seen, C, E, noise, p), E, p)
    )
    will = political_will(state.will, shown, incidents, p, dt)
    undetected = detection(state.undetected, state.usable_ai, coord, p, lv, h_dt)

    relief = race_relief(C, rival_max(C), p)
    B_t = backdrop_target(C, S_eff, relief, p)
    B = B_t + (state.B - B_t) * xp.exp(-h_dt / p.b_tau)

    t = state.t + dt
    wbe = state.wbe_progress + 0.5 * (g1.wbe + g2.wbe) * h_dt
    # emulation research reaches wbe_cost within the step: interpolate the moment
    crossed = crossing(state.wbe_progress, wbe, p.wbe_cost)
    em_time = xp.where(
        xp.isinf(state.em_time) & (wbe >= p.wbe_cost),
        state.t + crossed * h_dt + p.wbe_lag,
        state.em_time,
    )

    # Victory: some actor at or past C_si inside its safety range. The world
    # stops at the moment within the step when the later of the two conditions
    # was met (linear interpolation), with the survival of that moment.
    winner = (p.C_si <= C) & (S_eff >= C)
    win = actor_any(winner) & ~state.done
    frac = crossing(C0, C, p.C_si)
    frac = xp.maximum(frac, crossing(C0 - S_eff0, C - S_eff, 0.0, rising=False))
    frac = actor_min(xp.where(winner, frac, 1.0))
    lethal_frac = frac * (state.lethal + 0.5 * frac * (lethal - state.lethal))
    survival_win = state.survival * xp.exp(-lethal_frac * h_dt)
    survival = xp.where(win, survival_win, survival)
    t_win = state.t + frac * dt
    new = state._replace(
        t=t,
        C=C,
        S=S,
        S_seen=S_seen,
        O=O,
        E=E,
        B=B,
        will=will,
        noise=noise,
        margin_est=M_hat,
        trust=g2.trust,
        pause=pause,
        undetected=undetected,
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
        warnings=state.warnings + incidents,
    )
    new = track_waystations(new, S_eff, state.done, verified, h_dt, p)
    # Retired: the step that took survival below RETIRED counts in full, as a
    # victory step does; the world stops from the next.
    return freeze(state, new._replace(done=new.done | (new.survival < RETIRED)))


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


def initial_state(p: Params, lv: Levers, z0: Array, t0: float) -> State:
    """The state at the start year: each actor's frontier and safety range, nothing reached.

    ``z0`` is each actor's initial evaluation error (unit normal draws); the
    growth rates are those of the start point, so strategies and the first
    forecast can read them.
    """
    W, A = z0.shape
    C = p.frontier + np.zeros((W, A), order="F")
    S = p.safety_range + np.zeros((W, A), order="F")
    zeros1 = np.zeros((W, 1))
    zerosA = np.zeros((W, A), order="F")
    O = zeros1
    S_eff = safety_range(S, O, C, p)
    lethal, survivable = hazard(C, S_eff, p, lv)
    s = State(
        t=t0,
        C=C,
        S=S,
        S_seen=S.copy(order="F"),
        O=O,
        E=zerosA,
        B=np.ones((W, 1)),
        will=zeros1,
        noise=z0,
        margin_est=S_eff - C,
        trust=trust(S_eff, C, p),
        pause=zerosA,
        undetected=np.ones((W, A), order="F"),
        relief=race_relief(C, rival_max(C), p),
        dC_rate=zerosA,
        dS_rate=zerosA,
        usable_ai=zerosA,
        wbe_progress=zeros1,
        em_time=np.full((W, 1), np.inf),
        lethal=actor_sum(lethal),
        survivable=actor_sum(survivable),
        survival=np.ones((W, 1)),
        p_victory=zeros1,
        done=np.zeros((W, 1), dtype=bool),
        victory_year=np.full((W, 1), np.nan),
        warnings=zeros1,
        pause_run=zeros1,
        sweet_years=zeros1,
        reached=np.full((W, len(WAYSTATIONS)), np.nan),
        reach_survival=np.zeros((W, len(WAYSTATIONS))),
        g0=zeros1,
        milestones=np.full((W, len(MILESTONES)), np.nan, order="F"),
    )
    g = growth(np.asarray(t0), C, S, O, s.E, s.B, s.will, s.em_time, p, lv)
    return s._replace(
        dC_rate=np.asfortranarray(g.dC_free + zerosA),
        dS_rate=np.asfortranarray(range_growth(g, C, O, p) + zerosA),
        usable_ai=np.asfortranarray(g.usable_ai + zerosA),
        g0=actor_max(g.dC_free) + zeros1,
    )
