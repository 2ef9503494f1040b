"""Time the numpy and JAX backends side by side, in one process, after warm-up.

Usage: .venv/bin/python benchmarks/bench_jax.py [--big]   (needs the jax extra)

Prints worlds/s of each backend at 32,768 worlds (and 262,144 with --big),
the time of a 20,000-world run after warm-up, and the JIT compile time. The
last line is one JSON object with every figure.
"""

from __future__ import annotations

import json
import sys
import time

import waystation as ws


def _time(model: ws.Model, worlds: int, backend: str) -> float:
    t = time.perf_counter()
    ws.run_model(model, worlds, seed=0, keep_worlds=False, backend=backend)
    return time.perf_counter() - t


def main() -> None:
    """Run the comparison and print the figures."""
    model = ws.compile_scenario("default")
    sizes = [32_768, 262_144] if "--big" in sys.argv else [32_768]
    out: dict[str, float] = {}
    out["jax_first_call_s"] = _time(model, 32_768, "jax")  # includes the compile
    out["jax_32768_s"] = _time(model, 32_768, "jax")
    out["jax_compile_s"] = out["jax_first_call_s"] - out["jax_32768_s"]
    _time(model, 20_000, "jax")  # compile for a 20,480-world block
    out["jax_20000_s"] = min(_time(model, 20_000, "jax") for _ in range(3))
    _time(model, 4096, "numpy")
    out["numpy_20000_s"] = _time(model, 20_000, "numpy")
    for n in sizes:
        for backend in ("numpy", "jax"):
            s = _time(model, n, backend)
            out[f"{backend}_{n}_s"] = s
            print(f"{backend:5s} {n:>8,} worlds: {s:7.2f} s  {n / s:>9,.0f} worlds/s", flush=True)
        print(f"      speed-up {out[f'numpy_{n}_s'] / out[f'jax_{n}_s']:.2f}x", flush=True)
    print(
        f"20,000 worlds after warm-up: jax {out['jax_20000_s']:.3f} s, "
        f"numpy {out['numpy_20000_s']:.3f} s; jax compile {out['jax_compile_s']:.2f} s"
    )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
