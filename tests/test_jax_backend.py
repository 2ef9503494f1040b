"""The optional JAX backend runs the same model on the same draws as numpy."""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np
import pytest
from typer.testing import CliRunner

import waystation as ws
from waystation import jax_backend, rng, tally
from waystation._kernels import xp_of
from waystation.cli import app
from waystation.dynamics import initial_state
from waystation.model import assemble, draw_inputs
from waystation.simulate import run_blocks, simulate_block
from waystation.state import State
from waystation.tally import HISTOGRAMS, BlockOut

jax = pytest.importorskip("jax")

WORLDS = 3000
#: Histogram bin width of each trajectory variable: quantiles are read from the bins.
BIN = {name: (hi - lo) / nb for name, lo, hi, nb in HISTOGRAMS}


def _pair(strategy: str | None, scenario: str = "default") -> tuple[ws.Results, ws.Results]:
    model = ws.compile_scenario(scenario, strategy)
    a = ws.run_model(model, WORLDS, seed=11, block_size=2048)
    b = ws.run_model(model, WORLDS, seed=11, block_size=2048, backend="jax")
    return a, b


def _close(a: ws.Results, b: ws.Results) -> None:
    for k, v in a.probabilities.items():
        assert b.probabilities[k] == pytest.approx(v, rel=1e-9, abs=0.0), k
    for k, v in a.standard_errors.items():
        assert b.standard_errors[k] == pytest.approx(v, rel=1e-9, abs=0.0), k
    ta, tb = a.trajectories, b.trajectories
    assert ta.variables == tb.variables
    for v, name in enumerate(ta.variables):
        diff = np.abs(ta.values[v] - tb.values[v])
        assert diff.max() <= BIN[name] + 1e-12, name
    np.testing.assert_allclose(b.cumulative["failure"], a.cumulative["failure"], rtol=1e-9)
    assert a.records is not None and b.records is not None
    for k in ("p_victory", "p_failure", "p_costly_non_failure"):
        np.testing.assert_allclose(b.records[k], a.records[k], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("strategy", [None, "automated-alignment-researcher"])
def test_jax_agrees_with_numpy(strategy: str | None) -> None:
    """Default strategy (no rules) and one with conditions traced under jit."""
    _close(*_pair(strategy))


def test_jax_single_actor_and_sabotage() -> None:
    """One actor (no rival: -inf leads) and deterrence (the sabotage term) also agree.

    Within the dynamics' own sensitivity: Model v3 has a few single-lab
    worlds (high scheming, low ``eval_ease``) where sabotage holds the true
    range at its floor while evaluations see it OOMs higher, and the pause
    switches on and off as honest and sabotaged labour trade places -- a
    chaotic loop in which numpy itself, given ``hardness`` nudged by one part
    in 1e13, ends up to 0.3 OOM elsewhere by 2048. Those worlds are found by
    that nudge, not by name. Every other world must agree with JAX to 1e-9;
    the chaotic ones (at most 0.5% of worlds) may differ by as much as the
    nudge moves them, and the run's probabilities by no more than the nudge
    moves them in all (plus 1e-9 relative).
    """
    model = ws.compile_scenario("single-lab", "mutual-sabotage")
    a = ws.run_model(model, WORLDS, seed=11, block_size=2048, backend="numpy")
    b = ws.run_model(model, WORLDS, seed=11, block_size=2048, backend="jax")
    assert a.records is not None and b.records is not None
    hardness = np.asarray(a.records["hardness"])
    nudged = ws.run_model(model, WORLDS, seed=11, block_size=2048, backend="numpy",
                          fixed_inputs={"hardness": hardness * (1 + 1e-13)})  # fmt: skip
    assert nudged.records is not None
    keys = ("p_victory", "p_failure", "p_costly_non_failure")
    moved = {k: np.abs(np.asarray(nudged.records[k]) - np.asarray(a.records[k])) for k in keys}
    chaotic = np.zeros(WORLDS, dtype=bool)
    for k in keys:
        chaotic |= moved[k] > 1e-9
    assert 0 < chaotic.sum() <= 0.005 * WORLDS  # the loop is there, and it is rare
    for k in keys:
        x, y = np.asarray(a.records[k]), np.asarray(b.records[k])
        np.testing.assert_allclose(y[~chaotic], x[~chaotic], rtol=1e-9, atol=1e-12, err_msg=k)
        assert np.all(np.abs(y - x)[chaotic] <= 10 * moved[k][chaotic] + 1e-9), k
    for k, v in a.probabilities.items():
        key = {"victory": "p_victory", "failure": "p_failure"}.get(k, "p_costly_non_failure")
        bound = 1e-9 * abs(v) + 10 * float(moved[key].mean())
        assert abs(b.probabilities[k] - v) <= bound, k


def test_jax_bitwise_equal_across_block_sizes() -> None:
    model = ws.compile_scenario("default", "verification-first")
    a = ws.run_model(model, WORLDS, seed=5, block_size=1024, backend="jax")
    b = ws.run_model(model, WORLDS, seed=5, block_size=4096, backend="jax")
    assert a.probabilities == b.probabilities
    assert a.standard_errors == b.standard_errors
    assert np.array_equal(a.trajectories.values, b.trajectories.values)
    assert a.waystations == b.waystations
    assert a.worlds.equals(b.worlds)


def _blocks(model: ws.Model, seed: int, block: int, n_valid: int) -> tuple[BlockOut, BlockOut]:
    """One block run by numpy and by JAX."""
    a = simulate_block(model, seed, 0, block, n_valid, backend="numpy")
    b = simulate_block(model, seed, 0, block, n_valid, backend="jax")
    return a, b


def _tallies_close(a: BlockOut, b: BlockOut, n_valid: int) -> None:
    """Survival sums and histograms of two engines from states that differ by rounding only.

    The states differ in the last ulp (the normals go through XLA's ``log``
    and ``tan``), so a fixed-point survival ``rint(x * 2**32)`` may move by a
    unit, and a value within ulps of a bin edge may fall in the next bin: the
    tallies agree within such flips, not bit for bit. Each flip moves one
    count from a bin to a neighbour, so totals per row are equal.
    """
    sa, sb = a.tally["survival_t"], b.tally["survival_t"]
    assert sa[0] == sb[0]
    assert np.abs(sa - sb).max() <= n_valid  # at most one unit per world
    assert a.hist.shape == b.hist.shape
    assert np.array_equal(a.hist.sum(axis=2), b.hist.sum(axis=2))  # n_valid per row and actor
    flipped = np.abs(a.hist - b.hist).sum()
    assert flipped <= 2e-4 * a.hist.sum(), flipped


def test_jax_hard_problem_block_with_padding() -> None:
    """hard-problem (its own shorter step) with n_valid < block: padded rows are not tallied."""
    model = ws.compile_scenario("hard-problem", "automated-alignment-researcher")
    a, b = _blocks(model, 7, 512, 300)
    assert a.tally["n"][0] == b.tally["n"][0] == 300
    assert a.hist[1].sum() == 300 * len(model.actors) * len(HISTOGRAMS)
    _tallies_close(a, b, 300)
    for k in ("outcome", "outcome_sq", "sweet_years"):
        np.testing.assert_allclose(b.tally[k], a.tally[k], rtol=1e-9, atol=2.0**-32 * 300)
    assert a.records is not None and b.records is not None
    for k in ("p_victory", "p_failure", "victory_year"):
        np.testing.assert_allclose(b.records[k], a.records[k], rtol=1e-9, atol=1e-12)


def test_device_tallies_are_numpys_on_the_same_states() -> None:
    """The survival sum and histogram reduced on the device are numpy's, bit for bit.

    The final state comes back from the device; numpy's ``fixed`` and
    ``hist_counts`` applied to it must give exactly the last survival sum and
    the last histogram row, over the valid rows only.
    """
    # to 2040: some worlds still running at the horizon (to 2100 nearly all win or retire)
    model = dataclasses.replace(
        ws.compile_scenario("default", "automated-alignment-researcher"), horizon=2040.0
    )
    block, n_valid = 64, 40
    key = rng.key_of(4)
    world = np.arange(block, dtype=np.uint64)
    p, base = assemble(model, draw_inputs(model, world, key))
    A = len(model.actors)
    s = initial_state(p, base, rng.normals(key, world, 0, "noise0", A), model.start)
    hist = np.zeros((len(model.record_steps), A, tally.NBINS), dtype=np.int64)
    survival_t = np.zeros(model.steps + 1, dtype=np.int64)
    out = jax_backend.run_steps(model, (key, world), p, base, s, n_valid, hist, survival_t)
    assert survival_t[-1] == tally.fixed(out.survival[:n_valid, 0]).sum()
    assert np.array_equal(hist[-1], tally.hist_counts(out, slice(0, n_valid), p))
    assert not out.done[:n_valid].all()  # so the last row is not a copy of an early exit's


def test_counts_traced_equal_numpys() -> None:
    """``hist_counts`` traced by jit on device arrays counts exactly as numpy on the same values."""
    jnp = jax_backend._jax().numpy
    model = ws.compile_scenario("default")
    W, A = 4000, len(model.actors)
    world = np.arange(W, dtype=np.uint64)
    p, _ = assemble(model, draw_inputs(model, world, rng.key_of(1)))
    g = np.random.default_rng(0)
    s = State(**{k: g.normal(5.0, 8.0, (W, A)) for k in State._fields})._replace(
        O=g.uniform(0.0, 3.0, (W, 1)), B=g.uniform(-1.0, 5.0, (W, 1)),
        pause=g.uniform(-0.1, 1.1, (W, A)),
    )  # fmt: skip
    s = s._replace(C=np.where(g.random((W, A)) < 0.1, np.round(s.C * 40) / 40, s.C))  # on edges
    mask = g.random(W) < 0.7
    cover = p
    got = jax.jit(tally.hist_counts)(jax.device_put(s), jnp.asarray(mask), jax.device_put(cover))
    want = tally.hist_counts(s, mask, cover)
    assert np.asarray(got).dtype == np.int64
    assert np.array_equal(np.asarray(got), want)


def test_early_exit_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stopping the loop once every world is done gives the tallies of a loop to the horizon."""
    model = ws.compile_scenario("default", "automated-alignment-researcher")
    early = simulate_block(model, 3, 0, 16, 12, backend="jax")
    assert early.records is not None  # every world of this block wins by the 2040s
    assert np.nanmax(early.records["victory_year"]) < model.horizon - 40
    monkeypatch.setattr(jax_backend, "EARLY_EXIT", False)
    full = simulate_block(model, 3, 0, 16, 12, backend="jax")
    assert full.records is not None
    assert np.array_equal(early.hist, full.hist)
    for k, v in full.tally.items():
        assert np.array_equal(early.tally[k], v), k
    for k, v in full.records.items():
        assert np.array_equal(early.records[k], v, equal_nan=True), k


def test_one_compile_per_block_shape() -> None:
    """A second block of the same shape reuses the compiled loop; parameters may be any pytree."""
    model = ws.compile_scenario("default", "verification-first")
    simulate_block(model, 1, 0, 32, 32, backend="jax")
    loop = jax_backend._block_loop(model)
    compiled = loop._cache_size()
    simulate_block(model, 1, 3, 32, 20, backend="jax")  # other worlds, other n_valid
    assert loop._cache_size() == compiled
    assert jax_backend._block_loop(model) is loop

    class Pair(NamedTuple):
        a: np.ndarray
        b: np.ndarray

    moved = jax_backend._to_device(Pair(np.ones((4, 2)), np.arange(8.0).reshape(4, 2)), 4)
    assert isinstance(moved, Pair) and moved.a.shape == (1, 2) and moved.b.shape == (4, 2)


def test_fast_power_matches_numpy() -> None:
    jnp = jax_backend._jax().numpy  # float64 mode
    xp = xp_of(jnp.zeros(1))
    a = np.array([0.0, 0.0, 0.0, 1e-300, 0.3, 1.0, 2.5, 10.0, 1e5, np.inf, np.nan])
    b = np.array([0.7, 0.0, -1.0, 0.5, 0.7, 3.0, -2.0, 3.7, 0.45, 0.5, 0.5])
    got = np.asarray(xp.power(jnp.asarray(a), jnp.asarray(b)))
    with np.errstate(divide="ignore"):
        want = np.power(a, b)
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=0.0)  # error ~ |b log a| ulp
    x = np.linspace(-12.0, 12.0, 10001)
    got = np.asarray(xp.power(10.0, jnp.asarray(x)))
    np.testing.assert_allclose(got, np.power(10.0, x), rtol=1e-14, atol=0.0)


def test_unknown_backend_is_refused() -> None:
    model = ws.compile_scenario("default")
    with pytest.raises(ValueError, match="unknown backend"):
        run_blocks(model, 100, 0, backend="torch")


def test_cli_backend_jax() -> None:
    runner = CliRunner()
    args = ["run", "default", "-n", "1500", "--seed", "2", "--json"]
    a = runner.invoke(app, args)
    b = runner.invoke(app, [*args, "--backend", "jax"])
    assert a.exit_code == 0 and b.exit_code == 0, a.output + b.output
    assert '"probabilities"' in b.output
    bad = runner.invoke(app, [*args, "--backend", "torch"])
    assert bad.exit_code == 2


def test_missing_jax_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_jax(name: str) -> object:
        raise ImportError(name)

    monkeypatch.setattr(jax_backend.importlib, "import_module", no_jax)
    assert not jax_backend.jax_available()
    with pytest.raises(ImportError, match=r"waystation\[jax\]"):
        jax_backend._jax()


def test_device_draws_are_the_numpy_engines_draws() -> None:
    """Traced with jax.numpy, the generator gives numpy's words and uniforms bit for bit."""
    from waystation import rng

    jax_backend._jax()  # float64 and uint64 on
    jnp = jax.numpy
    key = rng.key_of(2026)
    world = np.arange(5000, 7000, dtype=np.uint64)

    @jax.jit
    def draw(k: object, w: object, i: object) -> object:
        return rng.step_shocks((k[0], k[1]), w, i, 3)  # type: ignore[index]

    got = draw(jnp.asarray(key, dtype=jnp.uint64), jnp.asarray(world), jnp.uint64(17))
    want = rng.step_shocks(key, world, 17, 3)
    assert np.array_equal(np.asarray(got.warn_u), want.warn_u)
    assert np.array_equal(np.asarray(got.verify_u), want.verify_u)
    np.testing.assert_allclose(np.asarray(got.eval_z), want.eval_z, rtol=0, atol=1e-14)
    words = rng.philox4x32((jnp.asarray(world), 3, 4, 5), (jnp.uint64(key[0]), jnp.uint64(key[1])))
    for a, b in zip(words, rng.philox4x32((world, 3, 4, 5), key), strict=True):
        assert np.array_equal(np.asarray(a), b)


def test_cli_without_jax_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jax_backend, "jax_available", lambda: False)
    result = CliRunner().invoke(app, ["run", "default", "-n", "100", "--backend", "jax"])
    assert result.exit_code == 2
    assert "waystation[jax]" in result.output
