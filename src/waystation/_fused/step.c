/* waystation fused step kernel: one time step of every live world in one pass.
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

/* Element (world i, actor/column a) of slot k. */
#define X(k, i, a) (sl->ptr[SL_##k][(int64_t)(i) * sl->rs[SL_##k] + (int64_t)(a) * sl->cs[SL_##k]])
#define P(k, a) X(k, i, a)

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

/* numpy's maximum/minimum, branch-free (maxsd/minsd return the second operand when either
 * is NaN; a NaN first operand is kept by the select): NaN propagates from either side. */
static inline double mx(double a, double b) {
    double r = a > b ? a : b; /* maxsd: b if unordered */
    return a != a ? a : r;
}
static inline double mn(double a, double b) {
    double r = a < b ? a : b;
    return a != a ? a : r;
}
static inline double clip(double x, double lo, double hi) { return mn(mx(x, lo), hi); }
static inline double sigmoid(double x) { return 1.0 / (1.0 + exp(-clip(x, -EXP_CLIP, EXP_CLIP))); }
static inline double logistic(double k, double a, double b, double width) {
    double z = mn(mx((a - b) / width, -EXP_CLIP), EXP_CLIP);
    return k * (1.0 / (1.0 + exp(-z)));
}
static inline double returns_(double scale, double labour, double ref, double lam, double done,
                              double harder) {
    double log_labour = mx(log(labour / ref), LOG_FLOOR);
    double z = lam * log_labour - LN10 * harder * mx(done, 0.0);
    return scale * exp(mn(z, LOG_RATE_MAX));
}
static inline double saturate(double r, double ceiling) {
    double q = r / ceiling;
    return r / sqrt(1.0 + q * q);
}
static inline double crossing(double x0, double x1, double level, int rising) {
    double a = rising ? x0 - level : level - x0;
    double b = rising ? x1 - level : level - x1;
    double span = b - a;
    double frac = span > 0.0 ? -a / span : 1.0;
    return a >= 0.0 ? 0.0 : clip(frac, 0.0, 1.0);
}
/* left folds over actors, as dynamics.actor_sum / actor_max */
static inline double asum(const double *x, int A) {
    double s = x[0];
    for (int a = 1; a < A; a++) s = s + x[a];
    return s;
}
static inline double amax(const double *x, int A) {
    double s = x[0];
    for (int a = 1; a < A; a++) s = mx(s, x[a]);
    return s;
}
/* dynamics.rival_max: highest capability among the other actors (-inf alone) */
static inline void rival_max(const double *C, int A, double *out) {
    for (int a = 0; a < A; a++) {
        if (A == 1) { out[a] = -INFINITY; continue; }
        int first = 1;
        double col = 0.0;
        for (int b = 0; b < A; b++) {
            if (b == a) continue;
            col = first ? C[b] : mx(col, C[b]);
            first = 0;
        }
        out[a] = col;
    }
}

typedef struct {
    double dC_free[WS_MAXA], dS[WS_MAXA], dO, dE[WS_MAXA], I_s[WS_MAXA], usable[WS_MAXA];
    double trust[WS_MAXA], wbe, S_eff[WS_MAXA];
} Growth;

static inline double cover_of(const Slots *sl, int64_t i, double C) {
    return clip((P(C_si, 0) - C) / P(si_gap, 0), 0.0, 1.0);
}

