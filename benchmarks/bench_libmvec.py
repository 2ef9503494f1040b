"""The transcendental floor of the fused kernel: glibc's exp and log per element, here.

Usage: ``python benchmarks/bench_libmvec.py``. Compiles ``bench_libmvec.c``
(next to this file) with ``gcc -O2`` into a temporary folder and runs it:
CPU ns per element of libmvec's 4-lane AVX2 and (where the CPU has
AVX-512) 8-lane exp and log, and of glibc's scalar ones, over 4,096
arguments in L1, best of five. Multiplied by the kernel's count of calls
per live world-step (about 83 exp, 31 log, 2 expm1, 2 tan and 1 pow on the
default scenario in ``ws_run``, counted by instrumenting the kernel) this
is the time no rewrite of the step's arithmetic can go below without fewer
or cheaper transcendentals. Prints one JSON line.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

#: Transcendental calls per live world-step of the default scenario (counted in ws_run).
CALLS = {"exp": 83, "log": 31}


def main() -> None:
    avx512 = "avx512f" in Path("/proc/cpuinfo").read_text()
    src = Path(__file__).with_name("bench_libmvec.c")
    with tempfile.TemporaryDirectory() as tmp:
        exe = Path(tmp) / "bench_libmvec"
        flags = ["-O2", "-mavx2", "-mfma", *(["-mavx512f"] if avx512 else [])]
        subprocess.run(["gcc", *flags, "-o", str(exe), str(src), "-lmvec", "-lm"], check=True)
        out = subprocess.run([str(exe), "avx512" if avx512 else "avx2"], check=True,
                             capture_output=True, text=True).stdout  # fmt: skip
    ns = {name: float(v) for name, v in (line.split() for line in out.splitlines())}
    floor = {
        width: sum(CALLS[f] * ns[f"{f}_{width}"] for f in CALLS)
        for width in ("scalar", "4", "8")
        if all(f"{f}_{width}" in ns for f in CALLS)
    }
    for name, v in ns.items():
        print(f"{name:11s} {v:6.2f} ns per element")
    for width, v in floor.items():
        print(f"83 exp + 31 log per world-step, {width:6s}: {v:6.0f} ns")
    json.dump({"ns_per_element": ns, "floor_ns_per_world_step": floor}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
