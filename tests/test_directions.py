"""The default scenario responds the way the essay implies (common random numbers)."""

from __future__ import annotations

import pytest

import waystation as ws

N = 4096


def _p(model: object, **overrides: float) -> dict[str, float]:
    m = model.with_overrides(overrides) if overrides else model  # type: ignore[attr-defined]
    return ws.run_model(m, N, seed=21).probabilities


def _actors(model: object, lever: str, value: float) -> dict[str, float]:
    return {f"{a}.{lever}": value for a in model.actors}  # type: ignore[attr-defined]


def test_default_is_not_degenerate(model: object) -> None:
    p = _p(model)
    assert max(p.values()) < 0.9
    assert p["victory"] > 0.01 and p["failure"] > 0.01
    # by 2100 almost every world has resolved: costly non-failure is rare but possible
    assert p["costly_non_failure"] > 0.0


def test_harder_problems_mean_less_victory_and_more_failure(model: object) -> None:
    easy, hard = _p(model, hardness=0.5), _p(model, hardness=4.0)
    assert hard["victory"] < easy["victory"] - 0.05
    assert hard["failure"] > easy["failure"] + 0.05


def test_caution_lowers_failure(model: object) -> None:
    reckless = _p(model, **_actors(model, "caution", 0.0))
    careful = _p(model, **_actors(model, "caution", 1.0))
    assert careful["failure"] < reckless["failure"] - 0.02


def test_ai_safety_share_raises_victory(model: object) -> None:
    low = _p(model, **_actors(model, "ai_safety_share", 0.01))
    high = _p(model, **_actors(model, "ai_safety_share", 0.3))
    assert high["victory"] > low["victory"] + 0.05
    assert high["failure"] < low["failure"]


@pytest.mark.parametrize("name", sorted(ws.shipped_scenarios()))
def test_every_shipped_scenario_runs(name: str) -> None:
    p = ws.run(name, worlds=1024, seed=2).probabilities
    assert sum(p.values()) == pytest.approx(1.0, abs=1e-9)


def test_hard_problem_scenario_is_harder_than_default() -> None:
    default = ws.run("default", worlds=N, seed=2).probabilities
    hard = ws.run("hard-problem", worlds=N, seed=2).probabilities
    assert hard["victory"] < default["victory"] - 0.2
    assert hard["failure"] > default["failure"] + 0.2
