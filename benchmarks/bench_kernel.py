"""The fused CPU kernel against the numpy step, in one command: same worlds, same process.

Usage: ``python benchmarks/bench_kernel.py [--worlds N] [--quick]``. For each
path -- ``numpy``, ``fused`` (the kernel's ``ws_step`` once per step, the
engine's loop around it) and ``segment`` (``waystation._fused.run_segment``:
``ws_run`` carries every world through all the steps between two record
steps in one call, shocks drawn in C; the engine does not use it yet, so
:func:`segment_block` here stands in for the engine's block loop) -- it
reports, on the default scenario:

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


def segment_block(model: Any, seed: int, index: int, block: int, n_valid: int) -> dict[str, Any]:
    """One block as ``simulate.simulate_block`` computes it, stepped by ``run_segment``.

    Draws, initial state, histograms at record steps, survival sums and the
    final tally are the engine's; between record steps one ``run_segment``
    call does every step. Only for strategies without conditional rules.
    """
    from waystation import simulate as sim
    from waystation._fused import run_segment, static_levers
    from waystation.model import assemble, draw_inputs
    from waystation.rng import key_of, normals
    from waystation.strategies import apply_strategy

    assert static_levers(model.strategy)
    key = key_of(seed)
    world = np.arange(index * block, (index + 1) * block, dtype=np.uint64)
    x = draw_inputs(model, world, key)
    p, base = assemble(model, x)
    A = len(model.actors)
    s = sim.initial_state(p, base, normals(key, world, 0, "noise0", A), model.start)
    rec = [int(k) for k in model.record_steps]
    hist = np.zeros((len(rec), A, sim._NBINS), dtype=np.int64)
    survival_t = np.zeros(model.steps + 1, dtype=np.int64)
    survival_t[0] = n_valid * int(sim.FIX)
    hist[0] += sim._counts(s, slice(0, n_valid), p)
    lv = apply_strategy(model.strategy, base, s, p, model.actors)
    s = sim.map_arrays(np.array, s)  # own copies: run_segment may then work in place
    for r in range(1, len(rec)):
        a, b = rec[r - 1], rec[r]
        dts = np.array([model.step_dt(i) for i in range(a + 1, b + 1)])
        s, sums = run_segment(s, p, lv, key, world, a + 1, dts, n_valid, overwrite=True)
        survival_t[a + 1 : b + 1] = sums
        hist[r] += sim._counts(s, slice(0, n_valid), p)
    sim.check_finite(s, x, model, n_valid, index * block)
    tally = sim._tally(s, model, n_valid)
    tally["survival_t"] = survival_t
    return {"tally": tally, "hist": hist, "done": s.done}


def live_world_steps(done_before: list[Any]) -> int:
    """Live world-steps: worlds not yet done at the start of each step."""
    return sum(int((~d).sum()) for d in done_before)


def per_segment(worlds: int) -> dict[str, float]:
    """CPU ns per live world-step of ``run_segment`` alone and of the whole block (one block)."""
    from waystation import _fused
    from waystation import simulate as sim
    from waystation.api import compile_scenario

    m = compile_scenario("default")
    segment_block(m, 0, 0, 1024, 1024)  # warm-up
    stat = {"live": 0, "cpu": 0.0}
    original = _fused.run_segment

    def timed(s, p, lv, key, world, first, dts, n_valid, **kw):  # type: ignore[no-untyped-def]
        t0 = time.thread_time()
        out = original(s, p, lv, key, world, first, dts, n_valid, **kw)
        stat["cpu"] += time.thread_time() - t0
        return out

    _fused.run_segment = timed  # type: ignore[assignment]
    try:
        t0 = time.thread_time()
        segment_block(m, 0, 1, worlds, worlds)
        block = time.thread_time() - t0
    finally:
        _fused.run_segment = original  # type: ignore[assignment]
    # the live world-steps of the same block, from the numpy engine's per-step states
    done: list[Any] = []
    inner = sim._stepper

    def counting(name: str) -> Callable[..., Any]:
        step = inner(name)

        def stepper(s, p, lv, shocks, dt):  # type: ignore[no-untyped-def]
            done.append(s.done)
            return step(s, p, lv, shocks, dt)

        return stepper

    sim._stepper = counting  # type: ignore[assignment]
    try:
        sim.simulate_block(m, 0, 1, worlds, worlds, keep=False, backend="fused")
    finally:
        sim._stepper = inner  # type: ignore[assignment]
    live = live_world_steps(done)
    return {"live_world_steps": live, "ns_step": 1e9 * stat["cpu"] / live,
            "ns_block": 1e9 * block / live}  # fmt: skip


def segment_run(worlds: int, seed: int) -> dict[str, Any]:
    """``worlds`` default worlds in blocks of (at most) 32,768 by :func:`segment_block`."""
    from waystation import simulate as sim
    from waystation.api import compile_scenario

    m = compile_scenario("default")
    block = -(-min(32_768, worlds) // sim.STREAM_BLOCK) * sim.STREAM_BLOCK  # as run_model
    victory = 0
    for index, n in sim.plan_blocks(worlds, block):
        victory += int(segment_block(m, seed, index, block, n)["tally"]["outcome"][0])
    return {"p_victory": victory / (worlds * sim.FIX)}


def million(backend: str, worlds: int) -> dict[str, float]:
    """CPU-s and wall-s of ``worlds`` default worlds in this process, scaled to 1M worlds."""
    from waystation.api import compile_scenario, run_model

    m = compile_scenario("default")
    if backend == "segment":
        segment_run(1024, 1)
        c0, w0 = time.process_time(), time.perf_counter()
        p_victory = segment_run(worlds, 0)["p_victory"]
    else:
        run_model(m, 1024, 1, keep_worlds=False, backend=backend)
        c0, w0 = time.process_time(), time.perf_counter()
        res = run_model(m, worlds, 0, block_size=32768, keep_worlds=False, backend=backend)
        p_victory = res.probabilities["victory"]
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    return {
        "worlds": worlds,
        "cpu_s": cpu,
        "wall_s": wall,
        "cpu_s_per_1M": cpu * 1e6 / worlds,
        "p_victory": p_victory,
    }


def latency(backend: str, worlds: int = 20_000) -> dict[str, float]:
    """Wall and CPU seconds of a 20,000-world run in this process, after a warm-up run."""
    from waystation.api import compile_scenario, run_model

    m = compile_scenario("default")
    if backend == "segment":
        segment_run(worlds, 1)  # warm-up
        c0, w0 = time.process_time(), time.perf_counter()
        segment_run(worlds, 0)
    else:
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
    for backend in ("numpy", "fused", "segment"):
        r = {
            "per_step": per_segment(32_768) if backend == "segment" else per_step(backend, 32_768),
            "million": million(backend, worlds),
            "latency_20k": latency(backend),
        }
        out[backend] = r
        s, mm, lat = r["per_step"], r["million"], r["latency_20k"]
        print(
            f"{backend:7s} {s['ns_step']:6.0f} ns/live world-step (step), "
            f"{s['ns_block']:6.0f} (block); {mm['cpu_s_per_1M']:6.1f} CPU-s per 1M worlds "
            f"(from {worlds:,}: {mm['cpu_s']:.1f} CPU-s, {mm['wall_s']:.1f} s wall); "
            f"20k worlds {lat['wall_s']:.2f} s wall, {lat['cpu_s']:.2f} CPU-s"
        )
    n = out["numpy"]
    for path in ("fused", "segment"):
        f = out[path]
        out[f"ratio_{path}_over_numpy"] = {
            "ns_step": f["per_step"]["ns_step"] / n["per_step"]["ns_step"],
            "ns_block": f["per_step"]["ns_block"] / n["per_step"]["ns_block"],
            "cpu_s_per_1M": f["million"]["cpu_s_per_1M"] / n["million"]["cpu_s_per_1M"],
            "latency_20k_cpu": f["latency_20k"]["cpu_s"] / n["latency_20k"]["cpu_s"],
        }
        print(f"{path} / numpy:", json.dumps(out[f"ratio_{path}_over_numpy"]))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
