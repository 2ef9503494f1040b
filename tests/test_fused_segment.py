"""Philox in C and the many-steps-per-call kernel (``ws_run``) against the numpy engine.

The kernel's integer Philox words and uniforms must be rng.py's bit for bit;
its normals go through libmvec's (or glibc's) log and tan, so they may differ
from numpy's in the last bits. :func:`waystation._fused.run_segment` must
give world by world what repeated :func:`waystation.dynamics.step` with
:func:`waystation.rng.step_shocks` gives, and exactly what the one-step
kernel gives when it is fed the kernel's own shocks.
"""

from __future__ import annotations

import dataclasses
from functools import partial

import numpy as np
import pytest

import waystation as ws
from waystation import _fused, rng
from waystation import simulate as sim
from waystation._fused import run_segment_numpy
from waystation.api import compile_scenario
from waystation.io import shipped_scenarios
from waystation.model import Model, assemble, draw_inputs
from waystation.rng import key_of, normals, step_shocks
from waystation.state import Array, State
from waystation.strategies import apply_strategy, static_levers

#: World-by-world agreement with numpy over a whole run (relative, or absolute below 1).
#: Model v3's motivation-control growth is the signed returns of honest minus sabotaged
#: labour, two large numbers that nearly cancel in worlds where they balance, and trust
#: amplifies the range's last bits into usable labour: there a whole run turns the
#: SIMD functions' few-ulp differences into up to ~3e-11 (measured: hard-problem, one
#: world of 1,024). The exact variant is bit-identical to numpy (tests/test_fused.py).
TOL = 1e-10


@pytest.fixture(scope="module")
def kernel() -> _fused._Kernel:
    got = _fused._kernel()
    if isinstance(got, str):
        pytest.skip(f"fused kernel unavailable: {got}")
    return got


def _variants() -> list[str]:
    """Every variant this CPU runs (each is built and checked, not only the one in use)."""
    flags = _fused._cpu_flags()
    return [v for v, spec in _fused.VARIANTS.items() if spec[3] <= flags]


@pytest.fixture(scope="module", params=_variants())
def each_kernel(request: pytest.FixtureRequest) -> _fused._Kernel:
    try:
        return _fused._Kernel(_fused.build(variant=request.param), request.param)
    except (OSError, RuntimeError) as err:
        pytest.skip(f"{request.param} unavailable: {err}")


Block = tuple[Model, State, dict[str, Array], dict[str, Array], tuple[int, int], Array]


#: Short horizons keep the tests cheap, yet long enough for some worlds to finish.
HORIZON = {"default": 2034.0, "single-lab": 2045.0, "hard-problem": 2045.0}


def block(scenario: str, n: int = 1024, seed: int = 3, first: int = 0) -> Block:
    """A fresh block of ``n`` worlds (global indices from ``first``) and its static levers."""
    model = dataclasses.replace(compile_scenario(scenario), horizon=HORIZON[scenario])
    key, world = key_of(seed), np.arange(first, first + n, dtype=np.uint64)
    p, base = assemble(model, draw_inputs(model, world, key))
    A = len(model.actors)
    s = sim.initial_state(p, base, normals(key, world, 0, "noise0", A), model.start)
    lv = apply_strategy(model.strategy, base, s, p, model.actors)
    return model, s, p, lv, key, world


def dts_of(model: Model, first: int, last: int) -> Array:
    return np.array([model.step_dt(i) for i in range(first, last + 1)])


def assert_states_agree(a: State, b: State, tol: float) -> None:
    assert a.t == b.t
    np.testing.assert_array_equal(a.done, b.done)
    for name in State._fields[1:]:
        u, v = np.asarray(getattr(a, name), float), np.asarray(getattr(b, name), float)
        assert u.shape == v.shape, name
        assert (np.isnan(u) == np.isnan(v)).all(), name
        if tol == 0:
            np.testing.assert_array_equal(u, v, err_msg=name)
        else:
            u, v = np.nan_to_num(u), np.nan_to_num(v)
            err = np.abs(u - v) / np.maximum(1.0, np.abs(u))
            assert err.max(initial=0.0) <= tol, (name, err.max())


