/* waystation fused step kernel, SIMD variants: step.c's equations, WS_LANES worlds at a time.
 *
 * Same statements as step.c, on gcc vector types of four doubles (AVX2: variant simd) or
 * eight (-DWS_LANES=8, AVX-512: simd8), with glibc's vector math library (libmvec:
 * _ZGVdN4v_exp or _ZGVeN8v_exp, and log, expm1, tan, pow) for the transcendentals.
 * libmvec is accurate to a few ulp rather than glibc's scalar bits, so these agree with
 * numpy to ~1e-13 (with numpy's own AVX-512 loops) rather than bit for bit;
 * WAYSTATION_FUSED_SIMD=0 selects the exact scalar step.c. Compiled after rng.c.
 *
 * ws_step steps every world once (shocks from numpy, lanes gathered from the arrays);
 * ws_run carries each world through many steps (shocks drawn here, lanes packed).
 *
 * What follows is step.c's header.
 *
 * A second statement of the equations of waystation.dynamics.step (growth,
 * range_growth, restraint, hazard, backdrop_target, track_waystations and
 * freeze; docs/model.md states them). Every expression evaluates the same
 * float64 operations in the same order as the numpy code, so the two agree
 * to rounding (the per-world test asks for 1e-12). No fast-math: gcc must not
 * reassociate, and -ffp-contract=off keeps it from fusing multiply-adds.
 *
 * Arrays are passed as a table of slots: a base pointer and two strides in
 * elements (world, actor); a stride of 0 broadcasts, so world-level (W, 1)
 * arrays, per-actor (W, A) arrays and scalars are read alike. The slot order
 * is the order of WS_SLOTS below, which the Python side checks at load.
 */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define WS_MAXA 16
#define WS_K 6 /* waystations */
#define WS_M 3 /* frontier milestones */

/* Slot names, in order: parameters, levers, state in, shocks, state out. */
#define WS_SLOT_LIST(X) \
    X(hardness) X(edge_width) X(hazard_rate) X(warning_share) X(scheming) X(eval_ease) \
    X(wbe_cost) X(ai_safety_edge) X(g_compute) X(g_hardware) X(scaling_years) X(g_algo) \
    X(lam_c) X(ideas_harder) X(ai_labor_ratio) X(k_approach) X(k_ai) X(aar_labor) X(C_aar) \
    X(si_gap) X(max_rate) X(max_safety_rate) X(C_max) X(s_base) X(lam_s) X(safety_harder) \
    X(beyond_frontier) X(oversight) X(harden_harder) X(safety_ref) X(o_base) X(e_base) \
    X(sigma_eval) X(eval_memory) X(pause_width) X(race_pressure) X(race_scale) \
    X(will_per_warning) X(will_decay) X(will_to_pause) X(C_lethal) X(lethal_width) X(b_gain) \
    X(b_erosion) X(b_tau) X(wbe_background) X(wbe_lag) X(em_initial) X(em_growth) X(em_max) \
    X(verify_rate) X(verify_jump) X(tool_labor_cut) X(tool_hazard_cut) \
    X(deterrence_threshold) X(frontier) X(safety_range) X(safety_researchers) \
    X(capability_researchers) X(compute_scale) X(C_si) X(log1p_safety_growth) \
    X(log1p_capability_growth) X(log1p_wbe_background_growth) X(start) \
    X(lv_spillover) X(lv_global_pause) X(lv_enforcement) X(lv_deterrence) \
    X(lv_ai_safety_share) X(lv_caution) X(lv_margin_target) X(lv_lookahead) \
    X(lv_eval_investment) X(lv_wbe_investment) X(lv_hardening_investment) X(lv_tool_ai_only) \
    X(in_C) X(in_S) X(in_O) X(in_E) X(in_B) X(in_will) X(in_noise) X(in_margin_est) \
    X(in_trust) X(in_pause) X(in_relief) X(in_dC_rate) X(in_dS_rate) X(in_usable_ai) \
    X(in_wbe_progress) X(in_em_time) X(in_lethal) X(in_survivable) X(in_survival) \
    X(in_p_victory) X(in_victory_year) X(in_warnings) X(in_pause_run) X(in_sweet_years) \
    X(in_reached) X(in_reach_survival) X(in_g0) X(in_milestones) \
    X(eval_z) X(warn_u) X(verify_u) \
    X(C) X(S) X(O) X(E) X(B) X(will) X(noise) X(margin_est) X(trust) X(pause) X(relief) \
    X(dC_rate) X(dS_rate) X(usable_ai) X(wbe_progress) X(em_time) X(lethal) X(survivable) \
    X(survival) X(p_victory) X(victory_year) X(warnings) X(pause_run) X(sweet_years) \
    X(reached) X(reach_survival) X(milestones)

#define WS_ENUM(name) SL_##name,
enum { WS_SLOT_LIST(WS_ENUM) WS_NSLOTS };
#define WS_STR(name) #name ","
const char ws_slots[] = WS_SLOT_LIST(WS_STR);
const int ws_maxa = WS_MAXA;

typedef struct {
    double *ptr[WS_NSLOTS];
    int64_t rs[WS_NSLOTS];
    int64_t cs[WS_NSLOTS];
    int64_t nc[WS_NSLOTS]; /* columns (1 for world-level arrays and scalars) */
} Slots;

/* Worlds are stepped WS_LANES at a time: gcc vector types make the arithmetic SIMD, and
 * libmvec computes each transcendental on all lanes at once. Every operation is lane-wise,
 * so a world's numbers do not depend on which lane or which other worlds it shares. */
#ifndef WS_LANES
#define WS_LANES 4 /* libmvec's AVX2 functions take four doubles; -DWS_LANES=8: AVX-512 */
#endif
#define L WS_LANES
typedef double V __attribute__((vector_size(8 * WS_LANES)));
typedef int64_t M __attribute__((vector_size(8 * WS_LANES))); /* masks: -1 true, 0 false */

