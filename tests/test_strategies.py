"""Built-in strategies move outcomes the way their descriptions claim; waystation statistics."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import waystation as ws
from helpers import CONSTANT_WORLD, make

N = 4096


#: Capability growth of CONSTANT_WORLD: 0.5 OOM/yr through the smooth ceiling (max_rate 5).
G = 0.5 / math.sqrt(1.0 + (0.5 / 5.0) ** 2)


def _run(strategy: str, scenario: Any = "default", **kw: Any) -> ws.Results:
    return ws.run(scenario, worlds=N, seed=8, strategy=strategy, **kw)


@pytest.fixture(scope="module")
def default() -> ws.Results:
    return _run("default")


def test_default_strategy_is_the_scenario_itself(default: ws.Results) -> None:
    assert ws.run("default", worlds=N, seed=8).probabilities == default.probabilities


def test_race_raises_failure(default: ws.Results) -> None:
    assert _run("race").probabilities["failure"] > default.probabilities["failure"] + 0.1


@pytest.mark.parametrize(
    "name",
    [
        "cautious-lab",
        "safety-coalition",
        "automated-alignment-researcher",
        "verification-first",
        "pause-then-enhanced-labor",
    ],
)
def test_safety_strategies_lower_failure(name: str, default: ws.Results) -> None:
    assert _run(name).probabilities["failure"] < default.probabilities["failure"] - 0.02


def test_tool_ai_moratorium_slows_both_loops(default: ws.Results) -> None:
    """Model v2: tool-only AI slows capabilities and the AI safety loop alike.

    It lowers failure before the take-off but, by 2100, no longer beats the
    default by a clear margin (docs/model.md section 11); it must not be worse
    than racing, and it must slow the frontier.
    """
    tool = _run("tool-ai-moratorium")
    assert tool.probabilities["failure"] < _run("race").probabilities["failure"] - 0.1
    late = tool.trajectories.get("capability", "leading-lab")[0.5][6]
    assert late < default.trajectories.get("capability", "leading-lab")[0.5][6]


def test_enforced_pause_beats_race_when_problems_are_hard() -> None:
    hard = ws.load_scenario("default").model_copy(deep=True)
    hard.nature.hardness = 4.0  # type: ignore[attr-defined]
    hard.correlations = []
    race = _run("race", hard).probabilities
    pause = _run("pause-then-enhanced-labor", hard)
    assert pause.probabilities["failure"] < race["failure"] - 0.2
    assert pause.waystations["global_pause"].p_reached > 0.9
    assert pause.waystations["enhanced_human_labor"].p_reached > 0.5


def test_aar_strategy_reaches_the_automated_researcher(default: ws.Results) -> None:
    aar = _run("automated-alignment-researcher")
    race = _run("race").waystations["automated_alignment_researcher"].p_reached
    assert aar.waystations["automated_alignment_researcher"].p_reached > 0.5
    # no share floor: racing can reach it too, but inside the safety range less often
    assert 0.0 < race < aar.waystations["automated_alignment_researcher"].p_reached
    assert aar.probabilities["victory"] > default.probabilities["victory"]


def test_verification_first_reaches_verified_safety(default: ws.Results) -> None:
    ver = _run("verification-first")
    assert (
        ver.waystations["verified_safety"].p_reached
        > default.waystations["verified_safety"].p_reached
    )


def test_mutual_sabotage_holds_back_a_runaway_leader() -> None:
    sc = ws.load_scenario("default").model_copy(deep=True)
    sc.actors[0].frontier = 1.0  # a full OOM ahead
    base = _run("default", sc).trajectories.get("capability", "leading-lab")[0.5]
    sab = _run("mutual-sabotage", sc).trajectories.get("capability", "leading-lab")[0.5]
    assert sab[2] < base[2] - 0.25  # two years in: ten histogram bins (0.025 OOM) behind


def test_strategy_file_round_trip(tmp_path: Any) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "name: hold-at-two\ndescription: pause once capability passes 2 OOM\nrules:\n"
        "  - when: capability >= 2\n    set: {caution: 1.0, margin_target: 5.0}\n"
    )
    res = ws.run("default", worlds=N, seed=8, strategy=path)
    assert res.strategy == "hold-at-two"
    assert res.probabilities != _run("default").probabilities


# --- waystations on hand-built worlds with known answers ------------------------


def test_enhanced_labour_reached_at_known_year() -> None:
    sc = make(
        CONSTANT_WORLD,
        **{
            "nature__wbe_cost": 5000.0,
            "nature__hazard_rate": 0.01,
            "world__wbe_background": 1000.0,
            "world__wbe_background_growth": 0.0,
            "world__wbe_lag": 2.0,
        },
    )
    w = ws.run(sc, worlds=N, seed=1).waystations["enhanced_human_labor"]
    # 1,000 FTE-years a year reach 5,000 in 2031; emulations are usable two years later.
    # The hazard far outside the range is rate * (1 + C - S), C = g t, S = -10.
    assert w.median_year == 2033.0
    assert w.p_reached == pytest.approx(math.exp(-0.01 * (11 * 7 + G * 49 / 2)), abs=1e-9)
    assert w.p_victory_given_reached == 0.0


def test_global_pause_reached_after_a_year() -> None:
    # Backdrop capacity multiplies coordination: hold it at 1 (no erosion) here.
    sc = make(
        CONSTANT_WORLD,
        nature__hazard_rate=0.01,
        world__b_erosion=0.0,
        strategy={"name": "halt", "rules": [{"set": {"global_pause": 1.0, "enforcement": 1.0}}]},
    )
    res = ws.run(sc, worlds=N, seed=1)
    w = res.waystations["global_pause"]
    assert w.median_year == 2027.0
    assert w.p_reached == pytest.approx(math.exp(-0.01 * 11 * 1), abs=1e-9)
    cap = res.trajectories.get("capability", "solo")[0.5]
    assert np.all(np.abs(cap) < 0.03)  # a full pause holds the frontier still


def test_victory_and_sweet_spot_at_known_years() -> None:
    sc = make(
        CONSTANT_WORLD,
        **{
            "actors__0__safety_range": 20.0,
            "world__C_aar": 1.0,
            "world__si_gap": 2.0,
            "time__dt": 0.125,
        },
    )
    res = ws.run(sc, worlds=N, seed=1)
    # Capability grows G OOM/yr from 0: C_aar = 1 after 1/G yr, C_si = 3 after 3/G
    # (victory interpolated within its step, then binned by step).
    assert res.probabilities["victory"] == pytest.approx(1.0, abs=1e-9)
    assert res.median_victory_year == 2026.0 + round(3 / G / 0.125) * 0.125
    sweet = res.waystations["sweet_spot"]
    assert sweet.median_year == 2026.0 + math.ceil(1 / G / 0.125) * 0.125
    assert sweet.p_victory_given_reached == pytest.approx(1.0, abs=1e-9)
    assert res.mean_sweet_spot_years == pytest.approx(4.0, abs=0.13)


def test_deterrence_needs_a_rival() -> None:
    """With a single actor there is nobody to sabotage it: deterrence changes nothing."""
    calm = ws.run(make(CONSTANT_WORLD), worlds=N, seed=4)
    armed = ws.run(make(CONSTANT_WORLD, levers__deterrence=1.0), worlds=N, seed=4)
    assert calm.probabilities == armed.probabilities
    np.testing.assert_array_equal(calm.trajectories.values, armed.trajectories.values)
