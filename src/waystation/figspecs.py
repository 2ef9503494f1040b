"""Figure specifications: what a figure shows, as plain data, for every renderer to draw.

The explorer's page (plotly, :mod:`waystation.web`) and the report's figures
(matplotlib, :mod:`waystation.plots`, whose palette, thresholds and
outcome-over-time series come from here) draw from one presentation layer: a
spec names its title, caption, axes and *marks*, each a plain dictionary:

- ``{"kind": "line", "x", "y", "label", "colour", "dash", "group"}``
- ``{"kind": "band", "x", "low", "high", "colour", "opacity", "group"}``: a shaded range
- ``{"kind": "region", ...band...}``: a shaded *warning* range (e.g. the
  unsafe region where the frontier runs past the safety range)
- ``{"kind": "hline" | "vline", "at", "label", "colour", "dash"}``: a threshold or a date
- ``{"kind": "bars", "labels", "estimate", "low", "high", "colour"}``: horizontal
  interval bars, ranked (a tornado)

``group`` ties marks to an actor or a strategy (the page's filter). Colours
are the Okabe-Ito palette, safe for colour-blind readers, and series that
share a panel differ by dash as well, so colour is never the only cue;
:func:`cvd_distance` checks the palette under simulated colour-vision
deficiencies. This module imports numpy only.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "DASHES",
    "OKABE_ITO",
    "OUTCOME_COLOURS",
    "PALETTE",
    "cvd_distance",
    "diagram",
    "lever_curves",
    "lever_tornado",
    "outcomes_over_time",
    "over_time",
    "thresholds_of",
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
#: Series colours in order (actors, strategies, levers).
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
#: Line styles in order, paired with :data:`PALETTE` (plotly's names; matplotlib maps them).
DASHES: tuple[str, ...] = ("solid", "dot", "dashdot", "longdash", "dash", "longdashdot")
#: The unsafe region's colour (vermillion) and the thresholds' (black).
UNSAFE = OKABE_ITO["vermillion"]
#: Points of an over-time curve at most (every k-th time step).
POINTS = 200
#: Waystations marked on the diagram when at least this share of worlds reaches them.
MARK_SHARE = 0.2
#: Short names of the waystations for marks on figures (the page's and the report's).
SHORT_NAMES = {
    "global_pause": "pause",
    "automated_alignment_researcher": "AAR",
    "enhanced_human_labor": "EHL",
    "sweet_spot": "sweet spot",
    "hardened_world": "hardened",
    "verified_safety": "verified",
}


def _list(x: Any) -> list[float]:
    return [float(v) for v in np.asarray(x, dtype=np.float64)]


def thresholds_of(model: Any) -> dict[str, float]:
    """Median capability thresholds of a compiled model, OOM (sum of medians for SI)."""
    aar, gap = model.inputs["C_aar"].median(), model.inputs["si_gap"].median()
    return {"automated alignment researcher": float(aar), "superintelligence": float(aar + gap)}


def over_time(res: Any) -> dict[str, np.ndarray]:
    """Cumulative P(victory), P(failure) and what is left undecided, by year (``res.times``).

    At the horizon these are P(victory), P(failure) and P(costly non-failure).
    """
    v, f = res.cumulative["victory"], res.cumulative["failure"]
    return {"victory": v, "undecided": np.clip(1.0 - v - f, 0.0, 1.0), "failure": f}


def diagram(res: Any, levels: Mapping[str, float]) -> dict[str, Any]:
    """Capability frontier vs safety range per actor: medians, 50%/90% bands, the unsafe region.

    The unsafe region is where an actor's median frontier runs past its median
    safety range; ``levels`` are the capability thresholds drawn as
    horizontal lines (:func:`thresholds_of`: ``C_aar`` and ``C_si``); the
    median years of waystations reached in at least :data:`MARK_SHARE` of the
    worlds are vertical marks.
    """
    traj = res.trajectories
    x = _list(traj.times)
    marks: list[dict[str, Any]] = []
    for k, actor in enumerate(res.actors):
        colour = PALETTE[k % len(PALETTE)]
        cap, safe = traj.get("capability", actor), traj.get("safety_range", actor)
        for name, q, dash in (
            ("capability frontier", cap, "solid"),
            ("safety range", safe, "dash"),
        ):
            group = actor
            marks.append(
                {
                    "kind": "band",
                    "x": x,
                    "low": _list(q[0.05]),
                    "high": _list(q[0.95]),
                    "colour": colour,
                    "opacity": 0.08,
                    "group": group,
                    "only": True,
                }
            )
            marks.append(
                {
                    "kind": "band",
                    "x": x,
                    "low": _list(q[0.25]),
                    "high": _list(q[0.75]),
                    "colour": colour,
                    "opacity": 0.15,
                    "group": group,
                }
            )
            marks.append(
                {
                    "kind": "line",
                    "x": x,
                    "y": _list(q[0.5]),
                    "colour": colour,
                    "dash": dash,
                    "label": f"{actor}: {name}",
                    "group": group,
                }
            )
        c50, s50 = np.asarray(cap[0.5], np.float64), np.asarray(safe[0.5], np.float64)
        if np.any(c50 > s50):
            marks.append(
                {
                    "kind": "region",
                    "x": x,
                    "low": _list(s50),
                    "high": _list(np.maximum(c50, s50)),
                    "colour": UNSAFE,
                    "opacity": 0.3,
                    "label": f"{actor}: frontier past the safety range (unsafe)",
                    "group": actor,
                }
            )
    for label, level in levels.items():
        short = "C_aar" if label.startswith("automated") else "C_si"
        marks.append(
            {
                "kind": "hline",
                "at": float(level),
                "label": f"{short}: {label}",
                "colour": OKABE_ITO["black"],
                "dash": "dot",
            }
        )
    reached = sorted(
        (float(w.median_year), SHORT_NAMES.get(name, name.replace("_", " ")))
        for name, w in res.waystations.items()
        if w.median_year is not None and w.p_reached >= MARK_SHARE
    )
    for year, names in _clustered(reached):
        marks.append(
            {
                "kind": "vline",
                "at": year,
                "label": ", ".join(names),
                "colour": "#555555",
                "dash": "dot",
            }
        )
    return {
        "id": "diagram",
        "title": "Capability frontier vs safety range",
        "caption": "Median over worlds (line) with 50% and 90% bands; solid: capability "
        "frontier, dashed: safety range. Shaded vermillion: the median frontier past the median "
        "safety range (unsafe). Dotted: the C_aar and C_si thresholds (medians) and the "
        "median years of waystations reached in at least "
        f"{MARK_SHARE:.0%} of worlds.",
        "x": {"title": "year"},
        "y": {"title": "OOM above the 2026 frontier"},
        "marks": marks,
    }


def _clustered(dated: list[tuple[float, str]], gap: float = 1.5) -> list[tuple[float, list[str]]]:
    """Dated labels within ``gap`` years of the previous one share one mark (at the first)."""
    out: list[tuple[float, list[str]]] = []
    for year, name in dated:
        if out and year - out[-1][0] <= gap:
            out[-1][1].append(name)
        else:
            out.append((year, [name]))
    return out


def outcomes_over_time(runs: Mapping[str, Any]) -> dict[str, Any]:
    """Cumulative P(victory), P(failure) and P(neither yet) by year, one line per run.

    ``runs`` maps a label (a strategy, or edited / baseline) to its results:
    victory solid, failure dashed, neither yet dotted; one colour per run.
    """
    marks: list[dict[str, Any]] = []
    styles = (("victory", "solid"), ("failure", "dash"), ("undecided", "dot"))
    for k, (name, res) in enumerate(runs.items()):
        colour = PALETTE[k % len(PALETTE)] if len(runs) > 1 else None
        series = over_time(res)
        every = max(1, len(res.times) // POINTS)  # a few hundred points draw the same curve
        x = _list(res.times[::every])
        for key, dash in styles:
            label = "neither yet" if key == "undecided" else key
            y = _list(series[key][::every])
            marks.append(
                {
                    "kind": "line",
                    "x": x,
                    "y": y,
                    "dash": dash,
                    "colour": colour or OUTCOME_COLOURS.get(key, OKABE_ITO["black"]),
                    "label": f"{name}: {label}" if len(runs) > 1 else label,
                    "group": name,
                }
            )
    return {
        "id": "over_time",
        "title": "Outcomes over time",
        "caption": "Cumulative P(victory) (solid) and P(failure) (dashed) by year, and the "
        "worlds neither won nor lost yet (dotted): at the horizon, costly non-failure.",
        "x": {"title": "year"},
        "y": {"title": "probability", "range": [0.0, 1.0]},
        "marks": marks,
    }


def lever_tornado(table: Mapping[str, Any], top: int = 10) -> dict[str, Any]:
    """The levers' value per budget unit with 95% intervals, best on top (a tornado)."""
    rows = [r for r in table["levers"] if np.isfinite(r["per_cost"]["estimate"])][:top]
    return {
        "id": "tornado",
        "title": "Which levers matter most",
        "caption": f"Change in P({table['objective'].replace('_', ' ')}) bought by the next "
        "budget unit through each lever, with its 95% interval, on common worlds.",
        "x": {"title": f"ΔP({table['objective'].replace('_', ' ')}) per budget unit"},
        "y": {"title": ""},
        "marks": [
            {
                "kind": "bars",
                "labels": [f"{r['name']} ({r['scope']})" for r in rows],
                "estimate": [r["per_cost"]["estimate"] for r in rows],
                "low": [r["per_cost"]["low"] for r in rows],
                "high": [r["per_cost"]["high"] for r in rows],
                "colour": OKABE_ITO["blue"],
            }
        ],
    }


