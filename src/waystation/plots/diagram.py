"""The essay's diagram: each actor's capability frontier against its safety range over time.

The point of the picture (essay section 4) is the gap between the two: where
the frontier runs past the safety range, control may be lost. So the region
beyond the median safety range is hatched on top of the bands, the stretch
where the median frontier itself is past the median safety range is filled,
and a strip under each panel gives the share of worlds beyond their own
safety range, which the medians alone would hide.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from waystation.definitions import define
from waystation.figspecs import SHORT_NAMES
from waystation.plots._common import (
    FONT,
    OKABE_ITO,
    OOM,
    SMALL,
    YEAR,
    _failure_by_year,
    _figure,
    _label_rows,
    _style,
    _title,
    thresholds,
)
from waystation.results import Results

#: Results of one run, or of several strategies keyed by name (drawn side by side).
Runs = Results | Mapping[str, Results]


def runs_of(results: Runs) -> dict[str, Results]:
    """The runs to draw, keyed by strategy; a ValueError if there are none."""
    runs = {results.strategy: results} if isinstance(results, Results) else dict(results)
    if not runs:
        raise ValueError("no runs to draw")
    return runs


def diagram(
    results: Runs,
    actor: str | None = None,
    *,
    levels: Mapping[str, float] | None = None,
    share: bool = True,
) -> Figure:
    """Capability frontier vs safety range over time: one column per strategy, a row per actor.

    ``results`` is one run or several strategies' runs keyed by name (drawn
    side by side on shared axes). Each panel shows medians with 50% and 90%
    bands over all worlds, the region beyond the median safety range hatched,
    the median frontier's excursions past the median safety range filled,
    capability thresholds (``levels``, default :func:`thresholds` of the first
    run) and waystation median years. With ``share``, a strip under each
    panel gives the share of worlds beyond their safety range and P(failure
    by year).
    """
    runs = runs_of(results)
    first = next(iter(runs.values()))
    actors = [actor] if actor is not None else list(first.actors)
    for name, res in runs.items():
        missing = [a for a in actors if a not in res.actors]
        if missing:
            raise ValueError(f"strategy {name!r}: no actor {missing[0]!r} (has {res.actors})")
    levels = thresholds(first) if levels is None else levels
    per_row = [3.0, 1.0] if share else [1.0]
    fig = _figure(2.3 + len(actors) * (3.4 if share else 2.6))
    grid = fig.subplots(
        len(per_row) * len(actors),
        len(runs),
        sharex=True,
        squeeze=False,
        gridspec_kw={"height_ratios": per_row * len(actors)},
    )
    top = max(_top(res, a, levels) for res in runs.values() for a in actors)
    low = min(
        float(np.min(res.trajectories.get("capability", a)[0.05]))
        for res in runs.values()
        for a in actors
    )
    bottom = min(-0.5, low - 0.3)
    several = len(runs) > 1
    for col, (strategy, res) in enumerate(runs.items()):
        for row, name in enumerate(actors):
            prefix = f"{strategy}:{name}" if several else name
            ax = grid[row * len(per_row), col]
            _panel(ax, res, name, levels, top, prefix)
            ax.set_ylim(bottom, top)  # the same for every panel
            ax.set_title(f"{strategy} · {name}" if several else name, fontsize=FONT, loc="left")
            _style(ax, "", "capability, OOM" if col == 0 else "")
            _waystation_ticks(ax, res, prefix, labels=row == 0)
            if share:
                _strip(grid[row * len(per_row) + 1, col], res, name, prefix, col == 0)
    for ax in grid[-1]:
        ax.set_xlabel(YEAR, fontsize=FONT)
        ax.set_xlim(float(first.trajectories.times[0]), float(first.trajectories.times[-1]))
    handles, labels = grid[0, 0].get_legend_handles_labels()
    if share:
        more = grid[1, 0].get_legend_handles_labels()
        handles, labels = handles + more[0], labels + more[1]
    where = first.scenario + ("" if several else f" · strategy {first.strategy}")
    title = f"Capability frontier vs safety range · {where}"
    _title(fig, title, _caption(first, share), (handles, labels))
    return fig


def _caption(res: Results, share: bool) -> str:
    """What the diagram shows, in the registry's words where it defines things."""
    frozen = define("frozen_worlds")
    text = (
        f"Lines: medians over {res.n_worlds:,} worlds; bands: the middle 50% and 90% of "
        f"worlds. Capability and safety range in {OOM}; horizontal lines: median capability "
        "thresholds; purple ticks: median arrival years at the waystations. Hatched: "
        "capability beyond the median safety range; filled red: the median frontier past the "
        "median safety range. "
    )
    if share:
        text += (
            f"Strips: {define('outside_safety_range').meaning} (all worlds counted alike), "
            "and P(failure by year). "
        )
    return text + f"{frozen.label.capitalize()}: {frozen.meaning}."