static const double LN10 = 2.302585092994046;  /* float(np.log(10.0)) */
static const double LOG_FLOOR = -1e300;
static const double EXP_CLIP = 40.0;
static const double LOG_RATE_MAX = 300.0;
static const double EVAL_REF_SHARE = 0.1;
static const double HARDEN_REF_SHARE = 0.05;
static const double SI_HAZARD = 10.0;
static const double CAUTION_EPS = 1e-6;
static const double PAUSE_LEVEL = 0.9, PAUSE_YEARS = 1.0;
static const double AAR_LABOUR = 700.0;
static const double HARDENED_OOM = 2.0;
static const double TAKEOFF_YEARS = 3.0;
enum { K_GLOBAL_PAUSE, K_AAR, K_ENHANCED, K_SWEET, K_HARDENED, K_VERIFIED };

static inline V splat(double x) {
    V r;
    for (int l = 0; l < L; l++) r[l] = x;
    return r;
}
#define SEL(m, a, b) ((V)(((M)(a) & (m)) | ((M)(b) & ~(m))))
#define TRUE_M ((M){} - 1)
/* numpy's maximum/minimum: NaN propagates from either operand */
static inline V mx(V a, V b) {
    V r = SEL(a > b, a, b);
    return SEL(a != a, a, r);
}
static inline V mn(V a, V b) {
    V r = SEL(a < b, a, b);
    return SEL(a != a, a, r);
}
static inline V clip(V x, double lo, double hi) { return mn(mx(x, splat(lo)), splat(hi)); }
/* libmvec's names: _ZGV, d (AVX2) or e (AVX-512), N and the lane count, v per argument */
#if WS_LANES == 8
#define MVEC(name) _ZGVeN8v_##name
#define MVEC2(name) _ZGVeN8vv_##name
#elif WS_LANES == 4
#define MVEC(name) _ZGVdN4v_##name
#define MVEC2(name) _ZGVdN4vv_##name
#else
#error "WS_LANES must be 4 or 8"
#endif
V MVEC(exp)(V);
V MVEC(log)(V);
V MVEC(expm1)(V);
V MVEC(tan)(V);
V MVEC2(pow)(V, V);
static inline V vexp(V x) { return MVEC(exp)(x); }
static inline V vlog(V x) { return MVEC(log)(x); }
static inline V vexpm1(V x) { return MVEC(expm1)(x); }
static inline V vtan(V x) { return MVEC(tan)(x); }
static inline V vpow(V x, V y) { return MVEC2(pow)(x, y); }
/* sqrt is correctly rounded: the vector instruction gives glibc's bits */
#if WS_LANES == 8
static inline V vsqrt(V x) { return (V)_mm512_sqrt_pd((__m512d)x); }
#else
static inline V vsqrt(V x) { return (V)_mm256_sqrt_pd((__m256d)x); }
#endif
static inline M isnan_(V x) { return x != x; }
static inline M isinf_(V x) { return (x == splat(INFINITY)) | (x == splat(-INFINITY)); }
static inline int any_(M m) {
    for (int l = 0; l < L; l++)
        if (m[l]) return 1;
    return 0;
}
static inline V bool_(M m) { return SEL(m, splat(1.0), splat(0.0)); }

static inline V sigmoid(V x) { return 1.0 / (1.0 + vexp(-clip(x, -EXP_CLIP, EXP_CLIP))); }
static inline V logistic(V k, V a, V b, V width) {
    V z = mn(mx((a - b) / width, splat(-EXP_CLIP)), splat(EXP_CLIP));
    return k * (1.0 / (1.0 + vexp(-z)));
}
static inline V returns_(V scale, V labour, V ref, V lam, V done, V harder) {
    V log_labour = mx(vlog(labour / ref), splat(LOG_FLOOR));
    V z = lam * log_labour - LN10 * harder * mx(done, splat(0.0));
    return scale * vexp(mn(z, splat(LOG_RATE_MAX)));
}
static inline V saturate(V r, V ceiling) {
    V q = r / ceiling;
    return r / vsqrt(1.0 + q * q);
}
static inline V crossing(V x0, V x1, V level, int rising) {
    V a = rising ? x0 - level : level - x0;
    V b = rising ? x1 - level : level - x1;
    V span = b - a;
    V frac = SEL(span > 0.0, -a / span, splat(1.0));
    return SEL(a >= 0.0, splat(0.0), clip(frac, 0.0, 1.0));
}
static inline V asum(const V *x, int A) {
    V s = x[0];
    for (int a = 1; a < A; a++) s = s + x[a];
    return s;
}
static inline V amax(const V *x, int A) {
    V s = x[0];
    for (int a = 1; a < A; a++) s = mx(s, x[a]);
    return s;
}
static inline void rival_max(const V *C, int A, V *out) {
    for (int a = 0; a < A; a++) {
        if (A == 1) {
            out[a] = splat(-INFINITY);
            continue;
        }
        int first = 1;
        V col = splat(0.0);
        for (int b = 0; b < A; b++) {
            if (b == a) continue;
            col = first ? C[b] : mx(col, C[b]);
            first = 0;
        }
        out[a] = col;
    }
}

/* Slots packed by lane (ws_run): slot k's column a of the lanes' worlds is one vector,
 * b[k][a * ps[k]] (ps 0: one column serves every actor). In-place slots in_X and X share
 * a buffer. A lane's worlds are copied in when it takes a world, out when it lets go. */
typedef struct {
    V *b[WS_NSLOTS];
    int64_t ps[WS_NSLOTS];
} Packed;

/* growth's terms that depend only on the year t and the world's parameters: researchers
 * (hs, hc), the compute-scaling sigmoid and the emulation background. */
typedef struct {
    V hs[WS_MAXA], hc[WS_MAXA], scaling[WS_MAXA], background;
} Clock;

/* Per-lane values that carry from one step to the next while a lane keeps its world
 * (ws_run): those depending only on its parameters and the step length dt, and growth's
 * Clock at the end of the last step, which is the next step's start (the same year t:
 * ts[k + 1] = ts[k] + dts[k]). Lane l's values are its world's only where valid[l]. */
typedef struct {
    M valid;
    V dt, mem[WS_MAXA], will_f, b_f, ws_odds[WS_MAXA]; /* at step length dt */
    V t;                                                /* clock's year */
    Clock clock;
} Carry;

/* The lanes' world indices (rows of the block) and which lanes are stepped (on[l]: the
 * others are computed alike and never stored). Without pk, slots are read from the arrays
 * (a gather per vector; idle lanes repeat a stepped lane's world); with pk, from it, and
 * carry holds what the lanes' last step left (NULL: compute everything). */