def lever_curves(table: Mapping[str, Any], bounds: Mapping[str, Sequence[float]]) -> dict[str, Any]:
    """Each lever's response curve across its range (as a share of it), with its 95% band."""
    marks: list[dict[str, Any]] = []
    for k, r in enumerate(r for r in table["levers"] if r.get("curve")):
        c = r["curve"]
        lo, hi = bounds.get(r["name"], (min(c["x"]), max(c["x"])))
        x = [(v - lo) / ((hi - lo) or 1.0) for v in c["x"]]
        colour, dash = PALETTE[k % len(PALETTE)], DASHES[k % len(DASHES)]
        marks.append(
            {
                "kind": "band",
                "x": x,
                "low": c["low"],
                "high": c["high"],
                "colour": colour,
                "opacity": 0.12,
                "group": r["name"],
            }
        )
        marks.append(
            {
                "kind": "line",
                "x": x,
                "y": c["mean"],
                "colour": colour,
                "dash": dash,
                "label": r["name"],
                "group": r["name"],
                "values": c["x"],
            }
        )
    objective = table["objective"].replace("_", " ")
    return {
        "id": "lever_curves",
        "title": "Response of each lever across its range",
        "caption": f"P({objective}) with each lever set across its range (0: lower bound, "
        "1: upper), the others as they are; 95% bands; on common worlds.",
        "x": {"title": "position in the lever's range", "range": [0.0, 1.0]},
        "y": {"title": f"P({objective})"},
        "marks": marks,
    }


