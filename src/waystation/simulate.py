"""The engine: runs worlds in blocks and streams them into exact running tallies.

Reproducibility (docs/model.md section 12, "Engine"): every random number is a pure function
of the root seed, the world's global index, the step and the variable
(:mod:`waystation.rng`, a counter-based Philox generator), so a world's
numbers never depend on the block size, the number of workers, the engine or
the total number of worlds, and the numpy engine draws only for the worlds it
still steps. Summaries are sums of fixed-point integers and histogram counts,
which add up exactly in any order, so every reported figure is bit-identical
however the run was split.

One engine, three steppers (:func:`block_runner`): a block's inputs and
initial state are made here, its tallies, histograms and per-world rows by
:mod:`waystation.tally`, and in between a backend's :class:`BlockRunner`
steps it to the horizon. ``"fused"`` (default) and ``"numpy"`` share the
loop of :func:`_run_steps` (a recorded year at a time, one compaction of
finished worlds) with the compiled kernel of :mod:`waystation._fused` or
:func:`waystation.dynamics.step`; ``"jax"`` (optional,
:mod:`waystation.jax_backend`) runs the same step functions as one compiled
loop per block on its device, reducing the survival sums and histograms
there with :func:`waystation.tally.fixed` and
:func:`waystation.tally.hist_counts` (generic over the array namespace).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

import numpy as np

from waystation._finite import check_finite
from waystation._pool import process_pool
from waystation.dynamics import Levers, Params, StepFn, initial_state, step
from waystation.model import Model, assemble, draw_inputs, input_bounds
from waystation.rng import MAX_WORLDS, Draws, key_of, normals, step_shocks
from waystation.settings import BACKENDS as BACKENDS  # re-exported: older import sites
from waystation.settings import DEFAULT_BACKEND, RunSettings, check_backend, resolve
from waystation.settings import DEFAULT_BLOCK as DEFAULT_BLOCK
from waystation.settings import Progress as Progress
from waystation.state import Array, Shocks, State, map_arrays
from waystation.strategies import apply_strategy, static_levers
from waystation.tally import (
    FIX,
    NBINS,
    BlockOut,
    block_tally,
    fixed,
    fold,
    hist_counts,
    world_records,
)

#: Compute blocks are whole multiples of this many worlds (an alignment only:
#: random numbers are drawn per world, see :mod:`waystation.rng`).
STREAM_BLOCK = 1024


class BlockRunner(Protocol):
    """A backend's stepper: advances one block from its initial state to the horizon.

    It returns the final state (numpy arrays), writes the fixed-point survival
    sum of the block's first ``n_valid`` worlds after every step into
    ``survival_t`` and adds their trajectory-histogram counts at every
    recorded step into ``hist`` (:mod:`waystation.tally` says what each
    holds). The draws are ``rng.step_shocks`` of each world's global index
    in ``draws``, whatever the backend. Everything before (inputs, initial
    state) and after (tallies, per-world rows) is the engine's, stated once.
    """

    def __call__(
        self, model: Model, draws: Draws, p: Params, base: Levers, s: State, n_valid: int,
        hist: Array, survival_t: Array,
    ) -> State:  # fmt: skip
        """Step the block; fill ``hist`` and ``survival_t``; return the final state."""


@dataclass(frozen=True)
class BlockTask:
    """One :func:`simulate_block` call: what a worker process receives."""

    model: Model
    seed: int
    index: int  #: the block's index in the run
    block: int  #: worlds per block (the last one may hold fewer valid worlds)
    n_valid: int  #: worlds of this block that belong to the run
    given: dict[str, Array] | None = None  #: per-world input values replacing draws
    keep: bool = True  #: return per-world rows
    backend: str = DEFAULT_BACKEND
    first: int = 0  #: global index of the run's first world (a grown run's new part)

    def __call__(self) -> BlockOut:
        """Simulate the block (in whichever process received the task)."""
        return simulate_block(self.model, self.seed, self.index, self.block, self.n_valid,
                              self.given, self.keep, self.backend, self.first)  # fmt: skip


def simulate_block(
    model: Model,
    seed: int,
    index: int,
    block: int,
    n_valid: int,
    given: Mapping[str, Array] | None = None,
    keep: bool = True,
    backend: str = DEFAULT_BACKEND,
    first: int = 0,
) -> BlockOut:
    """Simulate compute block ``index`` of ``block`` worlds; tally its first ``n_valid``.

    The block holds the worlds ``first + index * block`` to
    ``first + (index + 1) * block - 1``; each draws its own random numbers by
    its global index (``first`` is 0 but for the new worlds of a grown run).
    ``given`` (analyses' hook, see :func:`run_blocks`) gives the block's
    per-world values of some uncertain inputs, replacing their draws.
    Per-world rows are returned only if ``keep``. ``backend`` names the
    :class:`BlockRunner` (:func:`block_runner`): ``"fused"`` (the default,
    numpy where the kernel cannot be built), ``"numpy"`` or ``"jax"`` (the
    ``jax`` extra); all draw the same numbers.
    """
    runner = block_runner(backend)
    key = key_of(seed)
    lo = first + index * block
    world = np.arange(lo, lo + block, dtype=np.uint64)
    x = draw_inputs(model, world, key)
    if given:
        x = _fix_inputs(x, given)
    p, base = assemble(model, x)
    A = len(model.actors)
    s = initial_state(p, base, normals(key, world, 0, "noise0", A), model.start)
    T = model.steps
    hist = np.zeros((len(model.record_steps), A, NBINS), dtype=np.int64)
    survival_t = np.zeros(T + 1, dtype=np.int64)
    survival_t[0] = n_valid * int(FIX)
    hist[0] += hist_counts(s, slice(0, n_valid), p)
    s = runner(model, (key, world), p, base, s, n_valid, hist, survival_t)
    check_finite(s, x, model, n_valid, lo)  # before fixed(): NaN would wrap the sums
    tally = block_tally(s, model, n_valid)
    tally["survival_t"] = survival_t
    records = world_records(s, x, p, model, n_valid) if keep else None
    return BlockOut(index, tally, hist, records)


def block_runner(backend: str) -> BlockRunner:
    """The :class:`BlockRunner` of a backend.

    ``numpy`` and ``fused`` share this module's loop (:func:`_run_steps`, one
    compaction of finished worlds), with numpy's step and draws or the
    compiled kernel's (:mod:`waystation._fused`: a year of steps per call
    where the strategy's levers are fixed, one step per call otherwise;
    numpy, said once on stderr, where it cannot be built). ``jax`` runs a
    whole block in one compiled loop on its device
    (:func:`waystation.jax_backend.run_steps`), imported only here.
    """
    check_backend(backend)
    if backend == "jax":
        from waystation import jax_backend  # optional dependency: imported lazily

        return jax_backend.run_steps
    if backend == "fused":
        from waystation._fused import fused_kernel  # builds it on first use

        kernel = fused_kernel()
        if kernel is not None:
            return partial(_run_fused, kernel=kernel)
    return _run_steps


def kernel_holds(kernel: Any, actors: int) -> bool:
    """Whether the loaded fused kernel steps a model of ``actors`` actors.

    Its per-world scratch arrays hold ``kernel.max_actors`` actors
    (``_fused.MAX_ACTORS``, generated into ``WS_MAXA``; scenarios allow
    fewer); the engine asks this once per block and steps a larger model
    with numpy, so no entry point into the C code -- a step, its shocks, a
    year's segment -- is called with a model it would refuse (the same
    numbers; results then report the ``numpy`` backend).
    """
    return 1 <= actors <= int(kernel.max_actors)


def _run_fused(
    model: Model, draws: Draws, p: Params, base: Levers, s: State, n_valid: int,
    hist: Array, survival_t: Array, *, kernel: Any,
) -> State:  # fmt: skip
    """:func:`_run_steps` with the compiled kernel's step, shocks and segments, within its limits.

    A model beyond them (:func:`kernel_holds`) is stepped with numpy: no path
    into the C code is taken that it would refuse.
    """
    if not kernel_holds(kernel, len(model.actors)):
        return _run_steps(model, draws, p, base, s, n_valid, hist, survival_t)
    from waystation._fused import run_segment

    try:
        return _run_steps(model, draws, p, base, s, n_valid, hist, survival_t,
                          stepper=kernel.step, shocks_of=kernel.shocks,
                          segment=run_segment, through=kernel.run_through)  # fmt: skip
    except RuntimeError as err:  # the kernel's error codes: -3 is its memory running out
        if "(-3)" not in str(err):
            raise
        raise MemoryError(f"the fused kernel could not allocate its working memory ({err}): "
                          "use a smaller --block-size or --backend numpy") from None  # fmt: skip


def backend_in_use(backend: str, actors: int | None = None) -> str:
    """What steps the worlds when ``backend`` is asked for, as results report it.

    ``"fused-simd8"``, ``"fused-simd"`` or ``"fused-exact"`` (the kernel's variant), ``"numpy"``
    (also where the fused kernel cannot be built, or, given the model's number of
    ``actors``, where it holds fewer: see :func:`kernel_holds`) or ``"jax"``.
    """
    check_backend(backend)
    if backend == "fused":
        from waystation._fused import fused_kernel, kernel_variant

        variant = kernel_variant()
        if variant and actors is not None and not kernel_holds(fused_kernel(), actors):
            return "numpy"
        return f"fused-{variant}" if variant else "numpy"
    return backend


#: Shocks of one step: :func:`waystation.rng.step_shocks` or the fused kernel's (same numbers).
ShockFn = Callable[[tuple[int, int], Array, int, int], Shocks]
#: Many steps in one call with levers fixed (:func:`waystation._fused.run_segment`).
SegmentFn = Callable[..., tuple[State, Array]]
#: A whole run in one call, histograms counted (:meth:`waystation._fused._Kernel.run_through`).
ThroughFn = Callable[..., tuple[State, Array, Array]]


def _run_steps(
    model: Model,
    draws: Draws,
    p: Params,
    base: Levers,
    s: State,
    n_valid: int,
    hist: Array,
    survival_t: Array,
    stepper: StepFn = step,
    shocks_of: ShockFn | None = None,
    segment: SegmentFn | None = None,
    through: ThroughFn | None = None,
) -> State:
    """Step the block to the horizon, filling survival sums and histograms: the engine loop.

    The loop runs from one recorded step to the next (yearly). Within such a
    segment it calls ``stepper`` once per step, with the levers the
    strategy sets for the current state and each world's shocks
    (``shocks_of``, default :func:`waystation.rng.step_shocks`, drawn by
    global world index); or, given a ``segment``
    runner and a strategy whose levers never depend on the state
    (:func:`waystation.strategies.static_levers`), it hands the whole
    segment to it (the fused kernel carries each world through its steps
    and draws the same shocks itself). At each recorded step it adds the
    histogram counts. Given ``through`` (the fused kernel's
    :meth:`~waystation._fused._Kernel.run_through`) and such a strategy, the
    whole run is one call that also counts the histograms: the same numbers
    without a Python loop between years. Twelve parameters: the block's
    arrays and the four backend hooks are passed as they are, inside this
    hot loop, rather than packed per call.

    Finished worlds are frozen (:func:`waystation.dynamics.freeze`), so once
    enough of them have accumulated they are dropped from the arrays being
    stepped (:class:`_Active`); shocks are drawn only for the worlds still
    being stepped, so they are exactly the numbers those worlds would get
    were every world stepped to the horizon.
    """
    key, world = draws
    A = len(model.actors)
    draw = shocks_of or step_shocks
    act = _Active(p, base, s, n_valid, world)
    record = [int(k) for k in model.record_steps]
    yearly = segment if static_levers(model.strategy) else None
    if yearly is not None:  # it writes in place: one private copy of every state array
        act.state = act.full = map_arrays(lambda x: np.array(x, order="K"), act.state)
    act.drop_padding()
    if yearly is not None and through is not None:
        return _run_through(model, key, act, record, hist, survival_t, through)
    for r in range(1, len(record)):
        first, last = record[r - 1] + 1, record[r]
        if yearly is not None:
            lv = apply_strategy(model.strategy, act.base, act.state, act.p, model.actors)
            dts = np.array([model.step_dt(i) for i in range(first, last + 1)])
            act.state, sums = yearly(act.state, act.p, lv, key, act.world, first, dts,
                                     act.valid_rows(), overwrite=True)  # fmt: skip
            survival_t[first : last + 1] = act.dropped.survival + sums
        else:
            for i in range(first, last + 1):
                lv = apply_strategy(model.strategy, act.base, act.state, act.p, model.actors)
                shocks = draw(key, act.world, i, A)
                act.state = stepper(act.state, act.p, lv, shocks, model.step_dt(i))
                survival_t[i] = act.survival_sum()
                if i < last:
                    act.maybe_compact()
        hist[r] += act.counts()
        act.maybe_compact()
    return act.merged()


def _run_through(
    model: Model, key: tuple[int, int], act: _Active, record: list[int], hist: Array,
    survival_t: Array, through: ThroughFn,
) -> State:  # fmt: skip
    """:func:`_run_steps`' yearly loop as one call of the fused kernel (static levers)."""
    lv = apply_strategy(model.strategy, act.base, act.state, act.p, model.actors)
    last = record[-1]
    dts = np.array([model.step_dt(i) for i in range(1, last + 1)])
    rec = np.full(last, -1, dtype=np.int32)
    rec[np.array(record[1:], dtype=np.int64) - 1] = np.arange(len(record) - 1)
    act.state, sums, counts = through(act.state, act.p, lv, (key, act.world), 1, dts,
                                      act.valid_rows(), rec, overwrite=True)  # fmt: skip
    survival_t[1 : last + 1] = act.dropped.survival + sums
    hist[1:] += act.dropped.counts[None] + counts
    return act.merged()


class Dropped:
    """Exact tallies of a block's dropped worlds: finished, so frozen for the rest of the run.

    The engine loop (:class:`_Active`) adds the worlds it stops stepping here,
    and adds these sums to the survival sums and histograms of the worlds
    still running. (The JAX backend masks finished worlds instead.)
    """

    def __init__(self, actors: int, n_valid: int) -> None:
        self.n_valid = n_valid
        self.survival = 0  #: fixed-point survival sum of the dropped valid worlds
        self.counts = np.zeros((actors, NBINS), dtype=np.int64)  #: their histogram counts

    def add(self, full: State, rows: Array, p: Params) -> None:
        """Drop the worlds ``rows`` of the block state ``full`` (block parameters ``p``)."""
        rows = rows[rows < self.n_valid]
        self.survival += int(fixed(full.survival[rows, 0]).sum())
        self.counts += hist_counts(full, rows, p)


#: Drop finished worlds once at most this share of the stepped worlds is still running.
COMPACT_AT = 0.8
#: ... and only if at least this many worlds would be dropped (gathers cost a little).
COMPACT_MIN = 512


class _Active:
    """The worlds of a block that are still being stepped, and the frozen rest.

    ``state``, ``p`` and ``base`` hold the active rows only; ``rows`` maps them
    to rows of the block (``None`` while every row is active). Dropped worlds
    are finished, and their state is kept in ``full`` exactly as it was.
    """

    def __init__(
        self, p: Params, base: Levers, s: State, n_valid: int, world: Array,
    ) -> None:  # fmt: skip
        self.full_p, self.full_base, self.full, self.n_valid = p, base, s, n_valid
        self.p, self.base, self.state = p, base, s
        self.full_world = self.world = world  #: global world indices of the active rows
        self.rows: Array | None = None
        self.W = s.C.shape[0]
        self.dropped = Dropped(s.C.shape[1], n_valid)

    def _take(self, x: Array) -> Array:
        """Rows ``self.rows`` of a per-world array, column-major; constants as they are."""
        if self.rows is None or np.ndim(x) != 2 or x.shape[0] != self.W:
            return x
        out = np.empty((len(self.rows), x.shape[1]), dtype=x.dtype, order="F")
        for a in range(x.shape[1]):  # one contiguous gather per column
            np.take(x[:, a], self.rows, out=out[:, a])
        return out

    def valid_rows(self) -> int:
        """How many active rows are valid worlds: a prefix, as rows stay in block order."""
        return self.n_valid if self.rows is None else int((self.rows < self.n_valid).sum())

    def survival_sum(self) -> int:
        """Exact fixed-point sum of survival over the block's valid worlds."""
        valid = self.state.survival[: self.valid_rows()]
        return self.dropped.survival + int(fixed(valid).sum())

    def counts(self) -> Array:
        """Histogram counts of the block's valid worlds: running ones now, dropped ones frozen."""
        return self.dropped.counts + hist_counts(self.state, slice(0, self.valid_rows()), self.p)

    def merged(self) -> State:
        """The whole block's state: active rows written over the frozen ones."""
        rows = self.rows
        if rows is None:
            return self.state
        for name in State._fields[1:]:  # ``full`` holds this object's own copies
            getattr(self.full, name)[rows] = getattr(self.state, name)
        self.full = self.full._replace(t=self.state.t)
        return self.full

    def maybe_compact(self) -> None:
        """Drop finished worlds when enough have accumulated."""
        running = ~self.state.done[:, 0]
        n_run = int(running.sum())
        active = running.shape[0]
        if n_run > COMPACT_AT * active or active - n_run < COMPACT_MIN:
            return
        self._keep(running)

    def drop_padding(self) -> None:
        """Stop stepping the block's padding rows (past ``n_valid``): no tally reads them.

        A block is a whole multiple of :data:`STREAM_BLOCK` worlds; a 200-world
        run would otherwise step 1,024. Results do not change: every world's
        numbers depend only on its own row.
        """
        if self.rows is None and self.n_valid < self.W:
            self._keep(np.arange(self.W) < self.n_valid)

    def _keep(self, running: Array) -> None:
        """Step only the active rows where ``running``; the others are frozen as they are."""
        self.full = self.merged()
        if self.rows is None:  # own copies, written in place by later merges
            self.full = map_arrays(lambda x: np.array(x, order="K"), self.full)
        before = np.arange(self.W) if self.rows is None else self.rows
        self.rows = before[running]
        self.dropped.add(self.full, before[~running], self.full_p)
        self.state = map_arrays(self._take, self.full)
        self.p = Params(*map(self._take, self.full_p))
        self.base = Levers(*map(self._take, self.full_base))
        self.world = self.full_world[self.rows]


def _fix_inputs(x: Mapping[str, Array], fixed: Mapping[str, Array]) -> dict[str, Array]:
    """Replace the draws of the first ``len(values)`` worlds by given values, clipped to bounds.

    Every other input and every shock keeps its draws, so the worlds stay
    common random numbers with an ordinary run of the same seed.
    """
    out = dict(x)
    for name, values in fixed.items():
        lo, hi = input_bounds(name)
        column = out[name].copy()
        column[: len(values)] = np.clip(values, lo, hi)
        out[name] = column
    return out


def check_fixed(model: Model, worlds: int, fixed: Mapping[str, Array]) -> dict[str, Array]:
    """Validate per-world input values for :func:`run_blocks`: uncertain inputs, one per world."""
    uncertain = set(model.uncertain())
    out = {}
    for name, values in fixed.items():
        if name not in uncertain:
            raise ValueError(f"fixed_inputs: {name!r} is not an uncertain input of the model")
        arr = np.asarray(values, dtype=np.float64)
        if arr.shape != (worlds,) or not np.isfinite(arr).all():
            raise ValueError(f"fixed_inputs: {name!r} needs {worlds} finite values, "
                             f"got shape {arr.shape}")  # fmt: skip
        out[name] = arr
    return out


def plan_blocks(worlds: int, block_size: int) -> list[tuple[int, int]]:
    """Split ``worlds`` into compute blocks: (index, valid worlds), multiples of STREAM_BLOCK."""
    if worlds < 1:
        raise ValueError(f"worlds must be at least 1, got {worlds}")
    if worlds > MAX_WORLDS // 2:  # world indices, padding included, fill one counter word
        raise ValueError(f"worlds must be at most {MAX_WORLDS // 2}, got {worlds}")
    if block_size < 1:
        raise ValueError(f"block_size must be at least 1, got {block_size}")
    block = -(-block_size // STREAM_BLOCK) * STREAM_BLOCK
    count = -(-worlds // block)
    return [(i, min(block, worlds - i * block)) for i in range(count)]


def run_blocks(
    model: Model,
    worlds: int,
    seed: int,
    settings: RunSettings | None = None,
    *,
    fixed_inputs: Mapping[str, Array] | None = None,
    first: int = 0,
    **changes: Any,
) -> list[BlockOut]:
    """Run every block (in this process, a process pool or a given executor), in block order.

    ``settings`` (:class:`~waystation.settings.RunSettings`) says how: block
    size, workers or executor, backend, whether per-world records are kept,
    progress callback; keyword ``changes`` (e.g. ``backend="jax"``) override
    its fields. Its engine must already be open (:func:`waystation.engines.opened`):
    this function runs locally or on ``settings.executor``.

    ``fixed_inputs`` (used by the sensitivity analysis) maps uncertain input
    names to arrays of ``worlds`` values: world ``i`` takes value ``i`` instead
    of its draw, while every other input and every shock is drawn as usual.
    Without it the run is bit-identical to before the hook existed.

    ``first`` shifts the run to the worlds ``first .. first + worlds - 1``:
    a world's numbers depend only on its global index, so these blocks are
    exactly the new part of a run grown from ``first`` worlds (the run store's
    appends, :mod:`waystation.store`).

    At most a few blocks per worker are in flight. Without ``keep_worlds``,
    finished blocks are folded into one running total as they arrive (exact
    integer sums), so memory stays flat however many worlds are run.
    """
    run = resolve(settings, **changes)
    if run.engine != "local" and run.executor is None:
        raise ValueError(f"engine {run.engine!r} is not open: use waystation.engines.opened")
    backend, keep_worlds, progress = run.backend, run.keep_worlds, run.progress
    executor, workers = run.executor, run.workers
    block = -(-min(run.block_size, worlds) // STREAM_BLOCK) * STREAM_BLOCK  # small runs: no waste
    if first < 0 or first + worlds > MAX_WORLDS // 2:
        raise ValueError(f"worlds {first}..{first + worlds - 1} outside 0..{MAX_WORLDS // 2}")
    plan = plan_blocks(worlds, block)
    fixed = check_fixed(model, worlds, fixed_inputs) if fixed_inputs else {}

    def task(i: int, n: int) -> BlockTask:
        part = {k: v[i * block : i * block + n] for k, v in fixed.items()} or None
        return BlockTask(model, seed, i, block, n, part, keep_worlds, backend, first)

    done = 0
    outs: dict[int, BlockOut] = {}

    def collect(out: BlockOut, n: int) -> None:
        nonlocal done
        if keep_worlds:
            outs[out.index] = out
        else:
            outs[0] = fold(outs[0], out) if outs else BlockOut(0, out.tally, out.hist, None)
        done += n
        if progress is not None:
            progress(done, worlds)

    if executor is None and (workers <= 1 or len(plan) == 1):  # no pool for a single block
        for i, n in plan:
            collect(task(i, n)(), n)
    else:  # an interrupted run stops its own pool's workers before the exception goes on
        with ExitStack() as stack:
            pool = executor or stack.enter_context(process_pool(workers))
            _drain(pool, [task(i, n) for i, n in plan], collect, window=4 * max(1, workers),
                   cancel=executor is not None)  # fmt: skip
    return [outs[i] for i, _ in plan] if keep_worlds else [outs[0]]


def _drain(
    pool: Executor,
    tasks: list[BlockTask],
    collect: Callable[[BlockOut, int], None],
    window: int,
    cancel: bool = True,
) -> None:
    """Submit block tasks keeping at most ``window`` in flight; collect as done.

    If collecting fails or is interrupted, tasks not yet started are cancelled
    when ``cancel`` (a pool of our own is stopped whole instead: see
    :func:`waystation._pool.process_pool`).
    """
    pending: dict[Future[BlockOut], int] = {}
    queue = iter(tasks)

    def submit_next() -> None:
        for t in queue:
            pending[pool.submit(t)] = t.n_valid
            return

    for _ in range(window):
        submit_next()
    try:
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                n = pending.pop(fut)
                collect(fut.result(), n)
                submit_next()
    except BaseException:  # Ctrl-C or a failed block: drop what has not started
        for fut in pending if cancel else ():
            fut.cancel()
        raise
