"""The figure specifications the page and the report share: content, palette, colour blindness."""

from __future__ import annotations

import itertools
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
    """A panel per actor (medians, 50% and 90% bands, thresholds, ticks) and a strip under it."""
    model, res = run
    levels = figspecs.thresholds_of(model)
    spec = figspecs.diagram(res, levels)
    panels = [p["id"] for p in spec["panels"]]
    assert panels == [x for a in res.actors for x in (a, f"{a}: share")]
    reached = sorted(
        w.median_year
        for w in res.waystations.values()
        if w.median_year is not None and w.p_reached >= figspecs.MARK_SHARE
    )
    assert reached  # the default reaches waystations within the short horizon
    for actor in res.actors:
        on = [m for m in spec["marks"] if m.get("panel") == actor]
        assert all(m["group"] == actor for m in on)
        hlines = [m for m in on if m["kind"] == "hline"]
        assert sorted(m["at"] for m in hlines) == sorted(levels.values())
        assert {m["label"].split(":")[0] for m in hlines} == {"C_aar", "C_si"}
        lines = {m["label"]: m for m in on if m["kind"] == "line"}
        for name, var in (("capability frontier", "capability"), ("safety range", "safety_range")):
            q = res.trajectories.get(var, actor)
            assert lines[name]["y"] == [float(v) for v in q[0.5]]
            bands = {m["label"]: m for m in on if m["kind"] == "band"}
            assert bands[f"{name}: 90% of worlds"]["low"] == [float(v) for v in q[0.05]]
            assert bands[f"{name}: 50% of worlds"]["high"] == [float(v) for v in q[0.75]]
        assert lines["capability frontier"]["dash"] != lines["safety range"]["dash"]
        (ticks,) = (m for m in on if m["kind"] == "ticks")
        assert sorted(ticks["at"]) == reached and len(ticks["labels"]) == len(reached)
        cap = np.asarray(res.trajectories.get("capability", actor)[0.5])
        safe = np.asarray(res.trajectories.get("safety_range", actor)[0.5])
        for region in (m for m in on if m["kind"] == "region" and not m.get("pattern")):
            # shaded exactly where the actor's median frontier is past its median safety range
            assert np.allclose(np.asarray(region["high"]) - np.asarray(region["low"]),
                               np.maximum(cap - safe, 0.0))  # fmt: skip
        (hatched,) = (m for m in on if m.get("pattern"))
        assert hatched["low"] == [float(v) for v in safe]  # beyond the median safety range
        strip = {m["label"]: m for m in spec["marks"]
                 if m.get("panel") == f"{actor}: share" and m["kind"] == "line"}  # fmt: skip
        assert res.trajectories.outside is not None
        outside = res.trajectories.outside[res.actors.index(actor)]
        share = strip["share of worlds beyond their safety range"]
        assert share["y"] == [float(v) for v in outside]
        assert strip["P(failure by year)"]["y"][-1] == pytest.approx(res.probabilities["failure"])


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
    regions = {m["group"] for m in spec["marks"] if m["kind"] == "region" and not m.get("pattern")}
    assert np.any(cap > safe)  # the leader's frontier outruns its safety range
    assert res.actors[0] in regions


def test_outcomes_over_time_end_at_the_horizons_probabilities(run: Any) -> None:
    """A panel per outcome; in each, one line per run that differs by colour and by dash."""
    _, res = run
    spec = figspecs.outcomes_over_time({"a": res, "b": res})
    assert [p["id"] for p in spec["panels"]] == ["victory", "undecided", "failure"]
    last = {(m["label"], m["panel"]): m["y"][-1] for m in spec["marks"]}
    assert last["a", "victory"] == pytest.approx(res.probabilities["victory"], abs=1e-12)
    assert last["a", "failure"] == pytest.approx(res.probabilities["failure"], abs=1e-12)
    assert last["b", "undecided"] == pytest.approx(
        res.probabilities["costly_non_failure"], abs=1e-9
    )
    for panel in ("victory", "undecided", "failure"):
        on = [m for m in spec["marks"] if m["panel"] == panel]
        assert len({m["colour"] for m in on}) == len({m["dash"] for m in on}) == 2
        assert all(m["end_value"] and m["x"][-1] == float(res.times[-1]) for m in on)
    colours = {m["colour"] for m in spec["marks"]}
    assert colours == set(PALETTE[:2])  # one colour per run
    one = figspecs.outcomes_over_time({"a": res})
    assert not one["legend"]  # one run: each panel's title names its line
    assert {m["colour"] for m in one["marks"]} == {OUTCOME_COLOURS["victory"],
            OUTCOME_COLOURS["failure"], figspecs.OKABE_ITO["black"]}  # fmt: skip


