"""The fused CPU kernel: one time step of every live world in a single compiled pass.

:func:`waystation.dynamics.step` makes about 330 numpy calls per step, each a
pass over memory. ``step.c`` (next to this file) restates the same
equations -- growth at both Heun stages, restraint, hazard, backdrop,
victory, waystation records and the freeze of finished worlds -- as one loop
over worlds in float64, evaluating every expression with the same
operations in the same order, without fast-math. It agrees with the numpy
step world by world to rounding (the tests ask for 1e-12).

**One source, three lane widths** (:data:`VARIANTS`), tried in this order where
the CPU runs them and they build: ``simd8`` and ``simd`` (``step.c`` compiled
with ``WS_LANES=8`` for AVX-512 or ``WS_LANES=4`` for AVX2 and FMA: every
statement on vectors of doubles, with glibc's vector math library libmvec for
exp/log/expm1/pow/tan) and ``exact`` (``WS_LANES=1``: one world at a time with
glibc's scalar functions; bit-identical to numpy wherever numpy's
transcendentals are glibc's). ``WAYSTATION_FUSED_SIMD=0`` selects ``exact``,
``WAYSTATION_FUSED_SIMD=4`` the four-lane ``simd``.

**Generated from the registries.** :func:`header` writes, before ``step.c``,
the slot table (:func:`slots`: every field of :class:`Params`,
:class:`Levers`, :class:`~waystation.state.State` and
:class:`~waystation.state.Shocks`), :data:`MAX_ACTORS` and every numeric
constant of the dynamics modules (:func:`constants`), so ``step.c`` lists no
field and restates no number: a new parameter reaches it by name, ``P(name, a)``,
in the line of the equation that reads it.

The source is compiled on first use with the system C compiler (``$CC``,
else ``gcc``) into the user cache directory, keyed by a hash of the source
(header included), the flags and the compiler's version, and called through
:mod:`ctypes`; no Python headers are needed. Where it cannot be built,
:func:`fused_kernel` returns ``None`` after one line on stderr, and the engine
steps with numpy. Set ``WAYSTATION_FUSED=0`` to skip it.

**Never stale.** The per-world agreement tests (``tests/test_fused.py``,
``tests/test_fused_segment.py``) are the guard that ``step.c`` says what
:mod:`waystation.dynamics` says. Between an equation's change and those tests,
:data:`CHECKED_AGAINST` keeps the engine from running C that was not checked:
it pins :func:`equations_hash` (the code of the dynamics functions, parsed:
prose, layout, type annotations, aliases and registry fields do not count)
together with :func:`kernel_hash` (``step.c``'s code and the generated
constants). Where either differs, the engine says so once and steps with
numpy. Both are needed: a hash of the C alone would not see an equation
changed in Python only. ``python -m waystation._fused pin`` is the one re-pin
step: it sets the new pin, runs the agreement tests and keeps it only if they
pass.

The kernel draws a step's shocks itself (Philox4x32-10 in C, the same integer
words and uniforms as :mod:`waystation.rng`). :func:`run_segment` (``ws_run``)
uses that to carry each world through many steps in one call, for strategies
whose levers do not depend on the state
(:func:`waystation.strategies.static_levers`), and :meth:`_Kernel.run_through`
through a whole run, counting the trajectory histograms in C as well;
``ws_step`` steps every world once, with shocks drawn by ``ws_shocks``.
"""

from __future__ import annotations

import ast
import copy
import ctypes
import hashlib
import importlib
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from waystation._finite import check_tallyable
from waystation.dynamics import Levers, Params, StepFn, step
from waystation.rng import PHILOX_M, PHILOX_W, ROUNDS, VARIABLES, Draws, step_shocks
from waystation.state import MILESTONES, WAYSTATIONS, Array, Shocks, State
from waystation.tally import FIX, HISTOGRAMS, NBINS, OFFSETS, fixed

__all__ = [
    "CHECKED_AGAINST",
    "FLAGS",
    "MAX_ACTORS",
    "VARIANTS",
    "StepFn",
    "build",
    "constants",
    "equations_hash",
    "fused_kernel",
    "header",
    "kernel_hash",
    "kernel_problem",
    "kernel_variant",
    "library_path",
    "pin",
    "run_segment",
    "slots",
]

