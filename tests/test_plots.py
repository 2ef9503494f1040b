"""Figures: each is drawn for a small run and plots exactly the numbers it comes from."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.artist import Artist
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

import waystation as ws
from waystation import figspecs, plots, present
from waystation.analyses import (
    Comparison,
    CompetenceProfile,
    Interval,
    LeverTable,
    LeverValue,
    Sensitivity,
)
from waystation.results import OUTCOMES, Results

WORLDS = 400
MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "svg": b"<?xml", "pdf": b"%PDF-"}


def interval(estimate: float, low: float, high: float) -> Interval:
    return Interval(estimate, low, high)


def make_profile(grid: Any, curves: Any, ses: Any, frontier: Interval | None) -> CompetenceProfile:
    return CompetenceProfile("default", "default", 0, 100, grid, curves, ses, frontier)


def make_lever(name: str, scope: str, cost: float, d: Interval, per: Interval) -> LeverValue:
    return LeverValue(name, scope, cost, d, per)


def make_table(objective: str, rows: tuple[LeverValue, ...]) -> LeverTable:
    return LeverTable("default", "default", 0, 100, objective, rows)


def make_sens(method: str, names: tuple[str, ...], *args: Any, **kw: Any) -> Sensitivity:
    keys = ("S1", "S1_conf", "ST", "ST_conf")
    kw.update(zip(keys, args, strict=False))
    return Sensitivity("default", "default", method, "victory", 8, 0, 100, names, **kw)


def make_cmp(
    strategies: tuple[str, ...], differences: dict[str, dict[str, Interval]]
) -> Comparison:
    return Comparison("default", 0, 100, strategies, {}, differences)


@pytest.fixture(scope="module")
def res() -> Results:
    return ws.run("default", worlds=WORLDS, seed=3, block_size=WORLDS)


def by_gid(fig: Figure, gid: str) -> Artist:
    found = fig.findobj(lambda a: a.get_gid() == gid)
    assert len(found) == 1, f"{gid}: {len(found)} artists"
    return found[0]


def bar_widths(fig: Figure, prefix: str, n: int) -> np.ndarray:
    rects = [by_gid(fig, f"{prefix}:{k}") for k in range(n)]
    assert all(isinstance(r, Rectangle) for r in rects)
    return np.array([r.get_width() for r in rects if isinstance(r, Rectangle)])


def whiskers(container: BarContainer) -> np.ndarray:
    """(n, 2, 2) segments of a bar container's error bars."""
    assert container.errorbar is not None
    cols = [c for c in container.errorbar.lines[2] if isinstance(c, LineCollection)]
    return np.array(cols[0].get_segments())


def test_diagram_plots_the_trajectory_quantiles(res: Results) -> None:
    assert len(plots.diagram(res, share=False).axes) == len(res.actors)
    fig = plots.diagram(res)
    assert len(fig.axes) == 2 * len(res.actors)  # a panel and a strip per actor
    traj = res.trajectories
    for actor in res.actors:
        for var in ("capability", "safety_range"):
            line = by_gid(fig, f"{actor}:{var}:q50")
            assert isinstance(line, Line2D)
            np.testing.assert_array_equal(line.get_xdata(), traj.times)
            np.testing.assert_array_equal(line.get_ydata(), traj.get(var, actor)[0.5])
        for name, level in plots.thresholds(res).items():
            line = by_gid(fig, f"{actor}:threshold:{name}")
            assert isinstance(line, Line2D)
            assert np.allclose(line.get_ydata(), level)
        for name, w in res.waystations.items():
            if w.median_year is not None:
                tick = by_gid(fig, f"{actor}:waystation:{name}")
                assert isinstance(tick, Line2D)
                assert np.allclose(tick.get_xdata(), w.median_year)
    model = ws.compile_scenario("default")
    levels = plots.thresholds(res)
    assert levels["automated alignment researcher"] == model.inputs["C_aar"].median()
    assert levels["superintelligence"] == pytest.approx(
        model.inputs["C_aar"].median() + model.inputs["si_gap"].median()
    )