def lever_table(curves: bool = True) -> dict[str, Any]:
    """A lever table as the API and ``LeverTable.to_dict`` give it (two levers, one with NaN)."""

    def curve(current: float) -> dict[str, Any]:
        return {"x": [0.0, 0.5, 1.0], "mean": [0.5, 0.6, 0.7], "low": [0.4, 0.5, 0.6],
                "high": [0.6, 0.7, 0.8], "current": current,
                "shape": {"kind": "increasing", "at": None, "detail": "",
                          "words": "increasing"}}  # fmt: skip

    return {"objective": "victory", "levers": [
        {"name": "caution", "scope": "actor", "sign_disagreement": True,
         "per_cost": {"estimate": 0.01, "low": 0.0, "high": 0.02},
         "curve": curve(0.4) if curves else None},
        {"name": "margin_target", "scope": "actor", "sign_disagreement": False,
         "per_cost": {"estimate": None, "low": None, "high": None},
         "curve": curve(0.0) if curves else None}]}  # fmt: skip


def test_lever_specs_rank_the_bars_and_give_each_curve_its_panel() -> None:
    table = lever_table()
    (bars,) = figspecs.lever_tornado(table)["marks"]
    assert bars["labels"] == ["caution (actor)"]  # the lever without a value is left out
    assert (bars["estimate"], bars["low"], bars["high"]) == ([0.01], [0.0], [0.02])
    spec = figspecs.lever_curves(table, {"caution": (0, 1), "margin_target": (-2, 5)})
    assert [(p["id"], p["subtitle"]) for p in spec["panels"]] == [
        ("caution", "increasing · signs disagree"),
        ("margin_target", "increasing"),
    ]
    lo, hi = spec["panels"][1]["x"]["range"]
    assert lo < -2 < 5 < hi  # the lever's bounds, a little room either side
    settings = {m["panel"]: m["at"] for m in spec["marks"] if m["kind"] == "vline"}
    assert settings == {"caution": 0.4, "margin_target": 0.0}
    assert figspecs.lever_curves(lever_table(curves=False))["panels"] == []


def test_the_report_side_draws_the_same_specifications(run: Any, tmp_path: Any) -> None:
    """Each spec drawn with matplotlib carries its panels and marks: lines, thresholds, bars."""
    pytest.importorskip("matplotlib")
    from helpers import assert_drawn_from
    from waystation.plots import save
    from waystation.plots.specs import draw

    model, res = run
    table = lever_table()
    specs = [figspecs.diagram(res, figspecs.thresholds_of(model)),
             figspecs.outcomes_over_time({"a": res, "b": res}),
             figspecs.outcomes_over_time({"a": res}), figspecs.lever_tornado(table),
             figspecs.lever_curves(table, {"caution": (0, 1)})]  # fmt: skip
    for spec in specs:
        fig = draw(spec)
        assert_drawn_from(fig, spec)
        path = tmp_path / f"{spec['id']}.png"
        save(fig, path)
        assert path.stat().st_size > 5_000


def test_the_renderer_draws_the_new_marks_and_filters_panels(run: Any) -> None:
    """Ticks labelled once, hatched regions, end values, markers, no key where asked, ``only``."""
    pytest.importorskip("matplotlib")
    from matplotlib.lines import Line2D

    from waystation.plots.specs import draw, gid

    model, res = run
    spec = figspecs.diagram(res, figspecs.thresholds_of(model))
    fig = draw(spec)
    assert len(fig.axes) == 2 * len(res.actors)  # a panel and a strip per actor
    (ticks,) = (m for m in spec["marks"] if m["kind"] == "ticks" and m["panel"] == res.actors[0])
    labels = fig.findobj(lambda a: (a.get_gid() or "").endswith(":label"))
    assert sorted(t.get_text() for t in labels) == sorted(ticks["labels"])  # once, in the first
    assert {t.axes for t in labels} == {fig.axes[0]}
    hatched = fig.findobj(lambda a: a.get_gid() == f"diagram:region:beyond the median safety "
                          f"range@{res.actors[0]}")  # fmt: skip
    assert hatched and hatched[0].get_hatch()
    one = draw(spec, only=res.actors[1])  # the page's actor filter: that actor's panels alone
    assert [ax.get_title(loc="left") for ax in one.axes] == [res.actors[1], ""]
    over = figspecs.outcomes_over_time({"a": res, "b": res})
    fig = draw(over)
    ends = [t for t in fig.findobj(lambda a: (a.get_gid() or "").endswith(":end"))]
    assert sorted(t.get_text() for t in ends) == sorted(f"{m['y'][-1]:.2f}" for m in over["marks"])
    for ax in fig.axes:  # end values in one panel never overlap
        ys = sorted(t.xy[1] for t in ends if t.axes is ax)
        assert all(b - a >= 0.07 - 1e-9 for a, b in itertools.pairwise(ys))
    assert fig.legends and [t.get_text() for t in fig.legends[0].get_texts()] == ["a", "b"]
    curves = figspecs.lever_curves(lever_table())
    fig = draw(curves)
    assert not fig.legends  # each panel's title names its lever
    line = fig.findobj(lambda a: a.get_gid() == "lever_curves:line:caution@caution")[0]
    assert isinstance(line, Line2D) and line.get_marker() == "o"
    assert fig.axes[0].get_title(loc="left") == "caution\nincreasing · signs disagree"
    odd = {**curves, "marks": [*curves["marks"], {"kind": "sparkles", "panel": "caution"}]}
    assert len(draw(odd).axes) == len(curves["panels"])  # an unknown kind is skipped
    assert gid(curves, curves["marks"][0]) == "lever_curves:band:caution@caution"
