"""Time-step convergence of every built-in strategy on every shipped scenario.

Runs each (scenario, strategy) at the scenario's ``dt`` and at half of it, on
the same worlds (the same nature inputs: common random numbers), and prints
the largest change of any outcome probability, with its standard error.

Two studies:

* deterministic (the default): the sampled shocks switched off (no warning
  shots, breakthroughs or evaluation noise), so the change is the
  discretisation error alone;
* ``--shocks``: random shocks on, as every run has them. Survivable incidents
  are a Poisson count per step and breakthroughs a Poisson event, so a
  world's counts over a year do not depend on how the year is cut; the draws
  themselves do, so the change carries Monte Carlo noise, reported as the
  standard error of the per-world paired difference.

Model v3 promises less than 0.005 for every outcome of every pair (docs/model.md
section 6, docs/performance.md).

    python benchmarks/convergence.py [--worlds 1500] [--horizon 2070] [--shocks]
        [--scenarios a,b] [--strategies x,y]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

import waystation as ws
from waystation.io import shipped_scenarios

OUTCOMES = ("victory", "costly_non_failure", "failure")


def outcomes(
    scenario: str, strategy: str, dt: float, worlds: int, horizon: float, shocks: bool
) -> dict[str, np.ndarray]:
    """Each world's probability of each outcome."""
    sc = ws.load_scenario(scenario).model_copy(deep=True)
    sc.time.dt = dt
    sc.time.horizon = min(horizon, sc.time.horizon)
    if not shocks:
        sc.nature.warning_share = 0.0  # type: ignore[attr-defined]
        sc.world.verify_rate = 0.0  # type: ignore[attr-defined]
        sc.world.sigma_eval = 0.0  # type: ignore[attr-defined]
    frame = ws.run(sc, worlds=worlds, seed=5, strategy=strategy).worlds
    return {o: frame[f"p_{o}"].to_numpy() for o in OUTCOMES}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worlds", type=int, default=1500)
    parser.add_argument("--horizon", type=float, default=2070.0)
    parser.add_argument("--shocks", action="store_true", help="random shocks on")
    parser.add_argument("--scenarios", default="", help="comma-separated; default all")
    parser.add_argument("--strategies", default="", help="comma-separated; default all")
    args = parser.parse_args()
    scenarios = args.scenarios.split(",") if args.scenarios else shipped_scenarios()
    strategies = args.strategies.split(",") if args.strategies else ws.BUILTIN_STRATEGIES
    worst, worst_se = 0.0, 0.0
    start = time.perf_counter()
    kind = "random shocks on" if args.shocks else "shocks off"
    print(f"{args.worlds} worlds (seed 5), horizon {args.horizon:g}, {kind}")
    print("| scenario | strategy | dt | largest change (outcome) | s.e. |")
    print("|---|---|---|---|---:|")
    for scenario in scenarios:
        dt = ws.load_scenario(scenario).time.dt
        for strategy in strategies:
            a = outcomes(scenario, strategy, dt, args.worlds, args.horizon, args.shocks)
            b = outcomes(scenario, strategy, dt / 2, args.worlds, args.horizon, args.shocks)
            diffs = {o: b[o] - a[o] for o in OUTCOMES}
            o = max(OUTCOMES, key=lambda k: abs(diffs[k].mean()))
            gap = float(diffs[o].mean())
            se = float(diffs[o].std(ddof=1) / math.sqrt(args.worlds))
            if abs(gap) > worst:
                worst, worst_se = abs(gap), se
            step = f"{dt:g} -> {dt / 2:g}"
            print(f"| {scenario} | {strategy} | {step} | {gap:+.4f} ({o}) | {se:.4f} |")
    print(f"largest change {worst:.4f} (s.e. {worst_se:.4f}), {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
