"""A straightforward per-world pure-Python implementation of the model, for comparison.

This is how peer models are usually written: loops over worlds, steps and
actors with ``math``. It implements the same equations as
``waystation.dynamics`` under the default strategy (levers fixed), reading
the same parameters and the same random shocks, and serves two purposes:

- ``benchmarks/bench.py`` times it against the vectorised engine;
- ``tests/test_engines.py`` checks that both agree world by world.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

CLIP = 40.0
SI_HAZARD = 10.0
EVAL_REF, HARDEN_REF = 0.1, 0.05
PAUSE_LEVEL, PAUSE_YEARS, AAR_TRUST, AAR_SHARE, HARDENED = 0.9, 1.0, 0.5, 0.1, 2.0
K = 6  # waystations


def sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-min(max(x, -CLIP), CLIP)))


def clip(x: float, lo: float, hi: float) -> float:
    return min(max(x, lo), hi)


@dataclass
class World:
    """Inputs of one world: every parameter and lever as a list over actors."""

    v: dict[str, list[float]]

    def __getitem__(self, name: str) -> list[float]:
        return self.v[name]

    def g(self, name: str) -> float:
        """A world-level value."""
        return self.v[name][0]


def world_inputs(
    p: Mapping[str, np.ndarray], lv: Mapping[str, np.ndarray], w: int, A: int
) -> World:
    """Per-actor lists of world ``w``'s parameters and levers (engine arrays broadcast)."""
    out = {}
    for src in (p, lv):
        for k, arr in src.items():
            a = np.asarray(arr, dtype=np.float64)
            row = a if a.ndim == 0 else a[0] if a.shape[0] == 1 else a[w]
            out[k] = [float(v) for v in np.broadcast_to(row, (A,))]
    return World(out)


def labour(x: World, t: float, C: list[float], S_eff: list[float], em_time: float, A: int):
    years = t - x.g("start")
    hs = [x["safety_researchers"][a] * math.exp(math.log1p(x.g("safety_growth")) * years)
          for a in range(A)]  # fmt: skip
    hc = [x["capability_researchers"][a] * math.exp(math.log1p(x.g("capability_growth")) * years)
          for a in range(A)]  # fmt: skip
    ai, tr, ai_s, prog = [], [], [], []
    honest = clip(1.0 - x.g("scheming"), 0.0, 1.0)
    for a in range(A):
        oom = clip(C[a] - x["C_useful"][a], 0.0, x["C_max"][a])
        L = (x["ai_labor_ratio"][a] * x["capability_researchers"][a] * 10.0 ** (x["k_ai"][a] * oom)
             * (1.0 - x["tool_ai_only"][a] * x["tool_labor_cut"][a]))  # fmt: skip
        ai.append(L)
        tr.append(sig((S_eff[a] - C[a]) / x.g("edge_width")))
        quality = x.g("eval_ease") + (1.0 - x.g("eval_ease")) * tr[a] * honest
        ai_s.append(x["ai_safety_share"][a] * L * x["ai_safety_edge"][a] * quality)
        prog.append(C[a] - x["frontier"][a])
    g = x.g("em_growth")
    age = clip(t - em_time, 0.0, CLIP / max(g, 1e-9))
    grown = min(x.g("em_max"), x.g("em_initial") * math.exp(g * age))
    em = (grown if t >= em_time else 0.0) / A
    return hs, hc, ai, ai_s, em, prog, tr


def capability_rate(x: World, t: float, hc, ai, prog, A: int) -> list[float]:
    scaling = sig(x.g("start") + x.g("scaling_years") - t)
    compute = x.g("g_hardware") + (x.g("g_compute") - x.g("g_hardware")) * scaling
    out = []
    for a in range(A):
        lab = (hc[a] + (1.0 - x["ai_safety_share"][a]) * ai[a]) * (1.0 - x["wbe_investment"][a])
        ref = x["capability_researchers"][a] * (1.0 + x["ai_labor_ratio"][a])
        harder = 10.0 ** (-x["ideas_harder"][a] * max(0.0, prog[a]))
        rate = (x["compute_scale"][a] * compute
                + x["g_algo"][a] * (lab / ref) ** x["lam_c"][a] * harder)  # fmt: skip
        out.append(min(rate, x["max_rate"][a]))
    return out


