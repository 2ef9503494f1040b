"""Fused elementwise kernels: one expression, compiled by numba when it is installed.

The transcendental-heavy expressions of :mod:`waystation.dynamics` are
written once, as plain functions of scalars-or-arrays that use only
arithmetic, ``np.exp``, ``np.log`` and ``np.minimum``/``np.maximum``. Decorated
with :func:`elementwise`, they become numba ufuncs (one pass over memory, no
temporaries, the same libm ``exp``/``log`` as numpy, no fast-math) when
numba is importable, and stay the plain numpy expression otherwise. Both
paths evaluate the same operations in the same order, so they agree to the
last bit on this platform (a test checks agreement within 1e-12).

Array namespaces: :func:`xp_of` returns the array module of its arguments
(``numpy``, or :class:`JaxNumpy` for JAX arrays and tracers), so the model's
step functions run unchanged under the optional JAX backend. Called with JAX
arrays, a kernel evaluates the very same code object with ``np`` bound to
that namespace (:meth:`_Elementwise.on`): one expression, three runtimes.
Inside kernels, powers are ``exp(b * log(a))`` (libm ``pow`` costs three
``exp``); elsewhere they are written ``xp.power(a, b)`` so that the JAX
namespace can supply the same faster form.

Set the environment variable ``WAYSTATION_NUMBA=0`` to force the numpy path.
Kernels compile lazily, on first call (cached on disk by numba), so importing
the package does no work.
"""

from __future__ import annotations

import importlib
import inspect
import os
import types
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["JaxNumpy", "elementwise", "is_jax", "numba_enabled", "xp_of"]

Kernel = Callable[..., Any]


def is_jax(x: object) -> bool:
    """Whether ``x`` is a JAX array or tracer (checked by type, without importing jax)."""
    return type(x).__module__.startswith(("jax", "jaxlib"))


class JaxNumpy:
    """``jax.numpy``, except that :meth:`power` is ``exp(b * log(a))``.

    XLA's float64 ``pow`` costs about seven ``exp`` on x86 CPUs; the powers
    outside the kernels (hardening and breakthrough rates, once per world and
    step) use this. ``exp(b log a)`` is within a few ulp of ``pow`` (relative
    error about ``|b log a| * 2**-53``), the same form the kernels use.
    """

    __name__ = "waystation.jax_numpy"

    def __init__(self) -> None:
        self._jnp = importlib.import_module("jax.numpy")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._jnp, name)

    def power(self, a: Any, b: Any) -> Any:
        """``a ** b`` for real ``a >= 0`` (nan for negative ``a``, like non-integer powers)."""
        jnp = self._jnp
        a, b = jnp.asarray(a), jnp.asarray(b)
        positive = a > 0
        fast = jnp.exp(b * jnp.log(jnp.where(positive, a, 1.0)))
        zero = jnp.where(b > 0, 0.0, jnp.inf)
        out = jnp.where(positive, fast, jnp.where(a == 0, zero, jnp.nan))
        return jnp.where(b == 0, 1.0, out)


_JAX_NUMPY: list[JaxNumpy] = []


def xp_of(*arrays: object) -> Any:
    """The array namespace of ``arrays``: :class:`JaxNumpy` if any is a JAX array, else numpy."""
    for x in arrays:
        if is_jax(x):
            if not _JAX_NUMPY:
                _JAX_NUMPY.append(JaxNumpy())
            return _JAX_NUMPY[0]
    return np


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
        self._by_namespace: dict[str, Kernel] = {}
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

    def on(self, xp: Any) -> Kernel:
        """The same expression with ``np`` bound to the array namespace ``xp`` (e.g. jax.numpy)."""
        fn = self._by_namespace.get(xp.__name__)
        if fn is None:
            py = self.py
            scope = {**py.__globals__, "np": xp}
            fn = types.FunctionType(py.__code__, scope, py.__name__, None, py.__closure__)
            self._by_namespace[xp.__name__] = fn
        return fn

    def __call__(self, *args: Any) -> Any:
        xp = xp_of(*args)
        if xp is not np:
            return self.on(xp)(*args)
        with np.errstate(divide="ignore"):  # log(0) = -inf is expected (powers of zero)
            return self.compiled()(*args)


def elementwise(fn: Kernel) -> _Elementwise:
    """Mark ``fn`` (float64 arguments, one float64 result) as a fused kernel."""
    return _Elementwise(fn)