#: Compiler flags: optimised, position-independent, and no contraction of
#: ``a * b + c`` into fused multiply-adds (numpy rounds the product first).
#: No ``-ffast-math``: reassociation would break agreement with numpy.
FLAGS: tuple[str, ...] = ("-O2", "-fPIC", "-shared", "-ffp-contract=off", "-fno-math-errno")

#: Kernel variants: source file (the one ``step.c`` for every lane width), extra compiler
#: flags (its lane width ``WS_LANES``), libraries, CPU flags needed.
VARIANTS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...], frozenset[str]]] = {
    "simd8": ("step.c", ("-mavx2", "-mfma", "-mavx512f", "-mavx512dq", "-DWS_LANES=8"),
              ("-lmvec", "-lm"), frozenset({"avx2", "fma", "avx512f", "avx512dq"})),
    "simd": ("step.c", ("-mavx2", "-mfma", "-DWS_LANES=4"), ("-lmvec", "-lm"),
             frozenset({"avx2", "fma"})),
    "exact": ("step.c", ("-DWS_LANES=1",), ("-lm",), frozenset()),
}  # fmt: skip

#: Most actors a world may have in the kernel (the length of its per-world scratch
#: arrays, ``WS_MAXA``); scenarios allow 20. Blocks with more step with numpy.
MAX_ACTORS = 32

#: State fields the kernel writes (every field but ``t``, ``done`` and ``g0``).
_OUT = tuple(f for f in State._fields if f not in ("t", "done", "g0"))
#: State fields the kernel reads (``in_X`` slots): every field but ``t`` and ``done``.
_IN = tuple(f for f in State._fields if f not in ("t", "done"))

_lock = threading.Lock()
_cache: dict[str, object] = {}

#: The modules of :mod:`waystation.dynamics` whose equations ``step.c`` restates.
RESTATED = ("backdrop", "capability", "common", "hazard", "inputs", "integrate", "labour",
            "restraint", "safety", "waystations")  # fmt: skip
#: :func:`pin` when ``step.c`` was last checked against the equations of the
#: :data:`RESTATED` modules (``tests/test_fused*.py`` passed): their
#: :func:`equations_hash`, then :func:`kernel_hash`. Where either differs, the engine
#: steps with numpy rather than run unchecked C. ``python -m waystation._fused pin``
#: runs the agreement tests and, if they pass, rewrites this line.
CHECKED_AGAINST = "a4a8feb5a2a1d743-37e4bb61440e0660"

#: tally.HISTOGRAMS for ws_run: per series lo, hi, nb / (hi - lo) (as tally.hist_counts
#: computes it), nb and the series' offset.
_HIST_SPEC = np.array(
    [
        (lo, hi, nb / (hi - lo), nb, off)
        for (_, lo, hi, nb), off in zip(HISTOGRAMS, OFFSETS, strict=True)
    ],
    dtype=np.float64,
)

_CONSTANT = re.compile(r"_?[A-Z][A-Z0-9_]*$")


def slots() -> tuple[str, ...]:
    """The kernel's slot names, in order: parameters, levers, state in, shocks, state out.

    Generated from the registries (:class:`Params`, :class:`Levers`,
    :class:`State`, :class:`Shocks`), so the C source never lists them.
    """
    return (*Params._fields, *(f"lv_{f}" for f in Levers._fields),
            *(f"in_{f}" for f in _IN), *Shocks._fields, *_OUT)  # fmt: skip


def constants() -> dict[str, float]:
    """Every numeric module constant of the :data:`RESTATED` modules, by its C name.

    ``SI_HAZARD``, ``CAUTION_EPS``, ...; a leading underscore is dropped
    (``common._EXP_CLIP`` is ``EXP_CLIP`` in C). A name bound to two values is an error.
    """
    out: dict[str, float] = {}
    for m in RESTATED:
        module = importlib.import_module(f"waystation.dynamics.{m}")
        for name, value in vars(module).items():
            if not _CONSTANT.match(name) or isinstance(value, bool):
                continue
            if isinstance(value, int | float | np.floating | np.integer):
                c, v = name.lstrip("_"), float(value)
                if not math.isfinite(v) or out.get(c, v) != v:
                    raise RuntimeError(f"dynamics constant {name} = {v!r} cannot be stated in C")
                out[c] = v
    return out


