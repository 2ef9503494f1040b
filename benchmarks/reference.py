"""A straightforward per-world pure-Python implementation of the model (v3), for comparison.

This is how peer models are usually written: loops over worlds, steps and
actors with ``math``. It restates the equations of ``docs/model.md`` (the
same ones ``waystation.dynamics`` vectorises) under fixed levers, reading the
same parameters and the same random shocks, and serves two purposes:

- ``benchmarks/bench.py`` times it against the vectorised engine;
- ``tests/test_engines.py`` checks that both agree world by world.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # the engine's input records; this module computes with floats only
    from waystation.dynamics import Levers, Params

CLIP = 40.0
SI_HAZARD = 10.0
EVAL_REF, HARDEN_REF = 0.1, 0.05
EPS = 1e-6  # caution kept this far from 0 and 1 in its logit
RETIRED = 2.0**-34  # survival below which a world has failed for certain and stops


def sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-min(max(x, -CLIP), CLIP)))


def clip(x: float, lo: float, hi: float) -> float:
    return min(max(x, lo), hi)


def sat(rate: float, ceiling: float) -> float:
    return rate / math.sqrt(1.0 + (rate / ceiling) ** 2)


def returns(scale: float, labour: float, ref: float, lam: float, penalty: float) -> float:
    if labour <= 0.0:
        return scale if lam == 0.0 else 0.0
    return scale * (labour / ref) ** lam * 10.0 ** (-penalty)


@dataclass
class World:
    """Inputs of one world: every parameter and lever as a list over actors."""

    v: dict[str, list[float]]

    def __getitem__(self, name: str) -> list[float]:
        return self.v[name]

    def g(self, name: str) -> float:
        """A world-level value."""
        return self.v[name][0]


def world_inputs(p: Params, lv: Levers, w: int, A: int) -> World:
    """Per-actor lists of world ``w``'s parameters and levers (engine arrays broadcast)."""
    out = {}
    for src in (p._asdict(), lv._asdict()):
        for k, arr in src.items():
            a = np.asarray(arr, dtype=np.float64)
            row = a if a.ndim == 0 else a[0] if a.shape[0] == 1 else a[w]
            out[k] = [float(v) for v in np.broadcast_to(row, (A,))]
    return World(out)


def cover(x: World, C: float) -> float:
    """Share of hardening that still protects at capability C."""
    return clip((x.g("C_si") - C) / x.g("si_gap"), 0.0, 1.0)


