"""The fused CPU kernel: one time step of every live world in a single compiled pass.

:func:`waystation.dynamics.step` makes about 330 numpy calls per step, each a
pass over memory. ``step.c`` (next to this file) restates the same
equations -- growth at both Heun stages, restraint, hazard, backdrop,
victory, waystation records and the freeze of finished worlds -- as one loop
over worlds in float64, evaluating every expression with the same
operations in the same order, without fast-math. It agrees with the numpy
step world by world to rounding (the tests ask for 1e-12).

The C source is compiled on first use with the system C compiler (``$CC``,
else ``gcc``) into the user cache directory, keyed by a hash of the source,
the flags and the compiler's version, and called through :mod:`ctypes`; no
Python headers are needed. Where it cannot be built, :func:`fused_step`
returns ``None`` after one line on stderr, and the engine steps with numpy.
Set ``WAYSTATION_FUSED=0`` to skip it.

Two variants (:data:`VARIANTS`): ``simd`` (``step_simd.c``: the same
statements on four worlds at a time, with glibc's vector math library
libmvec for exp/log/expm1/pow; used where the CPU has AVX2 and FMA and it
builds) and ``exact`` (``step.c``: one world at a time with glibc's scalar
functions; bit-identical to numpy wherever numpy's transcendentals are
glibc's). ``WAYSTATION_FUSED_SIMD=0`` selects ``exact``.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import numpy as np

from waystation import dynamics
from waystation.state import Array, Shocks, State

__all__ = [
    "FLAGS",
    "VARIANTS",
    "StepFn",
    "build",
    "fused_step",
    "kernel_problem",
    "kernel_variant",
    "library_path",
]

#: Compiler flags: optimised, position-independent, and no contraction of
#: ``a * b + c`` into fused multiply-adds (numpy rounds the product first).
#: No ``-ffast-math``: reassociation would break agreement with numpy.
FLAGS: tuple[str, ...] = ("-O2", "-fPIC", "-shared", "-ffp-contract=off", "-fno-math-errno")

#: Kernel variants: source file, extra compiler flags, libraries.
VARIANTS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "simd": ("step_simd.c", ("-mavx2", "-mfma"), ("-lmvec", "-lm")),
    "exact": ("step.c", (), ("-lm",)),
}

StepFn = Callable[[State, dynamics.Params, dynamics.Levers, Shocks, float], State]

#: State fields the kernel writes (every field but ``t``, ``done`` and ``g0``).
_OUT = tuple(f for f in State._fields if f not in ("t", "done", "g0"))

_lock = threading.Lock()
_cache: dict[str, object] = {}


def _source(variant: str = "exact") -> bytes:
    return resources.files("waystation._fused").joinpath(VARIANTS[variant][0]).read_bytes()


def _cache_dir() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(root) / "waystation"


def _compiler() -> str | None:
    return shutil.which(os.environ.get("CC", "gcc"))


def _flags(variant: str) -> list[str]:
    return [*FLAGS, *VARIANTS[variant][1]]


def _cpu_has_avx2_fma() -> bool:
    """Whether this CPU runs AVX2 and FMA code (Linux: /proc/cpuinfo; elsewhere: no)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return {"avx2", "fma"} <= flags
    except OSError:
        pass
    return False


def library_path(cache: Path | None = None, variant: str = "exact") -> Path:
    """Where the compiled kernel lives: named by a hash of source, flags, compiler and machine."""
    cc = _compiler()
    if cc is None:
        raise RuntimeError(f"no C compiler ({os.environ.get('CC', 'gcc')}) on PATH")
    version = subprocess.run([cc, "--version"], capture_output=True, text=True, check=False)
    key = hashlib.sha256(
        b"\0".join(
            [
                _source(variant),
                " ".join(_flags(variant) + list(VARIANTS[variant][2])).encode(),
                version.stdout.encode(),
                platform.machine().encode(),
            ]
        )
    ).hexdigest()[:16]
    return (cache or _cache_dir()) / f"waystation-fused-{variant}-{key}.so"


