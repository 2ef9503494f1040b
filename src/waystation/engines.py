"""Where blocks run: this process, a local process or thread pool, or a Dask cluster.

The engine never changes the numbers: every world's random numbers are a
function of the seed and its index (see :mod:`waystation.rng`), so a run on a Dask cluster is
bit-identical to a local run with the same seed. Dask is imported only when
the ``dask`` engine is used (``pip install 'waystation[dask]'``).

``threads`` runs blocks on a thread pool in this process: numpy releases the
GIL inside its array operations, so two threads use two cores (about 1.6x on
this project's 2-core machine) without the second or two a process pool
spends starting and importing. It suits interactive runs; ``local`` with
several workers scales better on long runs.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from concurrent.futures import Executor, InvalidStateError, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from typing import Any, Literal

from waystation._pool import sigint_held
from waystation.settings import ENGINES, RunSettings

__all__ = [
    "ENGINES",
    "MISSING_DASK",
    "Engine",
    "cluster_threads",
    "dask_client",
    "executor_for",
    "opened",
]

Engine = Literal["local", "threads", "dask"]

MISSING_DASK = (
    "the dask engine needs dask.distributed: pip install 'waystation[dask]' "
    "(or run with --engine local)"
)


def _distributed() -> Any:
    """The ``dask.distributed`` module, or a clear error when the extra is missing."""
    try:
        import dask.distributed as distributed
    except ImportError as err:  # pragma: no cover - exercised only without the extra
        raise RuntimeError(MISSING_DASK) from err
    return distributed


@contextmanager
def dask_client(address: str | None = None, workers: int = 1) -> Iterator[Any]:
    """A ``dask.distributed.Client``: connected to ``address``, or to a new local cluster.

    The local cluster has ``workers`` single-threaded worker processes, no
    dashboard, and logs only errors (Ctrl-C cancels running tasks, which
    Dask would otherwise report as warnings). The client (and a cluster it
    started, worker processes included) is closed on exit, also on Ctrl-C; a
    Ctrl-C while the cluster starts takes effect once it is up, so that it can
    be closed cleanly.
    """
    distributed = _distributed()
    with ExitStack() as stack:
        quiet = _CancelRace()
        tornado_log = logging.getLogger("tornado.application")
        tornado_log.addFilter(quiet)
        stack.callback(tornado_log.removeFilter, quiet)
        with sigint_held():  # Ctrl-C waits until the cluster is up
            client = _connect(stack, distributed, address, workers)
        try:
            yield client
        finally:  # the client and cluster close next (the stack): results no longer wanted
            quiet.closing = True


class _CancelRace(logging.Filter):
    """Drops tornado's reports of blocks the engine no longer waits for.

    On Ctrl-C the engine cancels the blocks not yet collected
    (``simulate._drain``) and closes the client. Dask's executor forwards each
    block's result in a callback (``distributed.cfexecutor._cascade_future``):
    for a block cancelled just as Dask finished it, it sets the result of a
    future already cancelled (``InvalidStateError``), and for one still
    running when the client closes, the gather fails on the closed connection
    (``CommClosedError``). tornado logs either with a traceback. Both are
    harmless (the blocks are dropped either way), so once the client is being
    closed (:attr:`closing`) records from that callback are dropped, and an
    ``InvalidStateError`` at any time (it can only follow a cancel). Every
    other record passes.
    """

    closing = False

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, InvalidStateError):
            return False
        return not (self.closing and _from_cascade(record.exc_info))


def _from_cascade(exc_info: Any) -> bool:
    """Whether an exception's traceback passes through distributed's ``_cascade_future``."""
    tb = exc_info[2] if exc_info else None
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_name == "_cascade_future" and code.co_filename.endswith("cfexecutor.py"):
            return True
        tb = tb.tb_next
    return False


def _connect(stack: ExitStack, distributed: Any, address: str | None, workers: int) -> Any:
    """A client of ``address`` or of a new local cluster, both closed with ``stack``."""
    if address is not None:
        return stack.enter_context(distributed.Client(address))
    with warnings.catch_warnings():
        # distributed warns when it picks ports or finds little memory: not errors here
        warnings.simplefilter("ignore")
        cluster = stack.enter_context(
            distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True,
                dashboard_address=None, silence_logs=logging.ERROR,
            )
        )  # fmt: skip
    return stack.enter_context(distributed.Client(cluster))


def cluster_threads(client: Any) -> int:
    """Total worker threads of a Dask client's cluster (at least 1)."""
    return max(1, sum(client.nthreads().values()))


@contextmanager
def executor_for(
    engine: str = "local", workers: int = 1, address: str | None = None
) -> Iterator[tuple[Executor | None, int]]:
    """The ``(executor, workers)`` pair to pass to :func:`waystation.api.run_model`.

    (:func:`opened` does this for a
    :class:`~waystation.settings.RunSettings`.)

    ``local`` yields ``(None, workers)``: the engine runs in this process or
    its own process pool; ``threads`` a thread pool of ``workers`` threads.
    ``dask`` yields the executor of a Dask client (see
    :func:`dask_client`) and the cluster's number of worker threads, which
    sets how many blocks are kept in flight.
    """
    if engine in ("local", "threads") and address is not None:
        raise ValueError("--address needs --engine dask")
    if engine == "local":
        yield None, workers
        return
    if engine == "threads":
        with ThreadPoolExecutor(max(1, workers), thread_name_prefix="waystation") as pool:
            yield pool, max(1, workers)
        return
    if engine != "dask":
        raise ValueError(f"unknown engine {engine!r}: expected one of {', '.join(ENGINES)}")
    with dask_client(address, workers) as client:
        yield client.get_executor(), cluster_threads(client)


@contextmanager
def opened(settings: RunSettings) -> Iterator[RunSettings]:
    """``settings`` with its engine started: an executor in place of ``engine``/``address``.

    ``local`` (and a settings object that already has an executor) passes
    through unchanged; ``threads`` and ``dask`` open their pool or client
    for the duration (see :func:`executor_for`) and set
    ``workers`` to the number of blocks it runs at once.
    """
    if settings.executor is not None or settings.engine == "local":
        yield settings
        return
    with executor_for(settings.engine, settings.workers, settings.address) as (pool, n):
        yield replace(settings, executor=pool, workers=n, engine="local", address=None)
