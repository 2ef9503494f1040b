"""Figures of a run: the essay's diagram, outcomes, cumulative failure, waystation value."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from waystation.model import Model
from waystation.plots._common import (
    FONT,
    OKABE_ITO,
    OOM,
    OUTCOME_COLOURS,
    PALETTE,
    YEAR,
    Z95,
    _figure,
    _label,
    _style,
    _wrap,
)
from waystation.results import OUTCOMES, Results


def thresholds_of(model: Model) -> dict[str, float]:
    """Median capability thresholds of a compiled model, OOM (sum of medians for SI)."""
    aar, gap = model.inputs["C_aar"].median(), model.inputs["si_gap"].median()
    return {"automated alignment researcher": aar, "superintelligence": aar + gap}


def thresholds(res: Results) -> dict[str, float]:
    """Median capability thresholds, OOM: automated alignment researcher and superintelligence.

    Read from the scenario compiled by name (``C_aar`` and ``C_aar + si_gap``,
    sum of medians); if it cannot be compiled by name (a file-based scenario),
    from the per-world records, else none.
    """
    from waystation.api import compile_scenario
    from waystation.io import ScenarioError

    try:
        return thresholds_of(compile_scenario(res.scenario, res.strategy))
    except (ScenarioError, OSError, ValueError, KeyError):
        pass
    if res.records is None or "C_aar" not in res.records:
        return {}
    aar = float(np.median(res.records["C_aar"]))
    gap = float(np.median(res.records["si_gap"])) if "si_gap" in res.records else 0.0
    return {"automated alignment researcher": aar, "superintelligence": aar + gap}


def diagram(
    res: Results, actor: str | None = None, *, levels: Mapping[str, float] | None = None
) -> Figure:
    """The essay's section 4 diagram: capability frontier vs safety range over time.

    One panel per actor (or only ``actor``): medians with 50% and 90% bands
    over worlds, the region above the median safety range shaded as unsafe,
    capability thresholds (``levels``, default :func:`thresholds`) as
    horizontal lines and waystation median years as ticks along the top.
    """
    actors = [actor] if actor is not None else list(res.actors)
    levels = thresholds(res) if levels is None else levels
    fig = _figure(0.9 + 2.0 * len(actors))
    axes = fig.subplots(len(actors), 1, sharex=True, squeeze=False)[:, 0]
    t = res.trajectories.times
    for ax, name in zip(axes, actors, strict=True):
        top = _diagram_panel(ax, res, name, levels)
        ax.set_ylim(min(-0.5, ax.get_ylim()[0]), top)
        ax.set_title(name, fontsize=FONT + 0.5)
        _style(ax, YEAR if ax is axes[-1] else "", "capability, OOM")
        _waystation_ticks(ax, res, name, labels=ax is axes[0])
    axes[-1].set_xlim(float(t[0]), float(t[-1]))
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(
        handles, labels, loc="outside lower center", ncols=2, fontsize=FONT - 1.5, frameon=False
    )
    fig.suptitle(
        f"{res.scenario} · strategy {res.strategy}: medians, 50% and 90% of worlds;"
        f"\ncapability in {OOM}",
        fontsize=FONT - 1,
    )
    return fig


def _diagram_panel(ax: Axes, res: Results, actor: str, levels: Mapping[str, float]) -> float:
    """Draw one actor's bands, lines, unsafe region and thresholds; return the y limit."""
    t = res.trajectories.times
    series = {v: res.trajectories.get(v, actor) for v in ("capability", "safety_range")}
    top = max(float(np.max(series["capability"][0.95])), max(levels.values(), default=0.0))
    top = min(top + 1.0, float(np.max(series["safety_range"][0.95])) + 1.0, 21.0)
    safe = series["safety_range"][0.5]
    ax.fill_between(
        t,
        safe,
        np.maximum(safe, top),
        color=OKABE_ITO["vermillion"],
        alpha=0.12,
        linewidth=0,
        label="beyond safety range",
        gid=f"{actor}:unsafe",
    )
    for var, colour in (("capability", OKABE_ITO["blue"]), ("safety_range", OKABE_ITO["green"])):
        q = series[var]
        ax.fill_between(
            t, q[0.05], q[0.95], color=colour, alpha=0.15, linewidth=0, gid=f"{actor}:{var}:band90"
        )
        ax.fill_between(
            t, q[0.25], q[0.75], color=colour, alpha=0.3, linewidth=0, gid=f"{actor}:{var}:band50"
        )
        label = "capability frontier" if var == "capability" else "safety range"
        ax.plot(t, q[0.5], color=colour, linewidth=1.5, label=label, gid=f"{actor}:{var}:q50")
    for (name, y), style in zip(levels.items(), ("--", ":"), strict=False):
        ax.axhline(
            y,
            color=OKABE_ITO["black"],
            linestyle=style,
            linewidth=0.8,
            label=f"{name} (median)",
            gid=f"{actor}:threshold:{name}",
        )
    return top


_SHORT = {
    "global_pause": "pause",
    "automated_alignment_researcher": "AAR",
    "enhanced_human_labor": "EHL",
    "sweet_spot": "sweet",
    "hardened_world": "hardened",
    "verified_safety": "verified",
}


