"""Fused elementwise kernels: one expression, compiled by numba when it is installed.

The transcendental-heavy expressions of :mod:`waystation.dynamics` are
written once, as plain functions of scalars-or-arrays that use only
arithmetic, ``np.exp``, ``np.minimum``/``np.maximum`` and ``**``. Decorated
with :func:`elementwise`, they become numba ufuncs (one pass over memory, no
temporaries, the same libm ``exp``/``pow`` as numpy, no fast-math) when
numba is importable, and stay the plain numpy expression otherwise. Both
paths evaluate the same operations in the same order, so they agree to the
last bit on this platform (a test checks agreement within 1e-12).

Set the environment variable ``WAYSTATION_NUMBA=0`` to force the numpy path.
Kernels compile lazily, on first call (cached on disk by numba), so importing
the package does no work.
"""

from __future__ import annotations

import importlib
import inspect
import os
from collections.abc import Callable
from typing import Any

__all__ = ["elementwise", "numba_enabled"]

Kernel = Callable[..., Any]


def numba_enabled() -> bool:
    """Whether fused kernels are compiled with numba (installed and not disabled)."""
    if os.environ.get("WAYSTATION_NUMBA", "1") == "0":
        return False
    try:
        importlib.import_module("numba")
    except ImportError:
        return False
    return True


class _Elementwise:
    """A float64 expression that compiles itself to a numba ufunc on first call."""

    def __init__(self, fn: Kernel) -> None:
        self.py = fn
        self.nargs = len(inspect.signature(fn).parameters)
        self._fast: Kernel | None = None
        self.__doc__ = fn.__doc__
        self.__name__ = fn.__name__

    def compiled(self) -> Kernel:
        """The numba ufunc (compiling it if needed), or the plain expression without numba."""
        if self._fast is None:
            if numba_enabled():
                numba = importlib.import_module("numba")  # typed as Any: numba has no stubs
                sig = f"float64({', '.join(['float64'] * self.nargs)})"
                self._fast = numba.vectorize([sig], cache=True)(self.py)
            else:
                self._fast = self.py
        return self._fast

    def __call__(self, *args: Any) -> Any:
        return self.compiled()(*args)


def elementwise(fn: Kernel) -> _Elementwise:
    """Mark ``fn`` (float64 arguments, one float64 result) as a fused kernel."""
    return _Elementwise(fn)
