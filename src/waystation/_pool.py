"""A local process pool that stops its workers at once when the run is interrupted.

On Ctrl-C, SIGTERM or SIGHUP (the CLI turns each into KeyboardInterrupt) or
any error, the pool's worker processes are terminated and
reaped before the exception goes on, so no worker outlives the command; a
normal exit shuts the pool down as usual. Workers ignore SIGINT: a terminal
sends Ctrl-C to the whole process group, and it is the parent that decides
how to stop them (without a traceback from every worker).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import get_context

__all__ = ["process_pool", "sigint_held", "stop_workers"]

#: Seconds to wait for a terminated worker before killing it.
GRACE = 2.0


#: Signals a worker leaves to its parent: a terminal sends Ctrl-C and hang-up to the whole
#: process group. (SIGTERM keeps its default: it is how the parent stops a worker.)
PARENT_SIGNALS = (signal.SIGINT, signal.SIGHUP)
#: Signals held back while a step must not be cut in half (see :func:`sigint_held`).
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


def _ignore_sigint() -> None:
    """Pool initializer: the parent handles Ctrl-C and hang-up, and stops its workers."""
    for signum in PARENT_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


@contextmanager
def process_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A ``spawn`` process pool of ``workers`` processes, stopped at once if the block fails."""
    pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_ignore_sigint)
    try:
        yield pool
    except BaseException:
        stop_workers(pool)
        raise
    pool.shutdown(cancel_futures=True)


def stop_workers(pool: ProcessPoolExecutor) -> None:
    """Cancel queued tasks, terminate the pool's processes and wait until they are gone."""
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14+
    if terminate is not None:
        terminate()
        return
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for proc in processes:
        if proc.is_alive():
            proc.terminate()
    for proc in processes:
        proc.join(GRACE)
        if proc.is_alive():
            proc.kill()
            proc.join(GRACE)
    pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def sigint_held() -> Iterator[None]:
    """Hold back SIGINT, SIGTERM and SIGHUP in this thread for the block; they arrive right after.

    For steps that must not be cut in half: moving output files into place,
    or starting a cluster, which can only be closed cleanly once it is up.
    Threads started inside the block keep SIGINT blocked, as they should.
    """
    mask = getattr(signal, "pthread_sigmask", None)
    if mask is None:  # pragma: no cover - not POSIX
        yield
        return
    mask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        mask(signal.SIG_UNBLOCK, STOP_SIGNALS)
