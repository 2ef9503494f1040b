/* waystation fused kernel: the equations of waystation.dynamics.step, restated once in C.
 *
 * One source for every lane width. Worlds are stepped WS_LANES at a time:
 *   WS_LANES=1  variant "exact": one world at a time, V is a double and every
 *               transcendental is glibc's scalar function, so the results are numpy's
 *               bit for bit wherever numpy's exp/log/expm1/pow are glibc's;
 *   WS_LANES=4  variant "simd" (AVX2 + FMA), WS_LANES=8 variant "simd8" (AVX-512): V is a
 *               gcc vector of doubles and the transcendentals are glibc's vector math
 *               library (libmvec), accurate to a few ulp (~1e-13 after a run).
 * Every statement below is written once, on V, and is lane-wise: a world's numbers do not
 * depend on its lane or on the worlds beside it.
 *
 * Every expression evaluates the same float64 operations in the same order as the numpy
 * code (no fast-math: gcc must not reassociate; -ffp-contract=off keeps it from fusing
 * multiply-adds), so the kernel agrees with numpy world by world (tests/test_fused*.py).
 * Branches of numpy's xp.where are both computed and selected (SEL), as numpy does.
 *
 * What the Python side generates (waystation._fused.header(), prepended to this file at
 * build time): the slot list (every field of Params, Levers, State and Shocks, by name),
 * WS_MAXA, and every numeric constant of the dynamics modules (SI_HAZARD, CAUTION_EPS, ...,
 * EXP_CLIP for common._EXP_CLIP), the waystation columns (WAYSTATION_<NAME>) and the
 * random-number constants. So a new parameter needs no edit here unless an equation
 * reads it: then write it as P(name, a) in the equation's line below.
 *
 * The sections follow the modules of waystation.dynamics; each function names the Python
 * function it restates. To change an equation: change the Python, make the same change
 * in its section here, run tests/test_fused.py and tests/test_fused_segment.py, then
 * `python -m waystation._fused pin` (docs/model.md section 12).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if WS_LANES > 1
#include <immintrin.h>
#endif

#define WS_INLINE static inline __attribute__((always_inline))

/* ======================================================================================
 * 1. Lanes: the value types and the operations every statement uses
 * ====================================================================================== */
#ifndef WS_LANES
#define WS_LANES 1
#endif
#define L WS_LANES

#if WS_LANES == 1
typedef double V;   /* one world's value */
typedef int64_t M;  /* a condition: nonzero true */
typedef uint64_t U; /* Philox words, 32 bits in 64 */
#define SEL(m, a, b) ((m) ? (a) : (b))
#define LANE(v, l) (v)
#define TRUE_M ((M)1)
WS_INLINE V splat(double x) { return x; }
WS_INLINE U usplat(uint64_t x) { return x; }
WS_INLINE V vexp(V x) { return exp(x); }
WS_INLINE V vlog(V x) { return log(x); }
WS_INLINE V vexpm1(V x) { return expm1(x); }
WS_INLINE V vtan(V x) { return tan(x); }
WS_INLINE V vpow(V x, V y) { return pow(x, y); }
WS_INLINE V vsqrt(V x) { return sqrt(x); }
WS_INLINE int any_(M m) { return m != 0; }
WS_INLINE U mul32(U a, U b) { return (a & 0xFFFFFFFFu) * (b & 0xFFFFFFFFu); }
WS_INLINE V u64_to_v(U bits) { return (double)(int64_t)bits; }
#else
typedef double V __attribute__((vector_size(8 * WS_LANES)));
typedef int64_t M __attribute__((vector_size(8 * WS_LANES))); /* masks: -1 true, 0 false */
typedef uint64_t U __attribute__((vector_size(8 * WS_LANES)));
#define SEL(m, a, b) ((V)(((M)(a) & (m)) | ((M)(b) & ~(m))))
#define LANE(v, l) ((v)[l])
#define TRUE_M ((M){} - 1)
WS_INLINE V splat(double x) { return (V){} + x; }
WS_INLINE U usplat(uint64_t x) { return (U){} + x; }
/* libmvec's names: _ZGV, d (AVX2) or e (AVX-512), N and the lane count, v per argument */
#if WS_LANES == 8
#define MVEC(name) _ZGVeN8v_##name
#define MVEC2(name) _ZGVeN8vv_##name
WS_INLINE V vsqrt(V x) { return (V)_mm512_sqrt_pd((__m512d)x); }
WS_INLINE U mul32(U a, U b) { return (U)_mm512_mul_epu32((__m512i)a, (__m512i)b); }
#elif WS_LANES == 4
#define MVEC(name) _ZGVdN4v_##name
#define MVEC2(name) _ZGVdN4vv_##name
WS_INLINE V vsqrt(V x) { return (V)_mm256_sqrt_pd((__m256d)x); } /* correctly rounded */
WS_INLINE U mul32(U a, U b) { return (U)_mm256_mul_epu32((__m256i)a, (__m256i)b); }
#else
#error "WS_LANES must be 1, 4 or 8"
#endif
V MVEC(exp)(V);
V MVEC(log)(V);
V MVEC(expm1)(V);
V MVEC(tan)(V);
V MVEC2(pow)(V, V);
WS_INLINE V vexp(V x) { return MVEC(exp)(x); }
WS_INLINE V vlog(V x) { return MVEC(log)(x); }
WS_INLINE V vexpm1(V x) { return MVEC(expm1)(x); }
WS_INLINE V vtan(V x) { return MVEC(tan)(x); }
WS_INLINE V vpow(V x, V y) { return MVEC2(pow)(x, y); }
WS_INLINE int any_(M m) {
    for (int l = 0; l < L; l++)
        if (m[l]) return 1;
    return 0;
}
WS_INLINE V u64_to_v(U bits) { return __builtin_convertvector((M)bits, V); }
#endif
#define NOT(m) ((m) == 0) /* true where m is false, in either convention */
WS_INLINE M isnan_(V x) { return x != x; }
WS_INLINE M isinf_(V x) { return (x == splat(INFINITY)) | (x == splat(-INFINITY)); }
WS_INLINE V bool_(M m) { return SEL(m, splat(1.0), splat(0.0)); }

/* ======================================================================================
 * 2. Slots: where each world's numbers live
 * ====================================================================================== */
/* The Python side passes a table of slots (the generated enum SL_*): a base pointer and
 * two strides in elements (world, actor); a stride of 0 broadcasts, so world-level (W, 1)
 * arrays, per-actor (W, A) arrays and scalars are read alike. */
typedef struct {
    double *ptr[WS_NSLOTS];
    int64_t rs[WS_NSLOTS];
    int64_t cs[WS_NSLOTS];
    int64_t nc[WS_NSLOTS]; /* columns (1 for world-level arrays and scalars) */
} Slots;

/* Slots packed by lane (ws_run): slot k's column a of the lanes' worlds is one V,
 * b[k][a * ps[k]] (ps 0: one column serves every actor). In-place slots in_X and X share
 * a buffer. A lane's world is copied in when the lane takes it, out when it lets go. */
typedef struct {
    V *b[WS_NSLOTS];
    int64_t ps[WS_NSLOTS];
} Packed;

/* growth's terms that depend only on the year t and the world's parameters (labour.py's
 * human_labour, capability.py's compute-scaling sigmoid, wbe_effort's background). */
typedef struct {
    V hs[WS_MAXA], hc[WS_MAXA], scaling[WS_MAXA], background;
} Clock;

/* Per-lane values that carry from one step to the next while a lane keeps its world
 * (ws_run): those depending only on its parameters and the step length dt, and the Clock
 * at the end of the last step, which is the next step's start (the same year t:
 * ts[k + 1] = ts[k] + dts[k]). clock[cur] is that Clock. Valid only where valid. */