typedef struct {
    int64_t w[WS_LANES];
    uint8_t on[WS_LANES];
    Packed *pk;
    Carry *carry;
} Lanes;

static inline __attribute__((always_inline)) V ld(const Slots *sl, int k, const Lanes *ln, int a) {
    if (ln->pk) return ln->pk->b[k][a * ln->pk->ps[k]];
    const double *p = sl->ptr[k];
    int64_t rs = sl->rs[k], off = (int64_t)a * sl->cs[k];
    V r;
    if (rs == 0) return splat(p[off]);
    for (int l = 0; l < L; l++) r[l] = p[ln->w[l] * rs + off];
    return r;
}
static inline __attribute__((always_inline)) void st(const Slots *sl, int k, const Lanes *ln, int a, V v) {
    if (ln->pk) {
        ln->pk->b[k][a * ln->pk->ps[k]] = v;
        return;
    }
    double *p = sl->ptr[k];
    int64_t rs = sl->rs[k], off = (int64_t)a * sl->cs[k];
    for (int l = 0; l < L; l++)
        if (ln->on[l]) p[ln->w[l] * rs + off] = v[l];
}
#define P(k, a) ld(sl, SL_##k, ln, (a))
#define IN(k, a) ld(sl, SL_in_##k, ln, (a))
#define OUT(k, a, v) st(sl, SL_##k, ln, (a), (v))

typedef struct {
    V dC_free[WS_MAXA], dS[WS_MAXA], dO, dE[WS_MAXA], I_s[WS_MAXA], usable[WS_MAXA];
    V trust[WS_MAXA], wbe, S_eff[WS_MAXA];
} Growth;

static inline V cover_of(const Slots *sl, const Lanes *ln, V C) {
    return clip((P(C_si, 0) - C) / P(si_gap, 0), 0.0, 1.0);
}

/* dynamics.growth at time t */
/* growth's Clock at year t */
static void clock_terms(const Slots *sl, const Lanes *ln, int A, V t, Clock *ck) {
    V years = t - P(start, 0);
    for (int a = 0; a < A; a++) {
        ck->hs[a] = P(safety_researchers, a) * vexp(P(log1p_safety_growth, a) * years);
        ck->hc[a] = P(capability_researchers, a) * vexp(P(log1p_capability_growth, a) * years);
        ck->scaling[a] = sigmoid(P(start, a) + P(scaling_years, a) - t);
    }
    ck->background =
        P(wbe_background, 0) * vexp(P(log1p_wbe_background_growth, 0) * (t - P(start, 0)));
}

/* dynamics.growth at time t (ck: clock_terms at t) */
static void growth(const Slots *sl, const Lanes *ln, int A, V t, const Clock *ck, const V *C,
                   const V *S,
                   V O, const V *E, V B, V will, V em_time, Growth *g) {
    V L_ai[WS_MAXA], bad[WS_MAXA], rival[WS_MAXA];
    const V *hs = ck->hs, *hc = ck->hc;
    /* emulated_labour */
    V em_growth = P(em_growth, 0);
    V age = mn(mx(t - em_time, splat(0.0)), EXP_CLIP / mx(em_growth, splat(1e-9)));
    V grown = mn(P(em_max, 0), P(em_initial, 0) * vexp(em_growth * age));
    V em = SEL(t >= em_time, grown, splat(0.0)) / (double)A;
    M deter = {0};
    for (int a = 0; a < A; a++) {
        /* automation and ai_labour */
        V x = mn(C[a] - P(C_aar, a), P(C_max, a));
        V slope = P(k_approach, a) * mn(x, splat(0.0)) + P(k_ai, a) * mx(x, splat(0.0));
        V autom = P(aar_labor, a) * vexp(LN10 * mn(slope, splat(250.0)));
        L_ai[a] = P(capability_researchers, a) * (P(ai_labor_ratio, a) + autom) *
                  (1.0 - P(lv_tool_ai_only, a) * P(tool_labor_cut, a));
        g->S_eff[a] = S[a] + O * cover_of(sl, ln, C[a]);
        /* trust: Gompertz in the true margin (dynamics.labour.trust) */
        g->trust[a] = vexp(-vexp(clip((C[a] - g->S_eff[a]) / P(edge_width, a), -EXP_CLIP, EXP_CLIP)));
        /* ai_safety_labour */
        V tr = g->trust[a];
        V scheming = clip(P(scheming, a), 0.0, 1.0);
        V sent = P(lv_ai_safety_share, a) * L_ai[a] * P(ai_safety_edge, a);
        V ease = P(eval_ease, a);
        V trusted = tr * sent * (ease + (1.0 - ease) * (1.0 - scheming));
        V checkable = (1.0 - tr) * sent * ease;
        V capacity = P(oversight, a) * (hs[a] + em);
        V checked = checkable * capacity / mx(checkable + capacity, splat(1e-300));
        bad[a] = sent * (1.0 - ease) * scheming;
        g->usable[a] = trusted + checked;
        g->I_s[a] = hs[a] * (1.0 - P(lv_wbe_investment, a)) + g->usable[a] + em;
        /* capability_rate */
        V scaling = ck->scaling[a];
        V compute = P(g_hardware, a) + (P(g_compute, a) - P(g_hardware, a)) * scaling;
        V labour = (hc[a] + (1.0 - P(lv_ai_safety_share, a)) * L_ai[a]) *
                   (1.0 - P(lv_wbe_investment, a));
        V ref = P(capability_researchers, a) * (1.0 + P(ai_labor_ratio, a));
        V algo = returns_(P(g_algo, a), labour, ref, P(lam_c, a), C[a] - P(frontier, a),
                          P(ideas_harder, a));
        g->dC_free[a] = saturate(P(compute_scale, a) * compute + algo, P(max_rate, a));
        deter |= P(lv_deterrence, a) != 0.0;
    }
    if (any_(deter)) { /* 1 - 0 * sigmoid is exactly 1: worlds without deterrence are unchanged */
        rival_max(C, A, rival);
        for (int a = 0; a < A; a++) {
            M finite = ~(isnan_(rival[a]) | isinf_(rival[a]));
            V lead = SEL(finite, C[a] - rival[a], splat(-INFINITY));
            V sab = logistic(P(lv_deterrence, a), lead, P(deterrence_threshold, a), splat(0.1));
            g->dC_free[a] = g->dC_free[a] * (1.0 - sab);
        }
    }
    /* safety_rates */
    V net[WS_MAXA], h_part[WS_MAXA], eval_own[WS_MAXA];
    for (int a = 0; a < A; a++) {
        V e_share = P(lv_eval_investment, a), h_share = P(lv_hardening_investment, a);
        V total = mx(splat(1.0), e_share + h_share);
        e_share = e_share / total;
        h_share = h_share / total;
        V s_share = mx(1.0 - e_share - h_share, splat(0.0));
        V ref = P(safety_ref, a), lam = P(lam_s, a);
        V scale = P(s_base, a) * B / P(hardness, a);
        V made = P(safety_harder, a) * mx(S[a] - P(safety_range, a), splat(0.0));
        made = made + P(beyond_frontier, a) * mx(S[a] - C[a], splat(0.0));
        net[a] = returns_(scale, s_share * g->I_s[a], ref, lam, made, splat(1.0)) -
                 returns_(scale, s_share * bad[a], ref, lam, made, splat(1.0));
        h_part[a] = h_share * g->I_s[a];
        eval_own[a] = returns_(splat(1.0), e_share * g->I_s[a], EVAL_REF_SHARE * ref, lam,
                               splat(0.0), splat(0.0));
    }
    V net_sum = asum(net, A), eval_sum = asum(eval_own, A), harden = asum(h_part, A);
    for (int a = 0; a < A; a++) {
        V shared = net[a] + P(lv_spillover, a) * (net_sum - net[a]);
        g->dS[a] = saturate(shared, P(max_safety_rate, a));
        V eval_shared = eval_own[a] + P(lv_spillover, a) * (eval_sum - eval_own[a]);
        g->dE[a] = P(e_base, a) * B * (1.0 + will) * eval_shared / (1.0 + E[a]);
    }
    V dO = returns_(P(o_base, 0) * B / P(hardness, 0), harden, HARDEN_REF_SHARE * P(safety_ref, 0),
                    P(lam_s, 0), O, P(harden_harder, 0));
    g->dO = saturate(dO, P(max_safety_rate, 0));
    /* wbe_effort */
    V background = ck->background;
    V w[WS_MAXA];
    for (int a = 0; a < A; a++) w[a] = P(lv_wbe_investment, a) * (hs[a] + hc[a] + L_ai[a]);
    g->wbe = background + asum(w, A);
}