def _c_float(x: float) -> str:
    return repr(float(x))  # shortest repr: C reads back the same double


def _header_constants() -> str:
    """The generated header's constants: the equations' numbers and the index enums."""
    lines = [f"static const double {k} = {_c_float(v)};" for k, v in constants().items()]
    for prefix, names in (("WAYSTATION", WAYSTATIONS), ("MILESTONE", MILESTONES)):
        items = ", ".join(f"{prefix}_{n.upper()} = {k}" for k, n in enumerate(names))
        lines.append(f"enum {{ {items} }};")
    lines += [
        f"#define WS_K {len(WAYSTATIONS)} /* waystations */",
        f"#define WS_M {len(MILESTONES)} /* frontier milestones */",
        f"#define WS_MAXA {MAX_ACTORS}",
        f"#define PHILOX_M0 {PHILOX_M[0]:#x}u",
        f"#define PHILOX_M1 {PHILOX_M[1]:#x}u",
        f"#define PHILOX_W0 {PHILOX_W[0]:#x}u",
        f"#define PHILOX_W1 {PHILOX_W[1]:#x}u",
        f"#define PHILOX_ROUNDS {ROUNDS}",
        f"enum {{ RNG_VAR_EVAL_Z = {VARIABLES['eval_z'].id}, "
        f"RNG_VAR_EVENTS = {VARIABLES['events'].id} }};",
        f"static const double RNG_PI = {_c_float(math.pi)};",
        f"static const double TALLY_FIX = {_c_float(FIX)};",
    ]
    return "\n".join(lines) + "\n"


def header() -> str:
    """The C header generated from the Python registries, prepended to ``step.c``.

    The slot enum ``SL_<name>`` and the names' string ``ws_slots`` (:func:`slots`),
    ``WS_FOR_STATE`` (the state fields the kernel writes) and :func:`constants`.
    """
    names = slots()
    slot_text = ["".join(line.split()) for line in textwrap.wrap(" ".join(f"{n}," for n in names))]
    state = textwrap.wrap(" ".join(f"X({f})" for f in _OUT), 90)
    return "\n".join([
        "/* Generated by waystation._fused.header() from the Python registries: do not edit. */",
        textwrap.fill(", ".join([*(f"SL_{n}" for n in names), "WS_NSLOTS };"]), 96,
                      initial_indent="enum { ", subsequent_indent="    "),
        "const char ws_slots[] =\n" + "\n".join(f'    "{t}"' for t in slot_text) + ";",
        "#define WS_FOR_STATE(X) \\\n    " + " \\\n    ".join(state),
        f"#define WS_OUT_FIRST SL_{_OUT[0]}",
        _header_constants(),
    ])  # fmt: skip


def _function_dump(node: ast.AST) -> str:
    """A function's code without docstrings or type annotations."""
    node = copy.deepcopy(node)
    for sub in ast.walk(node):
        if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef):
            sub.returns = None
            body = sub.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                sub.body = body[1:] or [ast.Pass()]
        elif isinstance(sub, ast.arg):
            sub.annotation = None
        elif isinstance(sub, ast.AnnAssign):
            sub.annotation = ast.Constant(None)
    return ast.dump(node, annotate_fields=False, include_attributes=False)


def equations_hash(sources: dict[str, str] | None = None) -> str:
    """A hash of the functions of the :data:`RESTATED` modules (or of given sources, by name).

    Only ``def`` statements count, without docstrings, comments, layout or type
    annotations: editing prose, adding a type alias or a registry field does not
    disable the kernel; any change to a name, number or operator in a function does.
    (The modules' numeric constants reach the C through :func:`header`, which
    :func:`kernel_hash` covers.)
    """
    if sources is None:
        folder = resources.files("waystation.dynamics")
        sources = {m: folder.joinpath(f"{m}.py").read_text() for m in RESTATED}
    h = hashlib.sha256()
    for name in sorted(sources):
        tree = ast.parse(sources[name])
        defs = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        h.update(name.encode() + b"\0")
        for d in defs:
            if not any(d in ast.walk(o) for o in defs if o is not d):  # top-level defs only
                h.update(_function_dump(d).encode() + b"\0")
    return h.hexdigest()[:16]


