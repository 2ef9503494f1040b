"""Figures of a run and of its analyses, as :class:`matplotlib.figure.Figure` objects.

Matplotlib is imported here only, and pyplot never: figures are built from
``Figure`` directly, so no global backend or style is touched and saving
uses the Agg (PNG), SVG or PDF canvas chosen by the file's extension.
Colours are the Okabe-Ito palette, safe for colour-blind readers; figures are
3.5 in wide, a paper column.

Every plotted series carries a ``gid`` such as ``"leading-lab:capability:q50"``
so that tests and callers can find the data behind each line or bar.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from waystation.model import Model
from waystation.results import OUTCOMES, Results

__all__ = [
    "FORMATS",
    "OKABE_ITO",
    "comparison",
    "competence_profile",
    "cumulative",
    "diagram",
    "outcomes",
    "save",
    "sobol",
    "thresholds",
    "thresholds_of",
    "tornado",
    "waystation_value",
]

#: Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}
PALETTE: tuple[str, ...] = tuple(
    OKABE_ITO[k]
    for k in ("blue", "orange", "green", "vermillion", "purple", "sky", "yellow", "black")
)
OUTCOME_COLOURS: dict[str, str] = {
    "victory": OKABE_ITO["green"],
    "costly_non_failure": OKABE_ITO["orange"],
    "failure": OKABE_ITO["vermillion"],
    "non_failure": OKABE_ITO["blue"],
}
#: File formats :func:`save` writes, by extension.
FORMATS: tuple[str, ...] = ("png", "svg", "pdf")
WIDTH = 3.5  # inches: one paper column
FONT = 7.5
Z95 = 1.96
YEAR = "year"
OOM = "OOM of effective compute above the 2026 frontier"


class IntervalLike(Protocol):
    """An estimate with a confidence interval (``waystation.analyses.Interval``)."""

    @property
    def estimate(self) -> float: ...
    @property
    def low(self) -> float: ...
    @property
    def high(self) -> float: ...


class ProfileLike(Protocol):
    """Outcome probabilities against problem hardness (``analyses.CompetenceProfile``)."""

    @property
    def grid(self) -> npt.ArrayLike: ...
    @property
    def curves(self) -> Mapping[str, npt.ArrayLike]: ...
    @property
    def standard_errors(self) -> Mapping[str, npt.ArrayLike]: ...
    @property
    def frontier(self) -> IntervalLike | None: ...


class LeverValueLike(Protocol):
    """One row of a lever table (``analyses.LeverValue``)."""

    @property
    def name(self) -> str: ...
    @property
    def scope(self) -> str: ...
    @property
    def per_cost(self) -> IntervalLike: ...


class LeverTableLike(Protocol):
    """Ranked marginal values of the levers (``analyses.LeverTable``)."""

    @property
    def objective(self) -> str: ...
    @property
    def rows(self) -> Sequence[LeverValueLike]: ...


class ComparisonLike(Protocol):
    """Strategies on common random numbers (``analyses.Comparison``)."""

    @property
    def strategies(self) -> Sequence[str]: ...
    @property
    def differences(self) -> Mapping[str, Mapping[str, IntervalLike]]: ...


def _figure(height: float, width: float = WIDTH) -> Figure:
    """A new figure at paper-column width, not registered with pyplot."""
    return Figure(figsize=(width, height), layout="constrained")


def _style(ax: Axes, xlabel: str, ylabel: str) -> None:
    """Label the axes with units in a small, readable font."""
    ax.set_xlabel(xlabel, fontsize=FONT)
    ax.set_ylabel(ylabel, fontsize=FONT)
    ax.tick_params(labelsize=FONT - 0.5)
    ax.grid(True, color="#dddddd", linewidth=0.5)
    ax.set_axisbelow(True)


def _wrap(text: str, width: int = 14) -> str:
    """Break a long label once, at the space nearest its middle."""
    if len(text) <= width or " " not in text:
        return text
    spaces = [k for k, c in enumerate(text) if c == " "]
    k = min(spaces, key=lambda k: abs(k - len(text) / 2))
    return text[:k] + "\n" + text[k + 1 :]


def _label(name: str) -> str:
    """Human-readable form of an identifier: underscores become spaces."""
    return name.replace("_", " ")


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


def competence_profile(profile: ProfileLike) -> Figure:
    """Outcome probabilities vs problem hardness (log scale) with the competence frontier.

    Bands are 95% Monte Carlo intervals; the frontier is the hardness at which
    P(non-failure) falls to 50%, with its interval shaded.
    """
    fig = _figure(2.4)
    ax = fig.add_subplot()
    grid = np.asarray(profile.grid, dtype=float)
    for name, curve in profile.curves.items():
        y = np.asarray(curve, dtype=float)
        se = np.asarray(profile.standard_errors.get(name, np.zeros_like(y)), dtype=float)
        colour = OUTCOME_COLOURS.get(name, OKABE_ITO["black"])
        ax.fill_between(grid, y - Z95 * se, y + Z95 * se, color=colour, alpha=0.2, linewidth=0)
        ax.plot(
            grid,
            y,
            color=colour,
            marker="o",
            markersize=2.5,
            label=_label(name),
            gid=f"competence:{name}",
        )
    frontier = profile.frontier
    if frontier is not None:
        ax.axvspan(
            frontier.low,
            frontier.high,
            color=OKABE_ITO["sky"],
            alpha=0.25,
            linewidth=0,
            gid="competence:frontier:interval",
        )
        ax.axvline(
            frontier.estimate,
            color=OKABE_ITO["black"],
            linestyle="--",
            linewidth=0.8,
            label=f"frontier ≈ {frontier.estimate:.2g}",
            gid="competence:frontier",
        )
    ax.axhline(0.5, color="#999999", linewidth=0.5)
    ax.set_xscale("log")
    ax.set_ylim(0, 1)
    _style(ax, "problem hardness (× default safety cost)", "probability")
    ax.legend(fontsize=FONT - 1.5, frameon=False)
    return fig


def _interval_bars(
    ax: Axes,
    labels: Sequence[str],
    values: Sequence[IntervalLike],
    gid: str,
    colour: str,
    offset: float = 0.0,
    height: float = 0.6,
) -> None:
    """Horizontal bars of estimates with asymmetric interval whiskers, first row on top."""
    y = np.arange(len(values))[::-1] + offset
    est = np.array([v.estimate for v in values], dtype=float)
    err = np.array(
        [
            [e - v.low for e, v in zip(est, values, strict=True)],
            [v.high - e for e, v in zip(est, values, strict=True)],
        ]
    )
    bars = ax.barh(
        y,
        est,
        height,
        xerr=np.maximum(err, 0.0),
        color=colour,
        capsize=2,
        error_kw={"elinewidth": 0.8, "capthick": 0.8},
    )
    for k, patch in enumerate(bars.patches):
        patch.set_gid(f"{gid}:{k}")
    ax.set_yticks(np.arange(len(values))[::-1], list(labels))
    ax.axvline(0, color=OKABE_ITO["black"], linewidth=0.6)


def tornado(table: LeverTableLike) -> Figure:
    """Marginal value of each lever per unit cost with its interval, ranked (best on top)."""
    rows = list(table.rows)
    fig = _figure(0.9 + 0.22 * max(1, len(rows)))
    ax = fig.add_subplot()
    labels = [f"{_label(r.name)} ({r.scope})" for r in rows]
    _interval_bars(ax, labels, [r.per_cost for r in rows], "tornado", OKABE_ITO["blue"])
    _style(ax, f"dP({_label(table.objective)})/d(lever) per unit cost", "")
    ax.grid(False, axis="y")
    return fig


class _Point:
    """A plain interval built from an estimate and a half-width."""

    def __init__(self, estimate: float, half: float) -> None:
        self.estimate, self.low, self.high = estimate, estimate - half, estimate + half


def sobol(sens: Any) -> Figure:
    """Sensitivity indices with confidence intervals: Sobol S1 and ST, or Morris mu*.

    ``sens`` is an ``analyses.Sensitivity``; for ``method="morris"`` the bars
    are mu* (elementary effects on P(victory)) with their confidence interval.
    """
    names = list(sens.names)
    fig = _figure(0.9 + 0.2 * max(1, len(names)))
    ax = fig.add_subplot()
    if sens.method == "morris":
        points = [_Point(sens.mu_star[n], sens.mu_star_conf[n]) for n in names]
        _interval_bars(ax, names, points, "morris:mu_star", OKABE_ITO["blue"], height=0.6)
        _style(ax, "Morris μ* (effect on P(victory))", "")
    else:
        for k, (key, colour) in enumerate((("S1", OKABE_ITO["sky"]), ("ST", OKABE_ITO["blue"]))):
            values, conf = getattr(sens, key), getattr(sens, f"{key}_conf")
            points = [_Point(values[n], conf[n]) for n in names]
            _interval_bars(ax, names, points, f"sobol:{key}", colour, 0.2 - 0.4 * k, 0.4)
        ax.legend(["S1 (first order)", "ST (total)"], fontsize=FONT - 1.5, frameon=False)
        _style(ax, "Sobol index (share of variance of P(victory))", "")
    ax.grid(False, axis="y")
    return fig


def comparison(cmp: ComparisonLike) -> Figure:
    """Paired differences in outcome probability vs the first strategy, with intervals."""
    others = [s for s in cmp.strategies[1:] if s in cmp.differences]
    fig = _figure(0.8 + 0.55 * max(1, len(others)) * 1.2)
    ax = fig.add_subplot()
    step = 1.0 / (len(OUTCOMES) + 1)
    for k, outcome in enumerate(OUTCOMES):
        y = np.arange(len(others))[::-1] + 0.5 - (k + 1) * step
        d = [cmp.differences[s][outcome] for s in others]
        est = np.array([v.estimate for v in d], dtype=float)
        err = np.array(
            [
                [max(0.0, e - v.low) for e, v in zip(est, d, strict=True)],
                [max(0.0, v.high - e) for e, v in zip(est, d, strict=True)],
            ]
        )
        bars = ax.errorbar(
            est,
            y,
            xerr=err,
            fmt="o",
            markersize=3,
            capsize=2,
            color=OUTCOME_COLOURS[outcome],
            label=_label(outcome),
        )
        bars.lines[0].set_gid(f"comparison:{outcome}")
    ax.set_yticks(np.arange(len(others))[::-1], others)
    ax.axvline(0, color=OKABE_ITO["black"], linewidth=0.6)
    _style(ax, f"difference in probability vs {cmp.strategies[0]}", "")
    ax.legend(fontsize=FONT - 1.5, frameon=False)
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


def save(fig: Figure, path: str | Path) -> Path:
    """Write ``fig`` as PNG, SVG or PDF, chosen by the file extension; return the path."""
    path = Path(path)
    ext = path.suffix.lower().lstrip(".")
    if ext not in FORMATS:
        raise ValueError(f"cannot save a figure as {path.name!r}: use .png, .svg or .pdf")
    fig.savefig(path, format=ext, dpi=200 if ext == "png" else "figure")
    return path
