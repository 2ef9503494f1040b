"""The fused CPU kernel against the numpy step, in one command: same worlds, same process.

Usage: ``python benchmarks/bench_kernel.py [--worlds N] [--quick]``. For each
backend (``numpy``, then ``fused``) it reports, on the default scenario:

- ns per live world-step: CPU time of the step function alone (the step is
  wrapped and timed with the thread's CPU clock) and of the whole block
  (draws, strategy rules, compaction, tallies), per world-step of a world
  that had not yet won;
- CPU-seconds per 1M default worlds, extrapolated linearly from ``--worlds``
  (default 131,072: four whole blocks of 32,768; a partial last block is
  stepped whole, so other counts overstate the cost per world), with the
  wall time;
- the latency of a 20,000-world run in this process after a warm-up (wall
  and CPU), as the web explorer would see it.

The fused kernel's variant (``simd`` or ``exact``: set
``WAYSTATION_FUSED_SIMD=0`` for the exact one) is printed with the machine.
Ratios are fused / numpy from the same command; the machine's CPU features
and numpy's SIMD dispatch are printed first, since numpy's exp and log are
vectorised only with AVX-512. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import time
from collections.abc import Callable
from typing import Any

import numpy as np


def cpu_features() -> dict[str, Any]:
    """CPU model, whether it has AVX2/AVX-512, and numpy's SIMD dispatch."""
    flags: set[str] = set()
    model = platform.processor()
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if line.startswith("Flags:"):
                flags = set(line.split()[1:])
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    from numpy._core._multiarray_umath import __cpu_features__ as npf  # type: ignore

    return {
        "cpu": model,
        "avx2": "avx2" in flags,
        "avx512f": "avx512f" in flags,
        "numpy": np.__version__,
        "numpy_avx512_dispatch": bool(npf.get("AVX512F")) and bool(npf.get("AVX512_SKX")),
    }


def per_step(backend: str, worlds: int) -> dict[str, float]:
    """CPU ns per live world-step of the step function and of the whole block (one block)."""
    from waystation import simulate
    from waystation.api import compile_scenario

    m = compile_scenario("default")
    simulate.simulate_block(m, 0, 0, 1024, 1024, keep=False, backend=backend)  # warm-up
    stat = {"live": 0, "cpu": 0.0}
    original = simulate._stepper

    def timed(name: str) -> Callable[..., Any]:
        inner = original(name)

        def stepper(s, p, lv, shocks, dt):  # type: ignore[no-untyped-def]
            stat["live"] += int((~s.done).sum())
            t0 = time.thread_time()
            out = inner(s, p, lv, shocks, dt)
            stat["cpu"] += time.thread_time() - t0
            return out

        return stepper

    simulate._stepper = timed  # type: ignore[assignment]
    try:
        t0 = time.thread_time()
        simulate.simulate_block(m, 0, 1, worlds, worlds, keep=False, backend=backend)
        block = time.thread_time() - t0
    finally:
        simulate._stepper = original  # type: ignore[assignment]
    return {
        "live_world_steps": stat["live"],
        "ns_step": 1e9 * stat["cpu"] / stat["live"],
        "ns_block": 1e9 * block / stat["live"],
    }


def million(backend: str, worlds: int) -> dict[str, float]:
    """CPU-s and wall-s of ``worlds`` default worlds in this process, scaled to 1M worlds."""
    from waystation.api import compile_scenario, run_model

    m = compile_scenario("default")
    run_model(m, 1024, 1, keep_worlds=False, backend=backend)
    c0, w0 = time.process_time(), time.perf_counter()
    res = run_model(m, worlds, 0, block_size=32768, keep_worlds=False, backend=backend)
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    return {
        "worlds": worlds,
        "cpu_s": cpu,
        "wall_s": wall,
        "cpu_s_per_1M": cpu * 1e6 / worlds,
        "p_victory": res.probabilities["victory"],
    }


def latency(backend: str, worlds: int = 20_000) -> dict[str, float]:
    """Wall and CPU seconds of a 20,000-world run in this process, after a warm-up run."""
    from waystation.api import compile_scenario, run_model

    m = compile_scenario("default")
    run_model(m, worlds, 1, keep_worlds=False, backend=backend)  # warm-up
    c0, w0 = time.process_time(), time.perf_counter()
    run_model(m, worlds, 0, keep_worlds=False, backend=backend)
    return {"wall_s": time.perf_counter() - w0, "cpu_s": time.process_time() - c0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worlds", type=int, default=131_072, help="worlds for the 1M extrapolation")
    ap.add_argument("--quick", action="store_true", help="32,768 worlds, one block")
    args = ap.parse_args()
    worlds = 32_768 if args.quick else args.worlds
    from waystation._fused import kernel_problem, kernel_variant

    out: dict[str, Any] = {
        "machine": cpu_features(),
        "kernel_problem": kernel_problem(),
        "kernel_variant": kernel_variant(),
    }
    print(json.dumps(out["machine"]), "fused kernel variant:", out["kernel_variant"])
    for backend in ("numpy", "fused"):
        r = {
            "per_step": per_step(backend, 32_768),
            "million": million(backend, worlds),
            "latency_20k": latency(backend),
        }
        out[backend] = r
        s, mm, lat = r["per_step"], r["million"], r["latency_20k"]
        print(
            f"{backend:6s} {s['ns_step']:6.0f} ns/live world-step (step), "
            f"{s['ns_block']:6.0f} (block); {mm['cpu_s_per_1M']:6.1f} CPU-s per 1M worlds "
            f"(from {worlds:,}: {mm['cpu_s']:.1f} CPU-s, {mm['wall_s']:.1f} s wall); "
            f"20k worlds {lat['wall_s']:.2f} s wall, {lat['cpu_s']:.2f} CPU-s"
        )
    n, f = out["numpy"], out["fused"]
    out["ratio_fused_over_numpy"] = {
        "ns_step": f["per_step"]["ns_step"] / n["per_step"]["ns_step"],
        "cpu_s_per_1M": f["million"]["cpu_s_per_1M"] / n["million"]["cpu_s_per_1M"],
        "latency_20k_cpu": f["latency_20k"]["cpu_s"] / n["latency_20k"]["cpu_s"],
    }
    print("fused / numpy:", json.dumps(out["ratio_fused_over_numpy"]))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