def _waystation_ticks(ax: Axes, res: Results, actor: str, labels: bool) -> None:
    """Mark each reached waystation's median year by a tick at the top (and a short label)."""
    trans = ax.get_xaxis_transform()
    reached = [(w.median_year, n) for n, w in res.waystations.items() if w.median_year is not None]
    for k, (year, name) in enumerate(sorted(reached)):
        ax.plot(
            [year, year],
            [0.9, 1.0],
            transform=trans,
            color=OKABE_ITO["purple"],
            linewidth=1.2,
            gid=f"{actor}:waystation:{name}",
            label="waystation median year" if k == 0 else None,
        )
        if labels:
            ax.text(
                year,
                0.88 - 0.08 * (k % 3),
                _SHORT.get(name, name),
                transform=trans,
                fontsize=FONT - 2,
                color=OKABE_ITO["purple"],
                ha="center",
                va="top",
                bbox={"facecolor": "white", "alpha": 0.7, "linewidth": 0, "pad": 0.5},
            )


def outcomes(results: Mapping[str, Results] | Results) -> Figure:
    """Outcome probabilities per strategy with 95% Monte Carlo error bars (1.96 s.e.)."""
    runs = {results.strategy: results} if isinstance(results, Results) else dict(results)
    fig = _figure(2.4)
    ax = fig.add_subplot()
    x = np.arange(len(OUTCOMES))
    width = 0.8 / len(runs)
    for k, (name, res) in enumerate(runs.items()):
        heights = [res.probabilities[o] for o in OUTCOMES]
        errors = [Z95 * res.standard_errors[o] for o in OUTCOMES]
        bars = ax.bar(
            x + (k - (len(runs) - 1) / 2) * width,
            heights,
            width,
            yerr=errors,
            capsize=2,
            color=PALETTE[k % len(PALETTE)],
            label=name,
            error_kw={"elinewidth": 0.8, "capthick": 0.8},
        )
        for patch, outcome in zip(bars.patches, OUTCOMES, strict=True):
            patch.set_gid(f"outcomes:{name}:{outcome}")
    ax.set_xticks(x, [_label(o) for o in OUTCOMES])
    ax.set_ylim(0, 1)
    _style(ax, "outcome by the horizon", "probability")
    ax.legend(fontsize=FONT - 1.5, frameon=False, title="strategy", title_fontsize=FONT - 1)
    return fig


def cumulative(res: Results) -> Figure:
    """P(victory by year t) and P(failure by year t) over simulated time."""
    fig = _figure(2.2)
    ax = fig.add_subplot()
    for name in ("victory", "failure"):
        ax.plot(
            res.times,
            res.cumulative[name],
            color=OUTCOME_COLOURS[name],
            label=f"P({name} by t)",
            gid=f"cumulative:{name}",
        )
    ax.set_ylim(0, 1)
    ax.set_xlim(float(res.times[0]), float(res.times[-1]))
    _style(ax, YEAR, "cumulative probability")
    ax.legend(fontsize=FONT - 1, frameon=False)
    return fig


def waystation_value(res: Results) -> Figure:
    """P(victory | reached) vs P(victory | not reached) per waystation, 95% bars.

    Marker area grows with P(reached), which is also printed beside each row.
    """
    fig = _figure(3.0)
    ax = fig.add_subplot()
    names = list(res.waystations)
    y = np.arange(len(names))[::-1]
    for yk, name in zip(y, names, strict=True):
        w = res.waystations[name]
        size = 10 + 120 * w.p_reached
        for est, se, colour, key, dy in (
            (
                w.p_victory_given_reached,
                w.p_victory_given_reached_se,
                OKABE_ITO["green"],
                "reached",
                0.12,
            ),
            (
                w.p_victory_given_not_reached,
                w.p_victory_given_not_reached_se,
                OKABE_ITO["vermillion"],
                "not_reached",
                -0.12,
            ),
        ):
            if est is None:
                continue
            ax.errorbar(
                [est],
                [yk + dy],
                xerr=[Z95 * (se or 0.0)],
                fmt="none",
                color=colour,
                linewidth=0.8,
                capsize=2,
            )
            ax.scatter(
                [est],
                [yk + dy],
                s=size if key == "reached" else 12,
                color=colour,
                gid=f"waystation:{name}:{key}",
                zorder=3,
            )
        ax.text(
            1.02,
            yk,
            f"{w.p_reached:.2f}",
            fontsize=FONT - 1.5,
            va="center",
            transform=ax.get_yaxis_transform(),
        )
    ax.text(1.02, 1.0, "P(reach)", fontsize=FONT - 1.5, va="bottom", transform=ax.transAxes)
    ax.scatter([], [], s=60, color=OKABE_ITO["green"], label="reached")
    ax.scatter([], [], s=12, color=OKABE_ITO["vermillion"], label="not reached")
    ax.set_yticks(y, [_wrap(_label(n)) for n in names])
    ax.set_xlim(0, 1)
    _style(ax, "P(victory | waystation reached or not)", "")
    fig.legend(loc="outside lower center", ncols=2, fontsize=FONT - 1.5, frameon=False)
    return fig