/* dynamics.range_growth */
static inline V range_growth(const Slots *sl, const Lanes *ln, const Growth *g, int a, V C, V O) {
    V cover = 1.0 * cover_of(sl, ln, C);
    V fading = SEL((cover > 0.0) & (cover < 1.0), O / P(si_gap, a), splat(0.0));
    return g->dS[a] + cover * g->dO - fading * g->dC_free[a];
}

/* dynamics.estimated_margin */
static inline V est_margin(const Slots *sl, const Lanes *ln, int a, V S_eff, V C, V E, V noise) {
    V bias = P(scheming, a) * mx(splat(0.0), C - P(C_aar, a));
    return (S_eff - C) + bias + P(sigma_eval, a) / (1.0 + E) * noise;
}

/* The log-odds of actor a's caution: the same at both Heun stages (will is the step's). */
static inline V caution_odds(const Slots *sl, const Lanes *ln, int a, V will) {
    V c = clip(clip(P(lv_caution, a) + will, 0.0, 1.0), CAUTION_EPS, 1.0 - CAUTION_EPS);
    return vlog(c / (1.0 - c));
}

/* dynamics.restraint; odds = caution_odds(..., will) */
static inline V restraint(const Slots *sl, const Lanes *ln, int a, V M_fc, V relief, V will,
                          V coord, V B, V odds) {
    V caution = clip(P(lv_caution, a) + will, 0.0, 1.0);
    V urgency = (P(lv_margin_target, a) - M_fc) / P(pause_width, a) + odds;
    V voluntary = SEL(caution > 0.0, sigmoid(urgency), splat(0.0));
    voluntary = mx(splat(0.0), voluntary - relief);
    V enforced = clip((P(lv_enforcement, a) + will) * B, 0.0, 1.0);
    V governed = coord * (enforced + (1.0 - enforced) * caution);
    return clip(voluntary + governed, 0.0, 1.0);
}

/* dynamics.hazard, summed over actors: (lethal, survivable) */
/* The log-odds of a survivable (warning) accident, log((1 - ws) / ws), per actor. */
static inline V warning_odds(const Slots *sl, const Lanes *ln, int a) {
    V ws = clip(P(warning_share, a), 1e-9, 1.0 - 1e-9);
    return vlog((1.0 - ws) / ws);
}

/* dynamics.hazard, summed over actors (odds: warning_odds) */
static inline void hazard_sum(const Slots *sl, const Lanes *ln, int A, const V *odds,
                              const V *C, const V *S_eff,
                              V *lethal, V *survivable) {
    V le[WS_MAXA], su[WS_MAXA];
    for (int a = 0; a < A; a++) {
        V width = P(edge_width, a);
        V z = mn(mx((S_eff[a] - C[a]) / width, splat(-EXP_CLIP)), splat(EXP_CLIP));
        V h = P(hazard_rate, a) * vexp(-vexp(z)) * (1.0 + mx(C[a] - S_eff[a], splat(0.0)));
        z = mn(mx((C[a] - P(C_si, a)) / width, splat(-EXP_CLIP)), splat(EXP_CLIP));
        h = h * (1.0 + SI_HAZARD * (1.0 / (1.0 + vexp(-z))));
        h = h * (1.0 - P(lv_tool_ai_only, a) * P(tool_hazard_cut, a));
        V share = sigmoid((C[a] - P(C_lethal, a)) / P(lethal_width, a) + odds[a]);
        le[a] = h * share;
        su[a] = h * (1.0 - share);
    }
    *lethal = asum(le, A);
    *survivable = asum(su, A);
}