def test_diagram_of_one_actor(res: Results) -> None:
    fig = plots.diagram(res, actor=res.actors[-1], share=False)
    assert len(fig.axes) == 1
    assert fig.axes[0].get_title(loc="left") == res.actors[-1]
    with pytest.raises(ValueError, match="no actor 'nobody'"):
        plots.diagram(res, actor="nobody")


def test_outcomes_bars_are_probabilities_with_95_percent_bars(res: Results) -> None:
    other = dataclasses.replace(
        res,
        strategy="other",
        probabilities={o: p / 2 for o, p in res.probabilities.items()},
        standard_errors={o: s * 3 for o, s in res.standard_errors.items()},
    )
    fig = plots.outcomes({"a": res, "other": other})
    bars = {c.get_label(): c for c in fig.axes[0].containers if isinstance(c, BarContainer)}
    assert set(bars) == {"a", "other"}
    for name, r in (("a", res), ("other", other)):
        heights = [p.get_height() for p in bars[name].patches]
        np.testing.assert_allclose(heights, [r.probabilities[o] for o in OUTCOMES])
        seg = whiskers(bars[name])
        np.testing.assert_allclose(
            (seg[:, 1, 1] - seg[:, 0, 1]) / 2,
            [present.Z95 * r.standard_errors[o] for o in OUTCOMES],
        )
    assert len(plots.outcomes(res).axes[0].containers) >= 1


def test_cumulative_lines(res: Results) -> None:
    fig = plots.cumulative(res)
    for name in ("victory", "failure"):
        line = by_gid(fig, f"cumulative:{name}")
        assert isinstance(line, Line2D)
        np.testing.assert_array_equal(line.get_xdata(), res.times)
        np.testing.assert_array_equal(line.get_ydata(), res.cumulative[name])
    assert fig.axes[0].get_xlabel() == "year"


def test_competence_profile_curves_and_frontier() -> None:
    grid = np.geomspace(0.1, 10, 5)
    curves = {"victory": np.linspace(0.9, 0.1, 5), "non_failure": np.linspace(1, 0.2, 5)}
    ses = {k: np.full(5, 0.01) for k in curves}
    fig = plots.competence_profile(make_profile(grid, curves, ses, interval(2.0, 1.5, 2.6)))
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    for name, y in curves.items():
        line = by_gid(fig, f"competence:{name}")
        assert isinstance(line, Line2D)
        np.testing.assert_array_equal(line.get_xdata(), grid)
        np.testing.assert_array_equal(line.get_ydata(), y)
    front = by_gid(fig, "competence:frontier")
    assert isinstance(front, Line2D)
    assert np.allclose(front.get_xdata(), 2.0)
    plots.competence_profile(make_profile(grid, curves, ses, None))


def test_tornado_bars_are_per_cost_estimates_in_rank_order() -> None:
    rows = tuple(
        make_lever(
            f"lever_{k}",
            "actor",
            2.0,
            interval(v, v - 0.1, v + 0.2),
            interval(v / 2, v / 2 - 0.05, v / 2 + 0.1),
        )
        for k, v in enumerate([0.8, 0.3, -0.1])
    )
    fig = plots.tornado(make_table("victory", rows))
    # the report's and the page's tornado (figspecs.lever_tornado), drawn by plots.specs.draw
    widths = bar_widths(fig, "tornado:bars:", 3)
    np.testing.assert_allclose(widths, [r.per_cost.estimate for r in rows])
    ys = [by_gid(fig, f"tornado:bars::{k}").get_y() for k in range(3)]  # type: ignore[attr-defined]
    assert ys == sorted(ys, reverse=True)  # first-ranked on top
    seg = whiskers(next(c for c in fig.axes[0].containers if isinstance(c, BarContainer)))
    np.testing.assert_allclose(seg[:, 0, 0], [r.per_cost.low for r in rows])
    np.testing.assert_allclose(seg[:, 1, 0], [r.per_cost.high for r in rows])
    ax = fig.axes[0]
    labels = dict(zip(ax.get_yticks(), (t.get_text() for t in ax.get_yticklabels()), strict=True))
    assert [labels[y] for y in sorted(labels, reverse=True)] == [
        f"lever {k} (actor)" for k in range(3)
    ]


