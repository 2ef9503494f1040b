"""Benchmark of the engine: worlds/s, speed-up over pure Python, memory traffic and peak memory.

Usage: ``python benchmarks/bench.py [--quick | --full]``. Every timed run
happens in a fresh subprocess (after a small warm-up run, which also compiles
the JAX backend), which also reports its peak resident memory, so memory can
be read against worlds. Both backends are timed when JAX is installed. The
last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

CHILD = """
import json, resource, sys, time
from waystation.api import compile_scenario, run_model
n, workers, backend = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
m = compile_scenario("default")
run_model(m, 4096, 1, keep_worlds=False, backend=backend)  # warm-up: imports, JIT
t = time.perf_counter()
res = run_model(m, n, 0, workers=workers, keep_worlds=False, backend=backend)
elapsed = time.perf_counter() - t
kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
kb_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"seconds": elapsed, "maxrss_mb": kb / 1024,
                  "maxrss_worker_mb": kb_children / 1024,
                  "p_victory": res.probabilities["victory"]}))
"""


def timed_run(worlds: int, workers: int, backend: str = "numpy") -> dict[str, float]:
    """Run the default scenario in a fresh process; seconds, worlds/s and peak memory."""
    out = subprocess.run([sys.executable, "-c", CHILD, str(worlds), str(workers), backend],
                         check=True, capture_output=True, text=True).stdout  # fmt: skip
    r = json.loads(out.strip().splitlines()[-1])
    r["worlds_per_s"] = worlds / r["seconds"]
    return r


def engine_speed(worlds: int = 32768, backend: str = "numpy") -> tuple[float, float]:
    """Worlds/s of the engine in this process (one block, after a warm-up), and world-steps/s.

    World-steps count only the worlds actually stepped: finished worlds are dropped.
    """
    from waystation import simulate
    from waystation.api import compile_scenario, run_model

    m = compile_scenario("default")
    run_model(m, 4096, 1, keep_worlds=False, backend=backend)
    stepped: list[int] = []
    step = simulate.step

    def counting_step(s, *args):  # type: ignore[no-untyped-def]
        stepped.append(s.C.shape[0])
        return step(s, *args)

    simulate.step = counting_step
    try:
        t = time.perf_counter()
        run_model(m, worlds, 0, keep_worlds=False, backend=backend)
        elapsed = time.perf_counter() - t
    finally:
        simulate.step = step
    return worlds / elapsed, sum(stepped) / elapsed


def explorer_latency(worlds: int = 20_000, backend: str = "numpy", threads: int = 1) -> float:
    """Seconds for an in-process run of 20k worlds (the web explorer's budget is 0.1 s)."""
    from concurrent.futures import ThreadPoolExecutor

    from waystation.api import compile_scenario, run_model

    m = compile_scenario("default")
    run_model(m, worlds, 1, keep_worlds=False, backend=backend)  # warm-up (and JIT)
    pool = ThreadPoolExecutor(threads) if threads > 1 else None
    block = -(-worlds // threads)  # one block per thread

    def once() -> None:
        run_model(m, worlds, 0, keep_worlds=False, backend=backend, block_size=block,
                  workers=threads, executor=pool)  # fmt: skip

    try:
        return min(_time(once) for _ in range(3))
    finally:
        if pool is not None:
            pool.shutdown()


def reference_speed(worlds: int = 200) -> float:
    """Worlds/s of the pure-Python per-world reference on the same scenario."""
    sys.path.insert(0, str(HERE))
    from reference import run_reference

    from waystation.api import compile_scenario
    from waystation.model import assemble, draw_inputs

    m = compile_scenario("default")
    rng = np.random.default_rng(0)
    p, lv = assemble(m, draw_inputs(m, worlds, 0))
    A = len(m.actors)
    z0 = rng.standard_normal((worlds, A))
    shocks = [(rng.standard_normal((worlds, A)), rng.random((worlds, 1)), rng.random((worlds, 1)))
              for _ in range(m.steps)]  # fmt: skip
    t = time.perf_counter()
    run_reference(p, lv, z0, shocks, m.start, m.dt, m.steps)
    return worlds / (time.perf_counter() - t)


class Counting(np.ndarray):
    """An array that adds the bytes every ufunc reads and writes to a counter."""

    moved = 0

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):  # type: ignore[no-untyped-def]
        def plain(x):  # type: ignore[no-untyped-def]
            return x.view(np.ndarray) if isinstance(x, Counting) else x

        args = [plain(x) for x in inputs]
        if "out" in kwargs:
            kwargs["out"] = tuple(plain(o) for o in kwargs["out"])
        res = getattr(ufunc, method)(*args, **kwargs)
        outs = res if isinstance(res, tuple) else (res,)
        Counting.moved += sum(np.asarray(a).nbytes for a in args) + sum(
            o.nbytes for o in outs if isinstance(o, np.ndarray)
        )
        if isinstance(res, tuple):
            return tuple(o.view(Counting) if isinstance(o, np.ndarray) else o for o in res)
        return res.view(Counting) if isinstance(res, np.ndarray) else res


def bytes_per_world_step(worlds: int = 4096) -> float:
    """Bytes read and written by the array operations of one step, per world."""
    from waystation.api import compile_scenario
    from waystation.dynamics import initial_state, step
    from waystation.model import assemble, draw_inputs
    from waystation.state import Shocks

    m = compile_scenario("default")
    rng = np.random.default_rng(0)
    p, lv = assemble(m, draw_inputs(m, worlds, 0))
    A = len(m.actors)
    s = initial_state(p, lv, np.asfortranarray(rng.standard_normal((worlds, A))), m.start)

    def wrap(d):  # type: ignore[no-untyped-def]
        return type(d)(*(np.asarray(v).view(Counting) for v in d))

    s = s._replace(**{k: v.view(Counting) for k, v in s._asdict().items() if k != "t"})
    z = np.asfortranarray(rng.standard_normal((worlds, A)))
    sh = Shocks(*(x.view(Counting) for x in (z, rng.random((worlds, 1)), rng.random((worlds, 1)))))
    Counting.moved = 0
    step(s, wrap(p), wrap(lv), sh, m.dt)
    return Counting.moved / worlds


def copy_bandwidth(mb: int = 256) -> float:
    """Memory bandwidth in bytes/s of a large ``np.copyto`` (read + write)."""
    src = np.ones(mb * 2**20 // 8)
    dst = np.empty_like(src)
    np.copyto(dst, src)
    best = min(_time(lambda: np.copyto(dst, src)) for _ in range(5))
    return 2 * src.nbytes / best


def _time(f):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="10^4 and 10^5 worlds only")
    mode.add_argument("--full", action="store_true", help="also 10^7 worlds (takes long)")
    args = ap.parse_args()
    sizes = [10**4, 10**5] if args.quick else [10**4, 10**5, 10**6]
    if args.full:
        sizes.append(10**7)

    from waystation._kernels import numba_enabled
    from waystation.jax_backend import jax_available

    backends = ["numpy", "jax"] if jax_available() else ["numpy"]
    report: dict[str, object] = {"numba": numba_enabled(), "backends": backends, "steps": 96,
                                 "actors": 3}  # fmt: skip
    runs = []
    for backend in backends:
        for n in sizes:
            for workers in (1, 2):
                r = timed_run(n, workers, backend)
                runs.append({"backend": backend, "worlds": n, "workers": workers, **r})
                print(f"{backend:5s} {n:>10,} worlds  {workers} worker(s)  {r['seconds']:8.2f} s  "
                      f"{r['worlds_per_s']:10,.0f} worlds/s  peak {r['maxrss_mb']:6.0f} MB "
                      f"(workers {r['maxrss_worker_mb']:.0f} MB)", flush=True)  # fmt: skip
    report["runs"] = runs

    # In this process, one block after another (numpy uses one core; XLA may use both).
    speeds = {b: engine_speed(backend=b) for b in backends}
    ref = reference_speed()  # right after the engine: a fair ratio
    report["reference_worlds_per_s"] = ref
    for b, (one, _) in speeds.items():
        report[f"{b}_in_process_worlds_per_s"] = one
        report[f"{b}_speedup_vs_reference"] = one / ref
        print(f"pure-Python reference: {ref:,.1f} worlds/s; {b} engine (in process, 32,768 "
              f"worlds) {one:,.0f} worlds/s: {one / ref:,.0f}x faster per world")  # fmt: skip

    for b in backends:
        for threads in (1, 2):
            lat = explorer_latency(backend=b, threads=threads)
            report[f"explorer_20k_seconds_{b}_{threads}_threads"] = lat
            print(f"20,000 worlds in process, {b}, {threads} thread(s): {lat:.2f} s "
                  "(explorer budget 0.1 s)")  # fmt: skip

    one, world_steps = speeds["numpy"]
    bpws = bytes_per_world_step()
    bw = copy_bandwidth()
    achieved = bpws * world_steps
    report.update(bytes_per_world_step=bpws, copy_bandwidth_gb_s=bw / 1e9,
                  achieved_gb_s=achieved / 1e9, bandwidth_fraction=achieved / bw,
                  stepped_share=world_steps / (96 * one))  # fmt: skip
    print(f"array traffic: {bpws:,.0f} bytes per world-step; np.copyto bandwidth "
          f"{bw / 1e9:.1f} GB/s; numpy engine moves {achieved / 1e9:.2f} GB/s "
          f"({100 * achieved / bw:.1f}% of it: compute-bound, not memory-bound); "
          f"{100 * world_steps / (96 * one):.0f}% of world-steps are stepped "
          "(finished worlds are dropped)")  # fmt: skip
    print(json.dumps(report))


if __name__ == "__main__":
    main()
