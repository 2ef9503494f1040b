"""The engine: runs worlds in blocks and streams them into exact running tallies.

Reproducibility (MODEL.md section 2): every random number is a pure function
of the root seed, the world's global index, the step and the variable
(:mod:`waystation.rng`, a counter-based Philox generator), so a world's
numbers never depend on the block size, the number of workers, the engine or
the total number of worlds, and the numpy engine draws only for the worlds it
still steps. Summaries are sums of fixed-point integers and histogram counts,
which add up exactly in any order, so every reported figure is bit-identical
however the run was split.

Backends: ``"numpy"`` (default) steps the block in this module;
``"fused"`` steps it in the same loop with the compiled kernel of
:mod:`waystation._fused` (the same equations in one C pass per step; numpy
where it cannot be built); ``"jax"`` (optional, :mod:`waystation.jax_backend`)
runs the same step functions compiled with ``jax.jit``, a whole block in
one compiled loop drawing the same random numbers on the device; it reduces
the per-step survival sums and the histograms on the device with this
module's :func:`fixed` and :func:`_counts` (generic over the array
namespace), and the final tallies and records are computed from its final
state by the same numpy code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from waystation._finite import check_finite, check_tallyable
from waystation._kernels import xp_of
from waystation._pool import process_pool
from waystation.dynamics import initial_state, safety_range, step
from waystation.model import Model, assemble, draw_inputs, input_bounds
from waystation.rng import MAX_WORLDS, key_of, normals, step_shocks
from waystation.settings import BACKENDS as BACKENDS  # re-exported: older import sites
from waystation.settings import DEFAULT_BLOCK as DEFAULT_BLOCK
from waystation.settings import Progress as Progress
from waystation.settings import RunSettings, check_backend
from waystation.state import MILESTONES, WAYSTATIONS, Array, Shocks, State, map_arrays
from waystation.strategies import apply_strategy

#: Compute blocks are whole multiples of this many worlds (an alignment only:
#: random numbers are drawn per world, see :mod:`waystation.rng`).
STREAM_BLOCK = 1024
#: Fixed-point scale of exact sums: probabilities are summed as integers of 2**-32.
FIX = float(2**32)
#: Trajectory histograms: variable, lower edge, upper edge, number of bins.
HISTOGRAMS: tuple[tuple[str, float, float, int], ...] = (
    ("capability", -4.0, 41.0, 1800),
    ("safety_range", -4.0, 41.0, 1800),
    ("margin", -10.0, 10.0, 800),
    ("pause", 0.0, 1.0, 200),
    ("evaluation", 0.0, 30.0, 600),
    ("backdrop", 0.0, 4.5, 450),
)
#: State fields the histograms read.
HIST_FIELDS = ("C", "S", "O", "E", "B", "pause")
_NBINS = sum(h[3] for h in HISTOGRAMS)
_OFFSETS = np.cumsum([0] + [h[3] for h in HISTOGRAMS])[:-1]

#: A step function: :func:`waystation.dynamics.step` or the fused kernel's.
StepFn = Callable[[State, Mapping[str, Array], Mapping[str, Array], Shocks, float], State]
#: How a block's steps are computed (see :func:`simulate_block`).
Backend = Literal["numpy", "fused", "jax"]
#: Arguments of one :func:`simulate_block` call.
Task = tuple[Model, int, int, int, int, "dict[str, Array] | None", bool, str]


@dataclass(frozen=True)
class BlockOut:
    """What one block returns: exact tallies, trajectory histograms, optional per-world rows."""

    index: int
    tally: dict[str, Array]
    hist: Array
    records: dict[str, Array] | None


def fixed(x: Array) -> Array:
    """Fixed-point integers of ``x`` (in units of 2**-32), whose sums are exact and associative.

    Raises NonFiniteError rather than casting NaN or overflowing values, which
    would wrap. Generic over the array namespace: traced by the JAX backend,
    which cannot raise inside its compiled loop, the guard is left to
    :func:`waystation._finite.check_finite` on the block's final state (a
    non-finite survival stays non-finite, frozen or not).
    """
    xp = xp_of(x)
    if xp is np:
        check_tallyable(x)
    return xp.rint(x * FIX).astype(xp.int64)


def _cover_params(p: Mapping[str, Array], rows: slice | Array) -> dict[str, Array]:
    """The parameters hardening's cover needs, for the worlds ``rows``."""
    return {k: p[k][rows] if np.ndim(p[k]) == 2 else p[k] for k in ("C_si", "si_gap")}