/* Copy world i's state unchanged (a world already done: dynamics.freeze). */
static void copy_world(Slots *sl, int64_t i, int A) {
#define XW(k, a) (sl->ptr[SL_##k][i * sl->rs[SL_##k] + (int64_t)(a) * sl->cs[SL_##k]])
#define CP(k, cols) for (int a = 0; a < (cols); a++) XW(k, a) = XW(in_##k, a);
    CP(C, A) CP(S, A) CP(O, 1) CP(E, A) CP(B, 1) CP(will, 1) CP(noise, A) CP(margin_est, A)
    CP(trust, A) CP(pause, A) CP(relief, A) CP(dC_rate, A) CP(dS_rate, A) CP(usable_ai, A)
    CP(wbe_progress, 1) CP(em_time, 1) CP(lethal, 1) CP(survivable, 1) CP(survival, 1)
    CP(p_victory, 1) CP(victory_year, 1) CP(warnings, 1) CP(pause_run, 1) CP(sweet_years, 1)
    CP(reached, WS_K) CP(reach_survival, WS_K) CP(milestones, WS_M)
#undef CP
#undef XW
}

/* Step the running worlds of one group of lanes, each from its year t0 by its dt, with the
 * step's shocks z (eval_z, one per actor), warn_u and verify_u. */
