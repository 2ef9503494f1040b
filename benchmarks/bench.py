"""The engine's benchmark: every backend in one command, one JSON line at the end.

Usage: ``python benchmarks/bench.py [--quick] [--worlds N] [--gpu]`` (``make bench``).

For each way of computing the default scenario -- the pure-Python
per-world reference (``benchmarks/reference.py``), the numpy engine, the
fused C kernel and JAX on the CPU (when installed) -- it measures, each in a
fresh subprocess (so peak memory and thread pools are its own):

- CPU-seconds and wall seconds per 1M worlds, extrapolated linearly from a
  run of ``--worlds`` (default 65,536: two whole blocks) after a warm-up run
  that also builds the kernel or compiles JAX; CPU-seconds count every
  thread of the process (``time.process_time``);
- worlds/s, and ns per *live world-step*: a step of a world that had not yet
  stopped (after victory, or once failure is certain, ``dynamics.RETIRED``, a
  world is frozen and the engine stops stepping it), counted once on the
  numpy step for the same worlds, so the count is the same for every backend;
- the latency of a 20,000-world run in process after warm-up (the web
  explorer's budget is 0.1 s), wall and CPU, best of three;
- peak resident memory of the process;
- for the numpy and fused backends, the wall time of the same run with
  ``--workers 2`` (two processes; the target is 1M worlds in 5 s on 2 cores).

The reference runs a few hundred worlds and is extrapolated the same way.
Ratios are taken within this one command (the machine is shared: compare
ratios and CPU-seconds, not wall times from different days). Issue 12's
targets are printed next to the figures. ``--gpu`` adds the figures of
``benchmarks/bench_jax.py --gpu`` where JAX sees a GPU (and says so where it
does not). The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

#: Issue 25's targets for the fused engine: CPU-seconds per 1M default worlds, and a
#: 20,000-world run's wall seconds in one process (threads allowed).
TARGETS_25 = {"cpu_s_per_1M": 40.0, "latency_20k_s": 1.0}
#: Issue 12's targets.
TARGETS = {"cpu_s_per_1M": 10.0, "wall_s_per_1M_2_workers": 5.0, "latency_20k_s": 0.1,
           "speedup_vs_reference_per_cpu_s": 300.0}  # fmt: skip

CHILD = r"""
import json, math, resource, sys, time
import numpy as np
from waystation.api import compile_scenario, run_model
backend, worlds, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
m = compile_scenario("default")
run_model(m, 4096, 1, keep_worlds=False, backend=backend)  # warm-up: build, JIT, imports

def timed(n, seed, **kw):
    w, c = time.perf_counter(), time.process_time()
    res = run_model(m, n, seed, backend=backend, **kw)
    return res, time.perf_counter() - w, time.process_time() - c

res, wall, cpu = timed(worlds, 0, keep_worlds=True)
out = {"worlds": worlds, "wall_s": wall, "cpu_s": cpu, "p_victory": res.probabilities["victory"]}
if workers > 1:
    _, out["wall_s_workers"], _ = timed(worlds, 0, keep_worlds=False, workers=workers)
    out["workers"] = workers
run_model(m, 20_000, 1, keep_worlds=False, backend=backend)  # the 20,480-world block shape
lat = [timed(20_000, 0, keep_worlds=False)[1:] for _ in range(3)]
out["latency_20k_wall_s"] = min(x[0] for x in lat)
out["latency_20k_cpu_s"] = min(x[1] for x in lat)
if workers > 1:  # two blocks on two threads in this process (the explorer's way)
    lat = [timed(20_000, 0, keep_worlds=False, engine="threads", workers=workers,
                 block_size=10_240)[1:] for _ in range(3)]
    out["latency_20k_threads_wall_s"] = min(x[0] for x in lat)
    out["latency_20k_threads_cpu_s"] = min(x[1] for x in lat)
