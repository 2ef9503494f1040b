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
from waystation import plots
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
    fig = plots.diagram(res)
    assert len(fig.axes) == len(res.actors)
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
    fig = plots.diagram(res, actor=res.actors[-1])
    assert len(fig.axes) == 1
    assert fig.axes[0].get_title() == res.actors[-1]


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
            (seg[:, 1, 1] - seg[:, 0, 1]) / 2, [1.96 * r.standard_errors[o] for o in OUTCOMES]
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
    np.testing.assert_allclose(bar_widths(fig, "tornado", 3), [r.per_cost.estimate for r in rows])
    ys = [by_gid(fig, f"tornado:{k}").get_y() for k in range(3)]  # type: ignore[attr-defined]
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