def safety_rates(x: World, I_s: list[float], B: float, A: int):
    ref, lam, spill = x.g("safety_ref"), x.g("lam_s"), x.g("spillover")
    own, ev, hard = [], [], 0.0
    for a in range(A):
        e, h = x["eval_investment"][a], x["hardening_investment"][a]
        total = max(1.0, e + h)
        e, h = e / total, h / total
        own.append(x.g("s_base") * B / x.g("hardness") * ((1.0 - e - h) * I_s[a] / ref) ** lam)
        ev.append((e * I_s[a] / (EVAL_REF * ref)) ** lam)
        hard += h * I_s[a]
    dS = [own[a] + spill * (sum(own) - own[a]) for a in range(A)]
    dO = x.g("o_base") * B / x.g("hardness") * (hard / (HARDEN_REF * ref)) ** lam
    dE = [x.g("e_base") * B * (ev[a] + spill * (sum(ev) - ev[a])) for a in range(A)]
    return dS, dO, dE


def relief(x: World, C: list[float], A: int) -> list[float]:
    out = []
    for a in range(A):
        rival = max((C[b] for b in range(A) if b != a), default=-math.inf)
        out.append(x.g("race_pressure") * sig((rival - C[a]) / x.g("race_scale")))
    return out


def simulate_world(x: World, z0: Sequence[float], shocks, t0: float, dt: float, steps: int):
    """Run one world; ``shocks[i] = (eval_z[A], warn_u, verify_u)``. Returns (v, c, f)."""
    A = len(z0)
    C = list(x["frontier"])
    S = list(x["safety_range"])
    O, B, will, wbe, em_time = 0.0, 1.0, 0.0, 0.0, math.inf
    E, noise, pause = [0.0] * A, list(z0), [0.0] * A
    survival, p_victory, done, pause_run = 1.0, 0.0, False, 0.0
    reached = [math.nan] * K
    hs, hc, ai, ai_s, em, prog, _ = labour(x, t0, C, S, em_time, A)
    dC_rate = capability_rate(x, t0, hc, ai, prog, A)
    I_s = [hs[a] * (1.0 - x["wbe_investment"][a]) + ai_s[a] + em for a in range(A)]
    dS_rate, _, _ = safety_rates(x, I_s, B, A)
    t = t0
    decay = math.exp(-dt / x.g("eval_memory"))
    for i in range(steps):
        if done:  # a won world stops (its state no longer changes)
            break
        eval_z, warn_u, verify_u = shocks[i]
        h_dt = dt
        S_eff = [S[a] + O for a in range(A)]
        hs, hc, ai, ai_s, em, prog, tr = labour(x, t, C, S_eff, em_time, A)
        noise = [noise[a] * decay + math.sqrt(1.0 - decay * decay) * eval_z[a] for a in range(A)]
        rel = relief(x, C, A)
        rate = capability_rate(x, t, hc, ai, prog, A)
        dC = []
        for a in range(A):
            bias = x.g("scheming") * max(0.0, C[a] - x.g("C_aar"))
            M_hat = (S_eff[a] - C[a]) + bias + x.g("sigma_eval") / (1.0 + E[a]) * noise[a]
            M_fc = M_hat + (dS_rate[a] - dC_rate[a]) * x["lookahead"][a]
            caution = clip(x["caution"][a] + will, 0.0, 1.0)
            vol = caution * sig((x["margin_target"][a] - M_fc) / x.g("pause_width"))
            vol = max(0.0, vol - rel[a])
            enf = clip(x.g("enforcement") + will, 0.0, 1.0)
            gov = x.g("global_pause") * (enf + (1.0 - enf) * caution)
            pause[a] = clip(vol + gov, 0.0, 1.0)
            rival = max((C[b] for b in range(A) if b != a), default=-math.inf)
            sab = x["deterrence"][a] * sig((C[a] - rival - x.g("deterrence_threshold")) / 0.1)
            dC.append(rate[a] * (1.0 - pause[a]) * (1.0 - sab))
        I_s = [hs[a] * (1.0 - x["wbe_investment"][a]) + ai_s[a] + em for a in range(A)]
        dS, dO, dE = safety_rates(x, I_s, B, A)
        ratio = (sum(I_s) / x.g("safety_ref")) ** x.g("lam_s")
        verify_p = -math.expm1(-x.g("verify_rate") * x.g("eval_ease") * ratio * h_dt)
        verified = verify_u < verify_p
        C = [min(C[a] + dC[a] * h_dt, x["C_max"][a]) for a in range(A)]
        S = [min(S[a] + dS[a] * h_dt + verified * x.g("verify_jump"), x["C_max"][a])
             for a in range(A)]  # fmt: skip
        O = O + dO * h_dt
        E = [E[a] + dE[a] * (1.0 + will) * h_dt for a in range(A)]
        S_eff = [S[a] + O for a in range(A)]
        lethal = surv = 0.0
        w = x.g("edge_width")
        for a in range(A):
            h = x.g("hazard_rate") * sig((C[a] - S_eff[a]) / w)
            h *= 1.0 + SI_HAZARD * sig((C[a] - x.g("C_si")) / w)
            h *= 1.0 - x["tool_ai_only"][a] * x.g("tool_hazard_cut")
            share = (1.0 - x.g("warning_share")) * sig(
                (C[a] - (x.g("C_aar") - x.g("lethal_offset"))) / w)  # fmt: skip
            lethal += h * share
            surv += h * (1.0 - share)
        survival *= math.exp(-lethal * h_dt)
        warned = warn_u < -math.expm1(-surv * h_dt)
        will = will * math.exp(-x.g("will_decay") * dt) + warned * x.g("will_per_warning")
        rel = relief(x, C, A)
        safe = sum(max(0.0, min(C[a], S_eff[a])) for a in range(A)) / A
        unsafe = sum(max(0.0, C[a] - S_eff[a]) for a in range(A)) / A
        B_t = clip(1.0 + x.g("b_gain") * safe - x.g("b_erosion") * (unsafe + sum(rel) / A),
                   0.25, 4.0)  # fmt: skip
        B = B_t + (B - B_t) * math.exp(-h_dt / x.g("b_tau"))
        background = x.g("wbe_background") * math.exp(
            math.log1p(x.g("wbe_background_growth")) * (t - x.g("start")))  # fmt: skip
        invested = sum(x["wbe_investment"][a] * (hs[a] + hc[a] + ai[a]) for a in range(A))
        t = t + dt
        wbe += (background + invested) * h_dt
        if math.isinf(em_time) and wbe >= x.g("wbe_cost"):
            em_time = t + x.g("wbe_lag")
        win = any(x.g("C_si") <= C[a] <= S_eff[a] for a in range(A))
        if win:
            p_victory += survival
            done = True
        dC_rate, dS_rate = dC, dS
        pause_run = pause_run + h_dt if all(q >= PAUSE_LEVEL for q in pause) else 0.0
        events = (
            pause_run >= PAUSE_YEARS,
            any(x.g("C_aar") <= C[a] and tr[a] >= AAR_TRUST
                and x["ai_safety_share"][a] >= AAR_SHARE for a in range(A)),
            t >= em_time,
            any(x.g("C_aar") <= C[a] and S_eff[a] >= C[a] for a in range(A)),
            O >= HARDENED,
            verified,
        )  # fmt: skip
        for k in range(K):
            if events[k] and math.isnan(reached[k]):
                reached[k] = t
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
