"""The figure specifications the page and the report share: content, palette, colour blindness."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import waystation as ws
from waystation import figspecs
from waystation.figspecs import OUTCOME_COLOURS, PALETTE, cvd_distance

#: Two series are told apart at a glance above about 10 (CIE76); the Okabe-Ito colours
#: the figures use together stay above 15 under every simulated deficiency.
APART = 15.0


@pytest.fixture(scope="module")
def run() -> Any:
    sc = ws.load_scenario("default")
    short = sc.model_copy(update={"time": sc.time.model_copy(update={"horizon": 2045, "dt": 0.25})})
    model = ws.compile_scenario(short)
    return model, ws.run_model(model, 300, 1)


@pytest.mark.parametrize("vision", ["normal", "protanopia", "deuteranopia", "tritanopia"])
def test_series_colours_stay_apart_for_colour_blind_readers(vision: str) -> None:
    assert cvd_distance(PALETTE[:6], vision) > APART
    assert cvd_distance([OUTCOME_COLOURS[o] for o in ("victory", "costly_non_failure",
                                                        "failure")], vision) > APART  # fmt: skip


def test_the_check_rejects_a_red_green_pair() -> None:
    """The classic red and green: apart for most readers, nearly one colour under deuteranopia."""
    red_green = ["#d62728", "#2ca02c"]
    assert cvd_distance(red_green, "normal") > 3 * APART
    assert cvd_distance(red_green, "deuteranopia") < APART


def test_the_plots_use_the_presentation_layers_palette_and_thresholds() -> None:
    from waystation.plots import _common, time

    assert _common.PALETTE is PALETTE and _common.OUTCOME_COLOURS is OUTCOME_COLOURS
    assert _common.thresholds_of is figspecs.thresholds_of and time.over_time is figspecs.over_time


def test_the_diagram_marks_thresholds_waystations_and_the_unsafe_region(run: Any) -> None:
    model, res = run
    levels = figspecs.thresholds_of(model)
    spec = figspecs.diagram(res, levels)
    kinds = [m["kind"] for m in spec["marks"]]
    hlines = [m for m in spec["marks"] if m["kind"] == "hline"]
    assert sorted(m["at"] for m in hlines) == sorted(levels.values())
    assert {m["label"].split(":")[0] for m in hlines} == {"C_aar", "C_si"}
    lines = [m for m in spec["marks"] if m["kind"] == "line"]
    assert len(lines) == 2 * len(res.actors)  # frontier and safety range per actor
    years = [m["at"] for m in spec["marks"] if m["kind"] == "vline"]
    reached = [w.median_year for w in res.waystations.values()
               if w.median_year is not None and w.p_reached >= figspecs.MARK_SHARE]  # fmt: skip
    assert (not reached and not years) or min(years) == min(reached)
    for region in (m for m in spec["marks"] if m["kind"] == "region"):
        # shaded exactly where the actor's median frontier is past its median safety range
        actor = region["group"]
        cap = np.asarray(res.trajectories.get("capability", actor)[0.5])
        safe = np.asarray(res.trajectories.get("safety_range", actor)[0.5])
        assert np.allclose(np.asarray(region["high"]) - np.asarray(region["low"]),
                           np.maximum(cap - safe, 0.0))  # fmt: skip
    assert "band" in kinds


def test_an_unsafe_region_appears_when_the_frontier_outruns_safety() -> None:
    """In pessimistic worlds under a race the leader's median frontier passes its safety range."""
    from waystation.presets import load_preset

    sc = load_preset("pessimistic-worlds")
    fast = sc.model_copy(update={"time": sc.time.model_copy(update={"horizon": 2040,
                                                                    "dt": 0.25})})  # fmt: skip
    res = ws.run(fast, 200, 2, strategy="race")
    spec = figspecs.diagram(res, {})
    cap = np.asarray(res.trajectories.get("capability", res.actors[0])[0.5])
    safe = np.asarray(res.trajectories.get("safety_range", res.actors[0])[0.5])
    regions = {m["group"] for m in spec["marks"] if m["kind"] == "region"}
    assert np.any(cap > safe)  # the leader's frontier outruns its safety range
    assert res.actors[0] in regions


def test_outcomes_over_time_end_at_the_horizons_probabilities(run: Any) -> None:
    _, res = run
    spec = figspecs.outcomes_over_time({"a": res, "b": res})
    last = {m["label"]: m["y"][-1] for m in spec["marks"]}
    assert last["a: victory"] == pytest.approx(res.probabilities["victory"], abs=1e-12)
    assert last["a: failure"] == pytest.approx(res.probabilities["failure"], abs=1e-12)
    assert last["b: neither yet"] == pytest.approx(
        res.probabilities["costly_non_failure"], abs=1e-9
    )
    colours = {m["colour"] for m in spec["marks"]}
    assert colours == set(PALETTE[:2])  # one colour per run; the outcome is in the dash


def test_the_report_side_draws_the_same_specifications(run: Any, tmp_path: Any) -> None:
    """Each spec drawn with matplotlib carries its marks: lines, thresholds, bars, colours."""
    pytest.importorskip("matplotlib")
    from waystation.plots import save
    from waystation.plots.specs import draw

    model, res = run
    specs = [figspecs.diagram(res, figspecs.thresholds_of(model)),
             figspecs.outcomes_over_time({"a": res, "b": res})]  # fmt: skip
    table = {"objective": "victory", "levers": [
        {"name": "caution", "scope": "actor", "per_cost": {"estimate": 0.01, "low": 0.0,
         "high": 0.02}, "curve": {"x": [0.0, 0.5, 1.0], "mean": [0.5, 0.6, 0.7],
                                  "low": [0.4, 0.5, 0.6], "high": [0.6, 0.7, 0.8]}}]}  # fmt: skip
    specs += [figspecs.lever_tornado(table), figspecs.lever_curves(table, {"caution": (0, 1)})]
    for spec in specs:
        fig = draw(spec)
        ax = fig.axes[0]
        lines = [m for m in spec["marks"] if m["kind"] == "line"]
        drawn = {ln.get_gid(): ln for ln in ax.get_lines()}
        for m in lines:
            got = drawn[f"{spec['id']}:line:{m['label']}"]
            assert (
                list(got.get_ydata()) == m["y"] and got.get_color().lower() == m["colour"].lower()
            )
        for m in (m for m in spec["marks"] if m["kind"] == "hline"):
            assert list(drawn[f"{spec['id']}:hline:{m['label']}"].get_ydata()) == [m["at"]] * 2
        if spec["id"] == "tornado":
            bars = [p for p in ax.patches if (p.get_gid() or "").startswith("tornado:bars")]
            assert [b.get_width() for b in bars] == [0.01]
        path = tmp_path / f"{spec['id']}.png"
        save(fig, path)
        assert path.stat().st_size > 5_000
