/* The transcendental floor of the fused kernel: CPU ns per element of glibc's vector exp and
 * log (libmvec, 4 lanes AVX2 and 8 lanes AVX-512) and of its scalar exp and log.
 * Built and run by benchmarks/bench_libmvec.py; prints one line per function. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

typedef double V4 __attribute__((vector_size(32)));
typedef double V8 __attribute__((vector_size(64)));
V4 _ZGVdN4v_exp(V4);
V4 _ZGVdN4v_log(V4);
V8 _ZGVeN8v_exp(V8);
V8 _ZGVeN8v_log(V8);

#define N 4096
static double x[N], y[N];

static double cpu_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

/* ns per element of one pass of fn over x into y, best of `rounds` timings of `reps` passes */
#define TIME(label, body)                                                        \
    do {                                                                         \
        double best = 1e30;                                                      \
        for (int r = 0; r < rounds; r++) {                                       \
            double t0 = cpu_now();                                               \
            for (int rep = 0; rep < reps; rep++) {                               \
                body;                                                            \
                __asm__ volatile("" ::: "memory");                               \
            }                                                                    \
            double ns = 1e9 * (cpu_now() - t0) / ((double)reps * N);            \
            if (ns < best) best = ns;                                            \
        }                                                                        \
        printf("%s %.3f\n", label, best);                                        \
    } while (0)

int main(int argc, char **argv) {
    int reps = 2000, rounds = 5, avx512 = argc > 1 && strcmp(argv[1], "avx512") == 0;
    for (int i = 0; i < N; i++) x[i] = -20.0 + 40.0 * i / N; /* exp: [-20, 20) */
    TIME("exp_scalar", for (int i = 0; i < N; i++) y[i] = exp(x[i]));
    TIME("exp_4", for (int i = 0; i < N; i += 4) *(V4 *)&y[i] = _ZGVdN4v_exp(*(V4 *)&x[i]));
    if (avx512)
        TIME("exp_8", for (int i = 0; i < N; i += 8) *(V8 *)&y[i] = _ZGVeN8v_exp(*(V8 *)&x[i]));
    for (int i = 0; i < N; i++) x[i] = 1e-6 + 1e3 * i / N; /* log: (0, 1000) */
    TIME("log_scalar", for (int i = 0; i < N; i++) y[i] = log(x[i]));
    TIME("log_4", for (int i = 0; i < N; i += 4) *(V4 *)&y[i] = _ZGVdN4v_log(*(V4 *)&x[i]));
    if (avx512)
        TIME("log_8", for (int i = 0; i < N; i += 8) *(V8 *)&y[i] = _ZGVeN8v_log(*(V8 *)&x[i]));
    return 0;
}
