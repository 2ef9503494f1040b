"""Benchmark of the counter-based generator: cost per draw, and its effect on a block.

Usage: ``python benchmarks/bench_rng.py [--block 32768] [--repeat 20]``.

1. Cost per standard normal and per world-step of shocks: Philox4x32-10 in
   numpy (:mod:`waystation.rng`) against ``numpy.random.Generator`` (PCG64,
   ziggurat normals) drawing the same shapes.
2. One default-scenario block, stepped twice in this process: with the
   engine's own draws (Philox, only for the worlds still stepped), and with
   the previous scheme put back for the comparison (one PCG64 generator per
   1,024 worlds, drawing every world of the block at every step, then taking
   the rows still stepped). The second run draws other numbers, so its
   outcomes differ by Monte Carlo noise; only its cost is of interest.

Times are CPU seconds of this process (``time.process_time``) and wall seconds.
The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from waystation import rng, simulate
from waystation.api import compile_scenario
from waystation.state import Shocks


def _clock(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Best-of-three CPU and wall seconds of ``repeat`` calls of ``fn``."""
    cpu, wall = [], []
    for _ in range(3):
        c, w = time.process_time(), time.perf_counter()
        for _ in range(repeat):
            fn()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return min(cpu) / repeat, min(wall) / repeat


def draw_costs(n: int, actors: int, repeat: int) -> dict[str, float]:
    """Nanoseconds (CPU) per normal, and per world-step of shocks, for each generator."""
    world = np.arange(n, dtype=np.uint64)
    key = rng.key_of(0)
    g = np.random.default_rng(0)
    z, z2, u = np.empty((n, actors)), np.empty((n, 2)), np.empty((n, 1))

    def legacy_shocks() -> None:
        g.standard_normal(out=z)
        g.random(out=u)
        g.random(out=u)

    per = 1e9 / n
    return {
        "philox_ns_per_normal": _clock(lambda: rng.normals(key, world, 1, "eval_z", 2), repeat)[0]
        * per / 2,
        "pcg64_ns_per_normal": _clock(lambda: g.standard_normal(out=z2), repeat)[0] * per / 2,
        "philox_ns_per_world_step": _clock(lambda: rng.step_shocks(key, world, 1, actors),
                                           repeat)[0] * per,
        "pcg64_ns_per_world_step": _clock(legacy_shocks, repeat)[0] * per,
    }  # fmt: skip


def legacy_step_shocks(seed: int, block: int) -> Callable[..., Shocks]:
    """The previous draws' cost: per stream block a PCG64 generator draws all its worlds."""
    gens = [np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(j,)))
            for j in range(block // simulate.STREAM_BLOCK)]  # fmt: skip

    def draw(shape: tuple[int, int], kind: str) -> np.ndarray:
        out = np.empty((block, shape[1]))
        for j, g in enumerate(gens):
            part = out[j * simulate.STREAM_BLOCK : (j + 1) * simulate.STREAM_BLOCK]
            g.standard_normal(out=part) if kind == "normal" else g.random(out=part)
        return out

    def step_shocks(key: object, world: np.ndarray, step: int, actors: int) -> Shocks:
        rows = world.astype(np.int64)  # a block starting at world 0: rows are indices
        full = (draw((block, actors), "normal"), draw((block, 1), "u"), draw((block, 1), "u"))
        return Shocks(*(np.asfortranarray(x[rows]) for x in full))

    return step_shocks


def block_costs(block: int) -> dict[str, float]:
    """CPU and wall seconds of one default block with the engine's draws and the previous ones."""
    model = compile_scenario("default")
    simulate.simulate_block(model, 0, 0, 1024, 1024, keep=False)  # warm-up
    out: dict[str, float] = {}
    engine_draws = simulate.step_shocks
    for name in ("philox", "pcg64"):
        simulate.step_shocks = engine_draws if name == "philox" else legacy_step_shocks(0, block)
        c, w = time.process_time(), time.perf_counter()
        res = simulate.simulate_block(model, 0, 0, block, block, keep=False)
        out[f"{name}_block_cpu_s"] = time.process_time() - c
        out[f"{name}_block_wall_s"] = time.perf_counter() - w
        out[f"{name}_p_victory"] = float(res.tally["outcome"][0]) / simulate.FIX / block
    simulate.step_shocks = engine_draws
    out["block_cpu_ratio_philox_over_pcg64"] = out["philox_block_cpu_s"] / out["pcg64_block_cpu_s"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--block", type=int, default=32768, help="worlds in the timed block")
    ap.add_argument("--repeat", type=int, default=20, help="draw calls per timing")
    args = ap.parse_args()
    figures: dict[str, Any] = {"block": args.block}
    figures.update(draw_costs(args.block, 3, args.repeat))
    for k, v in figures.items():
        print(f"{k:32s} {v:.4g}" if isinstance(v, float) else f"{k:32s} {v}")
    blocks = block_costs(args.block)
    for k, v in blocks.items():
        print(f"{k:32s} {v:.4g}")
    figures.update(blocks)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