static void step_lanes(Slots *sl, const Lanes *ln, int A, V t0, V dt, const V *z, V warn_u,
                       V verify_u, uint8_t *done_out) {
    V h_dt = dt * 1.0;
    Carry *cr = ln->carry;
    M off = {0}; /* idle lanes: whatever they hold will do */
    for (int l = 0; l < L; l++) off[l] = ln->on[l] ? 0 : -1;
    V mem[WS_MAXA], will_f, b_f, ws_odds[WS_MAXA];
    if (cr && !any_(~((cr->valid & (cr->dt == dt)) | off))) {
        for (int a = 0; a < A; a++) mem[a] = cr->mem[a], ws_odds[a] = cr->ws_odds[a];
        will_f = cr->will_f, b_f = cr->b_f;
    } else {
        for (int a = 0; a < A; a++) {
            mem[a] = vexp(-dt / P(eval_memory, a)); /* evaluation_error */
            ws_odds[a] = warning_odds(sl, ln, a);
        }
        will_f = vexp(-P(will_decay, 0) * dt);
        b_f = vexp(-h_dt / P(b_tau, 0));
        if (cr) {
            for (int a = 0; a < A; a++) cr->mem[a] = mem[a], cr->ws_odds[a] = ws_odds[a];
            cr->will_f = will_f, cr->b_f = b_f, cr->dt = dt;
        }
    }
    Clock ck1, ck2;
    if (cr && !any_(~((cr->valid & (cr->t == t0)) | off)))
        ck1 = cr->clock;
    else
        clock_terms(sl, ln, A, t0, &ck1);
    clock_terms(sl, ln, A, t0 + dt, &ck2);
    if (cr) {
        cr->clock = ck2;
        cr->t = t0 + dt;
        cr->valid = TRUE_M;
    }
    V C0[WS_MAXA], S0[WS_MAXA], E0[WS_MAXA], noise[WS_MAXA], relief0[WS_MAXA];
    V O0 = IN(O, 0), B0 = IN(B, 0), will0 = IN(will, 0), em_time0 = IN(em_time, 0);
    for (int a = 0; a < A; a++) {
        C0[a] = IN(C, a);
        S0[a] = IN(S, a);
        E0[a] = IN(E, a);
        relief0[a] = IN(relief, a);
        V mem_a = mem[a];
        noise[a] = IN(noise, a) * mem_a + vsqrt(1.0 - mem_a * mem_a) * z[a];
    }
    V coord = clip((P(lv_global_pause, 0) + P(will_to_pause, 0) * will0) * B0, 0.0, 1.0);
    Growth g1, g2;
    growth(sl, ln, A, t0, &ck1, C0, S0, O0, E0, B0, will0, em_time0, &g1);
    V M_hat[WS_MAXA], pause0[WS_MAXA], dC1[WS_MAXA], C1[WS_MAXA], S1[WS_MAXA], E1[WS_MAXA];
    V odds[WS_MAXA];
    for (int a = 0; a < A; a++) {
        odds[a] = caution_odds(sl, ln, a, will0);
        M_hat[a] = est_margin(sl, ln, a, g1.S_eff[a], C0[a], E0[a], noise[a]);
        V fc = M_hat[a] + (range_growth(sl, ln, &g1, a, C0[a], O0) - g1.dC_free[a]) *
                              P(lv_lookahead, a);
        pause0[a] = restraint(sl, ln, a, fc, relief0[a], will0, coord, B0, odds[a]);
        dC1[a] = g1.dC_free[a] * (1.0 - pause0[a]);
        C1[a] = C0[a] + dC1[a] * h_dt;
        S1[a] = S0[a] + g1.dS[a] * h_dt;
        E1[a] = E0[a] + g1.dE[a] * h_dt;
    }
    V O1 = O0 + g1.dO * h_dt;
    growth(sl, ln, A, t0 + dt, &ck2, C1, S1, O1, E1, B0, will0, em_time0, &g2);
    V rival[WS_MAXA], rg2[WS_MAXA], I_s[WS_MAXA];
    rival_max(C1, A, rival);
    V C[WS_MAXA], S[WS_MAXA], E[WS_MAXA], S_eff[WS_MAXA], pause[WS_MAXA], dS[WS_MAXA];
    for (int a = 0; a < A; a++) {
        rg2[a] = range_growth(sl, ln, &g2, a, C1[a], O1);
        V M_fc1 = est_margin(sl, ln, a, g2.S_eff[a], C1[a], E1[a], noise[a]) +
                  (rg2[a] - g2.dC_free[a]) * P(lv_lookahead, a);
        V relief1 = logistic(P(race_pressure, a), rival[a], C1[a], P(race_scale, a));
        V pause1 = restraint(sl, ln, a, M_fc1, relief1, will0, coord, B0, odds[a]);
        pause[a] = 0.5 * (pause0[a] + pause1);
        V dC = 0.5 * (dC1[a] + g2.dC_free[a] * (1.0 - pause1));
        C[a] = mn(C0[a] + dC * h_dt, P(C_max, a));
        I_s[a] = 0.5 * (g1.I_s[a] + g2.I_s[a]);
        dS[a] = 0.5 * (g1.dS[a] + g2.dS[a]);
        E[a] = E0[a] + 0.5 * (g1.dE[a] + g2.dE[a]) * h_dt;
    }
    /* verification breakthrough: one per world */
    V total = asum(I_s, A) / P(safety_ref, 0);
    V ratio = vpow(total, P(lam_s, 0));
    V verify_p = -vexpm1(-P(verify_rate, 0) * P(eval_ease, 0) * ratio * h_dt);
    M verified = (verify_u < verify_p) & isnan_(IN(reached, K_VERIFIED));
    for (int a = 0; a < A; a++)
        S[a] = mx(S0[a] + dS[a] * h_dt, P(safety_range, a)) + bool_(verified) * P(verify_jump, a);
    V O = O0 + 0.5 * (g1.dO + g2.dO) * h_dt;
    for (int a = 0; a < A; a++) S_eff[a] = S[a] + O * cover_of(sl, ln, C[a]);
    V lethal, survivable;
    hazard_sum(sl, ln, A, ws_odds, C, S_eff, &lethal, &survivable);
    V lethal0 = IN(lethal, 0), surv0 = IN(survival, 0);
    V survival = surv0 * vexp(-0.5 * (lethal0 + lethal) * h_dt);
    V warn_p = -vexpm1(-0.5 * (IN(survivable, 0) + survivable) * h_dt);
    M warned = warn_u < warn_p;
    V will = will0 * will_f + bool_(warned) * P(will_per_warning, 0);
    /* race relief and backdrop target at the new capabilities */
    V relief[WS_MAXA], safe_[WS_MAXA], unsafe_[WS_MAXA], race_[WS_MAXA];
    rival_max(C, A, rival);
    V top = amax(C, A);
    for (int a = 0; a < A; a++) {
        relief[a] = logistic(P(race_pressure, a), rival[a], C[a], P(race_scale, a));
        safe_[a] = mx(splat(0.0), mn(C[a], S_eff[a]));
        unsafe_[a] = mx(splat(0.0), C[a] - S_eff[a]);
        race_[a] = SEL(top <= C[a], relief[a], splat(0.0));
    }
    V B_t = clip(1.0 + P(b_gain, 0) * amax(safe_, A) -
                     P(b_erosion, 0) * (asum(unsafe_, A) + amax(race_, A)),
                 0.25, 4.0);
    V B = B_t + (B0 - B_t) * b_f;
    V t = t0 + dt;
    V wbe = IN(wbe_progress, 0) + 0.5 * (g1.wbe + g2.wbe) * h_dt;
    V crossed = crossing(IN(wbe_progress, 0), wbe, P(wbe_cost, 0), 1);
    V em_time = SEL(isinf_(em_time0) & (wbe >= P(wbe_cost, 0)),
                    t0 + crossed * h_dt + P(wbe_lag, 0), em_time0);
    /* victory: the later crossing within the step of C_si and of the safety range */
    M win = {0};
    V frac = splat(1.0);
    for (int a = 0; a < A; a++) {
        M winner = (P(C_si, a) <= C[a]) & (S_eff[a] >= C[a]);
        win |= winner;
        V f = crossing(C0[a], C[a], P(C_si, a), 1);
        f = mx(f, crossing(C0[a] - g1.S_eff[a], C[a] - S_eff[a], splat(0.0), 0));
        V fa = SEL(winner, f, splat(1.0));
        frac = a == 0 ? fa : mn(frac, fa);
    }
    V lethal_frac = frac * (lethal0 + 0.5 * frac * (lethal - lethal0));
    survival = SEL(win, surv0 * vexp(-lethal_frac * h_dt), survival);
    for (int a = 0; a < A; a++) {
        OUT(C, a, C[a]);
        OUT(S, a, S[a]);
        OUT(E, a, E[a]);
        OUT(noise, a, noise[a]);
        OUT(margin_est, a, M_hat[a]);
        OUT(trust, a, g2.trust[a]);
        OUT(pause, a, pause[a]);
        OUT(relief, a, relief[a]);
        OUT(dC_rate, a, g2.dC_free[a]);
        OUT(dS_rate, a, rg2[a]);
        OUT(usable_ai, a, g2.usable[a]);
    }
    OUT(O, 0, O);
    OUT(B, 0, B);
    OUT(will, 0, will);
    OUT(wbe_progress, 0, wbe);
    OUT(em_time, 0, em_time);
    OUT(lethal, 0, lethal);
    OUT(survivable, 0, survivable);
    OUT(survival, 0, survival);
    OUT(p_victory, 0, IN(p_victory, 0) + bool_(win) * survival);
    for (int l = 0; l < L; l++)
        if (ln->on[l]) done_out[ln->w[l]] = win[l] != 0;
    OUT(victory_year, 0, SEL(win, t0 + frac * dt, IN(victory_year, 0)));
    OUT(warnings, 0, IN(warnings, 0) + bool_(warned));
    /* track_waystations */
    M running = ~win;
    M all_paused = TRUE_M, aar = {0}, sweet = {0};
    for (int a = 0; a < A; a++) {
        all_paused &= pause[a] >= PAUSE_LEVEL;
        M past_aar = P(C_aar, a) <= C[a];
        aar |= past_aar & (S_eff[a] >= C[a]) & (g2.usable[a] >= AAR_LABOUR);
        sweet |= past_aar & (P(C_si, a) > C[a]) & (S_eff[a] >= C[a]);
    }
    sweet &= running;
    V pause_run = SEL(all_paused, IN(pause_run, 0) + h_dt, splat(0.0));
    OUT(pause_run, 0, pause_run);
    OUT(sweet_years, 0, IN(sweet_years, 0) + bool_(sweet) * h_dt);
    M events[WS_K] = {pause_run >= PAUSE_YEARS, aar, t + 0.5 * h_dt >= em_time, sweet,
                      O >= HARDENED_OOM, verified};
    for (int k = 0; k < WS_K; k++) {
        V r = IN(reached, k);
        M first = events[k] & isnan_(r);
        OUT(reached, k, SEL(first, k == K_ENHANCED ? em_time : t, r));
        OUT(reach_survival, k, SEL(first, survival, IN(reach_survival, k)));
    }
    V takeoff = P(C_aar, 0) + mn(TAKEOFF_YEARS * IN(g0, 0), P(si_gap, 0));
    M passed[WS_M] = {top >= P(C_aar, 0), top >= P(C_si, 0), top >= takeoff};
    for (int k = 0; k < WS_M; k++) {
        V m = IN(milestones, k);
        OUT(milestones, k, SEL(passed[k] & isnan_(m), t, m));
    }
}