def _counts(s: State, rows: slice | Array, p: Mapping[str, Array]) -> Array:
    """Trajectory-histogram counts (A, bins) of the worlds ``rows`` of state ``s``.

    The safety range reported is the effective one: own plus the hardening
    that still covers the current capability. Stated once for both engines:
    with numpy, ``rows`` selects worlds (a slice, indices or a boolean mask);
    under JAX it is a (W,) boolean mask that weights the counts instead, so
    the compiled loop keeps static shapes. Either way the bin of every value
    is computed by the same expressions, and the counts are int64.
    """
    xp = xp_of(s.C)
    weights: Any = None if xp is np else rows
    if weights is not None:
        rows = slice(None)
    C, S, O, E, B, pause = (getattr(s, f)[rows] for f in HIST_FIELDS)
    S_eff = safety_range(S, O, C, _cover_params(p, rows))
    A = C.shape[1]
    series = (C, S_eff, S_eff - C, pause, E, xp.broadcast_to(B, C.shape))
    idx = xp.stack([
        xp.minimum(((xp.clip(x, lo, hi) - lo) * (nb / (hi - lo))).astype(xp.int64), nb - 1)
        + _OFFSETS[v]  # edges: end bins
        for v, ((_, lo, hi, nb), x) in enumerate(zip(HISTOGRAMS, series, strict=True))
    ])  # fmt: skip
    idx = idx + (np.arange(A) * _NBINS)[None, None, :]
    if weights is None:
        return np.bincount(idx.ravel(), minlength=A * _NBINS).reshape(A, _NBINS)
    w = xp.broadcast_to(weights[None, :, None], idx.shape).astype(xp.int64)
    return xp.bincount(idx.ravel(), w.ravel(), length=A * _NBINS).reshape(A, _NBINS)


def simulate_block(
    model: Model,
    seed: int,
    index: int,
    block: int,
    n_valid: int,
    given: Mapping[str, Array] | None = None,
    keep: bool = True,
    backend: str = "numpy",
) -> BlockOut:
    """Simulate compute block ``index`` of ``block`` worlds; tally its first ``n_valid``.

    The block holds the worlds ``index * block`` to ``(index + 1) * block - 1``
    of the run; each draws its own random numbers by its global index.
    ``given`` (analyses' hook, see :func:`run_blocks`) gives the block's
    per-world values of some uncertain inputs, replacing their draws.
    Per-world rows are returned only if ``keep``. ``backend`` is ``"numpy"``,
    ``"fused"`` or ``"jax"`` (same draws; the JAX backend needs the ``jax`` extra).
    """
    check_backend(backend)
    key = key_of(seed)
    world = np.arange(index * block, (index + 1) * block, dtype=np.uint64)
    x = draw_inputs(model, world, key)
    if given:
        x = _fix_inputs(x, given)
    p, base = assemble(model, x)
    A = len(model.actors)
    s = initial_state(p, base, normals(key, world, 0, "noise0", A), model.start)
    T = model.steps
    hist = np.zeros((len(model.record_steps), A, _NBINS), dtype=np.int64)
    survival_t = np.zeros(T + 1, dtype=np.int64)
    survival_t[0] = n_valid * int(FIX)
    hist[0] += _counts(s, slice(0, n_valid), p)
    if backend == "jax":
        from waystation import jax_backend  # optional dependency: imported lazily

        s = jax_backend.run_steps(model, (key, world), p, base, s, n_valid, hist, survival_t)
    else:
        s = _run_steps(
            model, (key, world), p, base, s, n_valid, hist, survival_t, _stepper(backend)
        )
    check_finite(s, x, model, n_valid, index * block)  # before fixed(): NaN would wrap the sums
    tally = _tally(s, model, n_valid)
    tally["survival_t"] = survival_t
    records = _records(s, x, p, model, n_valid) if keep else None
    return BlockOut(index, tally, hist, records)