def _c_code(source: str) -> str:
    """C source without comments and layout (string literals are not used in step.c)."""
    source = re.sub(r"/\*.*?\*/", " ", source, flags=re.S)
    source = re.sub(r"//[^\n]*", " ", source)
    return " ".join(source.split())


def kernel_hash(source: str | None = None) -> str:
    """A hash of what the kernel computes: ``step.c``'s code and the generated constants.

    Comments and layout do not count. The slot list is left out: the kernel
    finds its inputs by name, and an equation that reads a renamed field fails to build.
    """
    if source is None:
        source = resources.files("waystation._fused").joinpath("step.c").read_text()
    code = _c_code(source) + "\0" + _c_code(_header_constants())
    return hashlib.sha256(code.encode()).hexdigest()[:16]


def pin() -> str:
    """The code as it is: ``equations_hash()-kernel_hash()`` (see :data:`CHECKED_AGAINST`)."""
    return f"{equations_hash()}-{kernel_hash()}"


def _source(variant: str = "exact") -> bytes:
    """The C compiled for ``variant``: :func:`header`, then ``step.c``."""
    here = resources.files("waystation._fused")
    return _with_header(here.joinpath(VARIANTS[variant][0]).read_bytes())


def _with_header(step_c: bytes) -> bytes:
    """:func:`header`, then the kernel's code ``step_c``."""
    return header().encode() + b"\n" + step_c


def _code(variant: str, step_c: bytes | None) -> bytes:
    """What :func:`build` compiles: :func:`_source`, or another ``step.c`` with the header."""
    return _source(variant) if step_c is None else _with_header(step_c)


def _cache_dir() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(root) / "waystation"


def _compiler() -> str | None:
    return shutil.which(os.environ.get("CC", "gcc"))


def _flags(variant: str) -> list[str]:
    return [*FLAGS, *VARIANTS[variant][1]]


