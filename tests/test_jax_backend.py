"""The optional JAX backend runs the same model on the same draws as numpy."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

import waystation as ws
from waystation import jax_backend
from waystation._kernels import xp_of
from waystation.cli import app
from waystation.simulate import run_blocks
from waystation.tally import HISTOGRAMS

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
    """One actor (no rival: -inf leads) and deterrence (the sabotage term) also agree."""
    _close(*_pair("mutual-sabotage", "single-lab"))


def test_jax_bitwise_equal_across_block_sizes() -> None:
    model = ws.compile_scenario("default", "verification-first")
    a = ws.run_model(model, WORLDS, seed=5, block_size=1024, backend="jax")
    b = ws.run_model(model, WORLDS, seed=5, block_size=4096, backend="jax")
    assert a.probabilities == b.probabilities
    assert a.standard_errors == b.standard_errors
    assert np.array_equal(a.trajectories.values, b.trajectories.values)
    assert a.waystations == b.waystations
    assert a.worlds.equals(b.worlds)


def test_jax_dropping_finished_worlds_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Repacking active worlds into fewer chunks gives the same bits as one chunk."""
    model = ws.compile_scenario("default", "automated-alignment-researcher")
    one_chunk = ws.run_model(model, 6000, seed=3, block_size=6144, backend="jax")
    packs: list[int] = []
    pack = jax_backend._pack

    def spy(rows: np.ndarray, *args: object) -> list[object]:
        packs.append(len(rows))
        return pack(rows, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(jax_backend, "CHUNK", 1024)
    monkeypatch.setattr(jax_backend, "_pack", spy)
    chunked = ws.run_model(model, 6000, seed=3, block_size=6144, backend="jax")
    assert packs[0] == 6144 and len(packs) >= 3 and packs[-1] < 2048  # it did repack
    assert chunked.to_dict() == one_chunk.to_dict()
    assert np.array_equal(chunked.trajectories.values, one_chunk.trajectories.values)
    assert chunked.worlds.equals(one_chunk.worlds)


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