#: What a backend draws the shocks from: the run's Philox key and the block's global world indices.
Draws = tuple[tuple[int, int], Array]


def _stepper(backend: str) -> StepFn:
    """The step function of a backend run by :func:`_run_steps`: fused if asked and available."""
    if backend == "fused":
        from waystation._fused import fused_step  # builds the kernel on first use

        return fused_step() or step
    return step


def _run_steps(
    model: Model,
    draws: Draws,
    p: Mapping[str, Array],
    base: Mapping[str, Array],
    s: State,
    n_valid: int,
    hist: Array,
    survival_t: Array,
    stepper: StepFn = step,
) -> State:
    """Step the block to the horizon with numpy, filling survival sums and histograms.

    Finished worlds are frozen (:func:`waystation.dynamics.freeze`), so once
    enough of them have accumulated they are dropped from the arrays being
    stepped (:class:`_Active`). Shocks are drawn only for the worlds still
    being stepped, each by its global index, so they are exactly the numbers
    those worlds would get were every world stepped to the horizon.
    """
    key, world = draws
    A = len(model.actors)
    record = {int(k): r for r, k in enumerate(model.record_steps)}
    act = _Active(p, base, s, n_valid, world)
    for i in range(1, model.steps + 1):
        lv = apply_strategy(model.strategy, act.base, act.state, act.p, model.actors)
        shocks = step_shocks(key, act.world, i, A)
        act.state = stepper(act.state, act.p, lv, shocks, model.step_dt(i))
        survival_t[i] = act.survival_sum()
        if i in record:
            hist[record[i]] += act.counts()
        act.maybe_compact()
    return act.merged()


class Dropped:
    """Exact tallies of a block's dropped worlds: finished, so frozen for the rest of the run.

    Both backends add the worlds they stop stepping here, and add these sums
    to the survival sums and histograms of the worlds still running.
    """

    def __init__(self, actors: int, n_valid: int) -> None:
        self.n_valid = n_valid
        self.survival = 0  #: fixed-point survival sum of the dropped valid worlds
        self.counts = np.zeros((actors, _NBINS), dtype=np.int64)  #: their histogram counts

    def add(self, full: State, rows: Array, p: Mapping[str, Array]) -> None:
        """Drop the worlds ``rows`` of the block state ``full`` (block parameters ``p``)."""
        rows = rows[rows < self.n_valid]
        self.survival += int(fixed(full.survival[rows, 0]).sum())
        self.counts += _counts(full, rows, p)


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
        self, p: Mapping[str, Array], base: Mapping[str, Array], s: State, n_valid: int,
        world: Array,
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

    def survival_sum(self) -> int:
        """Exact fixed-point sum of survival over the block's valid worlds."""
        surv = self.state.survival
        if self.rows is None:
            return int(fixed(surv[: self.n_valid]).sum())
        return self.dropped.survival + int(fixed(surv[self.rows < self.n_valid]).sum())

    def counts(self) -> Array:
        """Histogram counts of the block's valid worlds: running ones now, dropped ones frozen."""
        if self.rows is None:
            return _counts(self.state, slice(0, self.n_valid), self.p)
        return self.dropped.counts + _counts(self.state, self.rows < self.n_valid, self.p)

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
        self.full = self.merged()
        if self.rows is None:  # own copies, written in place by later merges
            self.full = map_arrays(lambda x: np.array(x, order="K"), self.full)
        before = np.arange(self.W) if self.rows is None else self.rows
        self.rows = before[running]
        self.dropped.add(self.full, before[~running], self.full_p)
        self.state = map_arrays(self._take, self.full)
        self.p = {k: self._take(v) for k, v in self.full_p.items()}
        self.base = {k: self._take(v) for k, v in self.full_base.items()}
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


def _outcomes(s: State, n: int) -> tuple[Array, Array, Array]:
    """Per-world P(victory), P(failure), P(costly non-failure) of the first ``n`` worlds."""
    v = s.p_victory[:n, 0]
    f = 1.0 - s.survival[:n, 0]
    c = np.where(s.done[:n, 0], 0.0, s.survival[:n, 0])
    return v, f, c