def _cpu_flags() -> frozenset[str]:
    """This CPU's feature flags (Linux: /proc/cpuinfo; elsewhere: none known)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def _cpu_has_avx2_fma() -> bool:
    """Whether this CPU runs AVX2 and FMA code."""
    return VARIANTS["simd"][3] <= _cpu_flags()


def _candidates() -> tuple[str, ...]:
    """The variants to try, best first: those the CPU runs, as ``WAYSTATION_FUSED_SIMD`` allows."""
    ask = os.environ.get("WAYSTATION_FUSED_SIMD", "1")
    names = {"0": ("exact",), "4": ("simd", "exact")}.get(ask, tuple(VARIANTS))
    flags = _cpu_flags()
    return tuple(v for v in names if VARIANTS[v][3] <= flags)


def library_path(
    cache: Path | None = None, variant: str = "exact", step_c: bytes | None = None
) -> Path:
    """Where the compiled kernel lives: named by a hash of source, flags, compiler and machine.

    ``step_c``: another version of ``step.c`` (benchmarks build an earlier kernel).
    """
    cc = _compiler()
    if cc is None:
        raise RuntimeError(f"no C compiler ({os.environ.get('CC', 'gcc')}) on PATH")
    version = subprocess.run([cc, "--version"], capture_output=True, text=True, check=False)
    key = hashlib.sha256(
        b"\0".join(
            [
                _code(variant, step_c),
                " ".join(_flags(variant) + list(VARIANTS[variant][2])).encode(),
                version.stdout.encode(),
                platform.machine().encode(),
            ]
        )
    ).hexdigest()[:16]
    return (cache or _cache_dir()) / f"waystation-fused-{variant}-{key}.so"


def build(cache: Path | None = None, variant: str = "exact", step_c: bytes | None = None) -> Path:
    """Compile ``step.c`` into the cache (if not there yet) and return the library's path.

    Raises RuntimeError, with the compiler's first line of complaint, if it cannot.
    """
    lib = library_path(cache, variant, step_c)
    folder = lib.parent
    cc = _compiler()
    assert cc is not None
    src = _code(variant, step_c)
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


def _slot_source(name: str) -> tuple[str, str]:
    """The group (``lv``, ``in``, ``out``, ``shock``, ``p``) and field a kernel slot reads."""
    if name.startswith("lv_"):
        return "lv", name[3:]
    if name.startswith("in_"):
        return "in", name[3:]
    if name in _OUT:
        return "out", name
    if name in Shocks._fields:
        return "shock", name
    return "p", name


def _same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """Whether two tuples hold the very same objects, field by field."""
    return a is b or (len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True)))


def _slot_row(name: str, x: Any, n: int) -> tuple[Array, tuple[int, int, int, int]]:
    """A slot's array (float64) and its table entries: pointer, row and column strides, columns.

    Stride 0 means one row (column) serves every world (actor).
    """
    arr = np.asarray(x, dtype=np.float64)
    ptr = arr.__array_interface__["data"][0]
    if arr.ndim == 2:
        if arr.shape[0] not in (1, n):
            raise ValueError(f"fused kernel: {name} has {arr.shape[0]} rows, expected {n}")
        # one row for every world (stride 0), unless the block has one world: then the
        # row is that world's own, copied in and out like any world's (ws_run copies
        # out only slots with a row stride; a stride 0 there lost the step's results)
        rs = (1 if n == 1 else 0) if arr.shape[0] == 1 else arr.strides[0] // 8
        cs = 0 if arr.shape[1] == 1 else arr.strides[1] // 8
        return arr, (ptr, rs, cs, arr.shape[1])
    if arr.ndim != 0:
        raise ValueError(f"fused kernel: {name} has shape {arr.shape}")
    return arr, (ptr, 0, 0, 1)


class _Kernel:
    """The loaded library: its slot table and its ``ws_step``, ``ws_run`` and ``ws_shocks``."""

    def __init__(self, path: Path, variant: str = "exact") -> None:
        self.variant = variant
        self.lib = ctypes.CDLL(str(path))
        names = ctypes.string_at(ctypes.addressof(ctypes.c_char.in_dll(self.lib, "ws_slots")))
        self.slots = tuple(names.decode().rstrip(",").split(","))
        self.max_actors = ctypes.c_int.in_dll(self.lib, "ws_maxa").value
        ptr, i64, u32, c_int = ctypes.c_void_p, ctypes.c_int64, ctypes.c_uint32, ctypes.c_int
        self.fn = self._fn("ws_step", [ptr, i64, c_int, ctypes.c_double, ctypes.c_double, ptr, ptr])
        self.run_fn = self._fn("ws_run", [ptr, i64, c_int, i64, c_int, i64, ptr, ptr, u32, u32,
                                          ptr, ptr, ptr, ptr, c_int, i64, ptr, c_int,
                                          ptr])  # fmt: skip
        self.shocks_fn = self._fn("ws_shocks", [ptr, i64, i64, c_int, u32, u32, ptr, ptr, ptr])
        self.words_fn = self._fn("ws_philox_words", [ptr, i64, i64, u32, u32, u32, u32, ptr])
        expected = {f"in_{f}" for f in _OUT} | set(_OUT) | set(Shocks._fields)
        missing = expected - set(self.slots)
        if missing:
            raise RuntimeError(f"kernel lacks slots {sorted(missing)}")
        # Where each slot reads from: a group and a field (see _table).
        self._source = [_slot_source(name) for name in self.slots]
        self._fields = {
            g: [f for gg, f in self._source if gg == g] for g in ("lv", "in", "out", "shock", "p")
        }
        self._memo = threading.local()  # per thread: the last rows of each group of slots

    def _fn(self, name: str, argtypes: list[Any]) -> Any:
        fn = getattr(self.lib, name)
        fn.restype = ctypes.c_int if name != "ws_philox_words" else None
        fn.argtypes = argtypes
        return fn

    def _table(
        self, state: State, out: Mapping[str, Array], p: Params,
        lv: Levers, shocks: Shocks | None,
    ) -> tuple[Array, list[Array]]:  # fmt: skip
        """The slot table (pointers, row strides, column strides) and the arrays it points to.

        Slots ``in_X`` read ``state``, slots ``X`` write ``out`` (the same arrays
        for :meth:`run`); without ``shocks`` their slots point at a zero.
        """
        n = state.C.shape[0]
        N = len(self.slots)
        table = np.zeros(4 * N, dtype=np.int64)  # pointer, strides, columns
        keep: list[Array] = []
        groups: dict[str, Any] = {"lv": lv, "in": state, "out": out, "shock": shocks, "p": p}
        memo = self._memo.__dict__
        for group, obj in groups.items():
            # From one segment of a block to the next the kernel reads and writes the very
            # same arrays: their rows are worked out once (and kept alive by the memo).
            fields = tuple(self._value(group, obj, f) for f in self._fields[group])
            hit = memo.get(group)
            if hit is not None and hit[1] == n and _same(hit[0], fields):
                rows = hit[2]
            else:
                slots = zip(self.slots, self._source, strict=True)
                rows = [
                    (k, *_slot_row(name, self._value(group, obj, field), n))
                    for k, (name, (g, field)) in enumerate(slots)
                    if g == group
                ]
                memo[group] = (fields, n, rows)
            for k, arr, row in rows:
                keep.append(arr)
                table[k], table[N + k], table[2 * N + k], table[3 * N + k] = row
        return table, keep

    @staticmethod
    def _value(group: str, obj: Any, field: str) -> Any:
        """The value a slot of ``group`` reads: a field of ``obj``, or of the shocks."""
        if group == "out":
            return obj[field]
        if group == "shock":
            return 0.0 if obj is None else getattr(obj, field)
        return getattr(obj, field)

    def step(
        self, state: State, p: Params, lv: Levers, shocks: Shocks,
        dt: float,
    ) -> State:  # fmt: skip
        """Advance every world by ``dt``: the fused twin of :func:`waystation.dynamics.step`.

        Blocks with more actors than the kernel's scratch arrays hold
        (``ws_maxa``: :data:`MAX_ACTORS`) are stepped by numpy.
        """
        n, A = state.C.shape
        if self.max_actors < A:  # the kernel's per-world scratch arrays are this long
            return step(state, p, lv, shocks, dt)
        out = {f: np.empty_like(getattr(state, f)) for f in _OUT}
        done = np.empty_like(state.done)
        table, keep = self._table(state, out, p, lv, shocks)
        done_in = np.ascontiguousarray(state.done[:, 0])
        done_out = np.empty(n, dtype=np.bool_)
        rc = self.fn(table.ctypes.data, n, A, float(state.t), float(dt), done_in.ctypes.data,
                     done_out.ctypes.data)  # fmt: skip
        if rc != 0:
            raise RuntimeError(f"fused kernel failed ({rc})")
        done[:, 0] = done_out
        del keep
        return state._replace(t=state.t + dt, done=done, **out)

    def run(
        self, state: State, p: Params, lv: Levers, draws: Draws,
        first_step: int, dts: Array, n_valid: int, overwrite: bool = False,
    ) -> tuple[State, Array]:  # fmt: skip
        """``ws_run``: every world through the steps ``first_step, ...`` (see :func:`run_segment`).

        The kernel works in place: on the state's own float64 arrays if
        ``overwrite``, else on copies.
        """
        got, sums, _ = self.run_through(state, p, lv, draws, first_step, dts, n_valid, None,
                                        overwrite)  # fmt: skip
        return got, sums

    def run_through(
        self, state: State, p: Params, lv: Levers, draws: Draws, first_step: int,
        dts: Array, n_valid: int, record: Array | None, overwrite: bool = False,
    ) -> tuple[State, Array, Array | None]:  # fmt: skip
        """:meth:`run`, and the trajectory histograms of the recorded steps among them.

        ``record[k]`` is the index, among the recorded steps of the call, of
        step ``first_step + k`` (-1 where it is not recorded). The kernel adds
        the counts of :func:`waystation.tally.hist_counts` of the worlds
        ``< n_valid`` after each recorded step -- the running worlds' and the
        finished ones' frozen state -- into an array (recorded steps, A,
        ``NBINS``), so a whole run takes one call: bit for bit the counts the
        engine's yearly loop would add (tests/test_fused_segment.py).
        """
        (k0, k1), world = draws
        n, A = state.C.shape
        dts = np.ascontiguousarray(dts, dtype=np.float64)
        ts = np.empty(len(dts) + 1)
        ts[0] = t = state.t
        for k, dt in enumerate(dts):  # the engine's clock: t + dt, step after step
            ts[k + 1] = t = t + dt
        own: dict[str, Array] = {f: np.asarray(getattr(state, f), np.float64) for f in _OUT}
        if not overwrite:
            own = {f: np.array(x) for f, x in own.items()}
        elif not all(x.flags.writeable for x in own.values()):
            raise ValueError("run_segment(overwrite=True) needs writeable state arrays")
        moved = state._replace(t=state.t, done=state.done, **own)
        table, keep = self._table(moved, own, p, lv, None)
        done = np.ascontiguousarray(state.done[:, 0], dtype=np.uint8)
        world = np.ascontiguousarray(world, dtype=np.uint64)
        sums = np.zeros(len(dts), dtype=np.int64)
        hist: Array | None = None
        hargs: tuple[Any, ...] = (None, 0, 0, None, 0, None)
        if record is not None:
            rec = np.ascontiguousarray(record, dtype=np.int32)
            if rec.shape != dts.shape:
                raise ValueError("record must give one index per step")
            nrec = int(rec.max()) + 1 if len(rec) else 0
            hist = np.zeros((nrec, A, NBINS), dtype=np.int64)
            hargs = (_HIST_SPEC.ctypes.data, len(HISTOGRAMS), NBINS, rec.ctypes.data, nrec,
                     hist.ctypes.data)  # fmt: skip
        rc = self.run_fn(table.ctypes.data, n, A, n_valid, len(dts), first_step, ts.ctypes.data,
                         dts.ctypes.data, k0, k1, world.ctypes.data, done.ctypes.data,
                         sums.ctypes.data, *hargs)  # fmt: skip
        del keep
        if rc == -2:
            check_tallyable(own["survival"][:n_valid])  # raises NonFiniteError
        if rc != 0:
            raise RuntimeError(f"fused kernel failed ({rc})")
        t_end = float(ts[-1]) if len(dts) else state.t
        return moved._replace(t=t_end, done=done.astype(np.bool_)[:, None]), sums, hist

    def shocks(self, key: tuple[int, int], world: Array, step: int, actors: int) -> Shocks:
        """``ws_shocks``: :func:`waystation.rng.step_shocks` drawn by the kernel.

        Blocks with more actors than the kernel holds draw them with numpy (the
        same numbers, within a few units in the last place of the normals).
        """
        if not 1 <= actors <= self.max_actors:
            return step_shocks(key, world, step, actors)
        world = np.ascontiguousarray(world, dtype=np.uint64)
        n = len(world)
        z, warn, verify = np.empty((n, actors)), np.empty((n, 1)), np.empty((n, 1))
        rc = self.shocks_fn(world.ctypes.data, n, step, actors, key[0], key[1], z.ctypes.data,
                            warn.ctypes.data, verify.ctypes.data)  # fmt: skip
        if rc != 0:
            raise RuntimeError(f"fused kernel failed ({rc})")
        return Shocks(z, warn, verify)

    def philox_words(
        self, key: tuple[int, int], world: Array, step: int, var: int, lane: int
    ) -> Array:
        """``ws_philox_words``: the four Philox words of each world's counter, shape (n, 4)."""
        world = np.ascontiguousarray(world, dtype=np.uint64)
        out = np.empty((len(world), 4), dtype=np.uint32)
        self.words_fn(world.ctypes.data, len(world), step, var, lane, key[0], key[1],
                      out.ctypes.data)  # fmt: skip
        return out