def growth(x: World, t: float, C, S, O, E, B, will, em_time, A):
    """Unrestrained rates at one point: dC, dS, dO, dE, I_s, range growth, wbe effort."""
    years = t - x.g("start")
    hs = [x["safety_researchers"][a] * (1 + x.g("safety_growth")) ** years for a in range(A)]
    hc = [x["capability_researchers"][a] * (1 + x.g("capability_growth")) ** years
          for a in range(A)]  # fmt: skip
    g = x.g("em_growth")
    age = clip(t - em_time, 0.0, CLIP / max(g, 1e-9))
    em = (min(x.g("em_max"), x.g("em_initial") * math.exp(g * age)) if t >= em_time else 0.0) / A
    scaling = sig(x.g("start") + x.g("scaling_years") - t)
    compute = x.g("g_hardware") + (x.g("g_compute") - x.g("g_hardware")) * scaling
    sch = clip(x.g("scheming"), 0.0, 1.0)
    ease = x.g("eval_ease")
    dC, I_s, bad, L = [], [], [], []
    for a in range(A):
        d = min(C[a] - x.g("C_aar"), x.g("C_max"))
        auto = x.g("aar_labor") * 10.0 ** (x.g("k_approach") * min(d, 0) + x.g("k_ai") * max(d, 0))
        L_ai = (x["capability_researchers"][a] * (x.g("ai_labor_ratio") + auto)
                * (1.0 - x["tool_ai_only"][a] * x.g("tool_labor_cut")))  # fmt: skip
        L.append(L_ai)
        S_eff = S[a] + O * cover(x, C[a])
        tr = math.exp(-math.exp(clip((C[a] - S_eff) / x.g("edge_width"), -CLIP, CLIP)))
        sent = (x["ai_safety_share"][a] + x.g("ai_outside_share")) * L_ai * x.g("ai_safety_edge")
        checkable = (1.0 - tr) * sent * ease
        capacity = x.g("oversight") * (hs[a] + em)
        checked = checkable * capacity / max(checkable + capacity, 1e-300)
        usable = tr * sent * (ease + (1.0 - ease) * (1.0 - sch)) + checked
        bad.append(x.g("sabotage_harm") * sent * (1.0 - ease) * sch)
        I_s.append(hs[a] * (1.0 - x["wbe_investment"][a]) + usable + em)
        lab = (hc[a] + (1.0 - x["ai_safety_share"][a]) * L_ai) * (1.0 - x["wbe_investment"][a])
        ref = x["capability_researchers"][a] * (1.0 + x.g("ai_labor_ratio"))
        algo = returns(x.g("g_algo"), lab, ref, x.g("lam_c"),
                       x.g("ideas_harder") * max(C[a] - x["frontier"][a], 0.0))  # fmt: skip
        dC.append(sat(x["compute_scale"][a] * compute + algo, x.g("max_rate")))
    ref, lam, spill = x.g("safety_ref"), x.g("lam_s"), x.g("spillover")
    out = x.g("outside_share")
    net, seen, ev, hard = [], [], [], 0.0
    for a in range(A):
        e, h = x["eval_investment"][a], x["hardening_investment"][a]
        total = max(1.0, e + h)
        e, h = e / total, h / total
        s = max(1.0 - e - h, 0.0)
        pen = (x.g("safety_harder") * max(S[a] - x["safety_range"][a], 0.0)
               + x.g("beyond_frontier") * max(S[a] - C[a], 0.0))  # fmt: skip
        scale = x.g("s_base") * B / x.g("hardness")
        w = s * (I_s[a] - bad[a])  # net labour: sabotage undoes honest work
        net.append(returns(scale, max(w, 0.0), ref, lam, pen)
                   - returns(scale, max(-w, 0.0), ref, lam, pen))  # fmt: skip
        seen.append(returns(scale, s * I_s[a], ref, lam, pen))  # as if no sabotage
        norm = ((EVAL_REF + out) / EVAL_REF) ** lam
        ev.append(returns(1.0, e * I_s[a] + out * I_s[a], EVAL_REF * ref, lam, 0.0) / norm)
        hard += h * I_s[a]
    top = x.g("max_safety_rate")
    dS = [sat(net[a] + spill * (sum(net) - net[a]), top) for a in range(A)]
    dV = [dS[a] + (sat(seen[a] + spill * (sum(seen) - seen[a]), top) - dS[a])
          / (1.0 + ease * E[a]) for a in range(A)]  # fmt: skip
    norm = ((HARDEN_REF + out) / HARDEN_REF) ** lam
    dO = sat(returns(x.g("o_base") * B / x.g("hardness"), hard + out * sum(I_s), HARDEN_REF * ref,
                     lam, x.g("harden_harder") * O) / norm, top)  # fmt: skip
    dE = [x.g("e_base") * B * (1.0 + will) * (ev[a] + spill * (sum(ev) - ev[a])) / (1.0 + E[a])
          for a in range(A)]  # fmt: skip
    rg = []  # growth of the effective range as evaluations see it (sabotage unseen)
    for a in range(A):
        c = cover(x, C[a])
        fading = O / x.g("si_gap") if 0.0 < c < 1.0 else 0.0
        rg.append(dV[a] + c * dO - fading * dC[a])
    background = x.g("wbe_background") * (1 + x.g("wbe_background_growth")) ** years
    wbe = background + sum(x["wbe_investment"][a] * (hs[a] + hc[a] + L[a]) for a in range(A))
    return dC, dS, dO, dE, I_s, rg, wbe, dV


def relief(x: World, C: list[float], A: int) -> list[float]:
    out = []
    for a in range(A):
        rival = max((C[b] for b in range(A) if b != a), default=-math.inf)
        out.append(x.g("race_pressure") * sig((rival - C[a]) / x.g("race_scale")))
    return out


def pauses(x: World, M_fc, rel, will, coord, B, A):
    out = []
    for a in range(A):
        caution = clip(x["caution"][a] + (1.0 - x["caution"][a]) * will, 0.0, 1.0)
        c = clip(caution, EPS, 1.0 - EPS)
        urgency = (x["margin_target"][a] - M_fc[a]) / x.g("pause_width") + math.log(c / (1 - c))
        vol = max(0.0, (sig(urgency) if caution > 0.0 else 0.0) - rel[a])
        enf = clip((x.g("enforcement") + (1.0 - x.g("enforcement")) * will) * B, 0.0, 1.0)
        out.append(clip(vol + coord * (enf + (1.0 - enf) * caution), 0.0, 1.0))
    return out


