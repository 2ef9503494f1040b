"""Instructions per live world-step of the fused kernel, counted by valgrind (callgrind).

Usage: ``python benchmarks/bench_counters.py [--worlds 2048]`` (needs valgrind).

The CPU's hardware counters are not readable in this project's machines
(``perf stat`` says ``<not supported>``), so the instructions are counted
by callgrind instead: one ``ws_run`` call over the whole horizon of the
default scenario, the engine's path, in the ``simd`` variant (AVX2, four
lanes: valgrind does not run AVX-512 code). It prints, per live world-step
(a step of a world not yet won, counted from the run's own victory years),
the instructions of the step (``step_lanes`` with everything it calls) and
of each function by itself -- the step's arithmetic (``growth``,
``step_lanes``, ``hazard``, ...) against libmvec's transcendentals -- and one
JSON line. Instruction counts do not depend on the machine's load; about
40 s.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import sys
import numpy as np
sys.path.insert(0, sys.argv[2])
from bench_segment import default_block
from waystation import _fused

n = int(sys.argv[1])
m, world, key, p, s0, lv, dts = default_block(n)
k = _fused.fused_kernel()
assert k is not None, _fused.kernel_problem()
s, _sums = k.run(s0, p, lv, (key, world), 1, dts, n)
vy = s.victory_year[:, 0]
lived = np.where(np.isnan(vy), m.steps, np.ceil((vy - m.start) / m.dt - 1e-9))
print("LIVE", int(lived.sum()), _fused.kernel_variant())
"""
#: Functions reported by themselves (callgrind's names, shortened).
FUNCTIONS = ("growth", "step_lanes", "hazard", "track_waystations", "clock_terms", "draw_shocks",
             "exp", "log", "pow", "tan", "expm1")  # fmt: skip


def annotate(out: Path, inclusive: bool) -> dict[str, int]:
    """callgrind_annotate's instruction counts by function (libmvec's by their math name)."""
    text = subprocess.run(
        ["callgrind_annotate", f"--inclusive={'yes' if inclusive else 'no'}", str(out)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    got: dict[str, int] = {}
    for line in text.splitlines():
        m = re.match(r"\s*([\d,]+)\s+\([^)]*\)\s+(\S+)", line)
        if not m:
            continue
        count, where = int(m.group(1).replace(",", "")), m.group(2)
        name = where.rsplit(":", 1)[-1]
        vec = re.match(r"_ZGVdN4v+_(\w+?)_avx2$", name)
        key = vec.group(1) if vec else name
        if key in FUNCTIONS and key not in got:
            got[key] = count
    return got


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worlds", type=int, default=2048)
    args = ap.parse_args()
    if shutil.which("valgrind") is None or shutil.which("callgrind_annotate") is None:
        print(json.dumps({"skipped": "no valgrind on PATH"}))
        return
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        env = {**os.environ, "WAYSTATION_FUSED_SIMD": "4"}
        run = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
             sys.executable, "-c", CHILD, str(args.worlds), str(Path(__file__).parent)],
            capture_output=True, text=True, check=True, env=env,
        )  # fmt: skip
        live_line = next(ln for ln in run.stdout.splitlines() if ln.startswith("LIVE"))
        _, live_s, variant = live_line.split()
        live = int(live_s)
        incl, self_ = annotate(out, True), annotate(out, False)
    step = incl.get("step_lanes", 0) / live
    per = {k: v / live for k, v in self_.items()}
    maths = sum(per.get(k, 0.0) for k in ("exp", "log", "pow", "tan", "expm1"))
    print(f"fused-{variant}, {args.worlds:,} default worlds, {live:,} live world-steps: "
          f"{step:,.0f} instructions per live world-step (step_lanes and all it calls), "
          f"{maths:,.0f} of them in libmvec")  # fmt: skip
    for k, v in sorted(per.items(), key=lambda kv: -kv[1]):
        print(f"  {k:18s} {v:8,.0f}")
    print(json.dumps({"worlds": args.worlds, "variant": variant, "live_world_steps": live,
                      "instructions_per_live_world_step": step, "libmvec": maths,
                      "by_function": per}))  # fmt: skip


if __name__ == "__main__":
    main()
