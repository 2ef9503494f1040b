"""``ws_run`` alone, per kernel variant: one call for the whole run against one per segment.

Usage: ``python benchmarks/bench_segment.py [--worlds N] [variant ...]``
(variants: ``simd8``, ``simd``, ``exact``; default every one the CPU runs).
On one block of the default scenario (32,768 worlds, seed 0, its 592
steps) it reports CPU ns per live world-step of
:meth:`waystation._fused._Kernel.run` over all steps in one call, and in
calls of 8 steps (the scenario's record steps: what the engine would do),
copying the state each call or handing it over (``overwrite``). A live
world-step is a step of a world not yet done (counted with numpy's step).
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np


def default_block(n: int) -> tuple[Any, ...]:
    """One block of ``n`` default worlds (seed 0) ready for ``ws_run``.

    Returns the model, the worlds' global indices, the run's key, their
    parameters, initial state and levers, and every step's length.
    """
    from waystation import simulate as sim
    from waystation.api import compile_scenario
    from waystation.model import assemble, draw_inputs
    from waystation.rng import key_of, normals
    from waystation.strategies import apply_strategy

    m = compile_scenario("default")
    world, key = np.arange(n, dtype=np.uint64), key_of(0)
    p, base = assemble(m, draw_inputs(m, world, key))
    s0 = sim.initial_state(p, base, normals(key, world, 0, "noise0", len(m.actors)), m.start)
    lv = apply_strategy(m.strategy, base, s0, p, m.actors)
    dts = np.array([m.step_dt(i) for i in range(1, m.steps + 1)])
    return m, world, key, p, s0, lv, dts


def main() -> None:
    from waystation import _fused
    from waystation import simulate as sim
    from waystation.dynamics import step
    from waystation.rng import step_shocks

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worlds", type=int, default=32_768)
    ap.add_argument("variants", nargs="*")
    args = ap.parse_args()
    flags = _fused._cpu_flags()
    variants = args.variants or [v for v, spec in _fused.VARIANTS.items() if spec[3] <= flags]
    n = args.worlds
    m, world, key, p, s0, lv, dts = default_block(n)
    A = len(m.actors)
    live, s = 0, s0
    for i in range(1, m.steps + 1):
        live += int((~s.done).sum())
        s = step(s, p, lv, step_shocks(key, world, i, A), dts[i - 1])
    out: dict[str, dict[str, float]] = {}
    for v in variants:
        k = _fused._Kernel(_fused.build(variant=v), v)
        t0 = time.process_time()
        k.run(s0, p, lv, (key, world), 1, dts, n)
        whole = time.process_time() - t0
        r = {"whole": 1e9 * whole / live}
        for overwrite in (False, True):
            t0, st = time.process_time(), sim.map_arrays(np.array, s0)
            for j in range(0, m.steps, 8):
                st, _ = k.run(st, p, lv, (key, world), 1 + j, dts[j : j + 8], n, overwrite)
            r["segments_of_8" + ("_overwrite" if overwrite else "")] = (
                1e9 * (time.process_time() - t0) / live
            )
        out[v] = r
        print(
            f"{v:6s} CPU ns per live world-step: " + ", ".join(f"{a} {b:.0f}" for a, b in r.items())
        )
    print(json.dumps({"worlds": n, "live_world_steps": live, "ns": out}))


if __name__ == "__main__":
    main()