def hazards(x: World, C, S_eff, A):
    lethal = surv = 0.0
    w = x.g("edge_width")
    ws = clip(x.g("warning_share"), 1e-9, 1.0 - 1e-9)
    for a in range(A):
        h = x.g("hazard_rate") * math.exp(-math.exp(clip((S_eff[a] - C[a]) / w, -CLIP, CLIP)))
        h *= 1.0 + max(C[a] - S_eff[a], 0.0)
        h *= 1.0 + SI_HAZARD * sig((C[a] - x.g("C_si")) / w)
        h *= 1.0 - x["tool_ai_only"][a] * x.g("tool_hazard_cut")
        share = sig((C[a] - x.g("C_lethal")) / x.g("lethal_width") + math.log((1 - ws) / ws))
        lethal += h * share
        surv += h * (1.0 - share)
    return lethal, surv


def margins(x: World, C, S, O, E, noise, rg, dCf, A):
    out = []
    for a in range(A):
        S_eff = S[a] + O * cover(x, C[a])
        bias = x.g("scheming") * max(0.0, C[a] - x.g("C_aar"))
        M_hat = (S_eff - C[a]) + bias + x.g("sigma_eval") / (1.0 + E[a]) * noise[a]
        out.append(M_hat + (rg[a] - dCf[a]) * x["lookahead"][a])
    return out


def shown(x: World, V, C, E, noise, A) -> float:
    """Perceived risk per year that risk evaluation shows (the most alarming actor)."""
    out = []
    for a in range(A):
        bias = x.g("scheming") * max(0.0, C[a] - x.g("C_aar"))
        M = (V[a] - C[a]) + bias + x.g("sigma_eval") / (1.0 + E[a]) * noise[a]
        cred = x.g("eval_ease") * E[a] / (1.0 + x.g("eval_ease") * E[a])
        out.append(cred * sig(-M / x.g("edge_width")))
    return x.g("eval_alarm") * max(out)


def incidents(u: float, mean: float) -> int:
    """Poisson count of ``mean`` by inverse CDF of ``u`` (at most 16)."""
    term = cdf = math.exp(-mean)
    k = int(u >= cdf)
    for j in range(1, 16):
        term = term * mean / j
        cdf += term
        k += u >= cdf
    return k


def crossing(x0: float, x1: float) -> float:
    """Share of a step at which x rose through 0, moving linearly (0 if already >= 0)."""
    if x0 >= 0.0:
        return 0.0
    span = x1 - x0
    return clip(-x0 / span, 0.0, 1.0) if span > 0.0 else 1.0