/* dynamics.growth at time t for world i */
static void growth(const Slots *sl, int64_t i, int A, double t, const double *C, const double *S,
                   double O, const double *E, double B, double will, double em_time, Growth *g) {
    double hs[WS_MAXA], hc[WS_MAXA], L_ai[WS_MAXA], bad[WS_MAXA], rival[WS_MAXA];
    double years = t - P(start, 0);
    /* emulated_labour */
    double em_growth = P(em_growth, 0);
    double age = clip(t - em_time, 0.0, EXP_CLIP / mx(em_growth, 1e-9));
    double grown = mn(P(em_max, 0), P(em_initial, 0) * exp(em_growth * age));
    double em = (t >= em_time ? grown : 0.0) / (double)A;
    int deter = 0;
    for (int a = 0; a < A; a++) {
        hs[a] = P(safety_researchers, a) * exp(P(log1p_safety_growth, a) * years);
        hc[a] = P(capability_researchers, a) * exp(P(log1p_capability_growth, a) * years);
        /* automation and ai_labour */
        double x = mn(C[a] - P(C_aar, a), P(C_max, a));
        double slope = P(k_approach, a) * mn(x, 0.0) + P(k_ai, a) * mx(x, 0.0);
        double autom = P(aar_labor, a) * exp(LN10 * mn(slope, 250.0));
        L_ai[a] = P(capability_researchers, a) * (P(ai_labor_ratio, a) + autom) *
                  (1.0 - P(lv_tool_ai_only, a) * P(tool_labor_cut, a));
        g->S_eff[a] = S[a] + O * cover_of(sl, i, C[a]);
        /* trust: Gompertz in the true margin (dynamics.labour.trust) */
        g->trust[a] = exp(-exp(clip((C[a] - g->S_eff[a]) / P(edge_width, a), -EXP_CLIP, EXP_CLIP)));
        /* ai_safety_labour */
        double tr = g->trust[a];
        double scheming = clip(P(scheming, a), 0.0, 1.0);
        double sent = P(lv_ai_safety_share, a) * L_ai[a] * P(ai_safety_edge, a);
        double ease = P(eval_ease, a);
        double trusted = tr * sent * (ease + (1.0 - ease) * (1.0 - scheming));
        double checkable = (1.0 - tr) * sent * ease;
        double capacity = P(oversight, a) * (hs[a] + em);
        double checked = checkable * capacity / mx(checkable + capacity, 1e-300);
        bad[a] = sent * (1.0 - ease) * scheming;
        g->usable[a] = trusted + checked;
        g->I_s[a] = hs[a] * (1.0 - P(lv_wbe_investment, a)) + g->usable[a] + em;
        /* capability_rate */
        double scaling = sigmoid(P(start, a) + P(scaling_years, a) - t);
        double compute = P(g_hardware, a) + (P(g_compute, a) - P(g_hardware, a)) * scaling;
        double labour = (hc[a] + (1.0 - P(lv_ai_safety_share, a)) * L_ai[a]) *
                        (1.0 - P(lv_wbe_investment, a));
        double ref = P(capability_researchers, a) * (1.0 + P(ai_labor_ratio, a));
        double algo = returns_(P(g_algo, a), labour, ref, P(lam_c, a), C[a] - P(frontier, a),
                               P(ideas_harder, a));
        g->dC_free[a] = saturate(P(compute_scale, a) * compute + algo, P(max_rate, a));
        if (P(lv_deterrence, a) != 0.0) deter = 1;
    }
    if (deter) { /* 1 - 0 * sigmoid is exactly 1: worlds without deterrence are unchanged */
        rival_max(C, A, rival);
        for (int a = 0; a < A; a++) {
            double lead = isfinite(rival[a]) ? C[a] - rival[a] : -INFINITY;
            double sab = logistic(P(lv_deterrence, a), lead, P(deterrence_threshold, a), 0.1);
            g->dC_free[a] = g->dC_free[a] * (1.0 - sab);
        }
    }
    /* safety_rates */
    double net[WS_MAXA], h_part[WS_MAXA], eval_own[WS_MAXA];
    for (int a = 0; a < A; a++) {
        double e_share = P(lv_eval_investment, a), h_share = P(lv_hardening_investment, a);
        double total = mx(1.0, e_share + h_share);
        e_share = e_share / total;
        h_share = h_share / total;
        double s_share = mx(1.0 - e_share - h_share, 0.0);
        double ref = P(safety_ref, a), lam = P(lam_s, a);
        double scale = P(s_base, a) * B / P(hardness, a);
        double made = P(safety_harder, a) * mx(S[a] - P(safety_range, a), 0.0);
        made = made + P(beyond_frontier, a) * mx(S[a] - C[a], 0.0);
        net[a] = returns_(scale, s_share * g->I_s[a], ref, lam, made, 1.0) -
                 returns_(scale, s_share * bad[a], ref, lam, made, 1.0);
        h_part[a] = h_share * g->I_s[a];
        eval_own[a] = returns_(1.0, e_share * g->I_s[a], EVAL_REF_SHARE * ref, lam, 0.0, 0.0);
    }
    double net_sum = asum(net, A), eval_sum = asum(eval_own, A), harden = asum(h_part, A);
    for (int a = 0; a < A; a++) {
        double shared = net[a] + P(lv_spillover, a) * (net_sum - net[a]);
        g->dS[a] = saturate(shared, P(max_safety_rate, a));
        double eval_shared = eval_own[a] + P(lv_spillover, a) * (eval_sum - eval_own[a]);
        g->dE[a] = P(e_base, a) * B * (1.0 + will) * eval_shared / (1.0 + E[a]);
    }
    double dO = returns_(P(o_base, 0) * B / P(hardness, 0), harden,
                         HARDEN_REF_SHARE * P(safety_ref, 0), P(lam_s, 0), O, P(harden_harder, 0));
    g->dO = saturate(dO, P(max_safety_rate, 0));
    /* wbe_effort */
    double background = P(wbe_background, 0) * exp(P(log1p_wbe_background_growth, 0) * (t - P(start, 0)));
    double w[WS_MAXA];
    for (int a = 0; a < A; a++) w[a] = P(lv_wbe_investment, a) * (hs[a] + hc[a] + L_ai[a]);
    g->wbe = background + asum(w, A);
}