def test_sobol_and_morris_bars() -> None:
    names = ("hardness", "scheming")
    s1, st = {"hardness": 0.5, "scheming": 0.1}, {"hardness": 0.7, "scheming": 0.2}
    conf = {"hardness": 0.05, "scheming": 0.02}
    fig = plots.sobol(make_sens("sobol", names, s1, conf, st, conf))
    np.testing.assert_allclose(bar_widths(fig, "sobol:S1", 2), [s1[n] for n in names])
    np.testing.assert_allclose(bar_widths(fig, "sobol:ST", 2), [st[n] for n in names])
    fig = plots.sobol(make_sens("morris", names, mu_star=s1, mu_star_conf=conf, sigma=st))
    np.testing.assert_allclose(bar_widths(fig, "morris:mu_star", 2), [s1[n] for n in names])


def test_comparison_points_are_paired_differences() -> None:
    diffs = {
        s: {
            o: interval(k * 0.1 + j * 0.01, k * 0.1 - 0.05, k * 0.1 + 0.05)
            for j, o in enumerate(OUTCOMES)
        }
        for k, s in enumerate(("b", "c"), 1)
    }
    fig = plots.comparison(make_cmp(("a", "b", "c"), diffs))
    for outcome in OUTCOMES:
        line = by_gid(fig, f"comparison:{outcome}")
        assert isinstance(line, Line2D)
        np.testing.assert_allclose(line.get_xdata(), [diffs[s][outcome].estimate for s in "bc"])


def test_waystation_value_points(res: Results) -> None:
    fig = plots.waystation_value(res)
    for name, w in res.waystations.items():
        for key, value in (
            ("reached", w.p_victory_given_reached),
            ("not_reached", w.p_victory_given_not_reached),
        ):
            if value is None:
                assert not fig.findobj(lambda a, g=f"waystation:{name}:{key}": a.get_gid() == g)
                continue
            dots = by_gid(fig, f"waystation:{name}:{key}")
            assert isinstance(dots, PathCollection)
            assert dots.get_offsets()[0][0] == pytest.approx(value)
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {f"{w.p_reached:.2f}" for w in res.waystations.values()} <= texts


@pytest.mark.parametrize("ext", ["png", "svg", "pdf"])
def test_save_formats(res: Results, tmp_path: Path, ext: str) -> None:
    path = plots.save(plots.cumulative(res), tmp_path / f"fig.{ext}")
    assert path.read_bytes().startswith(MAGIC[ext])