def _tally(s: State, model: Model, n: int) -> dict[str, Array]:
    """Exact sums over the first ``n`` worlds of everything the summaries need."""
    v, f, c = _outcomes(s, n)
    fv, ff = fixed(v), fixed(f)
    fc = int(FIX) - fv - ff
    restrained = s.pause[:n].mean(axis=1) >= 0.5
    unsafe = (s.C[:n] > s.S[:n] + s.O[:n]).any(axis=1)
    step_of = np.rint(
        (np.nan_to_num(s.victory_year[:n, 0], nan=model.start) - model.start) / model.dt
    ).astype(np.int64)
    t: dict[str, Array] = {
        "n": np.array([n], dtype=np.int64),
        "outcome": np.array([fv.sum(), fc.sum(), ff.sum()]),  # order of results.OUTCOMES
        "outcome_sq": np.array([_sq(v), _sq(c), _sq(f)]),
        "cnf_restrained": np.array([fc[restrained].sum()]),
        "cnf_unsafe": np.array([fc[~restrained & unsafe].sum()]),
        "sweet_years": np.array([fixed(s.sweet_years[:n, 0]).sum()]),
    }
    t["victory_t"] = _weighted_bincount(step_of, fv, model.steps + 1)
    t.update(_waystation_tally(s, model, n, v))
    return t


def _sq(x: Array) -> np.int64:
    """Exact sum of squares in fixed point."""
    return np.int64(fixed(x * x).sum())


def _weighted_bincount(idx: Array, w: Array, size: int) -> Array:
    """Integer-weighted bincount (exact): sums of fixed-point weights per index."""
    out = np.zeros(size, dtype=np.int64)
    np.add.at(out, idx, w)
    return out


def _waystation_tally(s: State, model: Model, n: int, v: Array) -> dict[str, Array]:
    """Sums behind P(reached), P(victory | reached / not reached) and median years."""
    reached = ~np.isnan(s.reached[:n])
    rs = s.reach_survival[:n]
    a1 = v[:, None] * reached
    a0 = v[:, None] * ~reached
    b0 = 1.0 - rs
    out = {
        "ws_a1": fixed(a1).sum(0),
        "ws_a1a1": fixed(a1 * a1).sum(0),
        "ws_b1": fixed(rs).sum(0),
        "ws_b1b1": fixed(rs * rs).sum(0),
        "ws_a1b1": fixed(a1 * rs).sum(0),
        "ws_a0": fixed(a0).sum(0),
        "ws_a0a0": fixed(a0 * a0).sum(0),
        "ws_b0b0": fixed(b0 * b0).sum(0),
        "ws_a0b0": fixed(a0 * b0).sum(0),
    }
    years = np.zeros((len(WAYSTATIONS), model.steps + 1), dtype=np.int64)
    step_idx = np.rint((np.nan_to_num(s.reached[:n], nan=model.start) - model.start) / model.dt)
    frs = fixed(rs)
    for k in range(len(WAYSTATIONS)):
        years[k] = _weighted_bincount(step_idx[:, k].astype(np.int64), frs[:, k], model.steps + 1)
    out["ws_year"] = years
    return out