/* Philox4x32-10 (rng.c's ws_philox) on every lane at once: 32-bit words in 64-bit lanes,
 * so each round's two 32 x 32 -> 64-bit products are one vpmuludq each. */
typedef uint64_t U __attribute__((vector_size(8 * WS_LANES)));
#if WS_LANES == 8
static inline U mul32(U a, U b) { return (U)_mm512_mul_epu32((__m512i)a, (__m512i)b); }
#else
static inline U mul32(U a, U b) { return (U)_mm256_mul_epu32((__m256i)a, (__m256i)b); }
#endif
static inline void vphilox(U x[4], uint32_t k0, uint32_t k1) {
    const U lo = (U){} + 0xFFFFFFFFu;
    const U m0 = (U){} + 0xD2511F53u, m1 = (U){} + 0xCD9E8D57u;
    for (int r = 0; r < 10; r++) {
        if (r) {
            k0 += 0x9E3779B9u;
            k1 += 0xBB67AE85u;
        }
        U p0 = mul32(x[0], m0), p1 = mul32(x[2], m1);
        x[0] = (p1 >> 32) ^ x[1] ^ ((U){} + k0);
        x[1] = p1 & lo;
        x[2] = (p0 >> 32) ^ x[3] ^ ((U){} + k1);
        x[3] = p0 & lo;
    }
}
/* rng.uniforms_from on every lane: exact, the bits are below 2**53 */
static inline V vu53(U a, U b) {
    U bits = ((a >> 5) << 26) | (b >> 6);
    return __builtin_convertvector((M)bits, V) * 0x1p-53;
}

/* The shocks of one group of lanes (rng.step_shocks): lane l draws for global world gw[l] at
 * step stepn[l]; eval_z of actor a from lane a / 2 of Philox (cosine even, sine odd). */
static void draw_shocks(const int64_t *gw, const int64_t *stepn, int A, uint32_t k0,
                        uint32_t k1, V *z, V *warn_u, V *verify_u) {
    U w, st, x[4];
    for (int l = 0; l < L; l++) {
        w[l] = (uint32_t)gw[l];
        st[l] = (uint32_t)stepn[l];
    }
    for (int j = 0; 2 * j < A; j++) {
        x[0] = w, x[1] = st, x[2] = (U){} + WS_VAR_EVAL_Z, x[3] = (U){} + (uint64_t)j;
        vphilox(x, k0, k1);
        V u1 = vu53(x[0], x[1]), u2 = vu53(x[2], x[3]);
        /* rng.normal_pair: Box-Muller with the half-angle tangent */
        V r = vsqrt(-2.0 * vlog(1.0 - u1));
        V t = vtan(WS_PI * (u2 - 0.5));
        V scale = r / (1.0 + t * t);
        z[2 * j] = (1.0 - t * t) * scale;
        if (2 * j + 1 < A) z[2 * j + 1] = (2.0 * t) * scale;
    }
    x[0] = w, x[1] = st, x[2] = (U){} + WS_VAR_EVENTS, x[3] = (U){};
    vphilox(x, k0, k1);
    *warn_u = vu53(x[0], x[1]);
    *verify_u = vu53(x[2], x[3]);
}

/* rng.step_shocks(key, world, step, A) for n worlds: eval_z (n x A, row-major), warn_u and
 * verify_u (n each). Returns 0, or -1 if A is out of range. */
int ws_shocks(const uint64_t *world, int64_t n, int64_t step, int A, uint32_t k0, uint32_t k1,
              double *eval_z, double *warn_u, double *verify_u) {
    if (A < 1 || A > WS_MAXA) return -1;
    for (int64_t i0 = 0; i0 < n; i0 += L) {
        int64_t gw[WS_LANES], stepn[WS_LANES];
        for (int l = 0; l < L; l++) {
            gw[l] = (int64_t)world[i0 + l < n ? i0 + l : n - 1];
            stepn[l] = step;
        }
        V z[WS_MAXA], wu, vu;
        draw_shocks(gw, stepn, A, k0, k1, z, &wu, &vu);
        for (int l = 0; l < L && i0 + l < n; l++) {
            for (int a = 0; a < A; a++) eval_z[(i0 + l) * A + a] = z[a][l];
            warn_u[i0 + l] = wu[l];
            verify_u[i0 + l] = vu[l];
        }
    }
    return 0;
}

/* Advance worlds [0, n) by dt from year t0: dynamics.step, then track_waystations and freeze.
 * done_in/done_out are numpy bools (one byte). Returns 0, or -1 if A is too large. */
int ws_step(Slots *sl, int64_t n, int A, double t0, double dt, const uint8_t *done_in,
            uint8_t *done_out) {
    if (A < 1 || A > WS_MAXA) return -1;
    Lanes ln;
    ln.pk = NULL;
    ln.carry = NULL;
    int nv = 0;
    V z[WS_MAXA], wu, vu;
    for (int64_t i = 0; i <= n; i++) {
        if (i < n && done_in[i]) {
            copy_world(sl, i, A);
            done_out[i] = 1;
            continue;
        }
        if (i < n) {
            ln.w[nv] = i;
            ln.on[nv++] = 1;
        }
        if (nv == L || (i == n && nv)) {
            for (int l = nv; l < L; l++) {
                ln.w[l] = ln.w[nv - 1];
                ln.on[l] = 0;
            }
            for (int a = 0; a < A; a++) z[a] = ld(sl, SL_eval_z, &ln, a);
            wu = ld(sl, SL_warn_u, &ln, 0);
            vu = ld(sl, SL_verify_u, &ln, 0);
            step_lanes(sl, &ln, A, splat(t0), splat(dt), z, wu, vu, done_out);
            nv = 0;
        }
    }
    return 0;
}

/* The next world of the block still running, from *next on; worlds found done add their
 * frozen fixed-point survival (valid ones only) to frozen[0]. -1 when none is left. */