def test_save_rejects_other_extensions(res: Results, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.png, \.svg or \.pdf"):
        plots.save(plots.cumulative(res), tmp_path / "fig.jpg")


def test_core_imports_no_matplotlib_and_plots_no_pyplot() -> None:
    code = (
        "import sys, waystation, waystation.report\n"
        "assert 'matplotlib' not in sys.modules\n"
        "from waystation import plots\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_figures_from_real_analyses(res: Results) -> None:
    from waystation import analyses

    cmp = analyses.compare("default", ["default", "race"], worlds=200, seed=1)
    fig = plots.comparison(cmp)
    line = by_gid(fig, "comparison:victory")
    assert isinstance(line, Line2D)
    assert line.get_xdata()[0] == pytest.approx(cmp.differences["race"]["victory"].estimate)
    prof = analyses.competence("default", grid=[0.3, 1.0, 3.0], worlds=200, seed=1)
    line = by_gid(plots.competence_profile(prof), "competence:victory")
    assert isinstance(line, Line2D)
    np.testing.assert_array_equal(line.get_ydata(), prof.curves["victory"])


# --- figures over time, side by side, sampled paths; legibility -------------------------


@pytest.fixture(scope="module")
def race(res: Results) -> Results:
    return ws.run("default", worlds=WORLDS, seed=3, block_size=WORLDS, strategy="race")


def line(fig: Figure, gid: str) -> Line2D:
    found = by_gid(fig, gid)
    assert isinstance(found, Line2D)
    return found


def test_outside_share_at_the_horizon_counts_the_final_states(res: Results) -> None:
    """The exact histogram count agrees with the per-world final states, world by world."""
    traj, rec = res.trajectories, res.records
    assert traj.outside is not None and rec is not None
    assert traj.outside.shape == (len(res.actors), len(traj.times))
    assert ((traj.outside >= 0) & (traj.outside <= 1)).all()
    for a, actor in enumerate(res.actors):
        beyond = rec[f"{actor}.final_capability"] > rec[f"{actor}.final_safety_range"]
        assert traj.outside[a, -1] == pytest.approx(beyond.mean(), abs=1e-12)
    fig = plots.outside_share({"default": res})
    for a, actor in enumerate(res.actors):
        np.testing.assert_array_equal(line(fig, f"outside:default:{actor}").get_ydata(),
                                      traj.outside[a])  # fmt: skip
    np.testing.assert_array_equal(
        line(fig, "outside:default:failure").get_ydata(), res.cumulative["failure"]
    )


def test_arrivals_are_distributions_ending_at_p_reached(res: Results) -> None:
    assert res.reached_by is not None
    fig = plots.arrivals(res)
    for name, w in res.waystations.items():
        y = res.reached_by[name]
        assert (np.diff(y) >= -1e-15).all()
        assert y[-1] == pytest.approx(w.p_reached, abs=1e-12)
        np.testing.assert_array_equal(line(fig, f"arrivals:default:{name}").get_ydata(), y)
        if w.median_year is not None:  # half the arrivals have come by the median year
            k = int(np.argmin(np.abs(res.times - w.median_year)))
            assert y[k] >= w.p_reached / 2 - 1e-12
            assert k == 0 or y[k - 1] < w.p_reached / 2 + 1e-12
            dot = line(fig, f"arrivals:default:{name}:median")
            assert dot.get_xdata()[0] == w.median_year  # type: ignore[index]


def test_outcomes_over_time_end_at_the_outcome_probabilities(res: Results, race: Results) -> None:
    """The CLI's figure is the report's and the page's specification, drawn: a line per run
    in each outcome's panel, from the first year to the horizon, ending at the outcome."""
    both = {"default": res, "race": race}
    fig = plots.outcomes_over_time(both)
    spec = figspecs.outcomes_over_time(both)
    for name, r in both.items():
        ends = {}
        for key in ("victory", "undecided", "failure"):
            drawn = line(fig, f"over_time:line:{name}@{key}")
            x, y = np.asarray(drawn.get_xdata()), np.asarray(drawn.get_ydata())
            mark = next(m for m in spec["marks"] if m.get("label") == name and m["panel"] == key)
            np.testing.assert_array_equal(y, mark["y"])
            assert x[0] == r.times[0] and x[-1] == r.times[-1]
            ends[key] = y[-1]
        assert ends["victory"] == pytest.approx(r.probabilities["victory"], abs=1e-9)
        assert ends["failure"] == pytest.approx(r.probabilities["failure"], abs=1e-9)
        assert ends["undecided"] == pytest.approx(r.probabilities["costly_non_failure"], abs=1e-9)


def test_diagram_draws_strategies_side_by_side(res: Results, race: Results) -> None:
    fig = plots.diagram({"default": res, "race": race})
    assert len(fig.axes) == 2 * 2 * len(res.actors)
    mains = []
    for name, r in (("default", res), ("race", race)):
        for actor in r.actors:
            q50 = line(fig, f"{name}:{actor}:capability:q50")
            np.testing.assert_array_equal(
                q50.get_ydata(), r.trajectories.get("capability", actor)[0.5]
            )
            mains.append(q50.axes)
            assert r.trajectories.outside is not None
            strip = line(fig, f"{name}:{actor}:outside")
            a = r.actors.index(actor)
            np.testing.assert_array_equal(strip.get_ydata(), r.trajectories.outside[a])
    assert len({ax.get_ylim() for ax in mains if ax is not None}) == 1  # shared axes


def test_unsafe_fill_is_where_the_median_frontier_passes_the_safety_range() -> None:
    # hard-problem under a race: there the median frontier does pass the median safety
    # range (on the default it no longer does under Model v3, whose restraint answers to
    # evidence of risk)
    race = ws.run("hard-problem", worlds=WORLDS, seed=3, block_size=WORLDS, strategy="race")
    fig = plots.diagram(race, share=False)
    hits = 0
    for actor in race.actors:
        cap = race.trajectories.get("capability", actor)[0.5]
        safe = race.trajectories.get("safety_range", actor)[0.5]
        t = race.trajectories.times
        fill = by_gid(fig, f"{actor}:unsafe:median")
        for path in fill.get_paths():  # type: ignore[attr-defined]
            x, y = path.vertices[:, 0], path.vertices[:, 1]
            lo, hi = np.interp(x, t, safe), np.interp(x, t, cap)
            assert (y >= np.minimum(lo, hi) - 1e-9).all() and (y <= np.maximum(lo, hi) + 1e-9).all()
            assert (hi >= lo - 1e-9).all()  # only where the frontier is past the range
            hits += len(x)
    assert hits > 0  # the race strategy does run past the safety range


def test_paths_draw_the_traced_worlds(res: Results) -> None:
    from waystation.trace import sample_traces

    model = ws.compile_scenario("default")
    trace = sample_traces(model, res, per_outcome=2, seed=0)
    assert set(trace.labels) == {"victory", "failure"}
    fig = plots.paths(trace, levels=plots.thresholds_of(model))
    for w, (world, label) in enumerate(zip(trace.worlds, trace.labels, strict=True)):
        for a, actor in enumerate(trace.actors):
            gid = f"paths:{label}:{actor}:{world}:capability"
            y = np.asarray(line(fig, gid).get_ydata())
            np.testing.assert_array_equal(y, trace.capability[w, : len(y), a])
            end = len(trace.times)
            if np.isfinite(trace.victory_year[w]):  # drawn up to the winning step only
                end = int(np.searchsorted(trace.times, trace.victory_year[w])) + 1
            lost = np.flatnonzero(trace.survival[w] < 0.5)
            if lost.size and lost[0] + 1 < end:  # in full to likely failure, faded after it
                assert len(y) == lost[0] + 1
                after = np.asarray(line(fig, gid + ":after").get_ydata())
                np.testing.assert_array_equal(after, trace.capability[w, lost[0] : end, a])
            else:
                assert len(y) == end


def all_figures(res: Results, race: Results) -> dict[str, Figure]:
    """Every figure function at its default size (analyses from small fixed inputs)."""
    from waystation.trace import sample_traces

    grid = np.geomspace(0.1, 10, 5)
    curves = {"victory": np.linspace(0.9, 0.1, 5), "non_failure": np.linspace(1, 0.2, 5)}
    ses = {k: np.full(5, 0.01) for k in curves}
    rows = tuple(
        make_lever(f"lever_{k}", "actor", 2.0, interval(v, v - 0.1, v + 0.2),
                   interval(v / 2, v / 2 - 0.05, v / 2 + 0.1))
        for k, v in enumerate([0.8, 0.3])
    )  # fmt: skip
    names = ("hardness", "scheming")
    s1, conf = {"hardness": 0.5, "scheming": 0.1}, {"hardness": 0.05, "scheming": 0.02}
    diffs = {"b": {o: interval(0.1, 0.05, 0.15) for o in OUTCOMES}}
    both = {"default": res, "race": race}
    return {
        "diagram": plots.diagram(res),
        "diagram-one": plots.diagram(res, actor=res.actors[0]),
        "diagram-two": plots.diagram(both),
        "outcomes": plots.outcomes(both),
        "over-time": plots.outcomes_over_time(both),
        "outside": plots.outside_share(both),
        "arrivals": plots.arrivals(res),
        "paths": plots.paths(sample_traces(ws.compile_scenario("default"), res, 2)),
        "cumulative": plots.cumulative(res),
        "waystations": plots.waystation_value(res),
        "competence": plots.competence_profile(
            make_profile(grid, curves, ses, interval(2.0, 1.5, 2.6))
        ),
        "tornado": plots.tornado(make_table("victory", rows)),
        "sobol": plots.sobol(make_sens("sobol", names, s1, conf, s1, conf)),
        "comparison": plots.comparison(make_cmp(("a", "b"), diffs)),
    }


def off_view_tick_labels(fig: Figure) -> set[int]:
    """Ids of tick labels outside their axis' view limits: matplotlib does not draw them."""
    out = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                loc = tick.get_loc()
                if not lo - 1e-9 * (hi - lo) <= loc <= hi + 1e-9 * (hi - lo):
                    out.update({id(tick.label1), id(tick.label2)})
    return out


def test_every_figure_is_report_width_with_legible_unclipped_text(
    res: Results, race: Results
) -> None:
    """At 10 in wide (about 960 px in a report) no text is under 9 pt or outside the figure."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    for name, fig in all_figures(res, race).items():
        assert fig.get_figwidth() == pytest.approx(10.0), name
        canvas = FigureCanvasAgg(fig)
        canvas.draw()  # lays the figure out as saving does
        renderer = canvas.get_renderer()
        box = fig.bbox
        hidden = off_view_tick_labels(fig)
        texts = [
            t for t in fig.findobj(Text)
            if t.get_visible() and t.get_text().strip() and id(t) not in hidden
        ]  # fmt: skip
        assert texts, name
        for t in texts:
            assert t.get_fontsize() >= 9, f"{name}: {t.get_text()!r} at {t.get_fontsize()} pt"
            ext = t.get_window_extent(renderer)
            inside = (ext.x0 >= box.x0 - 1 and ext.x1 <= box.x1 + 1
                      and ext.y0 >= box.y0 - 1 and ext.y1 <= box.y1 + 1)  # fmt: skip
            assert inside, f"{name}: {t.get_text()[:40]!r} is clipped"


def test_plot_draws_several_strategies_and_refuses_where_it_cannot(tmp_path: Path) -> None:
    import inspect

    from typer.testing import CliRunner

    from waystation.cli import app
    from waystation.cli.report import make_figure, plot
    from waystation.definitions import DEFAULT_WORLDS

    assert inspect.signature(plot).parameters["worlds"].default == DEFAULT_WORLDS
    fig = make_figure("diagram", "single-lab", ["default", "race"], 64, 0)
    titles = {ax.get_title(loc="left") for ax in fig.axes}
    actor = ws.compile_scenario("single-lab").actors[0]
    assert {f"default · {actor}", f"race · {actor}"} <= titles
    out = tmp_path / "x.png"
    result = CliRunner().invoke(
        app, ["plot", "paths", "default", "-s", "default", "-s", "race", "-n", "10", "-o", str(out)]
    )
    assert result.exit_code == 2
    assert "draws one strategy" in result.output
    assert not out.exists()