typedef struct {
    M valid;
    V dt, mem[WS_MAXA], will_f, b_f, ws_odds[WS_MAXA]; /* at step length dt */
    V norm[WS_MAXA + 1]; /* share_norms (parameters only) */
    V t;                                                /* year of clock[cur] */
    int cur;
    Clock clock[2];
} Carry;

/* The lanes' world indices (rows of the block) and which lanes are stepped (on[l]: the
 * others are computed alike and never stored). Without pk, slots are read from the arrays
 * (a gather per V; idle lanes repeat a stepped lane's world); with pk, from it, and carry
 * holds what the lanes' last step left (NULL: compute everything). */
typedef struct {
    int64_t w[WS_LANES];
    uint8_t on[WS_LANES];
    Packed *pk;
    Carry *carry;
} Lanes;

WS_INLINE V ld(const Slots *sl, int k, const Lanes *ln, int a) {
    if (ln->pk) return ln->pk->b[k][a * ln->pk->ps[k]];
    const double *p = sl->ptr[k];
    int64_t rs = sl->rs[k], off = (int64_t)a * sl->cs[k];
    if (rs == 0) return splat(p[off]);
    V r;
    for (int l = 0; l < L; l++) LANE(r, l) = p[ln->w[l] * rs + off];
    return r;
}
WS_INLINE void st(const Slots *sl, int k, const Lanes *ln, int a, V v) {
    if (ln->pk) {
        ln->pk->b[k][a * ln->pk->ps[k]] = v;
        return;
    }
    double *p = sl->ptr[k];
    int64_t rs = sl->rs[k], off = (int64_t)a * sl->cs[k];
    for (int l = 0; l < L; l++)
        if (ln->on[l]) p[ln->w[l] * rs + off] = LANE(v, l);
}
/* P(name, a): parameter or lever (lv_name) of actor a (column 0 for world-level ones);
 * IN(name, a): the state field at the step's start; OUT(name, a, v): write the new state. */
#define P(k, a) ld(sl, SL_##k, ln, (a))
#define IN(k, a) ld(sl, SL_in_##k, ln, (a))
#define OUT(k, a, v) st(sl, SL_##k, ln, (a), (v))
/* The arguments every equation passes on: where the lanes' numbers live. */
#define CTX const Slots *sl, const Lanes *ln
#define ctx sl, ln

/* ======================================================================================
 * 3. common.py: shared forms
 * ====================================================================================== */
/* np.maximum / np.minimum: NaN propagates from either operand */
WS_INLINE V mx(V a, V b) {
    V r = SEL(a > b, a, b);
    return SEL(a != a, a, r);
}
WS_INLINE V mn(V a, V b) {
    V r = SEL(a < b, a, b);
    return SEL(a != a, a, r);
}
WS_INLINE V clip(V x, double lo, double hi) { return mn(mx(x, splat(lo)), splat(hi)); }
/* exp(x) for arguments that often lie far below the smallest double's logarithm
 * (exp(-exp(z)) in Gompertz curves, zero labour's powers): below EXP_ZERO exp is exactly
 * +0, so those lanes are set to 0 without a call. libmvec hands lanes whose result
 * underflows to glibc's scalar exp one by one (with errno and exception handling); the
 * value is the same, and skipping that path was ~20% of the kernel's time (perf,
 * docs/performance.md). A call is skipped when every lane is below. */