# --- colour-vision deficiency ---------------------------------------------------------

#: Machado, Oliveira & Fernandes (2009) simulation matrices at full severity (linear RGB).
CVD: dict[str, np.ndarray] = {
    "protanopia": np.array(
        [
            [0.152286, 1.052583, -0.204868],
            [0.114503, 0.786281, 0.099216],
            [-0.003882, -0.048116, 1.051998],
        ]
    ),
    "deuteranopia": np.array(
        [
            [0.367322, 0.860646, -0.227968],
            [0.280085, 0.672501, 0.047413],
            [-0.011820, 0.042940, 0.968881],
        ]
    ),
    "tritanopia": np.array(
        [
            [1.255528, -0.076749, -0.178779],
            [-0.078411, 0.930809, 0.147602],
            [0.004733, 0.691367, 0.303900],
        ]
    ),
}


def _lab(hex_colour: str, vision: str) -> np.ndarray:
    """CIE L*a*b* of an sRGB colour as seen with ``vision`` ("normal" or a :data:`CVD` key)."""
    c = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    if vision != "normal":
        lin = np.clip(CVD[vision] @ lin, 0.0, 1.0)
    xyz = (
        np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
        @ lin
    )
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def cvd_distance(colours: Sequence[str], vision: str) -> float:
    """The smallest CIE76 colour difference between any two of ``colours`` seen with ``vision``.

    About 2 is just noticeable; above 10 two series are told apart at a glance.
    """
    return min(
        float(np.linalg.norm(_lab(a, vision) - _lab(b, vision)))
        for a, b in itertools.combinations(colours, 2)
    )