static int64_t next_running(const Slots *sl, int64_t n, int64_t n_valid, const uint8_t *done,
                            int64_t *next, int64_t *frozen) {
    const double *surv = sl->ptr[SL_survival];
    while (*next < n) {
        int64_t i = (*next)++;
        if (!done[i]) return i;
        if (i < n_valid) frozen[0] += ws_fixed(surv[i * sl->rs[SL_survival]]);
    }
    return -1;
}

/* Whether slot k is read or written per world, and the slot whose buffer it shares. */
static int owner_of(const Slots *sl, int k) {
    for (int j = 0; j < k; j++)
        if (sl->ptr[j] == sl->ptr[k] && sl->rs[j] == sl->rs[k] && sl->cs[j] == sl->cs[k])
            return j;
    return k;
}

/* Copy world i into lane l of the packed slots (the slots flagged in io[0]), or (out) lane l
 * back to world i (the state slots, io[1]). */
static void lane_io(Slots *sl, Packed *pk, uint8_t io[2][WS_NSLOTS], int64_t i, int l, int out) {
    for (int k = out ? SL_C : 0; k < WS_NSLOTS; k++) {
        if (!io[out][k]) continue;
        double *p = sl->ptr[k] + i * sl->rs[k];
        for (int64_t a = 0; a < sl->nc[k]; a++) {
            if (out)
                p[a * sl->cs[k]] = pk->b[k][a][l];
            else
                pk->b[k][a][l] = p[a * sl->cs[k]];
        }
    }
}

/* Advance worlds [0, n) through nsteps steps, world-major, in place (each slot in_X is the
 * same array as X): step k (global step first_step + k) starts at year ts[k] and lasts
 * dts[k]; shocks are drawn inline for the global worlds world[i]. Every lane carries one
 * world through all its steps (until it wins), its slots packed by lane (Packed), then
 * writes it back and takes the next running world, so lanes hold worlds at different
 * steps. sums[k] (zeroed by the caller) receives the fixed-point survival of the worlds
 * i < n_valid after step k (simulate.fixed(...).sum()), done worlds counted at their frozen
 * value. Returns 0, -1 if A is out of range, -2 if a survival is not finite (fixed point
 * would wrap), -3 if out of memory. */
int ws_run(Slots *sl, int64_t n, int A, int64_t n_valid, int nsteps, int64_t first_step,
           const double *ts, const double *dts, uint32_t k0, uint32_t k1,
           const uint64_t *world, uint8_t *done, int64_t *sums) {
    if (A < 1 || A > WS_MAXA) return -1;
    Packed pk;
    uint8_t per_world[2][WS_NSLOTS]; /* slots copied in, and out, per world */
    size_t nvec = 0;
    for (int k = 0; k < WS_NSLOTS; k++) nvec += (size_t)sl->nc[k];
    V *arena = aligned_alloc(sizeof(V), nvec * sizeof(V));
    int64_t *frozen = calloc((size_t)nsteps + 1, sizeof(int64_t));
    if (!frozen || !arena) {
        free(frozen);
        free(arena);
        return -3;
    }
    memset(arena, 0, nvec * sizeof(V));
    V *free_v = arena;
    for (int k = 0; k < WS_NSLOTS; k++) {
        int j = owner_of(sl, k);
        per_world[0][k] = sl->rs[k] != 0 && j == k; /* in_X and X: loaded once, as in_X */
        per_world[1][k] = sl->rs[k] != 0 && k >= SL_C;
        pk.ps[k] = sl->cs[k] != 0;
        if (j < k) {
            pk.b[k] = pk.b[j];
            continue;
        }
        pk.b[k] = free_v;
        free_v += sl->nc[k];
        if (sl->rs[k] == 0) /* the same for every world: filled once */
            for (int64_t a = 0; a < sl->nc[k]; a++) pk.b[k][a] = splat(sl->ptr[k][a * sl->cs[k]]);
    }
    int k[WS_LANES], bad = 0, live = 0;
    Lanes ln;
    Carry carry;
    memset(&carry, 0, sizeof carry); /* valid nowhere */
    ln.pk = &pk;
    ln.carry = &carry;
    int64_t next = 0;
    for (int l = 0; l < L; l++) {
        int64_t i = nsteps > 0 ? next_running(sl, n, n_valid, done, &next, frozen) : -1;
        ln.on[l] = i >= 0;
        ln.w[l] = i;
        k[l] = 0;
        live += ln.on[l];
        if (i >= 0) lane_io(sl, &pk, per_world, i, l, 0);
    }
    while (live) {
        int64_t gw[WS_LANES], stepn[WS_LANES];
        V t0, dt, z[WS_MAXA], wu, vu;
        for (int l = 0; l < L; l++) {
            int kl = ln.on[l] ? k[l] : 0; /* an idle lane computes on what it last held */
            t0[l] = ts[kl];
            dt[l] = dts[kl];
            gw[l] = ln.on[l] ? (int64_t)world[ln.w[l]] : 0;
            stepn[l] = first_step + kl;
        }
        draw_shocks(gw, stepn, A, k0, k1, z, &wu, &vu);
        step_lanes(sl, &ln, A, t0, dt, z, wu, vu, done);
        V surv = pk.b[SL_survival][0];
        for (int l = 0; l < L; l++) {
            if (!ln.on[l]) continue;
            int64_t i = ln.w[l];
            bad |= !isfinite(surv[l]);
            int64_t f = bad ? 0 : ws_fixed(surv[l]);
            if (i < n_valid) sums[k[l]] += f;
            k[l]++;
            if (done[i] && i < n_valid) frozen[k[l]] += f; /* frozen from the next step on */
            if (done[i] || k[l] == nsteps) {
                lane_io(sl, &pk, per_world, i, l, 1);
                i = next_running(sl, n, n_valid, done, &next, frozen);
                ln.on[l] = i >= 0;
                ln.w[l] = i;
                k[l] = 0;
                live -= !ln.on[l];
                carry.valid[l] = 0; /* a new world: its own parameters */
                if (i >= 0) lane_io(sl, &pk, per_world, i, l, 0);
            }
        }
    }
    int64_t acc = 0;
    for (int s = 0; s < nsteps; s++) {
        acc += frozen[s];
        sums[s] += acc;
    }
    free(frozen);
    free(arena);
    return bad ? -2 : 0;
}

int ws_nslots(void) { return WS_NSLOTS; }
