"""The fused CPU kernel against the numpy step, in one command: same worlds, same process.

Usage: ``python benchmarks/bench_kernel.py [--worlds N] [--quick]``. For each
way the engine loop can step a block (:data:`PATHS`) -- ``numpy``,
``fused-step`` (the kernel's ``ws_step`` once per step, shocks drawn in C:
the path of strategies with conditions) and ``fused`` (the default: a
recorded year per ``waystation._fused.run_segment`` call, ``ws_run``
carrying each world through its steps) -- it reports, on the default
scenario:

- ns per live world-step: CPU time of the stepping alone (the step or
  segment call is wrapped and timed with the thread's CPU clock) and of the whole block
  (draws, strategy rules, compaction, tallies), per world-step of a world
  still running: not yet won or retired (``dynamics.RETIRED``; the previous
  kernel, which steps failed worlds to the horizon, is counted by its own
  rule);
- CPU-seconds per 1M default worlds, extrapolated linearly from ``--worlds``
  (default 131,072: four whole blocks of 32,768; a partial last block is
  stepped whole, so other counts overstate the cost per world), with the
  wall time;
- the latency of a 20,000-world run in this process after a warm-up (wall
  and CPU), as the web explorer would see it.

The fused kernel's variant (``simd8``, ``simd`` or ``exact``: set
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
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


#: The ways the engine can step a block, compared world-step for world-step.
PATHS = ("numpy", "fused-step", "fused-yearly", "fused")
#: The kernel before issue 25's engine work (``step.c`` at this commit), run as the engine
#: ran it then (a recorded year per call): ``--previous`` names another commit.
PREVIOUS = "100cc40"


def previous_kernel(rev: str) -> Any:
    """The fused kernel of ``step.c`` at commit ``rev`` (built with this header), or why not."""
    import subprocess
    import tempfile
    from pathlib import Path

    from waystation import _fused

    got = subprocess.run(["git", "show", f"{rev}:src/waystation/_fused/step.c"],
                         capture_output=True, check=False)  # fmt: skip
    if got.returncode != 0:
        return f"no git checkout with {rev}: {got.stderr.decode().strip()[:80]}"
    variant = _fused.kernel_variant() or "exact"
    cache = Path(tempfile.mkdtemp(prefix="ws-previous-"))
    try:
        return _fused._Kernel(_fused.build(cache, variant, step_c=got.stdout), variant)
    except RuntimeError as err:
        return f"the previous kernel does not build: {err}"


@contextmanager
def engine_path(path: str, stat: dict[str, float]) -> Iterator[None]:
    """Make the engine step blocks by ``path``, adding the stepping CPU time into ``stat``.

    ``numpy``: ``dynamics.step`` and numpy's draws; ``fused-step``: the
    kernel's ``ws_step`` once per step with its own draws (the path of
    strategies with conditions); ``fused-yearly``: a recorded year per
    ``run_segment`` call; ``fused``: the engine's default where the levers
    are static, the whole run in one ``run_through`` call (histograms
    counted in C); ``fused-previous``: :data:`PREVIOUS`'s kernel, yearly.
    """
    from waystation import _fused, dynamics, simulate

    real = simulate.block_runner
    kernel = _PREVIOUS[0] if path == "fused-previous" else _fused.fused_kernel()
    assert kernel is not None, _fused.kernel_problem()
    segment = partial(_fused.run_segment, kernel=kernel)

    def timed(fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            t0 = time.thread_time()
            out = fn(*args, **kwargs)
            stat["cpu"] += time.thread_time() - t0
            return out

        return wrapped

    runner: Any
    if path == "numpy":
        runner = partial(simulate._run_steps, stepper=timed(dynamics.step))
    elif path == "fused-step":
        runner = partial(simulate._run_steps, stepper=timed(kernel.step), shocks_of=kernel.shocks)
    elif path in ("fused-yearly", "fused-previous"):
        runner = partial(simulate._run_steps, stepper=timed(kernel.step),
                         shocks_of=kernel.shocks, segment=timed(segment))  # fmt: skip
    else:
        runner = partial(simulate._run_steps, stepper=timed(kernel.step),
                         shocks_of=kernel.shocks, segment=timed(segment),
                         through=timed(kernel.run_through))  # fmt: skip
    simulate.block_runner = lambda backend: runner  # type: ignore[assignment]
    try:
        yield
    finally:
        simulate.block_runner = real  # type: ignore[assignment]


#: Live world-steps of today's engine per block size (counted once, on numpy).
_STEPPED: dict[int, int] = {}
#: The previous kernel, once built (main).
_PREVIOUS: list[Any] = [None]


def live_world_steps(model: Any, victory_year: Any) -> int:
    """Steps of worlds that had not yet won, from the victory years alone.

    How the kernel before retirement stepped: a won world is frozen and no
    longer stepped, every other world runs to the horizon.
    """
    vy = np.asarray(victory_year)
    lived = np.where(np.isnan(vy), model.steps, np.ceil((vy - model.start) / model.dt - 1e-9))
    return int(lived.sum())


def stepped_world_steps(model: Any, lo: int, hi: int, chunk: int = 8192) -> int:
    """Steps of worlds that had not yet stopped (won or retired, ``dynamics.RETIRED``).

    Counted on the numpy step for the worlds ``lo`` to ``hi - 1`` (global
    indices, so the same worlds as any run or block holding them), ``chunk``
    at a time: what today's engine steps.
    """
    return sum(_stepped(model, a, min(a + chunk, hi)) for a in range(lo, hi, chunk))


def _stepped(model: Any, lo: int, hi: int) -> int:
    from waystation.dynamics import initial_state, step
    from waystation.model import assemble, draw_inputs
    from waystation.rng import key_of, normals, step_shocks
    from waystation.strategies import apply_strategy

    key = key_of(0)
    world = np.arange(lo, hi, dtype=np.uint64)
    p, base = assemble(model, draw_inputs(model, world, key))
    A = len(model.actors)
    s = initial_state(p, base, normals(key, world, 0, "noise0", A), model.start)
    live = 0
    for i in range(1, model.steps + 1):
        live += int((~s.done).sum())
        lv = apply_strategy(model.strategy, base, s, p, model.actors)
        s = step(s, p, lv, step_shocks(key, world, i, A), model.step_dt(i))
    return live


def per_step(path: str, worlds: int) -> dict[str, float]:
    """CPU ns per live world-step of the stepping alone and of the whole block (one block)."""
    from waystation import simulate
    from waystation.api import compile_scenario

    m = compile_scenario("default")
    stat = {"cpu": 0.0}
    with engine_path(path, stat):
        simulate.simulate_block(m, 0, 0, 1024, 1024, keep=False)  # warm-up
        stat["cpu"] = 0.0
        t0 = time.thread_time()
        out = simulate.simulate_block(m, 0, 1, worlds, worlds, keep=True)
        block = time.thread_time() - t0
    assert out.records is not None
    if path == "fused-previous":
        live = live_world_steps(m, out.records["victory_year"])
    else:
        live = _STEPPED.get(worlds) or _STEPPED.setdefault(
            worlds, stepped_world_steps(m, worlds, 2 * worlds)
        )
    return {"live_world_steps": live, "ns_step": 1e9 * stat["cpu"] / live,
            "ns_block": 1e9 * block / live}  # fmt: skip


def million(path: str, worlds: int) -> dict[str, float]:
    """CPU-s and wall-s of ``worlds`` default worlds in this process, scaled to 1M worlds."""
    from waystation.api import compile_scenario, run_model

    m = compile_scenario("default")
    with engine_path(path, {"cpu": 0.0}):
        run_model(m, 1024, 1, keep_worlds=False)
        c0, w0 = time.process_time(), time.perf_counter()
        res = run_model(m, worlds, 0, block_size=32768, keep_worlds=False)
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    return {"worlds": worlds, "cpu_s": cpu, "wall_s": wall, "cpu_s_per_1M": cpu * 1e6 / worlds,
            "p_victory": res.probabilities["victory"]}  # fmt: skip


def latency(path: str, worlds: int = 20_000) -> dict[str, float]:
    """Wall and CPU seconds of a 20,000-world run in this process, after a warm-up run."""
    from waystation.api import compile_scenario, run_model

    m = compile_scenario("default")
    with engine_path(path, {"cpu": 0.0}):
        run_model(m, worlds, 1, keep_worlds=False)  # warm-up
        c0, w0 = time.process_time(), time.perf_counter()
        run_model(m, worlds, 0, keep_worlds=False)
    return {"wall_s": time.perf_counter() - w0, "cpu_s": time.process_time() - c0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worlds", type=int, default=131_072, help="worlds for the 1M extrapolation")
    ap.add_argument("--quick", action="store_true", help="32,768 worlds, one block")
    ap.add_argument("--previous", default=PREVIOUS, help="commit of the previous kernel ('': none)")
    args = ap.parse_args()
    paths = list(PATHS)
    if args.previous:
        got = previous_kernel(args.previous)
        if isinstance(got, str):
            print("previous kernel skipped:", got)
        else:
            _PREVIOUS[0] = got
            paths.insert(2, "fused-previous")
    worlds = 32_768 if args.quick else args.worlds
    from waystation._fused import kernel_problem, kernel_variant

    out: dict[str, Any] = {
        "machine": cpu_features(),
        "kernel_problem": kernel_problem(),
        "kernel_variant": kernel_variant(),
    }
    print(json.dumps(out["machine"]), "fused kernel variant:", out["kernel_variant"])
    for backend in paths:
        r = {
            "per_step": per_step(backend, 32_768),
            "million": million(backend, worlds),
            "latency_20k": latency(backend),
        }
        out[backend] = r
        s, mm, lat = r["per_step"], r["million"], r["latency_20k"]
        print(
            f"{backend:14s} {s['ns_step']:6.0f} ns/live world-step (step), "
            f"{s['ns_block']:6.0f} (block); {mm['cpu_s_per_1M']:6.1f} CPU-s per 1M worlds "
            f"(from {worlds:,}: {mm['cpu_s']:.1f} CPU-s, {mm['wall_s']:.1f} s wall); "
            f"20k worlds {lat['wall_s']:.2f} s wall, {lat['cpu_s']:.2f} CPU-s"
        )
    n = out["numpy"]
    for path in paths[1:]:
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
