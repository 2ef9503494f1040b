/* waystation fused kernel: counter-based random numbers (waystation.rng restated in C).
 *
 * Philox4x32-10 (Salmon et al. 2011; Random123's philox.h) of the counter (global world
 * index, step, variable id, lane) under the run's 64-bit key, and the 53-bit uniform of
 * two of its 32-bit words: the same integers and uniforms as rng.philox4x32 and
 * rng.uniforms_from, bit for bit. The Box-Muller normals (rng.normal_pair) are written in
 * each kernel variant with its own log and tan (glibc's scalar ones, or libmvec's), so
 * they agree with numpy's within a few units in the last place.
 *
 * This file is compiled in front of step.c or step_simd.c (waystation._fused._source).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* rng.VARIABLES ids of the per-step draws */
enum { WS_VAR_EVAL_Z = 3, WS_VAR_EVENTS = 4 };
static const double WS_PI = 3.141592653589793; /* math.pi */
static const double WS_FIX = 4294967296.0;     /* simulate.FIX: fixed point in units of 2**-32 */

/* Philox4x32-10 in place on the counter x under the key (k0, k1). */
static inline void ws_philox(uint32_t x[4], uint32_t k0, uint32_t k1) {
    for (int r = 0; r < 10; r++) {
        if (r) { /* the Weyl key schedule, bumped before every round but the first */
            k0 += 0x9E3779B9u;
            k1 += 0xBB67AE85u;
        }
        uint64_t p0 = (uint64_t)0xD2511F53u * x[0], p1 = (uint64_t)0xCD9E8D57u * x[2];
        uint32_t y0 = (uint32_t)(p1 >> 32) ^ x[1] ^ k0, y2 = (uint32_t)(p0 >> 32) ^ x[3] ^ k1;
        x[0] = y0;
        x[1] = (uint32_t)p1;
        x[2] = y2;
        x[3] = (uint32_t)p0;
    }
}

/* Uniform on [0, 1) with 53 random bits from two words (rng.uniforms_from). */
static inline double ws_u53(uint32_t a, uint32_t b) {
    return (double)(((uint64_t)(a >> 5) << 26) | (uint64_t)(b >> 6)) * 0x1p-53;
}

/* The four words of counter (world, step, var, lane). */
static inline void ws_words(uint64_t world, int64_t step, uint32_t var, uint32_t lane,
                            uint32_t k0, uint32_t k1, uint32_t x[4]) {
    x[0] = (uint32_t)world;
    x[1] = (uint32_t)step;
    x[2] = var;
    x[3] = lane;
    ws_philox(x, k0, k1);
}

/* Philox words of (world[i], step, var, lane) for i < n into out[4 i .. 4 i + 3] (tests). */
void ws_philox_words(const uint64_t *world, int64_t n, int64_t step, uint32_t var,
                     uint32_t lane, uint32_t k0, uint32_t k1, uint32_t *out) {
    for (int64_t i = 0; i < n; i++) ws_words(world[i], step, var, lane, k0, k1, out + 4 * i);
}

/* simulate.fixed of one value: rint(x * 2**32) (round half to even, as numpy's rint). */
static inline int64_t ws_fixed(double x) { return (int64_t)rint(x * WS_FIX); }
