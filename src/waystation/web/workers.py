"""Where the explorer's simulations run: short-lived worker processes, in two bounded lanes.

Each simulation runs in its own process, forked from a ``forkserver`` that has
already imported waystation (a start costs milliseconds, not the second an
import would). A process can be killed at any moment, so a request whose
client has gone, or that runs past its time limit, stops at once; and as it
exits, all its memory goes back to the system, so the server returns to its
baseline after load.

Requests are admitted into one of two lanes by their work (worlds × actors ×
steps × runs): small ones into the *quick* lane, the rest into the *heavy*
lane, whose processes run at a lower CPU priority (``nice``) so that small
requests stay fast while heavy ones run. Each lane has a number of slots
(processes at once) and a queue; when both are full, or a queued request has
waited too long, :class:`BusyError` is raised (the API answers 503 with
``Retry-After``).
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import signal
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

__all__ = [
    "BusyError",
    "GoneError",
    "Lane",
    "ServerLimits",
    "TimedOutError",
    "WorkerFailedError",
    "start_forkserver",
]

#: Seconds between checks of the client's connection and of the deadlines.
POLL = 0.1
#: The module the forkserver imports once, so that worker processes start warm.
PRELOAD = "waystation.web.jobs"


def _default_workers() -> int:
    """Heavy-lane slots: every core but one (at least one)."""
    return max(1, (os.cpu_count() or 2) - 1)


@dataclass(frozen=True)
class ServerLimits:
    """How much the explorer runs at once, for how long, and what it refuses up front.

    Work is counted in world-actor-steps: worlds × actors × time steps × runs
    (a comparison runs each strategy, a competence profile each hardness).
    On the 2-core machine this project is measured on, one core steps about
    6 million of them a second, so ``max_work`` is about half a minute.
    """

    workers: int = field(default_factory=_default_workers)  #: heavy-lane processes at once
    queue: int = 4  #: heavy requests waiting for a process
    quick_workers: int = 2  #: quick-lane processes at once
    quick_queue: int = 8  #: quick requests waiting for a process
    quick_work: int = 2_000_000  #: at most this much work goes to the quick lane
    max_work: int = 200_000_000  #: more work than this is refused (422)
    time_limit: float = 60.0  #: seconds a simulation may run before it is killed (503)
    parse_time_limit: float = 10.0  #: seconds to read an uploaded YAML scenario (then 503)
    queue_wait: float = 30.0  #: seconds a request may wait for a process (then 503)
    retry_after: int = 5  #: the ``Retry-After`` of a 503, in seconds
    body_timeout: float = 10.0  #: seconds to receive a request body (then 408)
    heavy_nice: int = 10  #: CPU-priority increment of heavy-lane processes

    def to_json(self) -> dict[str, Any]:
        """The limits the page and API clients may want to know."""
        return {"max_work": self.max_work, "time_limit": self.time_limit}


class BusyError(Exception):
    """Every slot and queue place of a lane is taken, or a queued request waited too long."""


class TimedOutError(Exception):
    """A simulation ran past its time limit and was stopped."""


class GoneError(Exception):
    """The client disconnected; its simulation was stopped."""


class WorkerFailedError(Exception):
    """A worker process died or raised an unexpected error (the message says which)."""


def start_forkserver() -> None:
    """Start the forkserver that worker processes are forked from (idempotent, blocking)."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([PRELOAD])
    from multiprocessing import forkserver

    forkserver.ensure_running()