def build(cache: Path | None = None, variant: str = "exact") -> Path:
    """Compile ``step.c`` into the cache (if not there yet) and return the library's path.

    Raises RuntimeError, with the compiler's first line of complaint, if it cannot.
    """
    lib = library_path(cache, variant)
    folder = lib.parent
    cc = _compiler()
    assert cc is not None
    src = _source(variant)
    if lib.exists():
        return lib
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        c_file = Path(tmp) / "step.c"
        c_file.write_bytes(src)
        out = Path(tmp) / lib.name
        run = subprocess.run(
            [cc, *_flags(variant), "-o", str(out), str(c_file), *VARIANTS[variant][2]],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if run.returncode != 0:
            first = (run.stderr.strip().splitlines() or ["(no message)"])[0]
            raise RuntimeError(f"{Path(cc).name} failed: {first}")
        os.replace(out, lib)  # atomic: concurrent builders agree on the result
    return lib


class _Kernel:
    """The loaded library and the slot table of its ``ws_step`` function."""

    def __init__(self, path: Path, variant: str = "exact") -> None:
        self.variant = variant
        self.lib = ctypes.CDLL(str(path))
        names = ctypes.string_at(ctypes.addressof(ctypes.c_char.in_dll(self.lib, "ws_slots")))
        self.slots = tuple(names.decode().rstrip(",").split(","))
        self.max_actors = ctypes.c_int.in_dll(self.lib, "ws_maxa").value
        fn = self.lib.ws_step
        fn.restype = ctypes.c_int
        fn.argtypes = [ctypes.c_void_p, ctypes.c_int64, ctypes.c_int, ctypes.c_double,
                       ctypes.c_double, ctypes.c_void_p, ctypes.c_void_p]  # fmt: skip
        self.fn = fn
        expected = {f"in_{f}" for f in _OUT} | set(_OUT) | set(Shocks._fields)
        missing = expected - set(self.slots)
        if missing:
            raise RuntimeError(f"kernel lacks slots {sorted(missing)}")

    def step(
        self, state: State, p: dynamics.Params, lv: dynamics.Levers, shocks: Shocks,
        dt: float,
    ) -> State:  # fmt: skip
        """Advance every world by ``dt``: the fused twin of :func:`waystation.dynamics.step`.

        Blocks with more actors than the kernel's scratch arrays hold
        (``ws_maxa``, 16) are stepped by numpy.
        """
        n, A = state.C.shape
        if self.max_actors < A:  # the kernel's per-world scratch arrays are this long
            return dynamics.step(state, p, lv, shocks, dt)
        out = {f: np.empty_like(getattr(state, f)) for f in _OUT}
        done = np.empty_like(state.done)
        table = np.zeros(3 * len(self.slots), dtype=np.int64)
        keep: list[Array] = []
        N = len(self.slots)
        for k, name in enumerate(self.slots):
            if name.startswith("lv_"):
                x = getattr(lv, name[3:])
            elif name.startswith("in_"):
                x = getattr(state, name[3:])
            elif name in out:
                x = out[name]
            elif name in Shocks._fields:
                x = getattr(shocks, name)
            else:
                x = getattr(p, name)
            arr = np.asarray(x, dtype=np.float64)
            keep.append(arr)
            table[k] = arr.ctypes.data
            if arr.ndim == 2:
                if arr.shape[0] not in (1, n):
                    raise ValueError(f"fused kernel: {name} has {arr.shape[0]} rows, expected {n}")
                table[N + k] = 0 if arr.shape[0] == 1 else arr.strides[0] // 8
                table[2 * N + k] = 0 if arr.shape[1] == 1 else arr.strides[1] // 8
            elif arr.ndim != 0:
                raise ValueError(f"fused kernel: {name} has shape {arr.shape}")
        done_in = np.ascontiguousarray(state.done[:, 0])
        done_out = np.empty(n, dtype=np.bool_)
        rc = self.fn(table.ctypes.data, n, A, float(state.t), float(dt), done_in.ctypes.data,
                     done_out.ctypes.data)  # fmt: skip
        if rc != 0:
            raise RuntimeError(f"fused kernel failed ({rc})")
        done[:, 0] = done_out
        del keep
        return state._replace(t=state.t + dt, done=done, **out)


def _load() -> _Kernel | str:
    """The kernel, or why it is unavailable."""
    if os.environ.get("WAYSTATION_FUSED", "1") == "0":
        return "disabled by WAYSTATION_FUSED=0"
    simd = os.environ.get("WAYSTATION_FUSED_SIMD", "1") != "0" and _cpu_has_avx2_fma()
    problem = ""
    for variant in ("simd", "exact") if simd else ("exact",):
        try:
            return _Kernel(build(variant=variant), variant)
        except (OSError, RuntimeError, subprocess.SubprocessError) as err:
            problem = str(err)  # the simd variant's problem is superseded by exact's
    return problem


def _kernel() -> _Kernel | str:
    with _lock:
        if "kernel" not in _cache:
            _cache["kernel"] = _load()
            got = _cache["kernel"]
            if isinstance(got, str):
                print(f"waystation: fused kernel unavailable ({got}); stepping with numpy",
                      file=sys.stderr)  # fmt: skip
        got = _cache["kernel"]
        assert isinstance(got, _Kernel | str)
        return got


def fused_step() -> StepFn | None:
    """The fused step function, building it on first use; ``None`` (said once) if unavailable."""
    got = _kernel()
    return None if isinstance(got, str) else got.step


def kernel_variant() -> str | None:
    """The variant in use (``"simd"`` or ``"exact"``), or ``None`` if the kernel is unavailable."""
    got = _kernel()
    return None if isinstance(got, str) else got.variant


def kernel_problem() -> str | None:
    """Why the fused kernel is unavailable, or ``None`` if it is available."""
    got = _kernel()
    return got if isinstance(got, str) else None
