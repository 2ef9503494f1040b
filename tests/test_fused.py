"""The fused CPU kernel restates the numpy step: world by world, on every scenario and strategy.

The kernel evaluates the same float64 operations in the same order as
``waystation.dynamics.step`` and calls the C library's exp/log/expm1/pow.
Where numpy's transcendentals are the C library's too (x86 without AVX-512,
or with numpy's AVX-512 loops disabled), the two engines are bit-identical;
numpy's AVX-512 loops round differently in the last bit, which the model's
feedback loops amplify to ~1e-12 by 2034 (1e-11 tolerated; see TOL).
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import math
import os
import re
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest
from typer.testing import CliRunner

from waystation import _fused
from waystation import simulate as sim
from waystation.api import compile_scenario
from waystation.cli import app
from waystation.dynamics import Levers, Params, step
from waystation.dynamics.inputs import DERIVED
from waystation.io import load_scenario, shipped_scenarios
from waystation.levers import LEVERS
from waystation.model import Model, assemble, draw_inputs
from waystation.params import REGISTRY
from waystation.rng import key_of, normals, step_shocks
from waystation.scenario import Scenario
from waystation.state import WAYSTATIONS, Array, Shocks, State
from waystation.strategies import BUILTIN_STRATEGIES, apply_strategy, static_levers

#: Short horizon keeps the tests cheap: most default worlds win by the mid-2030s.
HORIZON = 2034.0
#: Per-world agreement where numpy's transcendentals are not the C library's. Model v3's
#: net motivation-control labour (honest minus sabotaged, nearly cancelling in some
#: worlds) amplifies last-bit differences: measured 1.2e-12 (mutual-sabotage, 2034).
TOL = 1e-11


@pytest.fixture(scope="module")
def kernel() -> _fused.StepFn:
    loaded = _fused.fused_kernel()
    if loaded is None:
        pytest.skip(f"fused kernel unavailable: {_fused.kernel_problem()}")
    return loaded.step


def numpy_uses_libm() -> bool:
    """Whether numpy's exp, log, expm1 and pow round exactly as the C library's here."""
    x = np.linspace(-30.0, 30.0, 4001)
    pos = np.linspace(1e-3, 1e3, 4001)
    return bool(
        (np.exp(x) == [math.exp(v) for v in x]).all()
        and (np.log(pos) == [math.log(v) for v in pos]).all()
        and (np.expm1(x) == [math.expm1(v) for v in x]).all()
        and (np.power(pos, 0.37) == [math.pow(v, 0.37) for v in pos]).all()
    )


def exact_here() -> bool:
    """Whether the fused kernel must reproduce numpy bit for bit here."""
    return _fused.kernel_variant() == "exact" and numpy_uses_libm()


def short(scenario: str, strategy: str | None = None, horizon: float = HORIZON) -> Model:
    return dataclasses.replace(compile_scenario(scenario, strategy), horizon=horizon)


def assert_records_agree(a: dict[str, np.ndarray], b: dict[str, np.ndarray], exact: bool) -> None:
    assert a.keys() == b.keys()
    for k in a:
        u, v = a[k], b[k]
        assert (np.isnan(u) == np.isnan(v)).all(), k
        if exact:
            np.testing.assert_array_equal(u, v, err_msg=k)
        else:
            d = np.abs(np.nan_to_num(u) - np.nan_to_num(v)) / np.maximum(1.0, np.abs(u))
            assert np.nanmax(d, initial=0.0) <= TOL, (k, np.nanmax(d))


@pytest.mark.parametrize("scenario", shipped_scenarios())
@pytest.mark.parametrize("strategy", list(BUILTIN_STRATEGIES))
def test_fused_matches_numpy_world_by_world(
    kernel: _fused.StepFn, scenario: str, strategy: str
) -> None:
    model = short(scenario, strategy)
    a = sim.simulate_block(model, 7, 0, 1024, 1000, backend="numpy")
    b = sim.simulate_block(model, 7, 0, 1024, 1000, backend="fused")
    assert a.records is not None and b.records is not None
    if scenario == "default":  # the short horizon still reaches victories
        assert (~np.isnan(b.records["victory_year"])).sum() > 10
    assert_records_agree(a.records, b.records, exact=exact_here())
    # outcome shares: exact sums of per-world fixed-point numbers (units of 2**-32)
    share_a, share_b = (x.tally["outcome"] / (1000 * sim.FIX) for x in (a, b))
    np.testing.assert_allclose(share_b, share_a, rtol=0, atol=TOL)


def test_bit_identical_where_numpy_uses_libm(kernel: _fused.StepFn) -> None:
    """The exact variant, with numpy's AVX-512 loops switched off: the same bits as numpy."""
    if exact_here():
        pytest.skip("the world-by-world test is already exact here")
    script = textwrap.dedent(
        """
        import dataclasses, math, sys
        import numpy as np
        x = np.linspace(-30.0, 30.0, 4001)
        if not (np.exp(x) == [math.exp(v) for v in x]).all():
            sys.exit(3)
        from waystation import simulate as sim
        from waystation.api import compile_scenario
        for strategy in ("race", "mutual-sabotage"):
            m = dataclasses.replace(compile_scenario("default", strategy), horizon=2036.0)
            a = sim.simulate_block(m, 7, 0, 1024, 1024, backend="numpy")
            b = sim.simulate_block(m, 7, 0, 1024, 1024, backend="fused")
            for k in a.records:
                if not np.array_equal(a.records[k], b.records[k], equal_nan=True):
                    print(strategy, k); sys.exit(1)
        """
    )
    env = dict(os.environ, NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL AVX512_SPR")
    env["WAYSTATION_FUSED_SIMD"] = "0"
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    if run.returncode == 3 or "NPY_DISABLE_CPU_FEATURES" in run.stderr:
        pytest.skip("cannot switch numpy's AVX-512 loops off on this machine")
    assert run.returncode == 0, run.stdout + run.stderr


def _mid_run(model: Model, steps: int) -> tuple[State, Params, Levers]:
    """A block's state after ``steps`` numpy steps: some worlds done, some running."""
    key, world = key_of(1), np.arange(sim.STREAM_BLOCK, dtype=np.uint64)
    p, base = assemble(model, draw_inputs(model, world, key))
    A = len(model.actors)
    s = sim.initial_state(p, base, normals(key, world, 0, "noise0", A), model.start)
    for i in range(1, steps + 1):
        lv = apply_strategy(model.strategy, base, s, p, model.actors)
        s = step(s, p, lv, step_shocks(key, world, i, A), model.step_dt(i))
    return s, p, base


def test_one_step_agrees_and_done_worlds_stay_frozen(kernel: _fused.StepFn) -> None:
    model = compile_scenario("default", "cautious-lab")
    s, p, base = _mid_run(model, 80)  # 2036: a mix of finished and running worlds
    done = s.done[:, 0]
    assert 0 < done.sum() < done.size
    world = np.arange(sim.STREAM_BLOCK, dtype=np.uint64)
    shocks = step_shocks(key_of(2), world, 81, len(model.actors))
    lv = apply_strategy(model.strategy, base, s, p, model.actors)
    a = step(s, p, lv, shocks, model.dt)
    b = kernel(s, p, lv, shocks, model.dt)
    assert b.t == a.t
    for name in State._fields[1:]:
        u, v = np.asarray(getattr(a, name), float), np.asarray(getattr(b, name), float)
        assert u.shape == v.shape, name
        np.testing.assert_allclose(v, u, rtol=1e-13, atol=1e-13, equal_nan=True, err_msg=name)
        # a finished world keeps every field exactly (dynamics.freeze)
        old = np.asarray(getattr(s, name), float)
        np.testing.assert_array_equal(v[done], old[done], err_msg=name)


def test_more_actors_than_the_kernel_holds_step_with_numpy(
    kernel: _fused.StepFn, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = _fused._cache["kernel"]
    assert isinstance(loaded, _fused._Kernel)
    monkeypatch.setattr(loaded, "max_actors", 2)
    model = short("default", horizon=2032.0)  # 3 actors
    a = sim.simulate_block(model, 3, 0, 1024, 1024, backend="numpy")
    b = sim.simulate_block(model, 3, 0, 1024, 1024, backend="fused")
    assert a.records is not None and b.records is not None
    assert_records_agree(a.records, b.records, exact=True)


def test_without_a_compiler_the_engine_says_so_once_and_uses_numpy(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CC", str(tmp_path / "no-such-cc"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(_fused, "_cache", {})
    model = short("single-lab", horizon=2032.0)
    a = sim.run_blocks(model, 1500, 4, block_size=1024, backend="numpy")
    b = sim.run_blocks(model, 1500, 4, block_size=1024, backend="fused")
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "fused kernel unavailable" in err[0] and "no-such-cc" in err[0]
    for x, y in zip(a, b, strict=True):
        assert x.records is not None and y.records is not None
        assert_records_agree(x.records, y.records, exact=True)
    assert _fused.kernel_problem() is not None
    assert not (tmp_path / "cache").exists()


def test_the_kernel_was_checked_against_these_equations() -> None:
    """The C files restate the equations of ``waystation.dynamics`` as they are now.

    If this fails, an equation changed (or ``step.c``): make the same change in
    ``step.c`` (docs/model.md section 12), then run ``python -m waystation._fused pin``,
    which runs ``tests/test_fused.py`` and ``tests/test_fused_segment.py`` and, if
    they pass, sets ``CHECKED_AGAINST``; commit them together. Until then the engine
    steps with numpy (next test).
    """
    got = _fused.pin()
    assert got == _fused.CHECKED_AGAINST, f"set waystation._fused.CHECKED_AGAINST = {got!r}"


def test_changed_equations_step_with_numpy_and_say_why(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(_fused, "CHECKED_AGAINST", "0" * 16)
    monkeypatch.setattr(_fused, "_cache", {})
    assert _fused.fused_kernel() is None
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "equations in waystation.dynamics changed" in err[0]
    assert sim.backend_in_use("fused") == "numpy"


def test_the_equations_hash_ignores_prose_but_not_code() -> None:
    base = 'def f(x):\n    """Doc."""\n    return x * 2.0  # twice\n'
    h = _fused.equations_hash({"m": base})
    assert _fused.equations_hash({"m": base.replace("Doc.", "Other doc.")}) == h
    assert _fused.equations_hash({"m": base.replace("# twice", "# double")}) == h
    assert _fused.equations_hash({"m": base.replace("    return", "\n    return")}) == h
    assert _fused.equations_hash({"m": base.replace("2.0", "3.0")}) != h
    assert _fused.equations_hash({"m": base.replace("x * 2", "x + 2")}) != h


def test_build_is_cached_by_source_and_flags(
    kernel: _fused.StepFn, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = _fused.build()  # the fixture built it: found, not rebuilt
    stamp = lib.stat().st_mtime_ns
    assert _fused.build() == lib and lib.stat().st_mtime_ns == stamp
    monkeypatch.setattr(_fused, "FLAGS", (*_fused.FLAGS, "-DWS_CACHE_TEST"))
    assert _fused.library_path() != lib
    monkeypatch.undo()
    src = _fused._source()
    monkeypatch.setattr(_fused, "_source", lambda variant="exact": src + b"\n")
    assert _fused.library_path() != lib


def test_broken_source_is_reported_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if _fused._compiler() is None:
        pytest.skip("no C compiler")
    monkeypatch.setattr(_fused, "_source", lambda variant="exact": b"this is not C\n")
    with pytest.raises(RuntimeError, match="failed") as err:
        _fused.build(tmp_path)
    assert "\n" not in str(err.value)
    assert [p.name for p in tmp_path.iterdir()] == []  # nothing half-built left behind


def test_cli_backend_fused(kernel: _fused.StepFn) -> None:
    runner = CliRunner()
    args = ["run", "single-lab", "--worlds", "1024", "--seed", "2", "--json"]
    a = runner.invoke(app, [*args, "--backend", "numpy"])
    b = runner.invoke(app, [*args, "--backend", "fused"])
    assert a.exit_code == 0 and b.exit_code == 0, a.output + b.output
    ja, jb = json.loads(a.stdout), json.loads(b.stdout)
    assert ja.keys() == jb.keys()
    assert ja["probabilities"].keys() == jb["probabilities"].keys()
    for k, v in ja["probabilities"].items():
        assert abs(jb["probabilities"][k] - v) <= 1e-9, k


def test_fused_is_bit_identical_across_blocks_and_threads(kernel: _fused.StepFn) -> None:
    """Block size and threads change nothing (the kernel releases the GIL: ctypes)."""
    model = short("default", "cautious-lab", horizon=2032.0)
    one = sim.run_blocks(model, 2048, 5, block_size=2048, backend="fused")
    with ThreadPoolExecutor(2) as pool:
        two = sim.run_blocks(model, 2048, 5, block_size=1024, executor=pool, backend="fused")
    assert one[0].records is not None
    for k, v in one[0].records.items():
        parts = [b.records[k] for b in two if b.records is not None]
        np.testing.assert_array_equal(np.concatenate(parts), v, err_msg=k)
    assert (one[0].hist == two[0].hist + two[1].hist).all()


def test_exact_variant_on_request(monkeypatch: pytest.MonkeyPatch) -> None:
    """WAYSTATION_FUSED_SIMD=0 selects the scalar kernel, =4 four lanes; else the widest SIMD."""
    monkeypatch.setattr(_fused, "_cache", {})
    monkeypatch.setenv("WAYSTATION_FUSED_SIMD", "0")
    if _fused.kernel_problem() is not None:
        pytest.skip(f"fused kernel unavailable: {_fused.kernel_problem()}")
    assert _fused.kernel_variant() == "exact"
    model = short("single-lab", "mutual-sabotage", horizon=2032.0)  # one actor: no rival
    a = sim.simulate_block(model, 2, 0, 1024, 1024, backend="numpy")
    b = sim.simulate_block(model, 2, 0, 1024, 1024, backend="fused")
    assert a.records is not None and b.records is not None
    assert_records_agree(a.records, b.records, exact=numpy_uses_libm())
    monkeypatch.setattr(_fused, "_cache", {})
    monkeypatch.setenv("WAYSTATION_FUSED_SIMD", "4")
    assert _fused.kernel_variant() == ("simd" if _fused._cpu_has_avx2_fma() else "exact")
    monkeypatch.setattr(_fused, "_cache", {})
    monkeypatch.delenv("WAYSTATION_FUSED_SIMD")
    flags = _fused._cpu_flags()
    want = next(v for v, spec in _fused.VARIANTS.items() if spec[3] <= flags)
    assert _fused.kernel_variant() == want  # the widest the CPU runs (all build here)


def many_actors(n: int) -> Model:
    """The default scenario with ``n`` actors, strategy ``cautious-lab``.

    Actors differ in their frontier: with ties, who leads (the strategy's
    condition) would turn on the last bit of a libmvec draw.
    """
    sc = load_scenario("default")
    first = sc.actors[0]
    actors = [first.model_copy(update={"name": f"lab{k}", "frontier": -0.03 * k})
              for k in range(n)]  # fmt: skip
    sc = sc.model_copy(update={"actors": actors})
    return short(sc, "cautious-lab", horizon=2029.0)  # type: ignore[arg-type]


@pytest.mark.parametrize("actors", [17, 20])
def test_up_to_the_validated_most_actors_step_in_the_kernel(
    kernel: _fused.StepFn, actors: int
) -> None:
    """17-20 actors with a conditional strategy (ws_shocks and ws_step): the kernel, as numpy.

    The kernel's per-world arrays hold :data:`waystation._fused.MAX_ACTORS`, at
    least the most actors a scenario may have.
    """
    limit = next(m.max_length for m in Scenario.model_fields["actors"].metadata
                 if hasattr(m, "max_length"))  # fmt: skip
    assert actors <= limit <= _fused.MAX_ACTORS
    model = many_actors(actors)
    assert len(model.actors) == actors and not static_levers(model.strategy)
    a = sim.simulate_block(model, 5, 0, 256, 256, backend="numpy")
    b = sim.simulate_block(model, 5, 0, 256, 256, backend="fused")
    assert a.records is not None and b.records is not None
    assert_records_agree(a.records, b.records, exact=exact_here())
    loaded = _fused.fused_kernel()
    assert loaded is not None and loaded.max_actors == _fused.MAX_ACTORS
    key, world = key_of(5), np.arange(64, dtype=np.uint64)
    got, want = loaded.shocks(key, world, 3, actors), step_shocks(key, world, 3, actors)
    np.testing.assert_array_equal(got.warn_u, want.warn_u)
    np.testing.assert_allclose(got.eval_z, want.eval_z, rtol=0, atol=1e-14)


def test_the_generated_header_covers_every_registry_field(kernel: _fused.StepFn) -> None:
    """Slots for every parameter, lever, state field and shock; every dynamics constant."""
    slots = set(_fused.slots())
    drawn = set(REGISTRY) - {"horizon", "dt"}  # the time grid is not an input of the step
    assert drawn | set(DERIVED) <= slots
    assert {f"lv_{v.name}" for v in LEVERS} <= slots
    written = {f for f in State._fields if f not in ("t", "done", "g0")}
    assert written <= slots and {f"in_{f}" for f in State._fields[1:] if f != "done"} <= slots
    assert set(Shocks._fields) <= slots
    header = _fused.header()
    for module in _fused.RESTATED:
        for name, value in vars(importlib.import_module(f"waystation.dynamics.{module}")).items():
            if re.fullmatch(r"_?[A-Z][A-Z0-9_]*", name) and isinstance(value, float):
                assert f"double {name.lstrip('_')} = {value!r};" in header, name
    for k, name in enumerate(WAYSTATIONS):
        assert f"WAYSTATION_{name.upper()} = {k}" in header
    loaded = _fused.fused_kernel()
    assert loaded is not None and loaded.slots == _fused.slots()  # the library's own list


def test_a_new_parameter_needs_only_its_equation_line_in_c(
    kernel: _fused.StepFn, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A kernel built with an extra registry field reads it where one line of step.c says.

    The slot list comes from ``Params``: adding ``dummy_cut`` there and writing
    ``P(dummy_cut, a)`` into the hazard's line is the whole change in C.
    """
    Extra = NamedTuple("Extra", [(f, Array) for f in (*Params._fields, "dummy_cut")])  # type: ignore[misc]
    line = "h = h * (1.0 - P(lv_tool_ai_only, a) * P(tool_hazard_cut, a));"
    code = (Path(_fused.__file__).parent / "step.c").read_text()
    assert code.count(line) == 1
    code = code.replace(line, line + " h = h * (1.0 - P(dummy_cut, a));")
    monkeypatch.setattr(_fused, "Params", Extra)
    monkeypatch.setattr(_fused, "_source", lambda variant="exact": (
        _fused.header() + "\n" + code).encode())  # fmt: skip
    assert "dummy_cut" in _fused.slots()
    extra = _fused._Kernel(_fused.build(tmp_path, "exact"), "exact")
    assert "dummy_cut" in extra.slots
    model = compile_scenario("default", "race")
    s, p, base = _mid_run(model, 8)
    shocks = step_shocks(key_of(2), np.arange(sim.STREAM_BLOCK, dtype=np.uint64), 9, 3)
    want = step(s, p, base, shocks, model.dt)
    same = extra.step(s, Extra(*p, np.float64(0.0)), base, shocks, model.dt)  # type: ignore[arg-type]
    halved = extra.step(s, Extra(*p, np.float64(0.5)), base, shocks, model.dt)  # type: ignore[arg-type]
    np.testing.assert_allclose(same.lethal, want.lethal, rtol=1e-13)
    np.testing.assert_allclose(halved.lethal, 0.5 * want.lethal, rtol=1e-12)