def _load() -> _Kernel | str:
    """The kernel, or why it is unavailable."""
    if os.environ.get("WAYSTATION_FUSED", "1") == "0":
        return "disabled by WAYSTATION_FUSED=0"
    want_eq, _, want_c = CHECKED_AGAINST.partition("-")
    if equations_hash() != want_eq:
        return ("the equations in waystation.dynamics changed since step.c was last checked "
                "against them: restate the change in step.c, then run "
                "`python -m waystation._fused pin` (docs/model.md section 12)")  # fmt: skip
    if kernel_hash() != want_c:
        return (
            "step.c or the dynamics constants changed since the kernel was last checked "
            "against numpy: run `python -m waystation._fused pin` (docs/model.md section 12)"
        )
    problem = ""
    for variant in _candidates():
        try:
            return _Kernel(build(variant=variant), variant)
        except (OSError, RuntimeError, subprocess.SubprocessError) as err:
            problem = str(err)  # a SIMD variant's problem is superseded by exact's
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


def fused_kernel() -> _Kernel | None:
    """The loaded kernel (its ``step``, ``shocks`` and ``run``), building it on first use.

    ``None`` where it cannot be built or loaded; the reason is said once on stderr.
    """
    got = _kernel()
    return None if isinstance(got, str) else got


def kernel_variant() -> str | None:
    """The variant in use (a key of :data:`VARIANTS`), or ``None`` if the kernel is unavailable."""
    got = _kernel()
    return None if isinstance(got, str) else got.variant