out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
out["maxrss_workers_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps(out))
"""

REFERENCE = r"""
import json, resource, sys, time
import numpy as np
sys.path.insert(0, sys.argv[2])
from reference import run_reference
from waystation.api import compile_scenario
from waystation.model import assemble, draw_inputs
from waystation.rng import key_of, normals, step_shocks
worlds = int(sys.argv[1])
m = compile_scenario("default")
key = key_of(0)
world = np.arange(worlds, dtype=np.uint64)
p, lv = assemble(m, draw_inputs(m, world, key))
z0 = normals(key, world, 0, "noise0", len(m.actors))
shocks = [tuple(step_shocks(key, world, i, len(m.actors))) for i in range(1, m.steps + 1)]
w, c = time.perf_counter(), time.process_time()
out = run_reference(p, lv, z0, shocks, m.start, m.dt, m.steps)
print(json.dumps({"worlds": worlds, "wall_s": time.perf_counter() - w,
                  "cpu_s": time.process_time() - c, "p_victory": float(out[:, 0].mean()),
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _child(code: str, *args: str) -> dict[str, Any]:
    run = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         check=False)  # fmt: skip
    if run.returncode != 0:
        raise RuntimeError(f"benchmark child failed: {run.stderr.strip()[-2000:]}")
    notes = [line for line in run.stderr.splitlines() if line.startswith("waystation:")]
    out: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    if notes:
        out["notes"] = notes
    return out


def per_million(r: dict[str, Any]) -> dict[str, Any]:
    """Add the per-1M-world and per-world-step figures to a child's measurements."""
    scale = 1e6 / r["worlds"]
    r["cpu_s_per_1M"] = r["cpu_s"] * scale
    r["wall_s_per_1M"] = r["wall_s"] * scale
    r["worlds_per_cpu_s"] = r["worlds"] / r["cpu_s"]
    if "live_world_steps" in r:
        r["ns_per_live_world_step"] = 1e9 * r["cpu_s"] / r["live_world_steps"]
    if "wall_s_workers" in r:
        r["wall_s_per_1M_workers"] = r["wall_s_workers"] * scale
    return r


def machine() -> dict[str, Any]:
    """CPU model and features, cores, and the fused kernel's variant."""
    out: dict[str, Any] = {"python": platform.python_version()}
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    except OSError:
        lscpu = ""
    for line in lscpu.splitlines():
        if line.startswith("Model name:"):
            out["cpu"] = line.split(":", 1)[1].strip()
        if line.startswith("Flags:"):
            flags = set(line.split()[1:])
            out["avx2"], out["avx512f"] = "avx2" in flags, "avx512f" in flags
    out["cores"] = os.cpu_count()
    from waystation._fused import kernel_problem, kernel_variant

    out["fused_variant"], out["fused_problem"] = kernel_variant(), kernel_problem()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer worlds (32,768; reference 50)")
    ap.add_argument("--worlds", type=int, default=None, help="worlds per timed run")
    ap.add_argument("--reference-worlds", type=int, default=None)
    ap.add_argument("--gpu", action="store_true", help="add bench_jax.py --gpu figures")
    ap.add_argument("--backends", default="numpy,fused,jax", help="comma-separated")
    args = ap.parse_args()
    worlds = args.worlds or (32_768 if args.quick else 65_536)
    ref_worlds = args.reference_worlds or (50 if args.quick else 200)

    from waystation.jax_backend import jax_available

    report: dict[str, Any] = {"machine": machine(), "targets": TARGETS}
    print(f"machine: {json.dumps(report['machine'])}", flush=True)
    sys.path.insert(0, str(HERE))
    from bench_kernel import stepped_world_steps

    from waystation.api import compile_scenario

    live = stepped_world_steps(compile_scenario("default"), 0, worlds)
    report["live_world_steps"] = live
    ref = per_million(_child(REFERENCE, str(ref_worlds), str(HERE)))
    report["reference"] = ref
    print(f"{'reference':9s} {ref['cpu_s_per_1M']:12,.0f} CPU-s per 1M worlds "
          f"({ref_worlds} worlds: {ref['cpu_s']:.1f} CPU-s)", flush=True)  # fmt: skip
    for backend in args.backends.split(","):
        if backend == "jax" and not jax_available():
            report[backend] = {"skipped": "JAX is not installed"}
            continue
        workers = 2 if backend in ("numpy", "fused") else 1
        r = per_million({**_child(CHILD, backend, str(worlds), str(workers)),
                         "live_world_steps": live})  # fmt: skip
        r["speedup_vs_reference_per_cpu_s"] = ref["cpu_s_per_1M"] / r["cpu_s_per_1M"]
        report[backend] = r
        two = (f"; 2 workers {r['wall_s_per_1M_workers']:.1f} s wall per 1M"
               if "wall_s_per_1M_workers" in r else "")  # fmt: skip
        threads = (f" (two threads: {r['latency_20k_threads_wall_s']:.2f} s wall)"
                   if "latency_20k_threads_wall_s" in r else "")  # fmt: skip
        print(f"{backend:9s} {r['cpu_s_per_1M']:12,.1f} CPU-s per 1M worlds "
              f"({r['wall_s_per_1M']:.1f} s wall{two}); {r['ns_per_live_world_step']:,.0f} ns "
              f"per live world-step; 20k in process {r['latency_20k_wall_s']:.2f} s wall, "
              f"{r['latency_20k_cpu_s']:.2f} CPU-s{threads}; peak {r['maxrss_mb']:.0f} MB; "
              f"{r['speedup_vs_reference_per_cpu_s']:,.0f}x the reference per CPU-s",
              flush=True)  # fmt: skip
    if "numpy" in report and "fused" in report:
        report["fused_over_numpy_cpu"] = report["fused"]["cpu_s"] / report["numpy"]["cpu_s"]
    best = min((report[b]["cpu_s_per_1M"], b) for b in ("numpy", "fused", "jax")
               if b in report and "cpu_s_per_1M" in report[b])  # fmt: skip
    report["best"] = best[1]
    met = {
        "cpu_s_per_1M": best[0] <= TARGETS["cpu_s_per_1M"],
        "latency_20k_s": report[best[1]]["latency_20k_wall_s"] <= TARGETS["latency_20k_s"],
        "speedup_vs_reference_per_cpu_s": report[best[1]]["speedup_vs_reference_per_cpu_s"]
        >= TARGETS["speedup_vs_reference_per_cpu_s"],
    }
    if "wall_s_per_1M_workers" in report[best[1]]:
        met["wall_s_per_1M_2_workers"] = (
            report[best[1]]["wall_s_per_1M_workers"] <= TARGETS["wall_s_per_1M_2_workers"]
        )
    report["targets_met"] = met
    if "fused" in report and "cpu_s_per_1M" in report["fused"]:
        f = report["fused"]
        fastest = min(f["latency_20k_wall_s"], f.get("latency_20k_threads_wall_s", math.inf))
        report["targets_25_met"] = {
            "cpu_s_per_1M": f["cpu_s_per_1M"] <= TARGETS_25["cpu_s_per_1M"],
            "latency_20k_s": fastest <= TARGETS_25["latency_20k_s"],
        }
        print(
            "issue 25's targets (fused): "
            + ", ".join(
                f"{k} {'met' if v else 'missed'}" for k, v in report["targets_25_met"].items()
            )
        )
    print(f"targets ({best[1]}): " + ", ".join(f"{k} {'met' if v else 'missed'}"
                                              for k, v in met.items()))  # fmt: skip
    if args.gpu:
        gpu = subprocess.run([sys.executable, str(HERE / "bench_jax.py"), "--gpu"],
                             capture_output=True, text=True, check=False)  # fmt: skip
        lines = gpu.stdout.strip().splitlines()
        print("\n".join(lines[:-1]))
        try:
            report["gpu"] = json.loads(lines[-1])
        except (IndexError, json.JSONDecodeError):
            report["gpu"] = {"problem": (gpu.stderr.strip() or "no output")[-500:]}
    print(json.dumps(report, allow_nan=False, default=lambda x: None if x is None else str(x)))
    if not math.isfinite(best[0]):
        sys.exit(1)


if __name__ == "__main__":
    main()
