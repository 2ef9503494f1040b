"""Time the numpy engine and the JAX backend side by side, in one process, after compilation.

Usage (needs the jax extra)::

    python benchmarks/bench_jax.py [--worlds N] [--old FILE]
    python benchmarks/bench_jax.py --gpu [--dry-run]

CPU mode times one block of ``--worlds`` (default 32,768) default-scenario
worlds with the numpy engine and the JAX backend, and with ``--old FILE`` also
another JAX runner (a module with the same ``run_steps``, e.g. an earlier
``jax_backend.py`` copied out of git), all in the same process: wall and CPU
seconds (``time.process_time``, every thread of the process) after
compilation, and the compile time (tracing, lowering and XLA compilation, as
JAX's own monitoring events report them).

``--gpu`` times 1M and 100M default worlds (blocks of 2**20) on the first GPU
that ``jax.devices()`` lists, after compilation, and checks the outcome
probabilities of the first 100,000 worlds against the numpy engine on the
CPU within 1e-9 relative. Without a GPU it prints one line and exits 0; with
``--dry-run`` it runs the same code on the CPU device with small sizes.

The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import time
from typing import Any

import waystation as ws
from waystation import jax_backend

#: Default-scenario sizes of the GPU mode: (block, timed runs, checked subset).
GPU_SIZES = (2**20, (1_000_000, 100_000_000), 100_000)
DRY_SIZES = (2**12, (5_000, 3 * 2**12), 3_000)


_COMPILE: list[float] = []


def _compile_seconds() -> float:
    """Seconds JAX has spent tracing, lowering and compiling in this process so far."""
    if not _COMPILE:
        jax = jax_backend._jax()
        _COMPILE.append(0.0)

        def listen(event: str, seconds: float, **_: Any) -> None:
            if event.startswith("/jax/core/compile/"):
                _COMPILE[0] += seconds

        jax.monitoring.register_event_duration_secs_listener(listen)
    return _COMPILE[0]


def _time(model: ws.Model, worlds: int, backend: str, block: int) -> tuple[float, float]:
    """Wall and CPU seconds of one run (tallies only)."""
    t, c = time.perf_counter(), time.process_time()
    ws.run_model(model, worlds, seed=0, keep_worlds=False, backend=backend, block_size=block)
    return time.perf_counter() - t, time.process_time() - c


def _runner(path: str) -> Any:
    """The ``run_steps`` of a JAX runner module loaded from ``path``."""
    spec = importlib.util.spec_from_file_location("bench_jax_other_runner", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.run_steps


def cpu(worlds: int, old: str | None) -> dict[str, float]:
    """numpy, new JAX and (optionally) old JAX on one block of ``worlds``, same process."""
    model = ws.compile_scenario("default")
    out: dict[str, float] = {}
    runners = {"jax": jax_backend.run_steps}
    if old:
        runners = {"jax_old": _runner(old), **runners}
    new = jax_backend.run_steps
    try:
        for name, run_steps in runners.items():
            jax_backend.run_steps = run_steps  # simulate_block calls jax_backend.run_steps
            compiled = _compile_seconds()
            _time(model, worlds, "jax", worlds)  # compiles
            out[f"{name}_compile_s"] = _compile_seconds() - compiled
            out[f"{name}_wall_s"], out[f"{name}_cpu_s"] = _time(model, worlds, "jax", worlds)
    finally:
        jax_backend.run_steps = new
    _time(model, 1024, "numpy", 1024)
    out["numpy_wall_s"], out["numpy_cpu_s"] = _time(model, worlds, "numpy", worlds)
    for name in ("numpy", *runners):
        wall, cpu_s = out[f"{name}_wall_s"], out[f"{name}_cpu_s"]
        ratio = cpu_s / out["numpy_cpu_s"]
        compile_s = out.get(f"{name}_compile_s", 0.0)
        print(f"{name:8s} {worlds:,} worlds: {wall:7.2f} s wall {cpu_s:7.2f} CPU-s "
              f"({ratio:.2f}x numpy's CPU-s), compile {compile_s:.1f} s", flush=True)  # fmt: skip
    return out


def gpu(dry_run: bool) -> dict[str, Any] | None:
    """The GPU figures, or None (one line printed) where no GPU is lent."""
    jax = jax_backend._jax()
    gpus = [d for d in jax.devices() if d.platform in ("gpu", "cuda", "rocm")]
    if not gpus and not dry_run:
        print(f"--gpu: no GPU in jax.devices() ({jax.devices()}); nothing timed")
        return None
    device = gpus[0] if gpus else jax.devices("cpu")[0]
    block, sizes, subset = DRY_SIZES if dry_run else GPU_SIZES
    model = ws.compile_scenario("default")
    out: dict[str, Any] = {"device": str(device), "block": block}
    with jax.default_device(device):
        for n in sizes:
            compiled = _compile_seconds()
            _time(model, min(n, block), "jax", block)  # compiles this block shape, if new
            out[f"jax_{n}_compile_s"] = _compile_seconds() - compiled
            wall, cpu_s = _time(model, n, "jax", block)
            out |= {f"jax_{n}_wall_s": wall, f"jax_{n}_cpu_s": cpu_s}
            print(f"jax on {device}: {n:,} worlds {wall:.3f} s ({n / wall:,.0f} worlds/s), "
                  f"host CPU {cpu_s:.2f} s", flush=True)  # fmt: skip
        got = ws.run_model(model, subset, seed=0, backend="jax", block_size=block)
    want = ws.run_model(model, subset, seed=0, block_size=8192, workers=os.cpu_count() or 1)
    worst = max(abs(got.probabilities[k] / v - 1.0) for k, v in want.probabilities.items() if v)
    out["subset_worst_relative_difference"] = worst
    print(f"{subset:,} worlds against numpy on the CPU: worst relative difference {worst:.2e}")
    if worst > 1e-9:
        raise SystemExit(f"JAX on {device} disagrees with numpy: {worst:.2e} > 1e-9")
    return out


def main() -> None:
    """Parse the flags, run the comparison and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worlds", type=int, default=32_768)
    parser.add_argument("--old", help="another jax runner module to time against (CPU mode)")
    parser.add_argument("--gpu", action="store_true", help="time 1M and 100M worlds on a GPU")
    parser.add_argument("--dry-run", action="store_true", help="--gpu on the CPU, small sizes")
    args = parser.parse_args()
    out = gpu(args.dry_run) if args.gpu else cpu(args.worlds, args.old)
    if out is not None:
        print(json.dumps(out))


if __name__ == "__main__":
    main()