def test_philox_words_are_rng_py_bit_for_bit(kernel: _fused._Kernel) -> None:
    key = key_of(11)
    world = np.concatenate([np.arange(500), [2**31, 2**32 - 1]]).astype(np.uint64)
    for step, var, lane in [(0, 1, 0), (1, 3, 0), (7, 3, 2), (95, 4, 0), (2**20, 2, 7)]:
        got = kernel.philox_words(key, world, step, var, lane)
        want = rng.philox4x32((world, step, var, lane), key)
        for j in range(4):
            np.testing.assert_array_equal(got[:, j], want[j])


@pytest.mark.parametrize("actors", [1, 2, 3, 5, 16])
def test_shocks_match_rng_step_shocks(each_kernel: _fused._Kernel, actors: int) -> None:
    """Uniforms exactly; normals within 8 units in the last place of max(1, |z|)."""
    key = key_of(4)
    world = (np.arange(3001, dtype=np.uint64) * 1_431_655) % 2**32  # spread over the counter
    for step in (1, 2, 96, 591):
        want = step_shocks(key, world, step, actors)
        got = each_kernel.shocks(key, world, step, actors)
        np.testing.assert_array_equal(got.warn_u, want.warn_u)
        np.testing.assert_array_equal(got.verify_u, want.verify_u)
        ulp = np.spacing(np.maximum(1.0, np.abs(want.eval_z)))
        assert (np.abs(got.eval_z - want.eval_z) <= 8 * ulp).all()
        assert np.abs(got.eval_z - want.eval_z).max() > 0 or each_kernel.variant == "exact"


@pytest.mark.parametrize("scenario", list(shipped_scenarios()))
def test_segment_matches_numpy_world_by_world(kernel: _fused._Kernel, scenario: str) -> None:
    model, s, p, lv, key, world = block(scenario)
    assert static_levers(model.strategy)
    last = model.steps
    n_valid = len(world) - 37  # a partial block: the tail is stepped, not summed
    a, sums_a = run_segment_numpy(s, p, lv, key, world, 1, dts_of(model, 1, last), n_valid)
    b, sums_b = _fused.run_segment(s, p, lv, key, world, 1, dts_of(model, 1, last), n_valid)
    assert 0 < b.done.sum() < b.done.size
    assert_states_agree(a, b, TOL)
    # survival sums: each world's rint(survival * 2**32) moves by at most one unit, and
    # only where its survival (within ~1e-14 of numpy's) sits that close to a half unit
    assert np.abs(sums_a - sums_b).max() <= 3
    assert (sums_a != sums_b).mean() <= 0.05


def test_segment_is_the_one_step_kernel_fed_its_own_shocks(each_kernel: _fused._Kernel) -> None:
    """ws_run (world-major, lanes at different steps) == ws_step step after step, bit for bit."""
    model, s, p, lv, key, world = block("default", n=777, first=5000)
    n_valid, last = 700, 48
    b, sums = each_kernel.run(s, p, lv, (key, world), 1, dts_of(model, 1, last), n_valid)
    a = s
    for i in range(1, last + 1):
        a = each_kernel.step(a, p, lv, each_kernel.shocks(key, world, i, 3), model.step_dt(i))
        np.testing.assert_array_equal(sums[i - 1], sim.fixed(a.survival[:n_valid]).sum())
    assert_states_agree(a, b, 0.0)


def test_segments_compose_and_done_worlds_stay_frozen(kernel: _fused._Kernel) -> None:
    """Two segments give the bits of one; worlds done before a segment are not touched."""
    model, s, p, lv, key, world = block("default", n=1500)
    whole, sums = _fused.run_segment(s, p, lv, key, world, 1, dts_of(model, 1, 60), 1400)
    mid, first = _fused.run_segment(s, p, lv, key, world, 1, dts_of(model, 1, 23), 1400)
    end, second = _fused.run_segment(mid, p, lv, key, world, 24, dts_of(model, 24, 60), 1400)
    assert_states_agree(whole, end, 0.0)
    np.testing.assert_array_equal(np.concatenate([first, second]), sums)
    done = mid.done[:, 0]
    assert 0 < done.sum() < done.size
    for name in State._fields[1:]:
        old, new = np.asarray(getattr(mid, name)), np.asarray(getattr(end, name))
        np.testing.assert_array_equal(new[done], old[done], err_msg=name)
    # the caller's state is left as it was, unless it hands it over
    again, _ = _fused.run_segment(mid, p, lv, key, world, 24, dts_of(model, 24, 60), 1400)
    assert_states_agree(again, end, 0.0)
    own = sim.map_arrays(np.array, mid)
    moved, _ = _fused.run_segment(own, p, lv, key, world, 24, dts_of(model, 24, 60), 1400,
                                  overwrite=True)  # fmt: skip
    assert_states_agree(moved, end, 0.0)
    assert moved.C is own.C


