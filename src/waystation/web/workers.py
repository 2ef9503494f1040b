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
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from waystation.web.cache import RunCache

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
PRELOAD = "waystation.web.warm"


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
    cache_bytes: int = 256 * 2**20  #: memory of the cache of runs (0: no cache)
    max_lever_work: int = 1_200_000_000  #: work budget of valuing the levers
    lever_time_limit: float = 300.0  #: seconds valuing the levers may run

    def to_json(self) -> dict[str, Any]:
        """The limits the page and API clients may want to know."""
        from waystation.web.cache import PREVIEW_WORLDS

        return {"max_work": self.max_work, "time_limit": self.time_limit,
                "preview_worlds": PREVIEW_WORLDS}  # fmt: skip


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


def _child(conn: Connection, kind: str, payload: Any, nice: int, cached: bool) -> None:
    """Worker process: run one job and send back ``("done", (status, value), new chunks)``.

    With ``cached``, the job's runs go through a :class:`~.cache.WorkerKeeper`:
    it sends ``("need", family)`` and reads back the family's chunks from the
    server's cache, and the chunks it computed travel back with the answer.
    Never raises.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's: it kills workers
    if nice:
        os.nice(nice)
    from waystation.keeping import keeping
    from waystation.web.cache import WorkerKeeper
    from waystation.web.jobs import run_job

    def ask(family: str) -> Any:
        conn.send(("need", family))
        return conn.recv()

    keeper = WorkerKeeper(ask, hist=kind != "levers") if cached else None
    try:
        with keeping(keeper):
            answer = run_job(kind, payload)
        conn.send(("done", answer, keeper.new if keeper and answer[0] == "ok" else {}))
    finally:
        conn.close()


Disconnected = Callable[[], Awaitable[bool]]


class Lane:
    """A bounded set of worker slots and a FIFO queue in front of them (one event loop)."""

    def __init__(
        self, name: str, slots: int, queue: int, nice: int = 0, cache: RunCache | None = None
    ) -> None:
        self.name, self.slots, self.queue, self.nice = name, max(1, slots), max(0, queue), nice
        self.cache = cache  #: the server's cache of runs, shared by its lanes (None: none)
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
        disconnected: Disconnected, cached: bool = False,
    ) -> tuple[str, Any]:  # fmt: skip
        """Run job ``kind`` in a worker process once a slot is free; its ``(status, value)``.

        Waits at most ``queue_wait`` seconds for a slot (then :class:`BusyError`) and
        ``time_limit`` seconds for the answer (then :class:`TimedOutError`); raises
        :class:`GoneError` as soon as ``disconnected()`` says the client has left (or
        a newer request has replaced this one). ``cached``: the job's runs use and
        fill the lane's :class:`~.cache.RunCache`.
        """
        await self._enter(disconnected, time.monotonic() + queue_wait)
        try:
            use = cached and self.cache is not None
            return await self._in_process(kind, payload, time_limit, disconnected, use)
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
        self, kind: str, payload: Any, time_limit: float, disconnected: Disconnected,
        cached: bool = False,
    ) -> tuple[str, Any]:  # fmt: skip
        """Run the job in a fresh worker process; kill it on timeout or disconnect.

        The worker may ask for cached chunks (``("need", family)``) before it
        answers (``("done", answer, new chunks)``); new chunks go into the cache.
        """
        ctx = multiprocessing.get_context("forkserver")
        receive, send = ctx.Pipe(duplex=True)
        args = (send, kind, payload, self.nice, cached)
        proc = ctx.Process(target=_child, args=args, daemon=True)
        self._procs.add(proc)
        deadline = time.monotonic() + time_limit
        try:
            await asyncio.to_thread(proc.start)
            send.close()
            while True:
                await self._wait_readable(receive, deadline, disconnected)
                try:
                    message = await asyncio.to_thread(receive.recv)
                except (EOFError, OSError):  # gone: closed, or reset with data unread
                    if self.closing:
                        raise BusyError("the server is shutting down") from None
                    raise WorkerFailedError(
                        f"the worker process died (exit code {proc.exitcode})"
                    ) from None
                if message[0] == "need" and self.cache is not None:
                    try:
                        await asyncio.to_thread(receive.send, self.cache.get(message[1]))
                    except OSError:  # the worker died while it was sent its chunks
                        raise WorkerFailedError(
                            f"the worker process died (exit code {proc.exitcode})"
                        ) from None
                    continue
                _, answer, new = message
                if self.cache is not None:
                    for family, chunks in new.items():
                        self.cache.add(family, chunks)
                return answer[0], answer[1]
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
