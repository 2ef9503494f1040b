"""Counter-based random numbers: Philox4x32-10 as published; draws are pure functions."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import waystation as ws
from waystation import rng, simulate
from waystation.model import draw_inputs

#: Random123's known-answer vectors for philox4x32-10 (kat_vectors): counter, key, result.
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    (
        (0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344),
        (0xA4093822, 0x299F31D0),
        (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1),
    ),
]


@pytest.mark.parametrize(("counter", "key", "want"), KAT)
def test_known_answers(
    counter: tuple[int, ...], key: tuple[int, int], want: tuple[int, ...]
) -> None:
    c = (np.array([counter[0]], dtype=np.uint64), *counter[1:])
    generic = rng.philox4x32(c, key)  # type: ignore[arg-type]
    fast = rng._philox_np(c[0], [counter[1:]], key)  # type: ignore[list-item]
    assert [int(x[0]) for x in generic] == list(want)
    assert [int(x) for x in fast[:, 0]] == list(want)


def test_fast_rounds_match_the_generic_function() -> None:
    """Several counters in one pass, in chunks, give the generic function's words."""
    world = np.arange(20_000, dtype=np.uint64) * 7919 + 3
    key = rng.key_of(12345)
    counters = [(9, 3, 0), (9, 3, 1), (9, 4, 0)]
    fast = rng._philox_np(world, counters, key)
    for seg, c in enumerate(counters):
        for row, words in enumerate(rng.philox4x32((world, *c), key)):
            assert np.array_equal(fast[row, seg * len(world) : (seg + 1) * len(world)], words)


def test_uniforms_use_53_bits_and_stay_below_one() -> None:
    zero, top = np.uint64(0), np.uint64(0xFFFFFFFF)
    assert rng.uniforms_from(zero, zero) == 0.0
    assert rng.uniforms_from(top, top) == 1.0 - 2.0**-53
    assert rng.uniforms_from(zero, np.uint64(64)) == 2.0**-53  # the lowest bit kept


def test_normals_are_standard_normal_and_independent() -> None:
    z = rng.normals(rng.key_of(1), np.arange(200_000, dtype=np.uint64), 3, "eval_z", 3)
    assert z.shape == (200_000, 3) and z.flags.f_contiguous
    for j in range(3):  # the cosine and sine columns, and the next lane's cosine
        assert stats.kstest(z[:, j], "norm").pvalue > 1e-3, j
        assert abs(z[:, j].mean()) < 5 * 200_000**-0.5
    corr = np.corrcoef(z.T)
    assert np.abs(corr[np.triu_indices(3, 1)]).max() < 5 * 200_000**-0.5


def test_each_draw_is_a_function_of_seed_world_step_and_variable() -> None:
    key = rng.key_of(7)
    world = np.arange(4096, dtype=np.uint64)
    z = rng.normals(key, world, 5, "eval_z", 2)
    some = world[::37]  # any subset, in any block, draws the same numbers
    assert np.array_equal(rng.normals(key, some, 5, "eval_z", 2), z[::37])
    a, b = rng.uniform_pair(key, world, 5, "events")
    assert np.array_equal(rng.step_shocks(key, world, 5, 2).eval_z, z)
    assert np.array_equal(rng.step_shocks(key, world, 5, 2).warn_u[:, 0], a)
    others = (
        rng.normals(key, world, 6, "eval_z", 2),  # another step
        rng.normals(key, world, 5, "noise0", 2),  # another variable
        rng.normals(rng.key_of(8), world, 5, "eval_z", 2),  # another seed
        rng.normals(key, world + np.uint64(1), 5, "eval_z", 2),  # other worlds
    )
    for other in others:
        assert abs(np.corrcoef(other[:, 0], z[:, 0])[0, 1]) < 0.1
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.1


def test_variable_ids_are_distinct() -> None:
    ids = [v.id for v in rng.VARIABLES.values()]
    assert len(set(ids)) == len(ids) and all(0 <= i < 2**32 for i in ids)


def test_inputs_of_a_world_do_not_depend_on_its_block() -> None:
    """Correlated inputs (a Gaussian copula) too: row by row, whatever the block."""
    model = ws.compile_scenario("default")
    assert model.correlations  # the copula is exercised
    whole = draw_inputs(model, 3000, 4)
    part = draw_inputs(model, np.arange(1000, 1100), 4)
    for name in model.uncertain():
        assert np.array_equal(whole[name][1000:1100], part[name]), name


def test_numpy_engine_draws_only_for_worlds_it_still_steps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After compaction, shocks are drawn for fewer worlds than the block holds."""
    model = ws.compile_scenario("default")
    drawn: list[int] = []
    shocks = rng.step_shocks

    def spy(key: tuple[int, int], world: np.ndarray, step: int, actors: int) -> object:
        drawn.append(len(world))
        return shocks(key, world, step, actors)

    monkeypatch.setattr(simulate, "step_shocks", spy)
    monkeypatch.setattr(simulate, "COMPACT_MIN", 64)
    ws.run_model(model, 1024, seed=2, block_size=1024, backend="numpy")
    assert len(drawn) == model.steps
    assert drawn[0] == 1024 and drawn[-1] < 1024 and sum(drawn) < 1024 * model.steps


def test_runs_beyond_one_counter_word_are_refused() -> None:
    with pytest.raises(ValueError, match="worlds must be at most"):
        simulate.plan_blocks(rng.MAX_WORLDS, 32768)
    assert simulate.plan_blocks(5000, 2048) == [(0, 2048), (1, 2048), (2, 904)]


def test_half_angle_normals_are_box_muller() -> None:
    """The tangent form gives r cos(2 phi) and r sin(2 phi) to rounding, the ends included."""
    world = np.arange(50_000, dtype=np.uint64)
    x = rng.philox4x32((world, 1, 2, 3), rng.key_of(9))
    x = (*x[:2], np.r_[x[2][:-2], 0, 2**31], np.r_[x[3][:-2], 0, 0])  # u2 = 0 and 1/2
    z1, z2 = rng.normal_pair(x)  # type: ignore[arg-type]
    u1, u2 = rng.uniforms_from(x[0], x[1]), rng.uniforms_from(x[2], x[3])
    r, angle = np.sqrt(-2.0 * np.log(1.0 - u1)), 2.0 * np.pi * (u2 - 0.5)
    np.testing.assert_allclose(z1, r * np.cos(angle), rtol=0, atol=1e-14)
    np.testing.assert_allclose(z2, r * np.sin(angle), rtol=0, atol=1e-14)
    assert np.isfinite(z1).all() and np.isfinite(z2).all()