/* dynamics.range_growth */
static inline double range_growth(const Slots *sl, int64_t i, const Growth *g, int a, double C,
                                  double O) {
    double cover = 1.0 * cover_of(sl, i, C);
    double fading = (cover > 0.0 && cover < 1.0) ? O / P(si_gap, a) : 0.0;
    return g->dS[a] + cover * g->dO - fading * g->dC_free[a];
}

/* dynamics.estimated_margin */
static inline double est_margin(const Slots *sl, int64_t i, int a, double S_eff, double C,
                                double E, double noise) {
    double bias = P(scheming, a) * mx(0.0, C - P(C_aar, a));
    return (S_eff - C) + bias + P(sigma_eval, a) / (1.0 + E) * noise;
}

/* The log-odds of actor a's caution: the same at both Heun stages (will is the step's). */
static inline double caution_odds(const Slots *sl, int64_t i, int a, double will) {
    double c = clip(clip(P(lv_caution, a) + will, 0.0, 1.0), CAUTION_EPS, 1.0 - CAUTION_EPS);
    return log(c / (1.0 - c));
}

/* dynamics.restraint; odds = caution_odds(..., will) */
static inline double restraint(const Slots *sl, int64_t i, int a, double M_fc, double relief,
                               double will, double coord, double B, double odds) {
    double caution = clip(P(lv_caution, a) + will, 0.0, 1.0);
    double urgency = (P(lv_margin_target, a) - M_fc) / P(pause_width, a) + odds;
    double voluntary = caution > 0.0 ? sigmoid(urgency) : 0.0;
    voluntary = mx(0.0, voluntary - relief);
    double enforced = clip((P(lv_enforcement, a) + will) * B, 0.0, 1.0);
    double governed = coord * (enforced + (1.0 - enforced) * caution);
    return clip(voluntary + governed, 0.0, 1.0);
}

/* dynamics.hazard, summed over actors: (lethal, survivable) */
static inline void hazard_sum(const Slots *sl, int64_t i, int A, const double *C,
                              const double *S_eff, double *lethal, double *survivable) {
    double le[WS_MAXA], su[WS_MAXA];
    for (int a = 0; a < A; a++) {
        double width = P(edge_width, a);
        double z = mn(mx((S_eff[a] - C[a]) / width, -EXP_CLIP), EXP_CLIP);
        double h = P(hazard_rate, a) * exp(-exp(z)) * (1.0 + mx(C[a] - S_eff[a], 0.0));
        z = mn(mx((C[a] - P(C_si, a)) / width, -EXP_CLIP), EXP_CLIP);
        h = h * (1.0 + SI_HAZARD * (1.0 / (1.0 + exp(-z))));
        h = h * (1.0 - P(lv_tool_ai_only, a) * P(tool_hazard_cut, a));
        double ws = clip(P(warning_share, a), 1e-9, 1.0 - 1e-9);
        double share = sigmoid((C[a] - P(C_lethal, a)) / P(lethal_width, a) + log((1.0 - ws) / ws));
        le[a] = h * share;
        su[a] = h * (1.0 - share);
    }
    *lethal = asum(le, A);
    *survivable = asum(su, A);
}

