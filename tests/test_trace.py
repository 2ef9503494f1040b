"""Traced worlds are the engine's worlds: same inputs, same shocks, same end states."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import waystation as ws
from waystation.api import run_model
from waystation.model import Model
from waystation.results import Results
from waystation.simulate import STREAM_BLOCK
from waystation.trace import pick_worlds, sample_traces, trace_worlds

WORLDS = STREAM_BLOCK + 300  # two stream blocks, the second one partly used


def short_default() -> ws.Scenario:
    """The default scenario to 2036: three actors, every input uncertain, few steps."""
    sc: dict[str, Any] = ws.load_scenario("default").model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    sc["time"]["horizon"] = 2036.0
    return ws.Scenario.model_validate(sc)


@pytest.fixture(scope="module")
def race_model() -> Model:
    return ws.compile_scenario(short_default(), "race")


@pytest.fixture(scope="module")
def res(race_model: Model) -> Results:
    # a compute block of one stream block: the run is split differently from the trace
    return run_model(race_model, WORLDS, seed=11, block_size=STREAM_BLOCK)


def chosen(res: Results) -> list[int]:
    """Worlds of both outcomes and of both stream blocks, plus the last world."""
    picks = pick_worlds(res.records or {}, per_outcome=3, seed=2)
    return sorted({*picks["victory"], *picks["failure"], 0, STREAM_BLOCK + 7, WORLDS - 1})


def test_traced_worlds_end_as_the_engine_records(race_model: Model, res: Results) -> None:
    ids = chosen(res)
    assert any(w >= STREAM_BLOCK for w in ids) and any(w < STREAM_BLOCK for w in ids)
    rec = res.records
    assert rec is not None
    tr = trace_worlds(race_model, res.seed, ids)
    np.testing.assert_allclose(tr.p_victory, rec["p_victory"][ids], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(tr.p_failure, rec["p_failure"][ids], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(tr.victory_year, rec["victory_year"][ids], rtol=1e-12)
    for a, actor in enumerate(race_model.actors):
        np.testing.assert_allclose(
            tr.capability[:, -1, a], rec[f"{actor}.final_capability"][ids], rtol=1e-12
        )
        np.testing.assert_allclose(
            tr.safety_range[:, -1, a], rec[f"{actor}.final_safety_range"][ids], rtol=1e-12
        )
    # both outcomes are present, so the comparison covers won and lost worlds
    assert (tr.p_victory >= 0.5).any() and (tr.p_failure >= 0.5).any()


def test_a_world_traces_the_same_alone_or_with_others(race_model: Model, res: Results) -> None:
    ids = chosen(res)
    together = trace_worlds(race_model, res.seed, ids)
    alone = trace_worlds(race_model, res.seed, [ids[-1]])
    np.testing.assert_array_equal(alone.capability[0], together.capability[-1])
    np.testing.assert_array_equal(alone.survival[0], together.survival[-1])


def test_traces_freeze_at_victory_and_start_at_the_frontier(
    race_model: Model, res: Results
) -> None:
    tr = trace_worlds(race_model, res.seed, chosen(res))
    assert tr.capability.shape == (len(tr.worlds), race_model.steps + 1, len(race_model.actors))
    np.testing.assert_array_equal(tr.times, race_model.times)
    for w, year in enumerate(tr.victory_year):
        if np.isfinite(year):
            after = np.searchsorted(tr.times, year) + 1  # steps after the winning one
            assert (tr.capability[w, after:] == tr.capability[w, after - 1]).all()
            assert (tr.survival[w, after:] == tr.survival[w, after - 1]).all()
    assert (np.diff(tr.survival, axis=1) <= 0).all()  # survival never rises


def test_pick_worlds_takes_clear_outcomes() -> None:
    records = {
        "p_victory": np.array([0.9, 0.1, 0.6, 0.0, 0.5, 0.2]),
        "p_failure": np.array([0.1, 0.9, 0.4, 1.0, 0.5, 0.3]),
    }
    picks = pick_worlds(records, per_outcome=2, seed=0)
    assert len(picks["victory"]) == 2 and set(picks["victory"]) <= {0, 2, 4}
    assert len(picks["failure"]) == 2 and set(picks["failure"]) <= {1, 3, 4}
    assert picks == pick_worlds(records, per_outcome=2, seed=0)
    assert pick_worlds(records, per_outcome=10)["victory"] == [0, 2, 4]


def test_trace_errors_are_clear(race_model: Model, res: Results) -> None:
    with pytest.raises(ValueError, match="at least one world"):
        trace_worlds(race_model, 0, [])
    with pytest.raises(ValueError, match=">= 0"):
        trace_worlds(race_model, 0, [-1])
    with pytest.raises(ValueError, match="labels"):
        trace_worlds(race_model, 0, [1, 2], ["victory"])
    with pytest.raises(ValueError, match="keep_worlds"):
        sample_traces(race_model, run_model(race_model, 10, seed=0, keep_worlds=False))
