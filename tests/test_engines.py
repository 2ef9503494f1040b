"""Engines: bit-identical results however a run is split, fused kernels, the reference model."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from waystation import _kernels, dynamics, simulate
from waystation.api import compile_scenario, run_model
from waystation.dynamics import Levers, Params
from waystation.engines import executor_for
from waystation.model import Model, assemble, draw_inputs
from waystation.results import Results
from waystation.state import Shocks, State
from waystation.strategies import apply_strategy

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from reference import run_reference

WORLDS = 9000  # three stream blocks, the last one partial


@pytest.fixture(scope="module")
def baseline(model: Model) -> Results:
    return run_model(model, WORLDS, 7, block_size=4096)


def assert_identical(a: Results, b: Results) -> None:
    assert a.to_dict() == b.to_dict()
    np.testing.assert_array_equal(a.trajectories.values, b.trajectories.values)
    if a.records is not None and b.records is not None:
        assert a.records.keys() == b.records.keys()
        for k in a.records:
            np.testing.assert_array_equal(a.records[k], b.records[k], err_msg=k)


@pytest.mark.parametrize("block_size", [1, 8192, 32768])
def test_block_size_does_not_change_results(
    model: Model, baseline: Results, block_size: int
) -> None:
    assert_identical(baseline, run_model(model, WORLDS, 7, block_size=block_size))


def test_keep_worlds_false_folds_to_same_summary(model: Model, baseline: Results) -> None:
    res = run_model(model, WORLDS, 7, block_size=4096, keep_worlds=False)
    assert res.records is None
    assert_identical(baseline, res)


def test_process_pool_is_identical(model: Model, baseline: Results) -> None:
    assert_identical(baseline, run_model(model, WORLDS, 7, block_size=4096, workers=2))


@pytest.mark.parametrize("engine", ["dask", "threads"])
def test_other_engines_are_identical(model: Model, baseline: Results, engine: str) -> None:
    """A local Dask cluster and a thread pool give the same bits; progress counts blocks."""
    if engine == "dask":
        pytest.importorskip("dask.distributed")
    seen: list[int] = []
    with executor_for(engine, 2) as (executor, workers):
        assert workers == 2
        res = run_model(model, WORLDS, 7, block_size=4096, workers=workers, executor=executor,
                        progress=lambda done, total: seen.append(done))  # fmt: skip
    assert_identical(baseline, res)
    assert sorted(seen) == seen and seen[-1] == WORLDS and len(seen) == 3


def test_growing_a_run_keeps_earlier_worlds(model: Model) -> None:
    small = run_model(model, 5000, 11, block_size=8192)
    large = run_model(model, 13000, 11, block_size=4096)
    assert small.records is not None and large.records is not None
    for k, v in small.records.items():
        np.testing.assert_array_equal(v, large.records[k][:5000], err_msg=k)


def test_dropping_finished_worlds_changes_nothing(
    model: Model, baseline: Results, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Compaction is exact: the same bits as stepping every world to the horizon.

    The engine loop compacts where it steps a year at a time from Python: the
    numpy backend here (and the fused kernel's per-step path, for strategies
    with conditions); a fused run with static levers is one kernel call.
    """
    shrinks: list[int] = []
    compact = simulate._Active.maybe_compact

    def spy(self: simulate._Active) -> None:
        before = self.state.C.shape[0]
        compact(self)
        if self.state.C.shape[0] < before:
            shrinks.append(self.state.C.shape[0])

    monkeypatch.setattr(simulate._Active, "maybe_compact", spy)
    compacted = run_model(model, WORLDS, 7, block_size=4096, backend="numpy")
    assert len(shrinks) >= 3 and min(shrinks) < 2048  # it did drop most worlds
    monkeypatch.setattr(simulate, "COMPACT_AT", -1.0)  # never compact
    shrinks.clear()
    assert_identical(compacted, run_model(model, WORLDS, 7, block_size=4096, backend="numpy"))
    assert shrinks == []
    # the fused engine's one call gives the same probabilities on the same worlds
    for k, v in baseline.probabilities.items():
        assert abs(v - compacted.probabilities[k]) < 1e-9, k


