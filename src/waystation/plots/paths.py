"""Sampled futures: the paths of a few won and a few lost worlds, step by step."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from waystation.definitions import define
from waystation.plots._common import (
    FONT,
    OKABE_ITO,
    OOM,
    PALETTE,
    SMALL,
    YEAR,
    _figure,
    _style,
    _title,
)
from waystation.trace import Trace


def paths(trace: Trace, *, levels: Mapping[str, float] | None = None) -> Figure:
    """Capability and safety range per year in a few traced worlds (:mod:`waystation.trace`).

    One column per label (``victory``, ``failure``), one row per actor; each
    world has its own colour: its frontier solid, its safety range dashed,
    shaded where the frontier is beyond the safety range. A won world's line
    stops at its victory (its state freezes there); a dash-dot line marks the
    year a lost world's chance of failure passes one half, after which its
    lines are faded. A star marks victory: filled where the world's P(victory)
    is at least one half, hollow where the victory condition came when the
    world was most likely lost already. ``levels`` draws capability
    thresholds as horizontal lines. Columns share the x axis, ending a few
    years after their last event; the y axis spans the paths before any
    likely failure (faded paths may run off it).
    """
    groups = list(dict.fromkeys(trace.labels))
    A = len(trace.actors)
    fig = _figure(2.0 + 2.6 * A)
    grid = fig.subplots(A, len(groups), sharex="col", sharey=True, squeeze=False)
    for col, group in enumerate(groups):
        members = [w for w, label in enumerate(trace.labels) if label == group]
        for row, actor in enumerate(trace.actors):
            ax = grid[row, col]
            for k, w in enumerate(members):
                _world(ax, trace, w, row, PALETTE[k % len(PALETTE)], f"{group}:{actor}")
            for (name, y), style in zip((levels or {}).items(), ("--", ":"), strict=False):
                ax.axhline(
                    y,
                    color="#777777",
                    linestyle=style,
                    linewidth=0.9,
                    gid=f"paths:{group}:{actor}:threshold:{name}",
                )
            title = f"{group or 'worlds'} · {actor}" if A > 1 else group or "worlds"
            ax.set_title(title, fontsize=FONT, loc="left")
            _style(ax, YEAR if row == A - 1 else "", "capability, OOM" if col == 0 else "")
        grid[0, col].set_xlim(float(trace.times[0]), _last_event(trace, members))
        grid[0, col].xaxis.set_major_locator(MaxNLocator(integer=True))
    low, high = _span(trace)
    grid[0, 0].set_ylim(low - 0.5, high + 1.0)  # faded paths after likely failure may run off
    where = " · ".join(
        x for x in (trace.scenario, trace.strategy and f"strategy {trace.strategy}") if x
    )
    caption = (
        f"Worlds drawn at random among those with P(victory) or P(failure) of at least 1/2, "
        f"re-simulated step by step from the run's seed ({trace.seed}) and numbered as in its "
        f"per-world records. Capability and safety range in {OOM}. Shaded: "
        f"{define('outside_safety_range').label} in that world. "
        f"{define('frozen_worlds').label.capitalize()}: a won world's lines stop at its "
        "victory. A lost world runs on, faded (and may leave the frame): its later path counts "
        "only with its small chance of not having failed."
    )
    key = _legend()
    title = "Sampled worlds, year by year" + (f" · {where}" if where else "")
    _title(fig, title, caption, (key, [str(h.get_label()) for h in key]))
    return fig


def _last_event(trace: Trace, members: list[int]) -> float:
    """A few years after the last victory or likely failure among ``members``, at most the end."""
    t = trace.times
    last = float(t[0]) + 5.0
    for w in members:
        lost = np.flatnonzero(trace.survival[w] < 0.5)
        won = trace.victory_year[w]
        for year in (won, t[lost[0]] if lost.size else np.nan):
            if np.isfinite(year):
                last = max(last, float(year))
        if not np.isfinite(won):
            last = float(t[-1])  # never won: its whole path matters
    return min(float(t[-1]), last + 4.0)


def _cut(trace: Trace, w: int) -> tuple[int, int]:
    """Steps drawn in full (to likely failure) and in all (to victory) for world ``w``."""
    end = len(trace.times)
    won = trace.victory_year[w]
    if np.isfinite(won):
        end = int(np.searchsorted(trace.times, won)) + 1  # the step at which the world was won
    lost = np.flatnonzero(trace.survival[w] < 0.5)
    return (int(lost[0]) + 1 if lost.size and lost[0] < end else end), end


def _span(trace: Trace) -> tuple[float, float]:
    """Lowest and highest value drawn in full (before any likely failure) over all worlds."""
    parts = [
        np.concatenate([trace.capability[w, : _cut(trace, w)[0]].ravel(),
                        trace.safety_range[w, : _cut(trace, w)[0]].ravel()])
        for w in range(len(trace.worlds))
    ]  # fmt: skip
    values = np.concatenate(parts)
    return float(np.min(values)), float(np.max(values))


def _world(ax: Axes, trace: Trace, w: int, a: int, colour: str, prefix: str) -> None:
    """One world's frontier and safety range for actor ``a``, to its victory if any."""
    t = trace.times
    won = trace.victory_year[w]
    world = trace.worlds[w]
    lost = np.flatnonzero(trace.survival[w] < 0.5)
    cut, end = _cut(trace, w)
    for part, (lo, hi, alpha) in enumerate(((0, cut, 1.0), (cut - 1, end, 0.35))):
        if hi - lo < 2:
            continue
        C, S = trace.capability[w, lo:hi, a], trace.safety_range[w, lo:hi, a]
        name = "" if part == 0 else ":after"
        ax.plot(
            t[lo:hi],
            C,
            color=colour,
            linewidth=1.8,
            alpha=alpha,
            gid=f"paths:{prefix}:{world}:capability{name}",
        )
        ax.plot(
            t[lo:hi],
            S,
            color=colour,
            linewidth=1.4,
            linestyle="--",
            alpha=alpha,
            gid=f"paths:{prefix}:{world}:safety_range{name}",
        )
        ax.fill_between(
            t[lo:hi],
            S,
            C,
            where=C > S,
            interpolate=True,
            color=colour,
            alpha=0.22 * alpha,
            linewidth=0,
        )
    if np.isfinite(won):
        filled = trace.p_victory[w] >= 0.5
        ax.plot(
            [won],
            [trace.capability[w, end - 1, a]],
            marker="*",
            markersize=12,
            color=colour,
            markerfacecolor=colour if filled else "white",
            gid=f"paths:{prefix}:{world}:victory",
        )
    if lost.size:
        ax.axvline(
            float(t[lost[0]]),
            color=colour,
            linestyle="-.",
            linewidth=1.0,
            gid=f"paths:{prefix}:{world}:failure",
        )
    ax.text(
        0.01,
        0.97 - 0.11 * _rank(trace, w),
        f"world {world}",
        transform=ax.transAxes,
        fontsize=SMALL,
        color=colour,
        va="top",
    )


def _rank(trace: Trace, w: int) -> int:
    """Position of world ``w`` among the worlds with its label."""
    return [k for k, label in enumerate(trace.labels) if label == trace.labels[w]].index(w)


def _legend() -> list[Line2D | Patch]:
    """Key to the line styles and marks (colours tell worlds apart)."""
    grey = OKABE_ITO["black"]
    return [
        Line2D([], [], color=grey, linewidth=1.8, label="capability frontier"),
        Line2D([], [], color=grey, linewidth=1.4, linestyle="--", label="safety range"),
        Patch(color=grey, alpha=0.22, label="frontier beyond safety range"),
        Line2D([], [], color=grey, marker="*", linestyle="", markersize=12, label="victory"),
        Line2D(
            [],
            [],
            color=grey,
            marker="*",
            linestyle="",
            markersize=12,
            markerfacecolor="white",
            label="victory condition after likely failure",
        ),
        Line2D(
            [],
            [],
            color=grey,
            linestyle="-.",
            linewidth=1.0,
            label="P(failure) passes 1/2 (then faded)",
        ),
    ]