def test_empty_segment_and_all_done(kernel: _fused._Kernel) -> None:
    model, s, p, lv, key, world = block("single-lab", n=64)
    same, sums = _fused.run_segment(s, p, lv, key, world, 1, np.empty(0), 64)
    assert sums.shape == (0,)
    assert_states_agree(s, same, 0.0)
    finished = s._replace(done=np.ones_like(s.done))
    frozen, sums = _fused.run_segment(finished, p, lv, key, world, 1, dts_of(model, 1, 5), 50)
    np.testing.assert_array_equal(sums, [sim.fixed(s.survival[:50]).sum()] * 5)
    assert_states_agree(finished._replace(t=frozen.t), frozen, 0.0)


def test_static_levers_only_without_conditions() -> None:
    assert static_levers(compile_scenario("default", "race").strategy)
    assert not static_levers(compile_scenario("default", "cautious-lab").strategy)


def test_without_the_kernel_segments_step_with_numpy(
    kernel: _fused._Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, s, p, lv, key, world = block("default", n=300)
    want = run_segment_numpy(s, p, lv, key, world, 1, dts_of(model, 1, 10), 300)
    monkeypatch.setattr(kernel, "max_actors", 2)  # 3 actors: more than the kernel holds
    got = _fused.run_segment(s, p, lv, key, world, 1, dts_of(model, 1, 10), 300)
    assert_states_agree(want[0], got[0], 0.0)
    np.testing.assert_array_equal(want[1], got[1])


def test_non_finite_survival_is_an_error(kernel: _fused._Kernel) -> None:
    model, s, p, lv, key, world = block("single-lab", n=16)
    bad = s._replace(survival=np.full_like(s.survival, np.nan))
    with pytest.raises(ValueError, match=r"survival|finite"):
        _fused.run_segment(bad, p, lv, key, world, 1, dts_of(model, 1, 3), 16)


def test_a_block_of_one_world_keeps_its_results(kernel: _fused._Kernel) -> None:
    """One active world (a 1-world run, or one left after compaction): its one row is its
    own, so the segment's results come back (a row stride of 0 had lost them)."""
    model = compile_scenario("default")
    numpy_run = ws.run_model(model, 1, seed=3, backend="numpy").worlds
    fused_run = ws.run_model(model, 1, seed=3).worlds
    for k in ("p_victory", "p_failure", "victory_year", "warning_shots"):
        np.testing.assert_allclose(fused_run[k], numpy_run[k], rtol=1e-9, equal_nan=True)


@pytest.mark.parametrize("scenario, strategy", [("default", "mutual-sabotage"),
                                                ("single-lab", "default")])  # fmt: skip
def test_one_call_run_is_the_yearly_loop_bit_for_bit(
    each_kernel: _fused._Kernel, scenario: str, strategy: str
) -> None:
    """A whole run in one ``ws_run`` call, histograms counted in C, is the yearly loop exactly.

    Same survival sums, histogram counts (running and finished worlds, padding
    excluded) and final state, with victories inside the run and a block whose
    last rows are padding (700 valid worlds of 1,024).
    """
    m = compile_scenario(scenario, strategy)
    assert static_levers(m.strategy)
    got = {}
    for name, through in (("yearly", None), ("one call", each_kernel.run_through)):
        runner = partial(sim._run_steps, stepper=each_kernel.step, shocks_of=each_kernel.shocks,
                         segment=partial(_fused.run_segment, kernel=each_kernel),
                         through=through)  # fmt: skip
        real = sim.block_runner
        sim.block_runner = lambda backend, runner=runner: runner  # type: ignore[assignment,misc]
        try:
            got[name] = sim.simulate_block(m, 4, 0, 1024, 700, keep=True)
        finally:
            sim.block_runner = real  # type: ignore[assignment]
    a, b = got["yearly"], got["one call"]
    assert a.hist.sum() > 0 and np.array_equal(a.hist, b.hist)
    for k in a.tally:
        assert np.array_equal(a.tally[k], b.tally[k]), k
    assert a.records is not None and b.records is not None
    assert np.isfinite(a.records["victory_year"]).sum() > 0  # worlds won inside the run
    for k in a.records:
        np.testing.assert_array_equal(a.records[k], b.records[k], err_msg=k)