#define IN(k, a) X(in_##k, i, a)
#define OUT(k, a) X(k, i, a)

/* Copy world i's state unchanged (a world already done: dynamics.freeze). */
static void copy_world(Slots *sl, int64_t i, int A) {
#define CP(k, cols) for (int a = 0; a < (cols); a++) OUT(k, a) = IN(k, a);
    CP(C, A) CP(S, A) CP(O, 1) CP(E, A) CP(B, 1) CP(will, 1) CP(noise, A) CP(margin_est, A)
    CP(trust, A) CP(pause, A) CP(relief, A) CP(dC_rate, A) CP(dS_rate, A) CP(usable_ai, A)
    CP(wbe_progress, 1) CP(em_time, 1) CP(lethal, 1) CP(survivable, 1) CP(survival, 1)
    CP(p_victory, 1) CP(victory_year, 1) CP(warnings, 1) CP(pause_run, 1) CP(sweet_years, 1)
    CP(reached, WS_K) CP(reach_survival, WS_K) CP(milestones, WS_M)
#undef CP
}

/* Step running world i from year t0 by dt with the step's shocks z (eval_z, one per actor),
 * warn_u and verify_u: dynamics.step and track_waystations. */
static void step_world(Slots *sl, int64_t i, int A, double t0, double dt, const double *z,
                       double warn_u, double verify_u, uint8_t *done_out) {
    double h_dt = dt * 1.0;
    double C0[WS_MAXA], S0[WS_MAXA], E0[WS_MAXA], noise[WS_MAXA], relief0[WS_MAXA];
    double O0 = IN(O, 0), B0 = IN(B, 0), will0 = IN(will, 0), em_time0 = IN(em_time, 0);
    for (int a = 0; a < A; a++) {
        C0[a] = IN(C, a);
        S0[a] = IN(S, a);
        E0[a] = IN(E, a);
        relief0[a] = IN(relief, a);
        double mem_a = exp(-dt / P(eval_memory, a)); /* evaluation_error */
        noise[a] = IN(noise, a) * mem_a + sqrt(1.0 - mem_a * mem_a) * z[a];
    }
    double coord = clip((P(lv_global_pause, 0) + P(will_to_pause, 0) * will0) * B0, 0.0, 1.0);
    Growth g1, g2;
    growth(sl, i, A, t0, C0, S0, O0, E0, B0, will0, em_time0, &g1);
    double odds[WS_MAXA];
    double M_hat[WS_MAXA], pause0[WS_MAXA], dC1[WS_MAXA], C1[WS_MAXA], S1[WS_MAXA], E1[WS_MAXA];
    for (int a = 0; a < A; a++) {
        odds[a] = caution_odds(sl, i, a, will0);
        M_hat[a] = est_margin(sl, i, a, g1.S_eff[a], C0[a], E0[a], noise[a]);
        double fc = M_hat[a] + (range_growth(sl, i, &g1, a, C0[a], O0) - g1.dC_free[a]) *
                                   P(lv_lookahead, a);
        pause0[a] = restraint(sl, i, a, fc, relief0[a], will0, coord, B0, odds[a]);
        dC1[a] = g1.dC_free[a] * (1.0 - pause0[a]);
        C1[a] = C0[a] + dC1[a] * h_dt;
        S1[a] = S0[a] + g1.dS[a] * h_dt;
        E1[a] = E0[a] + g1.dE[a] * h_dt;
    }
    double O1 = O0 + g1.dO * h_dt;
    growth(sl, i, A, t0 + dt, C1, S1, O1, E1, B0, will0, em_time0, &g2);
    double rival[WS_MAXA], rg2[WS_MAXA], I_s[WS_MAXA];
    rival_max(C1, A, rival);
    double C[WS_MAXA], S[WS_MAXA], E[WS_MAXA], S_eff[WS_MAXA], pause[WS_MAXA];
    for (int a = 0; a < A; a++) {
        rg2[a] = range_growth(sl, i, &g2, a, C1[a], O1);
        double M_fc1 = est_margin(sl, i, a, g2.S_eff[a], C1[a], E1[a], noise[a]) +
                       (rg2[a] - g2.dC_free[a]) * P(lv_lookahead, a);
        double relief1 = logistic(P(race_pressure, a), rival[a], C1[a], P(race_scale, a));
        double pause1 = restraint(sl, i, a, M_fc1, relief1, will0, coord, B0, odds[a]);
        pause[a] = 0.5 * (pause0[a] + pause1);
        double dC = 0.5 * (dC1[a] + g2.dC_free[a] * (1.0 - pause1));
        C[a] = mn(C0[a] + dC * h_dt, P(C_max, a));
        I_s[a] = 0.5 * (g1.I_s[a] + g2.I_s[a]);
        S[a] = 0.5 * (g1.dS[a] + g2.dS[a]); /* dS for now */
        E[a] = E0[a] + 0.5 * (g1.dE[a] + g2.dE[a]) * h_dt;
    }
    /* verification breakthrough: one per world */
    double total = asum(I_s, A) / P(safety_ref, 0);
    double ratio = pow(total, P(lam_s, 0));
    double verify_p = -expm1(-P(verify_rate, 0) * P(eval_ease, 0) * ratio * h_dt);
    int verified = (verify_u < verify_p) && isnan(IN(reached, K_VERIFIED));
    for (int a = 0; a < A; a++)
        S[a] = mx(S0[a] + S[a] * h_dt, P(safety_range, a)) + (double)verified * P(verify_jump, a);
    double O = O0 + 0.5 * (g1.dO + g2.dO) * h_dt;
    for (int a = 0; a < A; a++) {
        S_eff[a] = S[a] + O * cover_of(sl, i, C[a]);
        OUT(E, a) = E[a];
    }
    double lethal, survivable;
    hazard_sum(sl, i, A, C, S_eff, &lethal, &survivable);
    double lethal0 = IN(lethal, 0), surv0 = IN(survival, 0);
    double survival = surv0 * exp(-0.5 * (lethal0 + lethal) * h_dt);
    double warn_p = -expm1(-0.5 * (IN(survivable, 0) + survivable) * h_dt);
    int warned = warn_u < warn_p;
    double will = will0 * exp(-P(will_decay, 0) * dt) + (double)warned * P(will_per_warning, 0);
    /* race relief and backdrop target at the new capabilities */
    double relief[WS_MAXA], safe_[WS_MAXA], unsafe_[WS_MAXA], race_[WS_MAXA];
    rival_max(C, A, rival);
    double top = amax(C, A);
    for (int a = 0; a < A; a++) {
        relief[a] = logistic(P(race_pressure, a), rival[a], C[a], P(race_scale, a));
        safe_[a] = mx(0.0, mn(C[a], S_eff[a]));
        unsafe_[a] = mx(0.0, C[a] - S_eff[a]);
        race_[a] = top <= C[a] ? relief[a] : 0.0;
    }
    double B_t = clip(1.0 + P(b_gain, 0) * amax(safe_, A) -
                          P(b_erosion, 0) * (asum(unsafe_, A) + amax(race_, A)),
                      0.25, 4.0);
    double B = B_t + (B0 - B_t) * exp(-h_dt / P(b_tau, 0));
    double t = t0 + dt;
    double wbe = IN(wbe_progress, 0) + 0.5 * (g1.wbe + g2.wbe) * h_dt;
    double crossed = crossing(IN(wbe_progress, 0), wbe, P(wbe_cost, 0), 1);
    double em_time = (isinf(em_time0) && wbe >= P(wbe_cost, 0))
                         ? t0 + crossed * h_dt + P(wbe_lag, 0)
                         : em_time0;
    /* victory: the later crossing within the step of C_si and of the safety range */
    int win = 0;
    double frac = 1.0;
    for (int a = 0; a < A; a++) {
        int winner = (P(C_si, a) <= C[a]) && (S_eff[a] >= C[a]);
        win |= winner;
        double f = crossing(C0[a], C[a], P(C_si, a), 1);
        f = mx(f, crossing(C0[a] - g1.S_eff[a], C[a] - S_eff[a], 0.0, 0));
        frac = a == 0 ? (winner ? f : 1.0) : mn(frac, winner ? f : 1.0);
    }
    if (win) {
        double lethal_frac = frac * (lethal0 + 0.5 * frac * (lethal - lethal0));
        survival = surv0 * exp(-lethal_frac * h_dt);
    }
    for (int a = 0; a < A; a++) {
        OUT(C, a) = C[a];
        OUT(S, a) = S[a];
        OUT(noise, a) = noise[a];
        OUT(margin_est, a) = M_hat[a];
        OUT(trust, a) = g2.trust[a];
        OUT(pause, a) = pause[a];
        OUT(relief, a) = relief[a];
        OUT(dC_rate, a) = g2.dC_free[a];
        OUT(dS_rate, a) = rg2[a];
        OUT(usable_ai, a) = g2.usable[a];
    }
    OUT(O, 0) = O;
    OUT(B, 0) = B;
    OUT(will, 0) = will;
    OUT(wbe_progress, 0) = wbe;
    OUT(em_time, 0) = em_time;
    OUT(lethal, 0) = lethal;
    OUT(survivable, 0) = survivable;
    OUT(survival, 0) = survival;
    OUT(p_victory, 0) = IN(p_victory, 0) + (double)win * survival;
    done_out[i] = (uint8_t)win;
    OUT(victory_year, 0) = win ? t0 + frac * dt : IN(victory_year, 0);
    OUT(warnings, 0) = IN(warnings, 0) + (double)warned;
    /* track_waystations */
    int running = !win;
    int all_paused = 1, aar = 0, sweet = 0;
    for (int a = 0; a < A; a++) {
        all_paused &= pause[a] >= PAUSE_LEVEL;
        int past_aar = P(C_aar, a) <= C[a];
        aar |= past_aar && (S_eff[a] >= C[a]) && (g2.usable[a] >= AAR_LABOUR);
        sweet |= past_aar && (P(C_si, a) > C[a]) && (S_eff[a] >= C[a]);
    }
    sweet &= running;
    double pause_run = all_paused ? IN(pause_run, 0) + h_dt : 0.0;
    OUT(pause_run, 0) = pause_run;
    OUT(sweet_years, 0) = IN(sweet_years, 0) + (double)sweet * h_dt;
    int events[WS_K] = {pause_run >= PAUSE_YEARS, aar, t + 0.5 * h_dt >= em_time, sweet,
                        O >= HARDENED_OOM, verified};
    for (int k = 0; k < WS_K; k++) {
        double r = IN(reached, k);
        int first = events[k] && isnan(r);
        OUT(reached, k) = first ? (k == K_ENHANCED ? em_time : t) : r;
        OUT(reach_survival, k) = first ? survival : IN(reach_survival, k);
    }
    double frontier = top;
    double takeoff = P(C_aar, 0) + mn(TAKEOFF_YEARS * IN(g0, 0), P(si_gap, 0));
    int passed[WS_M] = {frontier >= P(C_aar, 0), frontier >= P(C_si, 0), frontier >= takeoff};
    for (int k = 0; k < WS_M; k++) {
        double m = IN(milestones, k);
        OUT(milestones, k) = (passed[k] && isnan(m)) ? t : m;
    }
}