def kernel_problem() -> str | None:
    """Why the fused kernel is unavailable, or ``None`` if it is available."""
    got = _kernel()
    return got if isinstance(got, str) else None


def run_segment_numpy(
    state: State, p: Params, lv: Levers, key: tuple[int, int],
    world: Array, first_step: int, dts: Array, n_valid: int,
) -> tuple[State, Array]:  # fmt: skip
    """:func:`run_segment` by repeated :func:`waystation.dynamics.step` (the reference)."""
    A = state.C.shape[1]
    sums = np.zeros(len(dts), dtype=np.int64)
    for k, dt in enumerate(dts):
        state = step(state, p, lv, step_shocks(key, world, first_step + k, A), float(dt))
        sums[k] = fixed(state.survival[:n_valid, 0]).sum()
    return state, sums


def run_segment(
    state: State, p: Params, lv: Levers, key: tuple[int, int],
    world: Array, first_step: int, dts: Array, n_valid: int, *, overwrite: bool = False,
    kernel: _Kernel | None = None,
) -> tuple[State, Array]:  # fmt: skip
    """Advance a block through the steps ``first_step, first_step + 1, ...`` of lengths ``dts``.

    ``key`` is the run's Philox key and ``world`` the block's global world
    indices (as for :func:`waystation.rng.step_shocks`); ``lv`` the levers,
    which must hold for the whole segment (see
    :func:`waystation.strategies.static_levers`). Nine parameters: the
    block's arrays and position are passed as the kernel takes them, since
    this is called once per recorded year of every block.
    Returns the state after the last step and, for each step, the exact
    fixed-point sum of survival over the first ``n_valid`` worlds
    (:func:`waystation.tally.fixed`). Finished worlds stay
    frozen, as with :func:`waystation.dynamics.step`. Uses the fused kernel
    (``ws_run``), or numpy where it is unavailable or the block has more
    actors than it holds. ``state`` is not modified, unless ``overwrite``:
    then the kernel may work in its float arrays (saving a copy of the state
    per call; the engine owns them). ``kernel``: a given build (a variant,
    an earlier kernel) instead of the one loaded for the engine.
    """
    got = _kernel() if kernel is None else kernel
    dts = np.asarray(dts, dtype=np.float64)
    if isinstance(got, str) or got.max_actors < state.C.shape[1]:
        return run_segment_numpy(state, p, lv, key, world, first_step, dts, n_valid)
    return got.run(state, p, lv, (key, world), first_step, dts, n_valid, overwrite)
