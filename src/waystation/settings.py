"""How a run is executed: one frozen, validated object instead of a dozen loose arguments.

:class:`RunSettings` says *how* worlds are computed -- the backend that
steps them, where blocks run (engine, workers, executor, address), how large
a block is, whether per-world records are kept and whom to tell about
progress. None of it changes a number: the same model, worlds and seed give
bit-identical results under any settings of one backend (docs/model.md
section 12, "Engine"; ``tests/test_reproducibility.py``). What a run computes is the
:class:`~waystation.model.Model`, the number of worlds and the seed.

:func:`waystation.run`, :func:`waystation.run_model`, every analysis of
:mod:`waystation.analyses` and :func:`waystation.simulate.run_blocks` take it;
the CLI builds one from its shared run options. ``run``/``run_model`` (and
``run_blocks``) also accept its fields as keywords, for notebooks: they are
applied in one place, :func:`resolve`. This module imports numpy only, so the
engine can use it without the scenario loader.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "DEFAULT_BLOCK",
    "ENGINES",
    "Progress",
    "RunSettings",
    "check_backend",
    "resolve",
]

#: ``progress(done, total)``: worlds finished so far, out of the run's total.
Progress = Callable[[int, int], None]
#: Default compute block: 2**15 worlds keeps a block's arrays in cache.
DEFAULT_BLOCK = 2**15
#: Backend names: how a block's steps are computed (``waystation run --backend``).
BACKENDS: tuple[str, ...] = ("fused", "numpy", "jax")
#: The backend a run uses unless told otherwise: the compiled kernel, which
#: falls back to numpy (saying so once) where it cannot be built.
DEFAULT_BACKEND = "fused"
#: Engine names: where blocks run (``waystation run --engine``).
ENGINES: tuple[str, ...] = ("local", "threads", "dask")


def check_backend(backend: str) -> None:
    """Raise ValueError for an unknown backend name."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}: choose one of {', '.join(BACKENDS)}")


def _whole(name: str, value: object, minimum: int) -> int:
    """``value`` if it is an integer (not a bool) of at least ``minimum``; else a clear error."""
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise TypeError(f"{name}: expected a whole number, got {value!r} ({type(value).__name__})")
    number = int(value.__index__())
    if number < minimum:
        raise ValueError(f"{name}: expected at least {minimum}, got {number}")
    return number


@dataclass(frozen=True)
class RunSettings:
    """How a run is executed (never what it computes); every field has a working default.

    ``backend``: ``"fused"`` (default), ``"numpy"`` or ``"jax"`` (optional extra). ``engine``: where
    blocks run, ``"local"`` (this process, or a pool of ``workers``
    processes), ``"threads"`` or ``"dask"`` (a local cluster, or the one at
    ``address``); an ``executor`` given directly (e.g. a Dask client's
    ``get_executor()``) is used as it is, and ``workers`` then sets how many
    blocks are kept in flight. ``block_size``: worlds per compute block
    (rounded up to whole random-stream blocks). ``keep_worlds``: keep
    per-world records. ``progress(done, total)`` is called as blocks finish.

    Bad values raise TypeError or ValueError naming the field.
    """

    backend: str = DEFAULT_BACKEND
    engine: str = "local"
    workers: int = 1
    block_size: int = DEFAULT_BLOCK
    keep_worlds: bool = True
    address: str | None = None
    executor: Executor | None = None
    progress: Progress | None = None

    def __post_init__(self) -> None:
        check_backend(self.backend)
        if self.engine not in ENGINES:
            raise ValueError(f"unknown engine {self.engine!r}: choose one of {', '.join(ENGINES)}")
        object.__setattr__(self, "workers", _whole("workers", self.workers, 1))
        object.__setattr__(self, "block_size", _whole("block_size", self.block_size, 1))
        if not isinstance(self.keep_worlds, bool | np.bool_):
            raise TypeError(f"keep_worlds: expected True or False, got {self.keep_worlds!r}")
        object.__setattr__(self, "keep_worlds", bool(self.keep_worlds))
        if self.address is not None and self.engine != "dask":
            raise ValueError("address needs engine 'dask' (--address needs --engine dask)")
        if self.progress is not None and not callable(self.progress):
            raise TypeError(f"progress: expected a callable, got {self.progress!r}")

    def override(self, **changes: Any) -> RunSettings:
        """A copy with some fields changed (validated again); ``None`` leaves a field as is."""
        given = {k: v for k, v in changes.items() if v is not None}
        unknown = set(given) - {f.name for f in fields(self)}
        if unknown:
            raise TypeError(f"unknown run setting(s): {', '.join(sorted(unknown))}")
        return replace(self, **given) if given else self


def resolve(settings: RunSettings | None = None, **changes: Any) -> RunSettings:
    """``settings`` (default ``RunSettings()``) with some fields changed by keyword.

    The one place where the convenience keywords of :func:`waystation.run`,
    :func:`waystation.run_model` and :func:`waystation.simulate.run_blocks`
    become settings (``None`` leaves a field as it is; an unknown name raises
    TypeError, a bad value the field's own error).
    """
    if settings is not None and not isinstance(settings, RunSettings):
        raise TypeError(f"settings: expected RunSettings, got {type(settings).__name__}")
    return (settings or RunSettings()).override(**changes)