/* One world's shocks (rng.step_shocks) for global world gw at step stepn. */
static void draw_shocks(uint64_t gw, int64_t stepn, int A, uint32_t k0, uint32_t k1, double *z,
                        double *warn_u, double *verify_u) {
    uint32_t x[4];
    for (int j = 0; 2 * j < A; j++) {
        ws_words(gw, stepn, WS_VAR_EVAL_Z, (uint32_t)j, k0, k1, x);
        double u1 = ws_u53(x[0], x[1]), u2 = ws_u53(x[2], x[3]);
        /* rng.normal_pair: Box-Muller with the half-angle tangent */
        double r = sqrt(-2.0 * log(1.0 - u1));
        double t = tan(WS_PI * (u2 - 0.5));
        double scale = r / (1.0 + t * t);
        z[2 * j] = (1.0 - t * t) * scale;
        if (2 * j + 1 < A) z[2 * j + 1] = (2.0 * t) * scale;
    }
    ws_words(gw, stepn, WS_VAR_EVENTS, 0, k0, k1, x);
    *warn_u = ws_u53(x[0], x[1]);
    *verify_u = ws_u53(x[2], x[3]);
}

/* rng.step_shocks(key, world, step, A) for n worlds: eval_z (n x A, row-major), warn_u and
 * verify_u (n each). Returns 0, or -1 if A is out of range. */
