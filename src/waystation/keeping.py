"""The hook through which a run is kept and served again: the run store's way into the engine.

:func:`waystation.api.run_model` asks :func:`current_keeper` before it
simulates. Without a keeper (the default) nothing changes. With one, set by
:func:`keeping` (the CLI's ``--keep``, :mod:`waystation.store`), the keeper
gets the run's key material and a ``compute(first, worlds)`` callback that
simulates the worlds ``first .. first + worlds - 1`` with their per-world
rows; it returns the run's blocks, from its files, computed, or both (a run
grown from a stored one computes only its new worlds: a world's numbers
depend only on the seed and its index). Runs with per-world fixed inputs
(the sensitivity analysis' design) are never kept.

This module imports nothing heavy: the core stays free of the store's
libraries (pyarrow, DuckDB), which only the keeper itself imports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from waystation.model import Model
    from waystation.tally import BlockOut

__all__ = ["Compute", "Keeper", "Observer", "current_keeper", "current_observer", "keeping",
           "observing"]  # fmt: skip

#: ``compute(first, worlds)``: the blocks (with per-world rows) of worlds ``first ..``.
Compute = Callable[[int, int], "list[BlockOut]"]


class Keeper(Protocol):
    """Serves a run's blocks from storage, or computes and keeps them."""

    def __call__(
        self, model: Model, worlds: int, seed: int, backend: str, compute: Compute, rows: bool
    ) -> list[BlockOut]:
        """The blocks of ``worlds`` worlds of ``model`` at ``seed`` stepped by ``backend``.

        ``backend`` is what steps the worlds (``"fused-simd8"``, ``"numpy"`` ...);
        ``rows``: whether the caller needs the per-world rows back.
        """


#: ``observer(model, worlds, seed, backend, fixed)``: told of every run once it is done
#: (``fixed``: whether some inputs were given per world), e.g. to cite what ran.
Observer = Callable[["Model", int, int, str, bool], None]

_KEEPER: ContextVar[Keeper | None] = ContextVar("waystation_keeper", default=None)
_OBSERVER: ContextVar[Observer | None] = ContextVar("waystation_observer", default=None)


def current_keeper() -> Keeper | None:
    """The keeper in force in this context, or None."""
    return _KEEPER.get()


@contextmanager
def keeping(keeper: Keeper | None) -> Iterator[None]:
    """Keep (and serve) every run of this context with ``keeper``; None turns keeping off."""
    token = _KEEPER.set(keeper)
    try:
        yield
    finally:
        _KEEPER.reset(token)


def current_observer() -> Observer | None:
    """The observer in force in this context, or None."""
    return _OBSERVER.get()


@contextmanager
def observing(observer: Observer | None) -> Iterator[None]:
    """Tell ``observer`` of every run of this context as it finishes."""
    token = _OBSERVER.set(observer)
    try:
        yield
    finally:
        _OBSERVER.reset(token)
