"""The default scenario responds the way the essay implies (common random numbers)."""

from __future__ import annotations

import numpy as np
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


def _victory_gain(model: object, **overrides: float) -> tuple[float, float]:
    """Paired per-world gain in P(victory) as every actor's ai_safety_share goes 0.01 -> 0.3."""

    def victory(share: float) -> np.ndarray:
        over = {**overrides, **_actors(model, "ai_safety_share", share)}
        m = model.with_overrides(over)  # type: ignore[attr-defined]
        return ws.run_model(m, N, seed=21).worlds["p_victory"].to_numpy()

    d = victory(0.3) - victory(0.01)
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(N))


def test_ai_safety_share_raises_victory(model: object) -> None:
    """More AI labour on safety raises victory beyond 3 s.e. where AI does not scheme.
    Over the default's prior on scheming the gain is smaller (+0.007 to +0.011, about
    3 s.e. at 4,096-8,192 worlds), since scheming AI's uncheckable work is sabotage
    (tests/test_model_v3.py) and evidence-driven restraint does much of what safety
    labour did (v2: +0.05): it stays positive."""
    gain, se = _victory_gain(model, scheming=0.0)
    assert gain > 3 * se, (gain, se)
    gain, se = _victory_gain(model)
    assert gain > 0.0, (gain, se)


@pytest.mark.parametrize("name", sorted(ws.shipped_scenarios()))
def test_every_shipped_scenario_runs(name: str) -> None:
    p = ws.run(name, worlds=1024, seed=2).probabilities
    assert sum(p.values()) == pytest.approx(1.0, abs=1e-9)


def test_hard_problem_scenario_is_harder_than_default() -> None:
    default = ws.run("default", worlds=N, seed=2).probabilities
    hard = ws.run("hard-problem", worlds=N, seed=2).probabilities
    assert hard["victory"] < default["victory"] - 0.2
    assert hard["failure"] > default["failure"] + 0.2