def _child(conn: Connection, kind: str, payload: Any, nice: int) -> None:
    """Worker process: run one job and send back ``(status, value)``; never raises."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's: it kills workers
    if nice:
        os.nice(nice)
    from waystation.web.jobs import run_job

    try:
        conn.send(run_job(kind, payload))
    finally:
        conn.close()


Disconnected = Callable[[], Awaitable[bool]]


class Lane:
    """A bounded set of worker slots and a FIFO queue in front of them (one event loop)."""

    def __init__(self, name: str, slots: int, queue: int, nice: int = 0) -> None:
        self.name, self.slots, self.queue, self.nice = name, max(1, slots), max(0, queue), nice
        self.running = 0
        self.closing = False
        self._waiters: deque[asyncio.Event] = deque()
        self._procs: set[multiprocessing.process.BaseProcess] = set()

    @property
    def waiting(self) -> int:
        """Requests queued for a slot."""
        return len(self._waiters)

    async def run(
        self, kind: str, payload: Any, time_limit: float, queue_wait: float,
        disconnected: Disconnected,
    ) -> tuple[str, Any]:  # fmt: skip
        """Run job ``kind`` in a worker process once a slot is free; its ``(status, value)``.

        Waits at most ``queue_wait`` seconds for a slot (then :class:`BusyError`) and
        ``time_limit`` seconds for the answer (then :class:`TimedOutError`); raises
        :class:`GoneError` as soon as ``disconnected()`` says the client has left.
        """
        await self._enter(disconnected, time.monotonic() + queue_wait)
        try:
            return await self._in_process(kind, payload, time_limit, disconnected)
        finally:
            self._leave()

    async def _enter(self, disconnected: Disconnected, give_up: float) -> None:
        """Take a slot, waiting in the queue if need be; BusyError when full or waited too long."""
        if self.running < self.slots and not self._waiters:
            self.running += 1
            return
        if len(self._waiters) >= self.queue:
            raise BusyError(f"the {self.name} lane is full")
        ready = asyncio.Event()
        self._waiters.append(ready)
        try:
            late = f"waited too long for the {self.name} lane"
            await _watch(ready, disconnected, give_up, lambda: BusyError(late))
        except BaseException:
            if ready.is_set():  # the slot was handed over as we gave up: pass it on
                self._leave()
            else:
                self._waiters.remove(ready)
            raise

    def _leave(self) -> None:
        """Hand the slot to the first queued request, or free it."""
        if self._waiters:
            self._waiters.popleft().set()
        else:
            self.running -= 1

    async def _in_process(
        self, kind: str, payload: Any, time_limit: float, disconnected: Disconnected
    ) -> tuple[str, Any]:
        """Run the job in a fresh worker process; kill it on timeout or disconnect."""
        ctx = multiprocessing.get_context("forkserver")
        receive, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(send, kind, payload, self.nice), daemon=True)
        self._procs.add(proc)
        try:
            await asyncio.to_thread(proc.start)
            send.close()
            await self._wait_readable(receive, time.monotonic() + time_limit, disconnected)
            try:
                return await asyncio.to_thread(receive.recv)
            except EOFError:
                if self.closing:
                    raise BusyError("the server is shutting down") from None
                raise WorkerFailedError(
                    f"the worker process died (exit code {proc.exitcode})"
                ) from None
        finally:
            _kill(proc)
            if proc.pid is not None:
                await asyncio.to_thread(proc.join, 5)
            self._procs.discard(proc)
            receive.close()
            send.close()

    @staticmethod
    async def _wait_readable(conn: Connection, deadline: float, disconnected: Disconnected) -> None:
        """Wait until ``conn`` has data or EOF (TimedOutError past ``deadline``, GoneError)."""
        loop = asyncio.get_running_loop()
        ready = asyncio.Event()
        loop.add_reader(conn.fileno(), ready.set)
        try:
            await _watch(ready, disconnected, deadline, TimedOutError)
        finally:
            loop.remove_reader(conn.fileno())

    def stop_all(self) -> None:
        """Kill every worker process of this lane: the server is shutting down.

        Requests still waiting for their answer get :class:`BusyError` (503).
        """
        self.closing = True
        for proc in list(self._procs):
            _stop(proc)


async def _watch(
    ready: asyncio.Event, disconnected: Disconnected, deadline: float,
    late: Callable[[], Exception],
) -> None:  # fmt: skip
    """Wait for ``ready``, polling every :data:`POLL` seconds.

    Raises GoneError once the client has left, and ``late()`` once ``deadline``
    (monotonic seconds) has passed.
    """
    while not ready.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ready.wait(), POLL)
        if ready.is_set():
            return
        if await disconnected():
            raise GoneError()
        if time.monotonic() > deadline:
            raise late()


def _kill(proc: multiprocessing.process.BaseProcess) -> None:
    """Kill a worker process if it is still running (does not wait)."""
    if proc.pid is not None and proc.is_alive():
        proc.kill()


def _stop(proc: multiprocessing.process.BaseProcess) -> None:
    """Kill a worker process if it is still running, and reap it."""
    _kill(proc)
    if proc.pid is not None:
        proc.join(5)