int ws_shocks(const uint64_t *world, int64_t n, int64_t step, int A, uint32_t k0, uint32_t k1,
              double *eval_z, double *warn_u, double *verify_u) {
    if (A < 1 || A > WS_MAXA) return -1;
    for (int64_t i = 0; i < n; i++)
        draw_shocks(world[i], step, A, k0, k1, eval_z + i * A, warn_u + i, verify_u + i);
    return 0;
}

/* Advance worlds [0, n) by dt from year t0: dynamics.step, then track_waystations and freeze.
 * done_in/done_out are numpy bools (one byte). Returns 0, or -1 if A is too large. */
int ws_step(Slots *sl, int64_t n, int A, double t0, double dt, const uint8_t *done_in,
            uint8_t *done_out) {
    if (A < 1 || A > WS_MAXA) return -1;
    double z[WS_MAXA];
    for (int64_t i = 0; i < n; i++) {
        if (done_in[i]) {
            copy_world(sl, i, A);
            done_out[i] = 1;
            continue;
        }
        for (int a = 0; a < A; a++) z[a] = X(eval_z, i, a);
        step_world(sl, i, A, t0, dt, z, X(warn_u, i, 0), X(verify_u, i, 0), done_out);
    }
    return 0;
}

/* Advance worlds [0, n) through nsteps steps, world-major, in place (each slot in_X is the
 * same array as X): step k (global step first_step + k) starts at year ts[k] and lasts
 * dts[k]; shocks are drawn inline for the global worlds world[i]. sums[k] (zeroed by the
 * caller) receives the fixed-point survival of the worlds i < n_valid after step k
 * (simulate.fixed(...).sum()), done worlds counted at their frozen value. Returns 0, -1 if
 * A is out of range, -2 if a survival is not finite (fixed point would wrap), -3 if out of
 * memory. step_simd.c's ws_run does the same with lanes. */
