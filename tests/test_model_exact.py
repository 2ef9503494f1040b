"""The dynamics against exact solutions, invariants and convergence in dt."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import waystation as ws
from helpers import CONSTANT_WORLD, make


def test_constant_growth_and_hazard_match_closed_form() -> None:
    sc = make(CONSTANT_WORLD, nature__hazard_rate=0.01)
    res = ws.run(sc, worlds=4096, seed=1)
    # Capability grows at 0.5 OOM/yr seen through the smooth ceiling (max_rate 5).
    # Far outside the range the hazard is rate * (1 + C - S): linear in time here, so
    # the trapezoid rule integrates it exactly: H(t) = rate * ((1 + 10) t + g t^2 / 2).
    h, years, g = 0.01, 10.0, 0.5 / math.sqrt(1.0 + (0.5 / 5.0) ** 2)

    def cumulative_hazard(t: np.ndarray | float) -> np.ndarray | float:
        return h * (11.0 * t + 0.5 * g * t * t)

    # Survival is integrated, not sampled: exact for every world.
    assert res.probabilities["failure"] == pytest.approx(
        1 - math.exp(-cumulative_hazard(years)), abs=1e-9
    )
    assert res.probabilities["victory"] == 0.0
    assert res.standard_errors["failure"] == pytest.approx(0.0, abs=1e-9)
    expected = 1 - np.exp(-cumulative_hazard(res.times - 2026.0))
    np.testing.assert_allclose(res.cumulative["failure"], expected, atol=1e-9)
    # Capability grows at exactly g OOM/yr: the histogram median is within a bin.
    median = res.trajectories.get("capability", "solo")[0.5]
    np.testing.assert_allclose(median, g * (res.trajectories.times - 2026.0), atol=0.03)


def test_no_safety_labour_keeps_safety_range_constant() -> None:
    sc = make(
        CONSTANT_WORLD,
        **{
            "world__s_base": 0.35,
            "world__o_base": 0.3,
            "world__verify_rate": 1.0,
            "actors__0__safety_range": 0.5,
        },
    )
    res = ws.run(sc, worlds=4096, seed=2)
    final = res.worlds["solo.final_safety_range"].to_numpy()
    assert np.all(final == 0.5)


def test_safety_labour_grows_the_safety_range() -> None:
    sc = make(
        CONSTANT_WORLD,
        **{
            "world__s_base": 0.35,
            "actors__0__safety_researchers": 100.0,
            "actors__0__safety_range": 0.5,
        },
    )
    res = ws.run(sc, worlds=4096, seed=2)
    final = res.worlds["solo.final_safety_range"].to_numpy()
    assert np.all(final > 0.5 + 0.5) and np.median(final) > 0.5 + 1.0


def test_the_horizon_is_honoured_exactly() -> None:
    """A horizon that is not a whole number of steps ends with a shorter last step."""
    sc = make(CONSTANT_WORLD, time__start=2099, time__horizon=2100, time__dt=0.65)
    res = ws.run(sc, worlds=64, seed=1)
    np.testing.assert_allclose(res.times, [2099.0, 2099.65, 2100.0])
    g = 0.5 / math.sqrt(1.0 + (0.5 / 5.0) ** 2)
    final = res.worlds["solo.final_capability"].to_numpy()
    np.testing.assert_allclose(final, g * 1.0, rtol=1e-12)  # one year of growth, not 1.3


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    hardness=st.floats(0.05, 20.0),
    caution=st.floats(0.0, 1.0),
    hazard=st.floats(0.0, 5.0),
    share=st.floats(0.0, 1.0),
    strategy=st.sampled_from(sorted(ws.BUILTIN_STRATEGIES)),
    horizon=st.integers(2028, 2060),
)
def test_probabilities_are_a_distribution(
    hardness: float, caution: float, hazard: float, share: float, strategy: str, horizon: int
) -> None:
    sc = ws.load_scenario("default").model_copy(deep=True)
    sc.nature.hardness = hardness  # type: ignore[attr-defined]
    sc.nature.hazard_rate = hazard  # type: ignore[attr-defined]
    sc.correlations = []
    sc.time.horizon = float(horizon)
    sc.levers.caution = caution  # type: ignore[attr-defined]
    sc.levers.ai_safety_share = share  # type: ignore[attr-defined]
    for actor in sc.actors:
        actor.levers.caution = None  # type: ignore[attr-defined]
        actor.levers.ai_safety_share = None  # type: ignore[attr-defined]
    res = ws.run(sc, worlds=512, seed=11, strategy=strategy, block_size=4096)
    p = res.probabilities
    assert all(0.0 <= v <= 1.0 for v in p.values())
    assert sum(p.values()) == pytest.approx(1.0, abs=1e-9)
    w = res.worlds
    total = w["p_victory"] + w["p_costly_non_failure"] + w["p_failure"]
    np.testing.assert_allclose(total, 1.0, atol=1e-12)
    assert ((w[["p_victory", "p_costly_non_failure", "p_failure"]] >= -1e-15).all()).all()
    # Survival never increases: cumulative failure and victory never decrease.
    assert np.all(np.diff(res.cumulative["failure"]) >= -1e-12)
    assert np.all(np.diff(res.cumulative["victory"]) >= 0)
    assert res.cumulative["failure"][-1] == pytest.approx(p["failure"], abs=1e-9)
    assert res.cumulative["victory"][-1] == pytest.approx(p["victory"], abs=1e-9)