def simulate_world(x: World, z0: Sequence[float], shocks, t0: float, dt: float, steps: int):
    """Run one world; ``shocks[i] = (eval_z[A], warn_u, verify_u)``. Returns (v, c, f)."""
    A = len(z0)
    C, S, E = list(x["frontier"]), list(x["safety_range"]), [0.0] * A
    V = list(S)  # the range as evaluations see it
    O, B, will, wbe, em_time = 0.0, 1.0, 0.0, 0.0, math.inf
    noise = list(z0)
    survival, p_victory, done, verified_once = 1.0, 0.0, False, False
    S_eff = [S[a] + O * cover(x, C[a]) for a in range(A)]
    lethal_prev, surv_prev = hazards(x, C, S_eff, A)
    rel = relief(x, C, A)
    t = t0
    decay = math.exp(-dt / x.g("eval_memory"))
    for i in range(steps):
        if done:  # a won world stops
            break
        eval_z, warn_u, verify_u = shocks[i]
        noise = [noise[a] * decay + math.sqrt(1.0 - decay * decay) * eval_z[a] for a in range(A)]
        coord = clip((x.g("global_pause") + x.g("will_to_pause") * will) * B, 0.0, 1.0)
        dC1f, dS1, dO1, dE1, I1, rg1, wbe1, dV1 = growth(x, t, C, S, O, E, B, will, em_time, A)
        p0 = pauses(x, margins(x, C, V, O, E, noise, rg1, dC1f, A), rel, will, coord, B, A)
        dC1 = [dC1f[a] * (1 - p0[a]) for a in range(A)]
        C1 = [C[a] + dC1[a] * dt for a in range(A)]
        S1 = [S[a] + dS1[a] * dt for a in range(A)]
        V1 = [V[a] + dV1[a] * dt for a in range(A)]
        O1 = O + dO1 * dt
        E1 = [E[a] + dE1[a] * dt for a in range(A)]
        dC2f, dS2, dO2, dE2, I2, rg2, wbe2, dV2 = growth(x, t + dt, C1, S1, O1, E1, B, will,
                                                         em_time, A)  # fmt: skip
        p1 = pauses(x, margins(x, C1, V1, O1, E1, noise, rg2, dC2f, A), relief(x, C1, A), will,
                    coord, B, A)  # fmt: skip
        dC = [0.5 * (dC1[a] + dC2f[a] * (1 - p1[a])) for a in range(A)]
        I_s = [0.5 * (I1[a] + I2[a]) for a in range(A)]
        ratio = (sum(I_s) / x.g("safety_ref")) ** x.g("lam_s")
        verify_p = -math.expm1(-x.g("verify_rate") * x.g("eval_ease") * ratio * dt)
        verified = verify_u < verify_p and not verified_once
        verified_once = verified_once or verified
        C0, S_eff0, V0, E0 = C, S_eff, V, E
        C = [min(C[a] + dC[a] * dt, x.g("C_max")) for a in range(A)]
        S = [max(S[a] + 0.5 * (dS1[a] + dS2[a]) * dt, x["safety_range"][a])
             + verified * x.g("verify_jump") for a in range(A)]  # fmt: skip
        V = [max(V[a] + 0.5 * (dV1[a] + dV2[a]) * dt, x["safety_range"][a])
             + verified * x.g("verify_jump") for a in range(A)]  # fmt: skip
        O = O + 0.5 * (dO1 + dO2) * dt
        E = [E[a] + 0.5 * (dE1[a] + dE2[a]) * dt for a in range(A)]
        S_eff = [S[a] + O * cover(x, C[a]) for a in range(A)]
        lethal, surv = hazards(x, C, S_eff, A)
        new_survival = survival * math.exp(-0.5 * (lethal_prev + lethal) * dt)
        k = incidents(warn_u, 0.5 * (surv_prev + surv) * dt)
        risk = 0.5 * (shown(x, V0, C0, E0, noise, A) + shown(x, V, C, E, noise, A))
        evidence = risk * dt + k * (x.g("warning_response") * x.g("will_per_warning"))
        will = 1.0 - (1.0 - will * math.exp(-x.g("will_decay") * dt)) * math.exp(-evidence)
        rel = relief(x, C, A)
        safe = max(max(0.0, min(C[a], S_eff[a])) for a in range(A))
        unsafe = sum(max(0.0, C[a] - S_eff[a]) for a in range(A))
        race = max(rel[a] for a in range(A) if C[a] >= max(C))
        B_t = clip(1.0 + x.g("b_gain") * safe - x.g("b_erosion") * (unsafe + race), 0.25, 4.0)
        B = B_t + (B - B_t) * math.exp(-dt / x.g("b_tau"))
        wbe_old, wbe = wbe, wbe + 0.5 * (wbe1 + wbe2) * dt
        if math.isinf(em_time) and wbe >= x.g("wbe_cost"):  # the moment, within the step
            frac = crossing(wbe_old - x.g("wbe_cost"), wbe - x.g("wbe_cost"))
            em_time = t + frac * dt + x.g("wbe_lag")
        t = t + dt
        winners = [a for a in range(A) if x.g("C_si") <= C[a] <= S_eff[a]]
        if winners:
            frac = min(
                max(crossing(C0[a] - x.g("C_si"), C[a] - x.g("C_si")),
                    crossing(S_eff0[a] - C0[a], S_eff[a] - C[a]))
                for a in winners
            )  # fmt: skip
            lf = frac * (lethal_prev + 0.5 * frac * (lethal - lethal_prev))
            survival = survival * math.exp(-lf * dt)
            p_victory += survival
            done = True
        else:
            survival = new_survival
        lethal_prev, surv_prev = lethal, surv
        if not done and survival < RETIRED:  # failure certain: the world stops
            break
    return p_victory, (0.0 if done else survival), 1.0 - survival


def run_reference(p, lv, z0: np.ndarray, shocks, t0: float, dt: float, steps: int) -> np.ndarray:
    """Outcome probabilities (victory, costly non-failure, failure) of every world: (W, 3).

    ``shocks`` is a list over steps of ``(eval_z (W, A), warn_u (W, 1), verify_u (W, 1))``.
    """
    W, A = z0.shape
    out = np.empty((W, 3))
    for w in range(W):
        x = world_inputs(p, lv, w, A)
        sh = [
            ([float(v) for v in ez[w]], float(wu[w, 0]), float(vu[w, 0])) for ez, wu, vu in shocks
        ]
        out[w] = simulate_world(x, [float(v) for v in z0[w]], sh, t0, dt, steps)
    return out