int ws_run(Slots *sl, int64_t n, int A, int64_t n_valid, int nsteps, int64_t first_step,
           const double *ts, const double *dts, uint32_t k0, uint32_t k1,
           const uint64_t *world, uint8_t *done, int64_t *sums) {
    if (A < 1 || A > WS_MAXA) return -1;
    int64_t *frozen = calloc((size_t)nsteps + 1, sizeof(int64_t));
    if (!frozen) return -3;
    const double *surv = sl->ptr[SL_survival];
    int64_t rs = sl->rs[SL_survival];
    int bad = 0;
    double z[WS_MAXA], wu, vu;
    for (int64_t i = 0; i < n && nsteps > 0; i++) {
        int k = 0;
        for (; k < nsteps && !done[i]; k++) {
            draw_shocks(world[i], first_step + k, A, k0, k1, z, &wu, &vu);
            step_world(sl, i, A, ts[k], dts[k], z, wu, vu, done);
            bad |= !isfinite(surv[i * rs]);
            if (i < n_valid && !bad) sums[k] += ws_fixed(surv[i * rs]);
        }
        if (i < n_valid && !bad && done[i]) frozen[k] += ws_fixed(surv[i * rs]);
    }
    int64_t acc = 0;
    for (int s = 0; s < nsteps; s++) {
        acc += frozen[s];
        sums[s] += acc;
    }
    free(frozen);
    return bad ? -2 : 0;
}

int ws_nslots(void) { return WS_NSLOTS; }