def _records(
    s: State, x: Mapping[str, Array], p: Mapping[str, Array], model: Model, n: int
) -> dict[str, Array]:
    """Per-world rows: uncertain inputs, outcome probabilities and waystation years."""
    v, f, c = _outcomes(s, n)
    rec = {k: x[k][:n] for k in model.uncertain()}
    rec.update(
        p_victory=v,
        p_costly_non_failure=c,
        p_failure=f,
        victory_year=s.victory_year[:n, 0],
        warning_shots=s.warnings[:n, 0],
        sweet_spot_years=s.sweet_years[:n, 0],
    )
    for k, w in enumerate(WAYSTATIONS):
        rec[f"reached.{w}"] = s.reached[:n, k]
    for k, m in enumerate(MILESTONES):
        rec[f"frontier_year.{m}"] = s.milestones[:n, k]
    rec["initial_growth"] = s.g0[:n, 0]
    S_eff = safety_range(s.S[:n], s.O[:n], s.C[:n], _cover_params(p, slice(0, n)))
    for a, name in enumerate(model.actors):
        rec[f"{name}.final_capability"] = s.C[:n, a]
        rec[f"{name}.final_safety_range"] = S_eff[:, a]
    return rec


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
    **changes: Any,
) -> list[BlockOut]:
    """Run every block (in this process, a process pool or a given executor), in block order.

    ``settings`` (:class:`~waystation.settings.RunSettings`) says how: block
    size, workers or executor, backend, whether per-world records are kept,
    progress callback; keyword ``changes`` (e.g. ``backend="jax"``) override
    its fields. Its engine must already be open (:func:`waystation.settings.opened`):
    this function runs locally or on ``settings.executor``.

    ``fixed_inputs`` (used by the sensitivity analysis) maps uncertain input
    names to arrays of ``worlds`` values: world ``i`` takes value ``i`` instead
    of its draw, while every other input and every shock is drawn as usual.
    Without it the run is bit-identical to before the hook existed.

    At most a few blocks per worker are in flight. Without ``keep_worlds``,
    finished blocks are folded into one running total as they arrive (exact
    integer sums), so memory stays flat however many worlds are run.
    """
    if settings is not None and not isinstance(settings, RunSettings):
        raise TypeError(f"settings: expected RunSettings, got {type(settings).__name__}")
    run = (settings or RunSettings()).override(**changes)
    if run.engine != "local" and run.executor is None:
        raise ValueError(f"engine {run.engine!r} is not open: use waystation.settings.opened")
    backend, keep_worlds, progress = run.backend, run.keep_worlds, run.progress
    executor, workers = run.executor, run.workers
    block = -(-min(run.block_size, worlds) // STREAM_BLOCK) * STREAM_BLOCK  # small runs: no waste
    plan = plan_blocks(worlds, block)
    fixed = check_fixed(model, worlds, fixed_inputs) if fixed_inputs else {}

    def task(i: int, n: int) -> Task:
        part = {k: v[i * block : i * block + n] for k, v in fixed.items()} or None
        return model, seed, i, block, n, part, keep_worlds, backend

    done = 0
    outs: dict[int, BlockOut] = {}

    def collect(out: BlockOut, n: int) -> None:
        nonlocal done
        if keep_worlds:
            outs[out.index] = out
        else:
            outs[0] = _fold(outs[0], out) if outs else BlockOut(0, out.tally, out.hist, None)
        done += n
        if progress is not None:
            progress(done, worlds)

    if executor is None and (workers <= 1 or len(plan) == 1):  # no pool for a single block
        for i, n in plan:
            collect(simulate_block(*task(i, n)), n)
    else:  # an interrupted run stops its own pool's workers before the exception goes on
        with ExitStack() as stack:
            pool = executor or stack.enter_context(process_pool(workers))
            _drain(pool, [task(i, n) for i, n in plan], collect, window=4 * max(1, workers),
                   cancel=executor is not None)  # fmt: skip
    return [outs[i] for i, _ in plan] if keep_worlds else [outs[0]]


def _fold(acc: BlockOut, out: BlockOut) -> BlockOut:
    """Add a block's tallies and histograms into a running total (exact integer sums)."""
    tally = {k: acc.tally[k] + out.tally[k] for k in acc.tally}
    return BlockOut(0, tally, acc.hist + out.hist, None)


def _drain(
    pool: Executor,
    tasks: list[Task],
    collect: Callable[[BlockOut, int], None],
    window: int,
    cancel: bool = True,
) -> None:
    """Submit ``simulate_block`` tasks keeping at most ``window`` in flight; collect as done.

    If collecting fails or is interrupted, tasks not yet started are cancelled
    when ``cancel`` (a pool of our own is stopped whole instead: see
    :func:`waystation._pool.process_pool`).
    """
    pending: dict[Future[BlockOut], int] = {}
    queue = iter(tasks)

    def submit_next() -> None:
        for t in queue:
            pending[pool.submit(simulate_block, *t)] = t[4]
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
