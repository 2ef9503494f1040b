"""Instructions and cycles per live world-step of the fused kernel, from the CPU's counters.

Usage: ``python benchmarks/bench_counters.py [--worlds 16384]`` (needs Linux ``perf``).

Runs the default scenario's ``ws_run`` (the whole horizon in one call, the
engine's path) under ``perf stat`` twice in fresh processes: once with the
set-up alone and once with two kernel calls after it; the difference,
divided by twice the live world-steps (steps of worlds not yet won, counted
from the run's own victory years), is what one live world-step costs:
instructions, cycles, and instructions per cycle. Counters are per process,
so other work on the machine changes them little (cycles a little more than
instructions). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile

CHILD = r"""
import sys
import numpy as np
from waystation import _fused
from waystation import simulate as sim
from waystation.api import compile_scenario
from waystation.model import assemble, draw_inputs
from waystation.rng import key_of, normals
from waystation.strategies import apply_strategy

calls, n = int(sys.argv[1]), int(sys.argv[2])
m = compile_scenario("default")
world, key = np.arange(n, dtype=np.uint64), key_of(0)
p, base = assemble(m, draw_inputs(m, world, key))
A = len(m.actors)
s0 = sim.initial_state(p, base, normals(key, world, 0, "noise0", A), m.start)
lv = apply_strategy(m.strategy, base, s0, p, m.actors)
dts = np.array([m.step_dt(i) for i in range(1, m.steps + 1)])
k = _fused.fused_kernel()
assert k is not None, _fused.kernel_problem()
for _ in range(calls):
    s, _sums = k.run(s0, p, lv, (key, world), 1, dts, n)
if calls:
    vy = s.victory_year[:, 0]
    lived = np.where(np.isnan(vy), m.steps, np.ceil((vy - m.start) / m.dt - 1e-9))
    print("LIVE", int(lived.sum()), _fused.kernel_variant())
"""


def counters(calls: int, worlds: int) -> tuple[dict[str, float], str]:
    """perf stat's instructions and cycles of the child, and its output."""
    with tempfile.NamedTemporaryFile("r", suffix=".csv") as out:
        run = subprocess.run(
            ["perf", "stat", "-x,", "-o", out.name, "-e", "instructions,cycles",
             sys.executable, "-c", CHILD, str(calls), str(worlds)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        got = {}
        for line in out.read().splitlines():
            parts = line.split(",")
            if len(parts) > 2 and parts[0].strip().isdigit():
                got[parts[2].split(":")[0]] = float(parts[0])
    return got, run.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worlds", type=int, default=16_384)
    args = ap.parse_args()
    if shutil.which("perf") is None:
        print(json.dumps({"skipped": "no perf on PATH"}))
        return
    base, _ = counters(0, args.worlds)
    two, out = counters(2, args.worlds)
    live_line = next(line for line in out.splitlines() if line.startswith("LIVE"))
    _, live, variant = live_line.split()
    steps = 2 * int(live)
    per = {k: (two[k] - base[k]) / steps for k in ("instructions", "cycles") if k in two}
    if "instructions" in per and "cycles" in per:
        per["ipc"] = per["instructions"] / per["cycles"]
    print(f"fused-{variant}: {int(live):,} live world-steps per call; per live world-step: "
          + ", ".join(f"{k} {v:,.1f}" for k, v in per.items()))  # fmt: skip
    print(json.dumps({"worlds": args.worlds, "variant": variant, "live_world_steps": int(live),
                      "per_live_world_step": per}))  # fmt: skip


if __name__ == "__main__":
    main()
