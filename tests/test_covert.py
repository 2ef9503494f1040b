"""Covert defection from a coordinated pause: detection, enforcement, and the fused kernel.

An actor may secretly skip a share ``covert_rate`` of its coordinated pause;
it is detected at ``detection_rate * monitoring * covert_rate * coord`` per
year (monitoring rising with enforcement and with the actors' usable AI
safety labour), and once detected the coordinated pause is imposed on it in
full (docs/model.md section 5). With ``covert_rate = 0`` nothing changes:
the block hashes of tests/test_block_hashes.py pin that.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from waystation import _fused
from waystation import simulate as sim
from waystation.api import compile_scenario
from waystation.dynamics import detection, restraint, step
from waystation.dynamics.inputs import levers_of, params_of
from waystation.model import Model, assemble, draw_inputs
from waystation.rng import key_of, normals, step_shocks
from waystation.state import State
from waystation.strategies import apply_strategy

#: A coordinated pause from the start, half enforced, with the leader skipping most of it.
PAUSED = {"global_pause": 0.8, "enforcement": 0.3}


def paused(covert: float, horizon: float = 2036.0, **more: float) -> Model:
    model = compile_scenario("default").with_overrides(
        {**PAUSED, "leading-lab.covert_rate": covert, **more}
    )
    return dataclasses.replace(model, horizon=horizon)


def test_detection_is_the_stated_hazard_and_rises_with_monitoring() -> None:
    """U' = U exp(-detection_rate * monitoring * covert * coord * dt), by hand."""
    p = params_of({"detection_rate": np.array([[2.0]]), "safety_ref": np.array([[100.0]])})
    U = np.array([[1.0, 0.5]])
    ai = np.array([[100.0, 100.0]])  # watch = 200 / 100 = 2: monitoring 1 - (1 - e) / 3
    coord, dt = np.array([[0.5]]), np.array([[0.25]])
    lv = levers_of({"enforcement": np.array([[0.4]]), "covert_rate": np.array([[0.0, 0.6]])})
    got = detection(U, ai, coord, p, lv, dt)
    rate = 2.0 * (1.0 - 0.6 / 3.0) * 0.6 * 0.5
    np.testing.assert_allclose(got, [[1.0, 0.5 * np.exp(-rate * 0.25)]], rtol=1e-15)
    assert got[0, 0] == 1.0  # no covert defection: exactly undetected
    more_ai = detection(U, ai * 10, coord, p, lv, dt)
    stricter = detection(U, ai, coord, p, lv._replace(enforcement=np.array([[0.9]])), dt)
    assert more_ai[0, 1] < got[0, 1] and stricter[0, 1] < got[0, 1]


def test_undetected_defection_cuts_the_pause_and_detection_imposes_it_in_full() -> None:
    p = params_of({"pause_width": np.array([[0.5]])})
    base = {
        "caution": np.array([[0.4]]),
        "margin_target": np.array([[0.0]]),
        "enforcement": np.array([[0.5]]),
    }
    args = (np.array([[5.0]]), np.array([[0.0]]), np.array([[0.0]]), np.array([[1.0]]))
    B = np.array([[1.0]])

    def pause(covert: float, undetected: float) -> float:
        lv = levers_of({**base, "covert_rate": np.array([[covert]])})
        return float(restraint(*args, B, np.array([[undetected]]), p, lv)[0, 0])

    honest = pause(0.0, 1.0)
    assert pause(0.5, 1.0) < honest  # skipping half of the governed pause while unseen
    assert pause(0.5, 0.0) == pytest.approx(1.0)  # detected: the whole coordinated pause
    assert pause(0.0, 0.3) >= honest  # an honest actor loses nothing to monitoring


def test_a_covert_defector_gains_ground_unless_detection_catches_it() -> None:
    """Paired on common worlds: undetectable, the defector ends further ahead than honest;
    with the default detection (fast, since AI safety labour watches too) and the full
    pause imposed once caught, it ends behind where undetectable defection would leave it."""
    worlds = 400

    def capability(covert: float, **more: float) -> np.ndarray:
        out = sim.simulate_block(paused(covert, **more), 3, 0, worlds, worlds)
        assert out.records is not None
        return np.asarray(out.records["leading-lab.final_capability"])

    honest = capability(0.0)
    unseen = capability(0.9, detection_rate=0.0)
    seen = capability(0.9)
    for d in (unseen - honest, unseen - seen):
        assert d.mean() > 3 * d.std(ddof=1) / np.sqrt(worlds)


def test_fused_kernel_agrees_with_numpy_under_covert_defection() -> None:
    loaded = _fused.fused_kernel()
    if loaded is None:
        pytest.skip(f"fused kernel unavailable: {_fused.kernel_problem()}")
    model = paused(0.7, **{"close-follower.covert_rate": 0.2})
    # a whole run (segments of many steps in C), world by world
    a = sim.simulate_block(model, 5, 0, 512, 512, backend="numpy")
    b = sim.simulate_block(model, 5, 0, 512, 512, backend="fused")
    assert a.records is not None and b.records is not None
    for k in a.records:
        u, v = np.nan_to_num(a.records[k]), np.nan_to_num(b.records[k])
        assert np.max(np.abs(u - v) / np.maximum(1.0, np.abs(u)), initial=0.0) <= 1e-12, k
    # one step from a mid-run state: every field, 'undetected' included
    key, world = key_of(1), np.arange(sim.STREAM_BLOCK, dtype=np.uint64)
    p, base = assemble(model, draw_inputs(model, world, key))
    s = sim.initial_state(p, base, normals(key, world, 0, "noise0", 3), model.start)
    for i in range(1, 25):
        s = step(s, p, apply_strategy(model.strategy, base, s, p, model.actors),
                 step_shocks(key, world, i, 3), model.step_dt(i))  # fmt: skip
    assert (s.undetected[:, 0] < 1.0).all() and (s.undetected[:, 2] == 1.0).all()
    shocks = step_shocks(key_of(2), world, 25, 3)
    x = step(s, p, base, shocks, model.dt)
    y = loaded.step(s, p, base, shocks, model.dt)
    for name in State._fields[1:]:
        u, v = np.asarray(getattr(x, name), float), np.asarray(getattr(y, name), float)
        np.testing.assert_allclose(v, u, rtol=1e-13, atol=1e-13, equal_nan=True, err_msg=name)


@pytest.mark.slow
def test_jax_traces_covert_defection_as_numpy_computes_it() -> None:
    """JAX traces the same numpy code (its compile takes about a minute: slow)."""
    pytest.importorskip("jax")
    model = paused(0.7, horizon=2034.0)
    a = sim.simulate_block(model, 5, 0, 256, 256, backend="numpy")
    b = sim.simulate_block(model, 5, 0, 256, 256, backend="jax")
    assert a.records is not None and b.records is not None
    for k in ("p_victory", "p_failure", "leading-lab.final_capability"):
        np.testing.assert_allclose(b.records[k], a.records[k], rtol=1e-9, atol=1e-12)