def _top(res: Results, actor: str, levels: Mapping[str, float]) -> float:
    """Upper y limit for an actor's panel: above the bands and thresholds, at most 21 OOM."""
    cap = res.trajectories.get("capability", actor)[0.95]
    safe = res.trajectories.get("safety_range", actor)[0.95]
    top = max(float(np.max(cap)), max(levels.values(), default=0.0))
    return min(top + 1.0, float(np.max(safe)) + 1.0, 21.0)


def _panel(
    ax: Axes, res: Results, actor: str, levels: Mapping[str, float], top: float, prefix: str
) -> None:
    """One actor's bands, median lines, unsafe region and thresholds."""
    t = res.trajectories.times
    series = {v: res.trajectories.get(v, actor) for v in ("capability", "safety_range")}
    for var, colour in (("capability", OKABE_ITO["blue"]), ("safety_range", OKABE_ITO["green"])):
        q = series[var]
        ax.fill_between(
            t, q[0.05], q[0.95], color=colour, alpha=0.13, linewidth=0, gid=f"{prefix}:{var}:band90"
        )
        ax.fill_between(
            t, q[0.25], q[0.75], color=colour, alpha=0.28, linewidth=0, gid=f"{prefix}:{var}:band50"
        )
        label = "capability frontier" if var == "capability" else "safety range"
        ax.plot(
            t,
            q[0.5],
            color=colour,
            linewidth=2.0,
            label=label,
            gid=f"{prefix}:{var}:q50",
            zorder=3,
        )
    safe, cap = series["safety_range"][0.5], series["capability"][0.5]
    ax.fill_between(
        t,
        safe,
        np.maximum(safe, top),
        facecolor="none",
        edgecolor=OKABE_ITO["vermillion"],
        hatch="//",
        linewidth=0,
        alpha=0.45,
        zorder=2.5,
        label="beyond median safety range",
        gid=f"{prefix}:unsafe",
    )
    ax.fill_between(
        t,
        safe,
        cap,
        where=cap > safe,
        interpolate=True,
        color=OKABE_ITO["vermillion"],
        alpha=0.55,
        linewidth=0,
        zorder=2.6,
        label="frontier past safety range (medians)",
        gid=f"{prefix}:unsafe:median",
    )
    for (name, y), style in zip(levels.items(), ("--", ":"), strict=False):
        ax.axhline(
            y,
            color=OKABE_ITO["black"],
            linestyle=style,
            linewidth=1.0,
            label=name,
            gid=f"{prefix}:threshold:{name}",
        )


def _strip(ax: Axes, res: Results, actor: str, prefix: str, ylabel: bool) -> None:
    """Share of worlds beyond the actor's safety range, and P(failure by year), 0 to 1."""
    traj = res.trajectories
    if traj.outside is not None:
        share = traj.outside[traj.actors.index(actor)]
        ax.fill_between(
            traj.times, 0.0, share, color=OKABE_ITO["vermillion"], alpha=0.35, linewidth=0
        )
        ax.plot(
            traj.times,
            share,
            color=OKABE_ITO["vermillion"],
            linewidth=1.5,
            label="share of worlds beyond safety range",
            gid=f"{prefix}:outside",
        )
    _failure_by_year(ax, res, f"{prefix}:failure", 1.2)
    ax.set_ylim(0, 1)
    ax.set_yticks([0, 0.5, 1])
    _style(ax, "", "share" if ylabel else "")


def _waystation_ticks(ax: Axes, res: Results, prefix: str, labels: bool) -> None:
    """Mark each reached waystation's median year by a tick at the top (and a short label).

    Labels are stacked in rows so that no two overlap (widths estimated from
    the panel's width in inches and the label's length).
    """
    trans = ax.get_xaxis_transform()
    reached = [(w.median_year, n) for n, w in res.waystations.items() if w.median_year is not None]
    x0, x1 = _span(res)
    for k, (year, name) in enumerate(sorted(reached)):
        ax.plot(
            [year, year], [0.9, 1.0], transform=trans, color=OKABE_ITO["purple"], linewidth=1.5,
            gid=f"{prefix}:waystation:{name}", label="waystation median year" if k == 0 else None,
        )  # fmt: skip
    if not labels:
        return
    items = [(year, SHORT_NAMES.get(name, name)) for year, name in sorted(reached)]
    for x, row, text in _label_rows(ax, items, x0, x1):
        ax.text(
            x, 0.88 - 0.1 * row, text, transform=trans, fontsize=SMALL,
            color=OKABE_ITO["purple"], ha="center", va="top", zorder=4,
            bbox={"facecolor": "white", "alpha": 0.8, "linewidth": 0, "pad": 0.5},
        )  # fmt: skip


def _span(res: Results) -> tuple[float, float]:
    """First and last recorded year of a run."""
    t = res.trajectories.times
    return float(t[0]), float(t[-1])
