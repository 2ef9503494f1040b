"""Hash every block's output, for checking that a refactor of the engine changes no bit.

For each shipped scenario and each built-in strategy, runs a few blocks
(``simulate.run_blocks`` with per-world records kept) and hashes each block's
tallies, trajectory histograms and per-world records: names, dtypes, shapes
and raw bytes, keys in sorted order. Two code versions that agree on every
hash compute the same numbers to the last bit.

Usage::

    python benchmarks/block_hashes.py --write before.json      # on the old code
    python benchmarks/block_hashes.py --check before.json      # on the new code
    python benchmarks/block_hashes.py --pin                     # re-pin the test's hashes

The hashes depend on the random streams: a change that draws numbers
differently on purpose must re-pin (``--pin`` rewrites
``tests/data/block_hashes.json``, which ``tests/test_block_hashes.py`` asserts).

They also depend on the machine's numerics: numpy picks its ``exp``/``log``
implementation by CPU features (AVX-512 and AVX2 round the last bit
differently), and a last-bit difference reaches the hashes. So the file holds
one set of digests per *numerics platform*, named by :func:`numerics` (a hash of
numpy's transcendentals on fixed inputs); the test asks the run to match the set
of its own platform. ``--pin`` replaces every set (numbers changed on purpose);
``--pin-platform`` adds or replaces this platform's set only, and must be run on
the code the other sets were pinned on (same numbers, another machine).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from waystation.api import compile_scenario
from waystation.io import shipped_scenarios
from waystation.model import Model
from waystation.simulate import run_blocks
from waystation.strategies import BUILTIN_STRATEGIES
from waystation.tally import BlockOut

#: Where the test's pinned hashes live.
PINNED = Path(__file__).resolve().parents[1] / "tests" / "data" / "block_hashes.json"
#: The small runs the test pins: (scenario, strategy, worlds, block size, horizon or None).
PINNED_RUNS: tuple[tuple[str, str, int, int, float | None], ...] = (
    ("default", "default", 1500, 1024, 2034.0),
    ("single-lab", "mutual-sabotage", 1100, 1024, 2032.0),
    ("hard-problem", "pause-then-enhanced-labor", 1100, 1024, 2032.0),
)


def _update(h: hashlib._Hash, name: str, arrays: Mapping[str, np.ndarray]) -> None:
    for key in sorted(arrays):
        x = np.ascontiguousarray(arrays[key])
        h.update(f"{name}.{key}:{x.dtype.str}:{x.shape};".encode())
        h.update(x.tobytes())


def block_digest(out: BlockOut) -> str:
    """SHA-256 of one block's tallies, histograms and per-world records."""
    h = hashlib.sha256()
    h.update(f"block {out.index};".encode())
    _update(h, "tally", out.tally)
    _update(h, "hist", {"hist": out.hist})
    _update(h, "records", out.records or {})
    return h.hexdigest()


def numerics() -> str:
    """A short hash of numpy's transcendentals on fixed inputs: names the numerics platform."""
    x = np.linspace(-30.0, 30.0, 20_011)
    pos = np.abs(x) + 1e-3
    h = hashlib.sha256()
    for y in (np.exp(x), np.log(pos), np.expm1(x / 30), np.log1p(pos), np.tan(x / 20)):
        h.update(y.tobytes())
    h.update(np.power(pos, 0.6).tobytes())
    return h.hexdigest()[:16]


def platform_label() -> str:
    """Human-readable name of this machine's numpy SIMD level (for the pin file)."""
    from numpy._core._multiarray_umath import __cpu_features__ as feats

    # numpy dispatches its AVX-512 loops by groups (X86_V4 / AVX512_SKX), which
    # NPY_DISABLE_CPU_FEATURES can switch off while the CPU still has AVX512F
    wide = feats.get("AVX512_SKX") or feats.get("X86_V4")
    return "AVX512F" if wide else ("AVX2" if feats.get("AVX2") else "baseline")


def pinned_sets() -> list[dict[str, object]]:
    """The pin file's sets: ``{"numerics", "label", "digests"}`` each."""
    return list(json.loads(PINNED.read_text())["sets"])


def write_pins(digests: dict[str, list[str]], keep_others: bool) -> None:
    """Write this platform's digests, replacing the other platforms' unless ``keep_others``."""
    mine = numerics()
    sets = [s for s in pinned_sets() if s["numerics"] != mine] if keep_others else []
    sets.append({"numerics": mine, "label": platform_label(), "digests": digests})
    PINNED.parent.mkdir(parents=True, exist_ok=True)
    PINNED.write_text(json.dumps({"sets": sets}, indent=1) + "\n")


def run_digests(
    model: Model, worlds: int, seed: int, block: int, backend: str = "numpy"
) -> list[str]:
    """Digests of every block of one run, in block order."""
    outs = run_blocks(model, worlds, seed, block_size=block, backend=backend)
    return [block_digest(b) for b in outs]


def small_model(scenario: str, strategy: str, horizon: float | None) -> Model:
    """A shipped scenario under a built-in strategy, optionally cut at ``horizon``."""
    from dataclasses import replace

    model = compile_scenario(scenario, strategy)
    return model if horizon is None else replace(model, horizon=horizon)


def pinned_digests() -> dict[str, list[str]]:
    """The digests of :data:`PINNED_RUNS` (the test's cheap runs)."""
    return {
        f"{sc}/{st}/{w}/{b}/{hz}": run_digests(small_model(sc, st, hz), w, 11, b)
        for sc, st, w, b, hz in PINNED_RUNS
    }


def all_digests(
    worlds: int, block: int, backend: str = "numpy", only: set[str] | None = None
) -> dict[str, list[str]]:
    """Digests of every shipped scenario under every built-in strategy (or those ``only``)."""
    out = {}
    for sc in shipped_scenarios():
        for st in BUILTIN_STRATEGIES:
            if only and f"{sc}/{st}" not in only:
                continue
            t0 = time.perf_counter()
            out[f"{sc}/{st}"] = run_digests(compile_scenario(sc, st), worlds, 5, block, backend)
            print(f"{sc}/{st}: {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--worlds", type=int, default=2500, help="worlds per run (default 2500)")
    ap.add_argument("--block", type=int, default=1024, help="block size (default 1024)")
    ap.add_argument("--backend", default="numpy", help="numpy (default) or jax")
    ap.add_argument("--only", help="comma-separated scenario/strategy pairs to run")
    ap.add_argument("--write", type=Path, help="write the digests of every run to this file")
    ap.add_argument("--check", type=Path, help="compare with digests written before")
    ap.add_argument("--pin", action="store_true", help=f"rewrite {PINNED} (every platform)")
    ap.add_argument(
        "--pin-platform", action="store_true", help="add or replace this platform's set only"
    )
    args = ap.parse_args()
    if args.pin or args.pin_platform:
        write_pins(pinned_digests(), keep_others=args.pin_platform)
        print(f"pinned {PINNED} for numerics {numerics()} ({platform_label()})")
        return 0
    only = set(args.only.split(",")) if args.only else None
    digests = all_digests(args.worlds, args.block, args.backend, only)
    if args.write:
        args.write.write_text(json.dumps(digests, indent=1) + "\n")
        print(f"wrote {len(digests)} runs to {args.write}")
    if args.check:
        before = json.loads(args.check.read_text())
        bad = [k for k in before if before[k] != digests.get(k)]
        print(f"{len(before) - len(bad)}/{len(before)} runs bit-identical")
        for k in bad:
            print(f"  DIFFERS: {k}")
        return 1 if bad else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
