"""Time-step convergence of every built-in strategy on every shipped scenario.

Runs each (scenario, strategy) at the scenario's ``dt`` and at half of it, on
the same worlds, with the sampled shocks switched off (no warning shots,
breakthroughs or evaluation noise, whose draws depend on the step), and
prints the largest change of any outcome probability. Model v2 promises less
than 0.005 (docs/model.md section 6, docs/performance.md).

    python benchmarks/convergence.py [--worlds 1500] [--horizon 2070]
"""

from __future__ import annotations

import argparse
import time

import waystation as ws
from waystation.io import shipped_scenarios


def deterministic(scenario: str, strategy: str, dt: float, worlds: int, horizon: float):
    sc = ws.load_scenario(scenario).model_copy(deep=True)
    sc.time.dt = dt
    sc.time.horizon = min(horizon, sc.time.horizon)
    sc.nature.warning_share = 0.0  # type: ignore[attr-defined]
    sc.world.verify_rate = 0.0  # type: ignore[attr-defined]
    sc.world.sigma_eval = 0.0  # type: ignore[attr-defined]
    return ws.run(sc, worlds=worlds, seed=5, strategy=strategy, keep_worlds=False).probabilities


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worlds", type=int, default=1500)
    parser.add_argument("--horizon", type=float, default=2070.0)
    args = parser.parse_args()
    worst = 0.0
    start = time.perf_counter()
    for scenario in shipped_scenarios():
        dt = ws.load_scenario(scenario).time.dt
        for strategy in ws.BUILTIN_STRATEGIES:
            a = deterministic(scenario, strategy, dt, args.worlds, args.horizon)
            b = deterministic(scenario, strategy, dt / 2, args.worlds, args.horizon)
            gap = max(abs(a[o] - b[o]) for o in a)
            worst = max(worst, gap)
            print(f"{scenario:14s} {strategy:32s} dt {dt:g} -> {dt / 2:g}: max |change| {gap:.4f}")
    print(f"largest change {worst:.4f} ({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