def test_retiring_failed_worlds_changes_no_probability(
    model: Model, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A world stops once failure is certain (survival < RETIRED) and no probability moves.

    The same worlds stepped to the horizon give the same bits in every
    survival-weighted figure; only the unweighted per-world records of the
    retired worlds (and the sweet-spot mean and trajectory histograms, which
    count them) differ, and only in worlds whose failure was certain.
    """
    W, retired = 4096, dynamics.integrate.RETIRED
    kept = run_model(model, W, 7, backend="numpy")
    fused = run_model(model, W, 7)  # (before the patch below, which the kernel would refuse)
    monkeypatch.setattr(dynamics.integrate, "RETIRED", 0.0)  # never retire
    full = run_model(model, W, 7, backend="numpy")
    a, b = kept.to_dict(), full.to_dict()
    for unweighted in ("mean_sweet_spot_years", "final"):  # counts of worlds, not of probability
        a.pop(unweighted), b.pop(unweighted)
    assert a == b
    assert kept.reached_by is not None and full.reached_by is not None
    for k, v in kept.reached_by.items():
        np.testing.assert_array_equal(v, full.reached_by[k], err_msg=k)
    rk, rf = kept.records, full.records
    assert rk is not None and rf is not None
    moved = np.zeros(W, dtype=bool)
    for k in rk:
        if rk[k].dtype.kind == "f":
            moved |= ~((rk[k] == rf[k]) | (np.isnan(rk[k]) & np.isnan(rf[k])))
    assert 0.02 < moved.mean() < 0.3  # worlds did retire, and only some
    # ... and every one of them had failed for certain, in both runs
    assert (1.0 - rk["p_failure"][moved] < retired).all()
    assert (1.0 - rf["p_failure"][moved] < retired).all()
    assert (rk["p_victory"][moved] == 0.0).all() and (rf["p_victory"][moved] < retired).all()
    assert np.isnan(rk["victory_year"][moved]).all()
    assert (
        np.abs(rk["p_costly_non_failure"] + rk["p_failure"] + rk["p_victory"] - 1) < 1e-15
    ).all()
    # The fused kernel retires the same worlds at the same step.
    assert fused.records is not None and fused.backend.startswith("fused")
    np.testing.assert_array_equal(np.isnan(fused.records["victory_year"]),
                                  np.isnan(rk["victory_year"]))  # fmt: skip
    np.testing.assert_allclose(fused.records["leading-lab.final_capability"],
                               rk["leading-lab.final_capability"], rtol=1e-9)  # fmt: skip


def start(model: Model, W: int, rng: np.random.Generator) -> tuple[Params, Levers, State]:
    """Parameters, base levers and initial state of ``W`` worlds drawn from ``rng``."""
    p, lv = assemble(model, draw_inputs(model, W, int(rng.integers(2**31))))
    z0 = np.asfortranarray(rng.standard_normal((W, len(model.actors))))
    return p, lv, dynamics.initial_state(p, lv, z0, model.start)


def shocks(rng: np.random.Generator, W: int, A: int) -> Shocks:
    """One step's shocks for ``W`` worlds of ``A`` actors, column-major as the engine has them."""
    return Shocks(np.asfortranarray(rng.standard_normal((W, A))), rng.random((W, 1)),
                  rng.random((W, 1)))  # fmt: skip


def test_a_won_world_is_frozen(model: Model) -> None:
    W, A = 64, len(model.actors)
    rng = np.random.default_rng(3)
    p, lv, s = start(model, W, rng)
    done = np.arange(W)[:, None] % 2 == 0
    s = s._replace(done=done)
    shock = Shocks(
        np.asfortranarray(rng.standard_normal((W, A))), rng.random((W, 1)), np.zeros((W, 1))
    )  # fmt: skip  (verify_u = 0: breakthroughs everywhere)
    new = dynamics.step(s, p, lv, shock, model.dt)
    assert new.t == s.t + model.dt
    moved = 0
    for name, old_x, new_x in zip(State._fields[1:], s[1:], new[1:], strict=True):
        np.testing.assert_array_equal(old_x[0::2], new_x[0::2], err_msg=name)
        moved += not np.array_equal(old_x[1::2], new_x[1::2], equal_nan=True)
    assert moved >= 10  # running worlds did move


def test_only_the_listed_fields_move_in_a_won_world(
    model: Model, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without freezing, a done world's step changes no field outside EVOLVING_WHEN_DONE."""
    monkeypatch.setattr(dynamics.integrate, "freeze", lambda old, new: new)
    W, A = 256, len(model.actors)
    rng = np.random.default_rng(4)
    p, lv, s = start(model, W, rng)
    for _ in range(60):  # about half the worlds win on the way
        shock = shocks(rng, W, A)
        new = dynamics.step(s, p, lv, shock, model.dt)
        done = s.done[:, 0]
        for name in State._fields[1:]:
            if name not in dynamics.EVOLVING_WHEN_DONE:
                old_x, new_x = getattr(s, name)[done], getattr(new, name)[done]
                np.testing.assert_array_equal(old_x, new_x, err_msg=name)
        s = new
    assert 0.2 < s.done.mean() < 1.0


@pytest.mark.parametrize("strategy", [None, "automated-alignment-researcher", "mutual-sabotage"])
def test_per_actor_arrays_stay_column_major(strategy: str | None) -> None:
    """Every (W, A) array of the state and levers stays column-major through the steps.

    A row-major operand slips numpy into its slow strided loops (4-10x on
    (W, 3) arrays), so the layout is an invariant of the engine.
    """
    model = compile_scenario("default", strategy)
    W, A = 2048, len(model.actors)
    rng = np.random.default_rng(0)
    p, base, s = start(model, W, rng)
    for _ in range(24):
        lv = apply_strategy(model.strategy, base, s, p, model.actors)
        shock = shocks(rng, W, A)
        s = dynamics.step(s, p, lv, shock, model.dt)
        arrays = {**{f"state.{k}": v for k, v in s._asdict().items() if k != "t"},
                  **{f"lever.{k}": v for k, v in lv._asdict().items()}}  # fmt: skip
        for name, x in arrays.items():
            if np.ndim(x) == 2 and x.shape == (W, A):
                assert x.flags.f_contiguous, name


def test_executor_for_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="unknown engine"), executor_for("spark"):
        pass
    with pytest.raises(ValueError, match="--address needs"), executor_for("local", 1, "tcp://x:1"):
        pass
    with pytest.raises(ValueError, match="--address needs"), executor_for("threads", 2, "tcp://x"):
        pass


KERNELS = [dynamics.sigmoid, dynamics.returns, dynamics.gompertz]


@pytest.mark.parametrize("kernel", KERNELS, ids=lambda k: k.__name__)
def test_numba_kernels_agree_with_numpy(kernel: _kernels._Elementwise) -> None:
    pytest.importorskip("numba")
    if not _kernels.numba_enabled():
        pytest.skip("numba disabled by WAYSTATION_NUMBA=0")
    rng = np.random.default_rng(5)
    args = [rng.uniform(0.05, 0.95, size=(64, 3)) for _ in range(kernel.nargs)]
    args[0] = rng.normal(0.0, 20.0, size=(64, 3))  # reaches the exp clip of sigmoids
    args[0][0, 0] = 0.0
    fast = kernel.compiled()(*args)
    plain = kernel.py(*args)
    assert fast is not kernel.py
    np.testing.assert_allclose(fast, plain, rtol=1e-12, atol=1e-300)


def test_powers_as_exp_log_match_pow() -> None:
    """Kernels compute powers as exp(lam * log x): within a few ulp of pow, exact at 0."""
    rng = np.random.default_rng(8)
    share, labour = rng.uniform(0.0, 1.0, 200), rng.lognormal(0.0, 3.0, 200)
    ref, lam = rng.uniform(0.5, 2.0, 200), rng.uniform(0.0, 2.0, 200)
    got = dynamics.returns(1.0, share * labour, ref, lam, 0.0, 0.0)
    np.testing.assert_allclose(got, np.power(share * labour / ref, lam), rtol=1e-13)
    zero = np.zeros(3)
    lams = np.array([0.0, 1e-6, 0.6])
    np.testing.assert_array_equal(dynamics.returns(2.0, zero, 1.0, lams, 0.0, 0.0), [2.0, 0.0, 0.0])


def test_reference_implementation_agrees_per_world(model: Model) -> None:
    W, A = 20, len(model.actors)
    rng = np.random.default_rng(2024)
    p, lv = assemble(model, draw_inputs(model, W, int(rng.integers(2**31))))
    z0 = rng.standard_normal((W, A))
    shocks = [
        Shocks(np.asfortranarray(rng.standard_normal((W, A))), rng.random((W, 1)),
               rng.random((W, 1)))
        for _ in range(model.steps)
    ]  # fmt: skip
    s = dynamics.initial_state(p, lv, np.asfortranarray(z0), model.start)
    for sh in shocks:
        s = dynamics.step(s, p, lv, sh, model.dt)
    engine = np.column_stack(
        [s.p_victory[:, 0], s.survival[:, 0] - s.p_victory[:, 0], 1.0 - s.survival[:, 0]]
    )
    ref = run_reference(p, lv, z0, shocks, model.start, model.dt, model.steps)
    assert engine[:, 0].max() > 0.0  # some worlds win
    assert (s.done[:, 0] & (s.p_victory[:, 0] == 0.0)).any()  # and some retire (failure certain)
    np.testing.assert_allclose(ref, engine, rtol=1e-9, atol=1e-12)