#define EXP_ZERO (-746.0) /* exp(-745.14) is half the smallest subnormal: rounds to 0 */
WS_INLINE V vexp_u(V x) {
    M zero = x < EXP_ZERO;
    if (!any_(NOT(zero))) return splat(0.0);
    return SEL(zero, splat(0.0), vexp(SEL(zero, splat(0.0), x)));
}
/* common.sigmoid */
WS_INLINE V sigmoid(V x) { return 1.0 / (1.0 + vexp(-clip(x, -EXP_CLIP, EXP_CLIP))); }
/* common.logistic: k * sigmoid((a - b) / width) */
WS_INLINE V logistic(V k, V a, V b, V width) { return k * sigmoid((a - b) / width); }
/* common.returns */
WS_INLINE V returns_(V scale, V labour, V ref, V lam, V done, V harder) {
    /* log(0) is -inf, which the floor makes LOG_FLOOR: set without the call (libmvec's
     * log, like its exp, handles such lanes one by one in glibc's scalar code) */
    V q = labour / ref;
    M zero = q == 0.0;
    V log_labour = SEL(zero, splat(LOG_FLOOR), mx(vlog(SEL(zero, splat(1.0), q)), splat(LOG_FLOOR)));
    V z = lam * log_labour - LN10 * harder * mx(done, splat(0.0));
    return scale * vexp_u(mn(z, splat(LOG_RATE_MAX)));
}
/* common.returns at zero labour (log_labour = LOG_FLOOR): what returns_ gives there */
WS_INLINE V returns_zero(V scale, V lam, V done, V harder) {
    V z = lam * splat(LOG_FLOOR) - LN10 * harder * mx(done, splat(0.0));
    return scale * vexp_u(mn(z, splat(LOG_RATE_MAX)));
}
/* common.saturate */
WS_INLINE V saturate(V r, V ceiling) {
    V q = r / ceiling;
    return r / vsqrt(1.0 + q * q);
}
/* common.crossing */
WS_INLINE V crossing(V x0, V x1, V level, int rising) {
    V a = rising ? x0 - level : level - x0;
    V b = rising ? x1 - level : level - x1;
    V span = b - a;
    V frac = SEL(span > 0.0, -a / span, splat(1.0));
    return SEL(a >= 0.0, splat(0.0), clip(frac, 0.0, 1.0));
}
/* common.actor_sum / actor_max: left folds over actors */
WS_INLINE V actor_sum(const V *x, int A) {
    V s = x[0];
    for (int a = 1; a < A; a++) s = s + x[a];
    return s;
}
WS_INLINE V actor_max(const V *x, int A) {
    V s = x[0];
    for (int a = 1; a < A; a++) s = mx(s, x[a]);
    return s;
}
/* common.rival_max: highest capability among the other actors (-inf alone) */
WS_INLINE void rival_max(const V *C, int A, V *out) {
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

/* ======================================================================================
 * 4. labour.py: human, AI and emulated labour, trust
 * ====================================================================================== */
/* labour.human_labour, capability_rate's scaling sigmoid and wbe_effort's background at
 * year t: the Clock */
static void clock_terms(CTX, int A, V t, Clock *ck) {
    V years = t - P(start, 0);
    for (int a = 0; a < A; a++) {
        ck->hs[a] = P(safety_researchers, a) * vexp(P(log1p_safety_growth, a) * years);
        ck->hc[a] = P(capability_researchers, a) * vexp(P(log1p_capability_growth, a) * years);
        ck->scaling[a] = sigmoid(P(start, a) + P(scaling_years, a) - t);
    }
    ck->background =
        P(wbe_background, 0) * vexp(P(log1p_wbe_background_growth, 0) * (t - P(start, 0)));
}
/* labour.automation */
WS_INLINE V automation(CTX, int a, V C) {
    V x = mn(C - P(C_aar, a), P(C_max, a));
    V slope = P(k_approach, a) * mn(x, splat(0.0)) + P(k_ai, a) * mx(x, splat(0.0));
    return P(aar_labor, a) * vexp_u(LN10 * mn(slope, splat(250.0)));
}
/* labour.ai_labour */
WS_INLINE V ai_labour(CTX, int a, V C) {
    V autom = automation(ctx, a, C);
    return P(capability_researchers, a) * (P(ai_labor_ratio, a) + autom) *
           (1.0 - P(lv_tool_ai_only, a) * P(tool_labor_cut, a));
}
/* labour.trust: Gompertz in the true margin */
WS_INLINE V trust(CTX, int a, V S_eff, V C) {
    return vexp_u(-vexp(clip((C - S_eff) / P(edge_width, a), -EXP_CLIP, EXP_CLIP)));
}
/* labour.ai_safety_labour: returns the usable labour, *bad the sabotaging labour */
WS_INLINE V ai_safety_labour(CTX, int a, V L_ai, V tr, V overseers, V *bad) {
    V scheming = clip(P(scheming, a), 0.0, 1.0);
    V sent = (P(lv_ai_safety_share, a) + P(ai_outside_share, a)) * L_ai * P(ai_safety_edge, a);
    V ease = P(eval_ease, a);
    V trusted = tr * sent * (ease + (1.0 - ease) * (1.0 - scheming));
    V checkable = (1.0 - tr) * sent * ease;
    V capacity = P(oversight, a) * overseers;
    V checked = checkable * capacity / mx(checkable + capacity, splat(1e-300));
    *bad = P(sabotage_harm, a) * sent * (1.0 - ease) * scheming;
    return trusted + checked;
}
/* labour.emulated_labour */
WS_INLINE V emulated_labour(CTX, V t, V em_time) {
    V em_growth = P(em_growth, 0);
    V age = mn(mx(t - em_time, splat(0.0)), EXP_CLIP / mx(em_growth, splat(1e-9)));
    V grown = mn(P(em_max, 0), P(em_initial, 0) * vexp(em_growth * age));
    return SEL(t >= em_time, grown, splat(0.0));
}
/* labour.wbe_effort (the background is the Clock's) */
WS_INLINE V wbe_effort(CTX, int A, const Clock *ck, const V *L_ai) {
    V w[WS_MAXA];
    for (int a = 0; a < A; a++) w[a] = P(lv_wbe_investment, a) * (ck->hs[a] + ck->hc[a] + L_ai[a]);
    return ck->background + actor_sum(w, A);
}

/* ======================================================================================
 * 5. capability.py: capability growth and sabotage
 * ====================================================================================== */
/* capability.capability_rate (scaling: the Clock's sigmoid) */
WS_INLINE V capability_rate(CTX, int a, V scaling, V hc, V L_ai, V C) {
    V compute = P(g_hardware, a) + (P(g_compute, a) - P(g_hardware, a)) * scaling;
    V labour = (hc + (1.0 - P(lv_ai_safety_share, a)) * L_ai) * (1.0 - P(lv_wbe_investment, a));
    V ref = P(capability_researchers, a) * (1.0 + P(ai_labor_ratio, a));
    V algo = returns_(P(g_algo, a), labour, ref, P(lam_c, a), C - P(frontier, a),
                      P(ideas_harder, a));
    return saturate(P(compute_scale, a) * compute + algo, P(max_rate, a));
}
/* capability.sabotage */
WS_INLINE V sabotage(CTX, int a, V C, V rival) {
    M finite = NOT(isnan_(rival) | isinf_(rival));
    V lead = SEL(finite, C - rival, splat(-INFINITY));
    return logistic(P(lv_deterrence, a), lead, P(deterrence_threshold, a), splat(0.1));
}

/* ======================================================================================
 * 6. safety.py: safety range, hardening, evaluation, verification
 * ====================================================================================== */
/* safety.hardening_cover / O (the share of hardening that covers capability C) */
WS_INLINE V cover_of(CTX, V C) { return clip((P(C_si, 0) - C) / P(si_gap, 0), 0.0, 1.0); }
/* safety.safety_range */
WS_INLINE V safety_range(CTX, V S, V O, V C) { return S + O * cover_of(ctx, C); }
/* safety.share_returns's norm = ((ref_share + outside) / ref_share)**lam (ref_share: a
 * constant): it depends on the parameters only, so share_norms computes it once per world
 * (norm[a] for actor a's evaluation, norm[A] for hardening) and step_lanes carries it */
WS_INLINE V share_norm(V lam, V outside, double ref_share) {
    return vpow((ref_share + outside) / ref_share, lam);
}
static void share_norms(CTX, int A, V *norm) {
    for (int a = 0; a < A; a++)
        norm[a] = share_norm(P(lam_s, a), P(outside_share, a), EVAL_REF_SHARE);
    norm[A] = share_norm(P(lam_s, 0), P(outside_share, 0), HARDEN_REF_SHARE);
}
/* safety.share_returns */
WS_INLINE V share_returns(V scale, V labour, V total, V ref, V lam, V outside, V norm, V done,
                          V harder) {
    return returns_(scale, labour + outside * total, ref, lam, done, harder) / norm;
}
/* safety.safety_rates' signed returns of net labour (sabotage undoes progress) */
WS_INLINE V signed_returns(V scale, V work, V ref, V lam, V made) {
    /* returns(max(work, 0)) - returns(max(-work, 0)): one side is at zero labour, so
     * one returns_ of |work| and returns_zero give the same two terms, in the same order,
     * with one log and exp fewer (NaN work: NaN, as both sides are) */
    V r = returns_(scale, SEL(work < 0.0, -work, work), ref, lam, made, splat(1.0));
    V z0 = returns_zero(scale, lam, made, splat(1.0));
    V d = SEL(work > 0.0, r - z0, SEL(work < 0.0, z0 - r, z0 - z0));
    return SEL(work != work, r - r, d);
}
/* safety.safety_rates: dS, dE and dS_seen per actor, *dO */
static void safety_rates(CTX, int A, const V *I_s, const V *bad, const V *C, const V *S, V O,
                         const V *E, V B, V will, const V *norm, V *dS, V *dO, V *dE,
                         V *dS_seen) {
    V net[WS_MAXA], net_seen[WS_MAXA], h_part[WS_MAXA], eval_own[WS_MAXA];
    for (int a = 0; a < A; a++) {
        /* safety._shares */
        V e_share = P(lv_eval_investment, a), h_share = P(lv_hardening_investment, a);
        V total = mx(splat(1.0), e_share + h_share);
        e_share = e_share / total;
        h_share = h_share / total;
        V s_share = mx(1.0 - e_share - h_share, splat(0.0));
        V ref = P(safety_ref, a), lam = P(lam_s, a);
        V scale = P(s_base, a) * B / P(hardness, a);
        V made = P(safety_harder, a) * mx(S[a] - P(safety_range, a), splat(0.0));
        made = made + P(beyond_frontier, a) * mx(S[a] - C[a], splat(0.0));
        net[a] = signed_returns(scale, s_share * (I_s[a] - bad[a]), ref, lam, made);
        net_seen[a] = signed_returns(scale, s_share * I_s[a], ref, lam, made);
        h_part[a] = h_share * I_s[a];
        eval_own[a] = share_returns(splat(1.0), e_share * I_s[a], I_s[a], EVAL_REF_SHARE * ref,
                                    lam, P(outside_share, a), norm[a], splat(0.0), splat(0.0));
    }
    V net_sum = actor_sum(net, A), eval_sum = actor_sum(eval_own, A);
    V seen_sum = actor_sum(net_seen, A);
    V harden = actor_sum(h_part, A);
    for (int a = 0; a < A; a++) {
        V shared = net[a] + P(lv_spillover, a) * (net_sum - net[a]);
        dS[a] = saturate(shared, P(max_safety_rate, a));
        V shared_seen = net_seen[a] + P(lv_spillover, a) * (seen_sum - net_seen[a]);
        /* risk evaluation catches the damage in proportion to its credibility */
        V missed = 1.0 / (1.0 + P(eval_ease, a) * E[a]);
        dS_seen[a] = dS[a] + missed * (saturate(shared_seen, P(max_safety_rate, a)) - dS[a]);
        V eval_shared = eval_own[a] + P(lv_spillover, a) * (eval_sum - eval_own[a]);
        dE[a] = P(e_base, a) * B * (1.0 + will) * eval_shared / (1.0 + E[a]);
    }
    V rate = share_returns(P(o_base, 0) * B / P(hardness, 0), harden, actor_sum(I_s, A),
                           HARDEN_REF_SHARE * P(safety_ref, 0), P(lam_s, 0), P(outside_share, 0),
                           norm[A], O, P(harden_harder, 0));
    *dO = saturate(rate, P(max_safety_rate, 0));
}
/* safety.breakthrough_chance */
WS_INLINE V breakthrough_chance(CTX, int A, const V *I_s, V h_dt) {
    V total = actor_sum(I_s, A) / P(safety_ref, 0); /* safety._labour_ratio */
    V ratio = vpow(total, P(lam_s, 0));
    return -vexpm1(-P(verify_rate, 0) * P(eval_ease, 0) * ratio * h_dt);
}

/* ======================================================================================
 * 7. restraint.py: evaluation, coordination and the pause
 * ====================================================================================== */
/* restraint.evaluation_error (mem = exp(-dt / eval_memory), carried per step length) */
WS_INLINE V evaluation_error(V noise, V z, V mem) {
    return noise * mem + vsqrt(1.0 - mem * mem) * z;
}
/* restraint.estimated_margin */
WS_INLINE V estimated_margin(CTX, int a, V S_eff, V C, V E, V noise) {
    V bias = P(scheming, a) * mx(splat(0.0), C - P(C_aar, a));
    return (S_eff - C) + bias + P(sigma_eval, a) / (1.0 + E) * noise;
}
/* restraint.race_relief */
WS_INLINE V race_relief(CTX, int a, V C, V rival) {
    return logistic(P(race_pressure, a), rival, C, P(race_scale, a));
}

/* restraint.shown_danger (M_hat: the estimated margins of the range evaluations see) */
WS_INLINE V shown_danger(CTX, int A, const V *M_hat, const V *E) {
    V seen[WS_MAXA];
    for (int a = 0; a < A; a++) {
        V ease_E = P(eval_ease, a) * E[a];
        V credibility = ease_E / (1.0 + ease_E);
        V danger = sigmoid(-M_hat[a] / P(edge_width, a));
        seen[a] = credibility * danger;
    }
    return P(eval_alarm, 0) * actor_max(seen, A);
}
/* restraint.political_will (will_f = exp(-will_decay dt), once per step length) */
WS_INLINE V political_will(CTX, V will, V shown, V incidents, V dt, V will_f) {
    V kept = will * will_f;
    V evidence = shown * dt + incidents * (P(warning_response, 0) * P(will_per_warning, 0));
    return 1.0 - (1.0 - kept) * vexp(-evidence);
}

/* restraint.coordination */
WS_INLINE V coordination(CTX, V will, V B) {
    return clip((P(lv_global_pause, 0) + P(will_to_pause, 0) * will) * B, 0.0, 1.0);
}
/* restraint.restraint's log-odds of caution: the same at both Heun stages (will is the
 * step's), so computed once */
WS_INLINE V caution_odds(CTX, int a, V will) {
    V caution = clip(P(lv_caution, a) + (1.0 - P(lv_caution, a)) * will, 0.0, 1.0);
    V c = clip(caution, CAUTION_EPS, 1.0 - CAUTION_EPS);
    return vlog(c / (1.0 - c));
}
/* restraint.detection (watch: the actors' usable AI safety labour over safety_ref) */
WS_INLINE V detection(CTX, int a, V undetected, V watch, V coord, V h_dt) {
    V monitoring = 1.0 - (1.0 - P(lv_enforcement, a)) / (1.0 + watch);
    V rate = P(detection_rate, a) * monitoring * P(lv_covert_rate, a) * coord;
    return undetected * vexp(-rate * h_dt);
}
/* restraint.restraint (odds: caution_odds at the step's will) */
WS_INLINE V restraint(CTX, int a, V M_fc, V relief, V will, V coord, V B, V undetected,
                      V odds) {
    V caution = clip(P(lv_caution, a) + (1.0 - P(lv_caution, a)) * will, 0.0, 1.0);
    V urgency = (P(lv_margin_target, a) - M_fc) / P(pause_width, a) + odds;
    V voluntary = SEL(caution > 0.0, sigmoid(urgency), splat(0.0));
    voluntary = mx(splat(0.0), voluntary - relief);
    V enforced = clip((P(lv_enforcement, a) + (1.0 - P(lv_enforcement, a)) * will) * B, 0.0, 1.0);
    V governed = enforced + (1.0 - enforced) * caution;
    governed = coord * (undetected * (1.0 - P(lv_covert_rate, a)) * governed + (1.0 - undetected));
    return clip(voluntary + governed, 0.0, 1.0);
}

/* ======================================================================================
 * 8. hazard.py: lethal and survivable hazard
 * ====================================================================================== */
/* hazard.hazard's log-odds of a survivable event, log((1 - ws) / ws): per world, carried */
WS_INLINE V warning_odds(CTX, int a) {
    V ws = clip(P(warning_share, a), 1e-9, 1.0 - 1e-9);
    return vlog((1.0 - ws) / ws);
}
/* hazard.gompertz */
WS_INLINE V gompertz(V C, V S_eff, V rate, V width) {
    V z = mn(mx((S_eff - C) / width, splat(-EXP_CLIP)), splat(EXP_CLIP));
    return rate * vexp_u(-vexp(z)) * (1.0 + mx(C - S_eff, splat(0.0)));
}
/* hazard.hazard, summed over actors (actor_sum): *lethal, *survivable */
static void hazard(CTX, int A, const V *odds, const V *C, const V *S_eff, V *lethal,
                   V *survivable) {
    V le[WS_MAXA], su[WS_MAXA];
    for (int a = 0; a < A; a++) {
        V width = P(edge_width, a);
        V h = gompertz(C[a], S_eff[a], P(hazard_rate, a), width);
        h = h * (1.0 + SI_HAZARD * sigmoid((C[a] - P(C_si, a)) / width));
        h = h * (1.0 - P(lv_tool_ai_only, a) * P(tool_hazard_cut, a));
        V share = sigmoid((C[a] - P(C_lethal, a)) / P(lethal_width, a) + odds[a]);
        le[a] = h * share;
        su[a] = h * (1.0 - share);
    }
    *lethal = actor_sum(le, A);
    *survivable = actor_sum(su, A);
}

/* hazard.incident_count: Poisson count of mean by inverse CDF of u */
WS_INLINE V incident_count(V u, V mean) {
    V term = vexp(-mean);
    V cdf = term;
    V count = bool_(u >= cdf);
    for (int k = 1; k < (int)MAX_INCIDENTS; k++) {
        term = term * mean / (double)k;
        cdf = cdf + term;
        count = count + bool_(u >= cdf);
    }
    return count;
}

/* ======================================================================================
 * 9. backdrop.py: backdrop capacity
 * ====================================================================================== */
/* backdrop.backdrop_target */
WS_INLINE V backdrop_target(CTX, int A, const V *C, const V *S_eff, const V *relief) {
    V safe_[WS_MAXA], unsafe_[WS_MAXA], race_[WS_MAXA];
    V top = actor_max(C, A);
    for (int a = 0; a < A; a++) {
        safe_[a] = mx(splat(0.0), mn(C[a], S_eff[a]));
        unsafe_[a] = mx(splat(0.0), C[a] - S_eff[a]);
        race_[a] = SEL(top <= C[a], relief[a], splat(0.0)); /* the leader's relief */
    }
    return clip(1.0 + P(b_gain, 0) * actor_max(safe_, A) -
                    P(b_erosion, 0) * (actor_sum(unsafe_, A) + actor_max(race_, A)),
                0.25, 4.0);
}

/* ======================================================================================
 * 10. integrate.py: growth, range_growth, step (with freeze)
 * ====================================================================================== */
typedef struct { /* integrate.Growth */
    V dC_free[WS_MAXA], dS[WS_MAXA], dS_seen[WS_MAXA], dO, dE[WS_MAXA], I_s[WS_MAXA];
    V usable_ai[WS_MAXA], trust[WS_MAXA], wbe, S_eff[WS_MAXA];
} Growth;

/* integrate.growth at year t (ck: clock_terms at t) */
static void growth(CTX, int A, V t, const Clock *ck, const V *C, const V *S, V O, const V *E,
                   V B, V will, V em_time, const V *norm, Growth *g) {
    V L_ai[WS_MAXA], bad[WS_MAXA];
    V em = emulated_labour(ctx, t, em_time) / (double)A;
    M deter = {0};
    for (int a = 0; a < A; a++) {
        L_ai[a] = ai_labour(ctx, a, C[a]);
        g->S_eff[a] = safety_range(ctx, S[a], O, C[a]);
        g->trust[a] = trust(ctx, a, g->S_eff[a], C[a]);
        g->usable_ai[a] = ai_safety_labour(ctx, a, L_ai[a], g->trust[a], ck->hs[a] + em, &bad[a]);
        g->I_s[a] = ck->hs[a] * (1.0 - P(lv_wbe_investment, a)) + g->usable_ai[a] + em;
        g->dC_free[a] = capability_rate(ctx, a, ck->scaling[a], ck->hc[a], L_ai[a], C[a]);
        deter |= P(lv_deterrence, a) != 0.0;
    }
    if (any_(deter)) { /* 1 - 0 * sigmoid is exactly 1: worlds without deterrence unchanged */
        V rival[WS_MAXA];
        rival_max(C, A, rival);
        for (int a = 0; a < A; a++)
            g->dC_free[a] = g->dC_free[a] * (1.0 - sabotage(ctx, a, C[a], rival[a]));
    }
    safety_rates(ctx, A, g->I_s, bad, C, S, O, E, B, will, norm, g->dS, &g->dO, g->dE,
                 g->dS_seen);
    g->wbe = wbe_effort(ctx, A, ck, L_ai);
}

/* integrate.range_growth (seen: the growth evaluations see, sabotage unseen) */
WS_INLINE V range_growth(CTX, const Growth *g, int a, V C, V O, int seen) {
    V cover = 1.0 * cover_of(ctx, C);
    V fading = SEL((cover > 0.0) & (cover < 1.0), O / P(si_gap, a), splat(0.0));
    return (seen ? g->dS_seen[a] : g->dS[a]) + cover * g->dO - fading * g->dC_free[a];
}

/* integrate.freeze for a world already done: its state copied unchanged */
static void copy_world(Slots *sl, int64_t i) {
#define WS_COPY(k)                                                                         \
    for (int64_t a = 0; a < sl->nc[SL_##k]; a++)                                            \
        sl->ptr[SL_##k][i * sl->rs[SL_##k] + a * sl->cs[SL_##k]] =                          \
            sl->ptr[SL_in_##k][i * sl->rs[SL_in_##k] + a * sl->cs[SL_in_##k]];
    WS_FOR_STATE(WS_COPY)
#undef WS_COPY
}

static void track_waystations(CTX, int A, V t, V h_dt, V top, M win, M verified, V O,
                              V em_time, V survival, const V *C, const V *S_eff,
                              const V *pause, const V *usable_ai);

/* integrate.step for the running worlds of one group of lanes, each from its year t0 by
 * its dt, with the step's shocks z (eval_z, one per actor), warn_u and verify_u; then
 * track_waystations. Writes each world's OUT slots and done_out. */
static void step_lanes(Slots *sl, const Lanes *ln, int A, V t0, V dt, const V *z, V warn_u,
                       V verify_u, uint8_t *done_out) {
    V h_dt = dt * 1.0; /* a running world's live = 1 */
    /* what depends only on the parameters and dt: carried while the lanes' dt is the same */
    Carry *cr = ln->carry;
    M off = {0}; /* idle lanes: whatever they hold will do */
    for (int l = 0; l < L; l++) LANE(off, l) = ln->on[l] ? 0 : -1;
    V mem[WS_MAXA], will_f, b_f, ws_odds[WS_MAXA], norm[WS_MAXA + 1];
    if (cr && !any_(NOT((cr->valid & (cr->dt == dt)) | off))) {
        for (int a = 0; a < A; a++) mem[a] = cr->mem[a], ws_odds[a] = cr->ws_odds[a];
        for (int a = 0; a <= A; a++) norm[a] = cr->norm[a];
        will_f = cr->will_f, b_f = cr->b_f;
    } else {
        for (int a = 0; a < A; a++) {
            mem[a] = vexp(-dt / P(eval_memory, a));
            ws_odds[a] = warning_odds(ctx, a);
        }
        share_norms(ctx, A, norm);
        will_f = vexp(-P(will_decay, 0) * dt);
        b_f = vexp(-h_dt / P(b_tau, 0));
        if (cr) {
            for (int a = 0; a < A; a++) cr->mem[a] = mem[a], cr->ws_odds[a] = ws_odds[a];
            for (int a = 0; a <= A; a++) cr->norm[a] = norm[a];
            cr->will_f = will_f, cr->b_f = b_f, cr->dt = dt;
        }
    }
    /* the Clock at the step's start (the last step's end, if carried) and end */
    Clock own[2];
    const Clock *ck1;
    Clock *ck2;
    if (cr) {
        if (!any_(NOT((cr->valid & (cr->t == t0)) | off))) {
            ck1 = &cr->clock[cr->cur];
        } else {
            clock_terms(ctx, A, t0, &cr->clock[cr->cur]);
            ck1 = &cr->clock[cr->cur];
        }
        cr->cur ^= 1;
        ck2 = &cr->clock[cr->cur];
        cr->t = t0 + dt;
        cr->valid = TRUE_M;
    } else {
        clock_terms(ctx, A, t0, &own[0]);
        ck1 = &own[0];
        ck2 = &own[1];
    }
    clock_terms(ctx, A, t0 + dt, ck2);

    V C0[WS_MAXA], S0[WS_MAXA], V0[WS_MAXA], E0[WS_MAXA], noise[WS_MAXA], relief0[WS_MAXA];
    V undetected0[WS_MAXA], usable0[WS_MAXA];
    V O0 = IN(O, 0), B0 = IN(B, 0), will0 = IN(will, 0), em_time0 = IN(em_time, 0);
    for (int a = 0; a < A; a++) {
        C0[a] = IN(C, a);
        S0[a] = IN(S, a);
        V0[a] = IN(S_seen, a);
        E0[a] = IN(E, a);
        relief0[a] = IN(relief, a);
        undetected0[a] = IN(undetected, a);
        usable0[a] = IN(usable_ai, a);
        noise[a] = evaluation_error(IN(noise, a), z[a], mem[a]);
    }
    /* Heun's method: growth at the start of the step and at an Euler prediction of its
     * end; the pause decided at each point from that point's evaluation. */
    V coord = coordination(ctx, will0, B0);
    Growth g1, g2;
    growth(ctx, A, t0, ck1, C0, S0, O0, E0, B0, will0, em_time0, norm, &g1);
    V M_hat[WS_MAXA], pause0[WS_MAXA], dC1[WS_MAXA], C1[WS_MAXA], S1[WS_MAXA], E1[WS_MAXA];
    V V1[WS_MAXA];
    V odds[WS_MAXA];
    for (int a = 0; a < A; a++) {
        odds[a] = caution_odds(ctx, a, will0);
        M_hat[a] = estimated_margin(ctx, a, safety_range(ctx, V0[a], O0, C0[a]), C0[a], E0[a],
                                    noise[a]);
        V fc = M_hat[a] + (range_growth(ctx, &g1, a, C0[a], O0, 1) - g1.dC_free[a]) *
                              P(lv_lookahead, a);
        pause0[a] = restraint(ctx, a, fc, relief0[a], will0, coord, B0, undetected0[a], odds[a]);
        dC1[a] = g1.dC_free[a] * (1.0 - pause0[a]);
        C1[a] = C0[a] + dC1[a] * h_dt;
        S1[a] = S0[a] + g1.dS[a] * h_dt;
        V1[a] = V0[a] + g1.dS_seen[a] * h_dt;
        E1[a] = E0[a] + g1.dE[a] * h_dt;
    }
    V O1 = O0 + g1.dO * h_dt;
    growth(ctx, A, t0 + dt, ck2, C1, S1, O1, E1, B0, will0, em_time0, norm, &g2);
    V rival[WS_MAXA], rg2[WS_MAXA], I_s[WS_MAXA];
    rival_max(C1, A, rival);
    V C[WS_MAXA], S[WS_MAXA], E[WS_MAXA], S_eff[WS_MAXA], pause[WS_MAXA], dS[WS_MAXA];
    V S_seen[WS_MAXA], dV[WS_MAXA];
    for (int a = 0; a < A; a++) {
        rg2[a] = range_growth(ctx, &g2, a, C1[a], O1, 0);
        V M_fc1 = estimated_margin(ctx, a, safety_range(ctx, V1[a], O1, C1[a]), C1[a], E1[a],
                                   noise[a]) +
                  (range_growth(ctx, &g2, a, C1[a], O1, 1) - g2.dC_free[a]) * P(lv_lookahead, a);
        V relief1 = race_relief(ctx, a, C1[a], rival[a]);
        V pause1 = restraint(ctx, a, M_fc1, relief1, will0, coord, B0, undetected0[a], odds[a]);
        pause[a] = 0.5 * (pause0[a] + pause1);
        V dC = 0.5 * (dC1[a] + g2.dC_free[a] * (1.0 - pause1));
        dS[a] = 0.5 * (g1.dS[a] + g2.dS[a]);
        dV[a] = 0.5 * (g1.dS_seen[a] + g2.dS_seen[a]);
        I_s[a] = 0.5 * (g1.I_s[a] + g2.I_s[a]);
        C[a] = mn(C0[a] + dC * h_dt, P(C_max, a));
        E[a] = E0[a] + 0.5 * (g1.dE[a] + g2.dE[a]) * h_dt;
    }
    /* a verification breakthrough: one per world */
    V verify_p = breakthrough_chance(ctx, A, I_s, h_dt);
    M verified = (verify_u < verify_p) & isnan_(IN(reached, WAYSTATION_VERIFIED_SAFETY));
    /* sabotage can undo progress an actor made, not the methods it started with */
    for (int a = 0; a < A; a++) {
        S[a] = mx(S0[a] + dS[a] * h_dt, P(safety_range, a)) + bool_(verified) * P(verify_jump, a);
        S_seen[a] =
            mx(V0[a] + dV[a] * h_dt, P(safety_range, a)) + bool_(verified) * P(verify_jump, a);
    }
    V O = O0 + 0.5 * (g1.dO + g2.dO) * h_dt;
    for (int a = 0; a < A; a++) S_eff[a] = safety_range(ctx, S[a], O, C[a]);
    V lethal, survivable;
    hazard(ctx, A, ws_odds, C, S_eff, &lethal, &survivable);
    V lethal0 = IN(lethal, 0), surv0 = IN(survival, 0);
    V survival = surv0 * vexp(-0.5 * (lethal0 + lethal) * h_dt);
    /* survivable incidents: a Poisson count of the trapezoid-integrated rate */
    V incidents = incident_count(warn_u, 0.5 * (IN(survivable, 0) + survivable) * h_dt);
    /* perceived risk that evaluations show (the motivation-control margin as they see it,
     * trapezoid over the step) and incidents move will */
    V M_shown0[WS_MAXA], M_shown1[WS_MAXA];
    for (int a = 0; a < A; a++) {
        M_shown0[a] = estimated_margin(ctx, a, V0[a], C0[a], E0[a], noise[a]);
        M_shown1[a] = estimated_margin(ctx, a, S_seen[a], C[a], E[a], noise[a]);
    }
    V shown = 0.5 * (shown_danger(ctx, A, M_shown0, E0) + shown_danger(ctx, A, M_shown1, E));
    V will = political_will(ctx, will0, shown, incidents, dt, will_f);
    V watch = actor_sum(usable0, A) / P(safety_ref, 0); /* restraint.detection */
    /* race relief and the backdrop at the new capabilities */
    V relief[WS_MAXA];
    rival_max(C, A, rival);
    for (int a = 0; a < A; a++) relief[a] = race_relief(ctx, a, C[a], rival[a]);
    V B_t = backdrop_target(ctx, A, C, S_eff, relief);
    V B = B_t + (B0 - B_t) * b_f;
    V t = t0 + dt;
    V wbe = IN(wbe_progress, 0) + 0.5 * (g1.wbe + g2.wbe) * h_dt;
    /* emulation research reaches wbe_cost within the step: interpolate the moment */
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
        frac = a == 0 ? fa : mn(frac, fa); /* actor_min */
    }
    V lethal_frac = frac * (lethal0 + 0.5 * frac * (lethal - lethal0));
    survival = SEL(win, surv0 * vexp(-lethal_frac * h_dt), survival);
    for (int a = 0; a < A; a++) {
        OUT(C, a, C[a]);
        OUT(S, a, S[a]);
        OUT(S_seen, a, S_seen[a]);
        OUT(E, a, E[a]);
        OUT(noise, a, noise[a]);
        OUT(margin_est, a, M_hat[a]);
        OUT(trust, a, g2.trust[a]);
        OUT(pause, a, pause[a]);
        OUT(undetected, a, detection(ctx, a, undetected0[a], watch, coord, h_dt));
        OUT(relief, a, relief[a]);
        OUT(dC_rate, a, g2.dC_free[a]);
        OUT(dS_rate, a, rg2[a]);
        OUT(usable_ai, a, g2.usable_ai[a]);
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
    /* integrate.RETIRED: the world stops after this step once failure is certain */
    M stop = win | (survival < splat(RETIRED));
    for (int l = 0; l < L; l++)
        if (ln->on[l]) done_out[ln->w[l]] = LANE(stop, l) != 0;
    OUT(victory_year, 0, SEL(win, t0 + frac * dt, IN(victory_year, 0)));
    OUT(warnings, 0, IN(warnings, 0) + incidents);
    track_waystations(ctx, A, t, h_dt, actor_max(C, A), win, verified, O, em_time, survival, C,
                      S_eff, pause, g2.usable_ai);
}

/* ======================================================================================
 * 11. waystations.py: first arrivals and the frontier's milestones
 * ====================================================================================== */
/* waystations.track_waystations, for the new state of step_lanes (top: actor_max(C)) */
static void track_waystations(CTX, int A, V t, V h_dt, V top, M win, M verified, V O,
                              V em_time, V survival, const V *C, const V *S_eff,
                              const V *pause, const V *usable_ai) {
    M running = NOT(win); /* the victory step itself is not time spent before victory */
    M all_paused = TRUE_M, aar = {0}, sweet = {0};
    for (int a = 0; a < A; a++) {
        all_paused &= pause[a] >= PAUSE_LEVEL;
        M past_aar = P(C_aar, a) <= C[a];
        aar |= past_aar & (S_eff[a] >= C[a]) & (usable_ai[a] >= AAR_LABOUR);
        sweet |= past_aar & (P(C_si, a) > C[a]) & (S_eff[a] >= C[a]);
    }
    sweet &= running;
    V pause_run = SEL(all_paused, IN(pause_run, 0) + h_dt, splat(0.0));
    OUT(pause_run, 0, pause_run);
    OUT(sweet_years, 0, IN(sweet_years, 0) + bool_(sweet) * h_dt);
    M events[WS_K];
    events[WAYSTATION_GLOBAL_PAUSE] = pause_run >= PAUSE_YEARS;
    events[WAYSTATION_AUTOMATED_ALIGNMENT_RESEARCHER] = aar;
    events[WAYSTATION_ENHANCED_HUMAN_LABOR] = t + 0.5 * h_dt >= em_time;
    events[WAYSTATION_SWEET_SPOT] = sweet;
    events[WAYSTATION_HARDENED_WORLD] = O >= HARDENED_OOM;
    events[WAYSTATION_VERIFIED_SAFETY] = verified;
    for (int k = 0; k < WS_K; k++) {
        V r = IN(reached, k);
        M first = events[k] & isnan_(r);
        OUT(reached, k, SEL(first, k == WAYSTATION_ENHANCED_HUMAN_LABOR ? em_time : t, r));
        OUT(reach_survival, k, SEL(first, survival, IN(reach_survival, k)));
    }
    V takeoff = P(C_aar, 0) + mn(TAKEOFF_YEARS * IN(g0, 0), P(si_gap, 0));
    M passed[WS_M];
    passed[MILESTONE_C_AAR] = top >= P(C_aar, 0);
    passed[MILESTONE_C_SI] = top >= P(C_si, 0);
    passed[MILESTONE_TAKEOFF] = top >= takeoff;
    for (int k = 0; k < WS_M; k++) {
        V m = IN(milestones, k);
        OUT(milestones, k, SEL(passed[k] & isnan_(m), t, m));
    }
}

/* ======================================================================================
 * 12. rng.py: Philox4x32-10 and the step's shocks
 * ====================================================================================== */
/* rng.philox4x32 (Salmon et al. 2011; Random123's philox.h) on every lane: 32-bit words in
 * 64-bit lanes, so each round's two 32 x 32 -> 64-bit products are one multiply each. The
 * same integers as rng.py, bit for bit. */
WS_INLINE void philox(U x[4], uint32_t k0, uint32_t k1) {
    const U lo = usplat(0xFFFFFFFFu);
    const U m0 = usplat(PHILOX_M0), m1 = usplat(PHILOX_M1);
    for (int r = 0; r < PHILOX_ROUNDS; r++) {
        if (r) { /* the Weyl key schedule, bumped before every round but the first */
            k0 += PHILOX_W0;
            k1 += PHILOX_W1;
        }
        U p0 = mul32(x[0], m0), p1 = mul32(x[2], m1);
        x[0] = (p1 >> 32) ^ x[1] ^ usplat(k0);
        x[1] = p1 & lo;
        x[2] = (p0 >> 32) ^ x[3] ^ usplat(k1);
        x[3] = p0 & lo;
    }
}
/* rng.uniforms_from: 53 random bits from two words, exact (below 2**53) */
WS_INLINE V u53(U a, U b) {
    U bits = ((a >> 5) << 26) | (b >> 6);
    return u64_to_v(bits) * 0x1p-53;
}
/* The counter (world, step, var, lane) of every lane. */
WS_INLINE void counter(U x[4], U world, U stepn, uint32_t var, uint32_t lane) {
    x[0] = world;
    x[1] = stepn;
    x[2] = usplat(var);
    x[3] = usplat(lane);
}
/* rng.step_shocks for one group of lanes: lane l draws for global world gw[l] at step
 * stepn[l]; eval_z of actor a from Philox lane a / 2 (rng.normal_pair: cosine even,
 * sine odd). */
static void draw_shocks(const int64_t *gw, const int64_t *stepn, int A, uint32_t k0,
                        uint32_t k1, V *z, V *warn_u, V *verify_u) {
    U w, st, x[4];
    for (int l = 0; l < L; l++) {
        LANE(w, l) = (uint32_t)gw[l];
        LANE(st, l) = (uint32_t)stepn[l];
    }
    for (int j = 0; 2 * j < A; j++) {
        counter(x, w, st, RNG_VAR_EVAL_Z, (uint32_t)j);
        philox(x, k0, k1);
        /* rng.normal_pair: Box-Muller with the half-angle tangent */
        V u1 = u53(x[0], x[1]), u2 = u53(x[2], x[3]);
        V r = vsqrt(-2.0 * vlog(1.0 - u1));
        V t = vtan(RNG_PI * (u2 - 0.5));
        V scale = r / (1.0 + t * t);
        z[2 * j] = (1.0 - t * t) * scale;
        if (2 * j + 1 < A) z[2 * j + 1] = (2.0 * t) * scale;
    }
    counter(x, w, st, RNG_VAR_EVENTS, 0);
    philox(x, k0, k1);
    *warn_u = u53(x[0], x[1]);
    *verify_u = u53(x[2], x[3]);
}
/* tally.fixed of one value: rint(x * 2**32) (round half to even, as numpy's rint) */
static inline int64_t fixed(double x) { return (int64_t)rint(x * TALLY_FIX); }

/* ======================================================================================
 * 13. Entry points (called through ctypes by waystation._fused)
 * ====================================================================================== */
const int ws_maxa = WS_MAXA;
const int ws_lanes = WS_LANES;
int ws_nslots(void) { return WS_NSLOTS; }

/* The four Philox words of (world[i], step, var, lane) for i < n into out[4 i .. 4 i + 3]
 * (tests). */
void ws_philox_words(const uint64_t *world, int64_t n, int64_t step, uint32_t var,
                     uint32_t lane, uint32_t k0, uint32_t k1, uint32_t *out) {
    for (int64_t i0 = 0; i0 < n; i0 += L) {
        U w, x[4];
        for (int l = 0; l < L; l++) LANE(w, l) = (uint32_t)world[i0 + l < n ? i0 + l : n - 1];
        counter(x, w, usplat((uint32_t)step), var, lane);
        philox(x, k0, k1);
        for (int l = 0; l < L && i0 + l < n; l++)
            for (int j = 0; j < 4; j++) out[4 * (i0 + l) + j] = (uint32_t)LANE(x[j], l);
    }
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
            for (int a = 0; a < A; a++) eval_z[(i0 + l) * A + a] = LANE(z[a], l);
            warn_u[i0 + l] = LANE(wu, l);
            verify_u[i0 + l] = LANE(vu, l);
        }
    }
    return 0;
}

/* Advance worlds [0, n) by dt from year t0: integrate.step, then track_waystations and
 * freeze. done_in/done_out are numpy bools (one byte). Returns 0, or -1 if A is out of
 * range. */
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
            copy_world(sl, i);
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

/* tally.hist_counts of one world: its state's bins, added to counts[A * nbins] (series v of
 * actor a: tally.HISTOGRAMS' v-th variable, bin min(int((clip(x, lo, hi) - lo) * scale),
 * nb - 1) + offset). spec: per series lo, hi, scale = nb / (hi - lo), nb, offset; the same
 * float64 operations as tally.py, so the same bins. */
typedef struct {
    const double *spec; /* 5 per series: lo, hi, scale, nb, offset */
    int nseries;
    int64_t nbins;      /* bins per actor (tally.NBINS) */
    const int32_t *rec; /* per step of the call: its record index, or -1 */
    int nrec;
    int64_t *counts;    /* nrec x A x nbins (zeroed by the caller) */
    int64_t *frozen;    /* nrec x A x nbins: done worlds, from a record on (then cumulated) */
} Hist;

/* Lane l's world into the histogram counts: its state as the slots hold it (packed in
 * ws_run's lanes, or in the arrays), its safety range by the kernel's own safety_range. */
static void hist_lane(CTX, const Hist *h, int64_t *counts, int A, int l) {
    V O = IN(O, 0), B = IN(B, 0);
    for (int a = 0; a < A; a++) {
        V C = IN(C, a), S_eff = safety_range(ctx, IN(S, a), O, C);
        double x[6] = {LANE(C, l), LANE(S_eff, l), LANE(S_eff - C, l), LANE(IN(pause, a), l),
                       LANE(IN(E, a), l), LANE(B, l)};
        for (int v = 0; v < h->nseries; v++) {
            const double *sp = h->spec + 5 * v;
            double lo = sp[0], hi = sp[1], c = x[v];
            c = c < lo ? lo : c; /* np.clip: max then min */
            c = c > hi ? hi : c;
            int64_t bin = (int64_t)((c - lo) * sp[2]);
            int64_t top = (int64_t)sp[3] - 1;
            bin = bin < top ? bin : top;
            counts[a * h->nbins + bin + (int64_t)sp[4]] += 1;
        }
    }
}

/* World i of the arrays (a finished one, frozen) into the histogram counts. */
static void hist_world(const Slots *sl, const Hist *h, int64_t *counts, int A, int64_t i) {
    Lanes ln = {0}; /* every lane on world i, read from the arrays */
    for (int l = 0; l < L; l++) ln.w[l] = i;
    hist_lane(sl, &ln, h, counts, A, 0);
}

/* The first record index at or after step k of the call (h->nrec if none). */
static int rec_from(const Hist *h, int nsteps, int k) {
    for (; k < nsteps; k++)
        if (h->rec[k] >= 0) return h->rec[k];
    return h->nrec;
}

/* The next world of the block still running, from *next on; worlds found done add their
 * frozen fixed-point survival (valid ones only) to frozen[0]. -1 when none is left. */
static int64_t next_running(const Slots *sl, int64_t n, int64_t n_valid, const uint8_t *done,
                            int64_t *next, int64_t *frozen, const Hist *h, int nsteps, int A) {
    const double *surv = sl->ptr[SL_survival];
    while (*next < n) {
        int64_t i = (*next)++;
        if (!done[i]) return i;
        if (i < n_valid) {
            frozen[0] += fixed(surv[i * sl->rs[SL_survival]]);
            int r = h ? rec_from(h, nsteps, 0) : 0;
            if (h && r < h->nrec) hist_world(sl, h, h->frozen + (int64_t)r * A * h->nbins, A, i);
        }
    }
    return -1;
}

/* The slot whose buffer slot k shares (in_X and X in place), or k itself. */
static int owner_of(const Slots *sl, int k) {
    for (int j = 0; j < k; j++)
        if (sl->ptr[j] == sl->ptr[k] && sl->rs[j] == sl->rs[k] && sl->cs[j] == sl->cs[k])
            return j;
    return k;
}

/* Copy world i into lane l of the packed slots (the slots flagged in io[0]), or (out) lane l
 * back to world i (the state slots, io[1]). */
static void lane_io(Slots *sl, Packed *pk, uint8_t io[2][WS_NSLOTS], int64_t i, int l, int out) {
    for (int k = out ? WS_OUT_FIRST : 0; k < WS_NSLOTS; k++) {
        if (!io[out][k]) continue;
        double *p = sl->ptr[k] + i * sl->rs[k];
        for (int64_t a = 0; a < sl->nc[k]; a++) {
            if (out)
                p[a * sl->cs[k]] = LANE(pk->b[k][a], l);
            else
                LANE(pk->b[k][a], l) = p[a * sl->cs[k]];
        }
    }
}

/* Advance worlds [0, n) through nsteps steps, world-major, in place (each slot in_X is the
 * same array as X): step k (global step first_step + k) starts at year ts[k] and lasts
 * dts[k]; shocks are drawn inline for the global worlds world[i]. Every lane carries one
 * world through all its steps (until it wins), its slots packed by lane (Packed), then
 * writes it back and takes the next running world, so lanes hold worlds at different
 * steps. sums[k] (zeroed by the caller) receives the fixed-point survival of the worlds
 * i < n_valid after step k (tally.fixed(...).sum()), done worlds counted at their frozen
 * value. Returns 0, -1 if A is out of range, -2 if a survival is not finite (fixed point
 * would wrap), -3 if out of memory. */
int ws_run(Slots *sl, int64_t n, int A, int64_t n_valid, int nsteps, int64_t first_step,
           const double *ts, const double *dts, uint32_t k0, uint32_t k1,
           const uint64_t *world, uint8_t *done, int64_t *sums, const double *hspec,
           int nseries, int64_t nbins, const int32_t *rec, int nrec, int64_t *hist) {
    if (A < 1 || A > WS_MAXA || nseries > 6) return -1;
    Hist hh, *h = NULL;
    if (hist) {
        hh.spec = hspec, hh.nseries = nseries, hh.nbins = nbins, hh.rec = rec, hh.nrec = nrec;
        hh.counts = hist;
        hh.frozen = calloc((size_t)nrec * (size_t)A * (size_t)nbins + 1, sizeof(int64_t));
        if (!hh.frozen) return -3;
        h = &hh;
    }
    Packed pk;
    uint8_t per_world[2][WS_NSLOTS]; /* slots copied in, and out, per world */
    size_t nvec = 0;
    for (int k = 0; k < WS_NSLOTS; k++) nvec += (size_t)sl->nc[k];
    V *arena = aligned_alloc(sizeof(V), nvec * sizeof(V));
    int64_t *frozen = calloc((size_t)nsteps + 1, sizeof(int64_t));
    Carry *carry = aligned_alloc(sizeof(V), sizeof(Carry));
    if (!frozen || !arena || !carry) {
        free(frozen);
        free(arena);
        free(carry);
        if (h) free(h->frozen);
        return -3;
    }
    memset(arena, 0, nvec * sizeof(V));
    memset(carry, 0, sizeof(Carry)); /* valid nowhere */
    V *free_v = arena;
    for (int k = 0; k < WS_NSLOTS; k++) {
        int j = owner_of(sl, k);
        per_world[0][k] = sl->rs[k] != 0 && j == k; /* in_X and X: loaded once, as in_X */
        per_world[1][k] = sl->rs[k] != 0 && k >= WS_OUT_FIRST;
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
    ln.pk = &pk;
    ln.carry = carry;
    int64_t next = 0;
    for (int l = 0; l < L; l++) {
        int64_t i = nsteps > 0 ? next_running(sl, n, n_valid, done, &next, frozen, h, nsteps, A) : -1;
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
            LANE(t0, l) = ts[kl];
            LANE(dt, l) = dts[kl];
            gw[l] = ln.on[l] ? (int64_t)world[ln.w[l]] : 0;
            stepn[l] = first_step + kl;
        }
        draw_shocks(gw, stepn, A, k0, k1, z, &wu, &vu);
        step_lanes(sl, &ln, A, t0, dt, z, wu, vu, done);
        V surv = pk.b[SL_survival][0];
        for (int l = 0; l < L; l++) {
            if (!ln.on[l]) continue;
            int64_t i = ln.w[l];
            bad |= !isfinite(LANE(surv, l));
            int64_t f = bad ? 0 : fixed(LANE(surv, l));
            if (i < n_valid) sums[k[l]] += f;
            if (h && i < n_valid) {
                int r = h->rec[k[l]];
                if (r >= 0) hist_lane(sl, &ln, h, h->counts + (int64_t)r * A * h->nbins, A, l);
                r = done[i] ? rec_from(h, nsteps, k[l] + 1) : h->nrec; /* frozen from there */
                if (r < h->nrec) hist_lane(sl, &ln, h, h->frozen + (int64_t)r * A * h->nbins, A, l);
            }
            k[l]++;
            if (done[i] && i < n_valid) frozen[k[l]] += f; /* frozen from the next step on */
            if (done[i] || k[l] == nsteps) {
                lane_io(sl, &pk, per_world, i, l, 1);
                i = next_running(sl, n, n_valid, done, &next, frozen, h, nsteps, A);
                ln.on[l] = i >= 0;
                ln.w[l] = i;
                k[l] = 0;
                live -= !ln.on[l];
                LANE(carry->valid, l) = 0; /* a new world: its own parameters */
                if (i >= 0) lane_io(sl, &pk, per_world, i, l, 0);
            }
        }
    }
    int64_t acc = 0;
    for (int s = 0; s < nsteps; s++) {
        acc += frozen[s];
        sums[s] += acc;
    }
    if (h) { /* done worlds count at every record from the one they froze before */
        int64_t per = (int64_t)A * h->nbins;
        for (int r = 0; r < h->nrec; r++)
            for (int64_t j = 0; j < per; j++) {
                if (r) h->frozen[r * per + j] += h->frozen[(r - 1) * per + j];
                h->counts[r * per + j] += h->frozen[r * per + j];
            }
        free(h->frozen);
    }
    free(frozen);
    free(arena);
    free(carry);
    return bad ? -2 : 0;
}
