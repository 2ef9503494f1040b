"""Figure specifications: what a figure shows, as plain data, for every renderer to draw.

The explorer's page (plotly, ``web/static/app.js``) and the report's figures
(matplotlib, :func:`waystation.plots.specs.draw`) draw the same
specifications: the report's outcomes over time, capability diagram, lever
tornado and lever response curves are these functions' output drawn by
matplotlib, so a change here changes both. A spec names its title, caption,
axes and *marks*, each a plain dictionary:

- ``{"kind": "line", "x", "y", "label", "colour", "dash", "group"}``; optional
  ``"markers": true`` (a dot at each point) and ``"end_value": true`` (the last
  value written at the line's end)
- ``{"kind": "band", "x", "low", "high", "colour", "opacity", "group"}``: a shaded range
- ``{"kind": "region", ...band...}``: a shaded *warning* range (e.g. the
  unsafe region where the frontier runs past the safety range); optional
  ``"pattern": "/"`` hatches it instead of filling it
- ``{"kind": "hline" | "vline", "at", "label", "colour", "dash"}``: a threshold or a date
- ``{"kind": "ticks", "at", "labels", "label", "colour"}``: short ticks along the
  top of a panel (dates such as waystations' median arrival), their labels
  written in the first panel drawn that has ticks
- ``{"kind": "bars", "labels", "estimate", "low", "high", "colour"}``: horizontal
  interval bars with whiskers, ranked (a tornado)

``group`` ties marks to an actor or a strategy (the page's filter). A spec
with ``"panels"`` (a list of ``{"id", "title", "subtitle", "x", "y",
"height"}``, ``"x"``/``"y"`` overriding the spec's axes for that panel,
``height`` a relative row height, 1 by default) is drawn as small multiples,
``"columns"`` panels a row, with ``"shared"`` axes (``["x"]``, ``["x", "y"]``);
each mark names its ``"panel"`` (the first if none). Panels left without marks
(the page's actor filter) are not drawn. ``"legend": false`` leaves the key
out (each panel's title names its series). Renderers skip mark kinds they do
not know. Colours are the Okabe-Ito palette, safe for colour-blind readers,
and series that share a panel differ by dash as well, so colour is never the
only cue; :func:`cvd_distance` checks the palette under simulated
colour-vision deficiencies. This module imports numpy only.
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
    "OVER_TIME",
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


def _finite(x: Any) -> bool:
    """A number that is finite (JSON-ready tables hold ``None`` for NaN)."""
    return isinstance(x, int | float) and bool(np.isfinite(x))


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
    """Capability frontier vs safety range, a panel per actor: medians, 50%/90% bands, unsafe.

    Each actor's panel shows the medians of its capability frontier (solid)
    and safety range (dashed) over the worlds with bands holding 50% and 90%
    of them, the region beyond the median safety range (hatched), the stretch
    where the median frontier runs past the median safety range (filled),
    the capability thresholds ``levels`` (:func:`thresholds_of`: ``C_aar``
    and ``C_si``) and ticks at the median years of the waystations reached in
    at least :data:`MARK_SHARE` of the worlds. A strip under each panel gives
    the share of worlds beyond their own safety range, which the medians
    alone would hide, and P(failure by year).
    """
    traj = res.trajectories
    x = _list(traj.times)
    bottom, top = _diagram_range(res, levels)
    cap_colour, safe_colour = PALETTE[0], PALETTE[2]
    reached = sorted(
        (float(w.median_year), SHORT_NAMES.get(name, name.replace("_", " ")))
        for name, w in res.waystations.items()
        if w.median_year is not None and w.p_reached >= MARK_SHARE
    )
    marks: list[dict[str, Any]] = []
    panels: list[dict[str, Any]] = []
    failure_by_year = _list(np.interp(traj.times, res.times, res.cumulative["failure"]))
    for actor in res.actors:
        panels.append({"id": actor, "title": actor, "y": {"range": [bottom, top]}})
        cap, safe = traj.get("capability", actor), traj.get("safety_range", actor)
        for name, q, colour, dash in (
            ("capability frontier", cap, cap_colour, "solid"),
            ("safety range", safe, safe_colour, "dash"),
        ):
            for share, lo, hi, opacity in ((90, 0.05, 0.95, 0.13), (50, 0.25, 0.75, 0.28)):
                marks.append(
                    {
                        "kind": "band",
                        "x": x,
                        "low": _list(q[lo]),
                        "high": _list(q[hi]),
                        "colour": colour,
                        "opacity": opacity,
                        "label": f"{name}: {share}% of worlds",
                        "group": actor,
                        "panel": actor,
                    }
                )
            marks.append(
                {
                    "kind": "line",
                    "x": x,
                    "y": _list(q[0.5]),
                    "colour": colour,
                    "dash": dash,
                    "label": name,
                    "group": actor,
                    "panel": actor,
                }
            )
        c50, s50 = np.asarray(cap[0.5], np.float64), np.asarray(safe[0.5], np.float64)
        marks.append(
            {
                "kind": "region",
                "x": x,
                "low": _list(s50),
                "high": _list(np.maximum(s50, top)),
                "colour": UNSAFE,
                "opacity": 0.45,
                "pattern": "/",
                "label": "beyond the median safety range",
                "group": actor,
                "panel": actor,
            }
        )
        if np.any(c50 > s50):
            marks.append(
                {
                    "kind": "region",
                    "x": x,
                    "low": _list(s50),
                    "high": _list(np.maximum(c50, s50)),
                    "colour": UNSAFE,
                    "opacity": 0.55,
                    "label": "frontier past the safety range (unsafe)",
                    "group": actor,
                    "panel": actor,
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
                    "group": actor,
                    "panel": actor,
                }
            )
        if reached:
            marks.append(
                {
                    "kind": "ticks",
                    "at": [year for year, _ in reached],
                    "labels": [name for _, name in reached],
                    "colour": OKABE_ITO["purple"],
                    "label": "waystation: median year reached",
                    "group": actor,
                    "panel": actor,
                }
            )
        if traj.outside is not None:
            strip = f"{actor}: share"
            panels.append({"id": strip, "y": {"title": "share", "range": [0.0, 1.0]},
                           "height": 0.35})  # fmt: skip
            outside = _list(traj.outside[traj.actors.index(actor)])
            marks += [
                {"kind": "band", "x": x, "low": [0.0] * len(x), "high": outside,
                 "colour": UNSAFE, "opacity": 0.3, "group": actor, "panel": strip},
                {"kind": "line", "x": x, "y": outside, "colour": UNSAFE, "dash": "solid",
                 "label": "share of worlds beyond their safety range", "group": actor,
                 "panel": strip},
                {"kind": "line", "x": x, "y": failure_by_year, "colour": OKABE_ITO["black"],
                 "dash": "dash", "label": "P(failure by year)", "group": actor, "panel": strip},
            ]  # fmt: skip
    return {
        "id": "diagram",
        "title": "Capability frontier vs safety range",
        "caption": f"Per actor, over {res.n_worlds:,} worlds: medians (lines) with bands holding "
        "50% and 90% of worlds; solid: capability frontier, dashed: safety range. Hatched: "
        "beyond the median safety range; filled vermillion: the median frontier past the median "
        "safety range (unsafe). Dotted: the C_aar and C_si thresholds (medians); purple ticks: "
        "median years of the waystations reached in at least "
        f"{MARK_SHARE:.0%} of worlds. Strips: the share of worlds beyond their own safety range "
        "and P(failure by year). A world stops changing once won, or once its failure is "
        "certain, so the quantiles level off as worlds are decided.",
        "x": {"title": "year", "range": [x[0], x[-1]]},
        "y": {"title": "OOM above the 2026 frontier"},
        "panels": panels,
        "columns": 1,
        "shared": ["x"],
        "marks": marks,
    }


def _diagram_range(res: Any, levels: Mapping[str, float]) -> tuple[float, float]:
    """One y range for every actor's panel: the bands and thresholds, at most 21 OOM."""
    traj = res.trajectories
    top = -np.inf
    low = np.inf
    for actor in res.actors:
        cap, safe = traj.get("capability", actor), traj.get("safety_range", actor)
        reach = max(float(np.max(cap[0.95])), max(levels.values(), default=0.0))
        top = max(top, min(reach + 1.0, float(np.max(safe[0.95])) + 1.0, 21.0))
        low = min(low, float(np.min(cap[0.05])))
    return round(min(-0.5, low - 0.3), 2), round(float(top), 2)


#: The panels of :func:`outcomes_over_time`: key, title.
OVER_TIME: tuple[tuple[str, str], ...] = (
    ("victory", "P(victory by year)"),
    ("undecided", "P(neither yet)"),
    ("failure", "P(failure by year)"),
)


def outcomes_over_time(runs: Mapping[str, Any]) -> dict[str, Any]:
    """Cumulative P(victory), P(neither yet) and P(failure) by year: a panel each, a line per run.

    ``runs`` maps a label (a strategy, or edited / baseline) to its results;
    one colour and one dash per run, its value at the horizon written at its end.
    """
    marks: list[dict[str, Any]] = []
    several = len(runs) > 1
    for k, (name, res) in enumerate(runs.items()):
        series = over_time(res)
        every = max(1, len(res.times) // POINTS)  # a few hundred points draw the same curve
        x = _list(res.times[::every])
        if x[-1] != float(res.times[-1]):
            x.append(float(res.times[-1]))
        for key, title in OVER_TIME:
            y = _list(series[key][::every])
            if len(y) < len(x):
                y.append(float(series[key][-1]))
            marks.append(
                {
                    "kind": "line",
                    "x": x,
                    "y": y,
                    "dash": DASHES[k % len(DASHES)] if several else "solid",
                    "colour": PALETTE[k % len(PALETTE)]
                    if several
                    else OUTCOME_COLOURS.get(key, OKABE_ITO["black"]),
                    "label": name if several else title,
                    "group": name,
                    "panel": key,
                    "end_value": True,
                }
            )
    return {
        "id": "over_time",
        "title": "Outcomes over time",
        "caption": "Cumulative P(victory) and P(failure) by year, and the worlds neither won "
        "nor lost yet: at the horizon, costly non-failure. "
        + ("One line per run (colour and dash); " if several else "")
        + "the value at the horizon is written at each line's end.",
        "x": {"title": "year"},
        "y": {"title": "probability", "range": [0.0, 1.0]},
        "panels": [{"id": key, "title": title} for key, title in OVER_TIME],
        "columns": len(OVER_TIME),
        "shared": ["x", "y"],
        "legend": several,
        "marks": marks,
    }


def lever_tornado(table: Mapping[str, Any], top: int = 10) -> dict[str, Any]:
    """The levers' value per budget unit with 95% intervals, best on top (a tornado)."""
    rows = [r for r in table["levers"] if _finite(r["per_cost"]["estimate"])][:top]
    objective = table["objective"].replace("_", " ")
    return {
        "id": "tornado",
        "title": "Which levers matter most",
        "caption": f"Change in P({objective}) bought by the next budget unit through each "
        "lever (bars), with its 95% interval (whiskers), on common worlds; best on top.",
        "x": {"title": f"ΔP({objective}) per budget unit"},
        "y": {"title": ""},
        "marks": [
            {
                "kind": "bars",
                "labels": [f"{r['name'].replace('_', ' ')} ({r['scope']})" for r in rows],
                "estimate": [r["per_cost"]["estimate"] for r in rows],
                "low": [r["per_cost"]["low"] for r in rows],
                "high": [r["per_cost"]["high"] for r in rows],
                "colour": OKABE_ITO["blue"],
            }
        ],
    }


def lever_curves(
    table: Mapping[str, Any], bounds: Mapping[str, Sequence[float]] | None = None
) -> dict[str, Any]:
    """Each lever's response curve across its range with its 95% band: a panel per lever.

    Each panel's title names the lever, its subtitle the curve's shape in
    words (and a sign disagreement between the forward step and the
    derivative); a dashed line marks the scenario's setting. ``bounds``
    (default: the lever registry's) fix each panel's x range.
    """
    if bounds is None:
        from waystation.levers import LEVERS

        bounds = {v.name: v.bounds for v in LEVERS}
    marks: list[dict[str, Any]] = []
    panels: list[dict[str, Any]] = []
    colour = OKABE_ITO["blue"]
    for r in table["levers"]:
        c = r.get("curve")
        if not c:
            continue
        name = r["name"]
        lo, hi = bounds.get(name, (min(c["x"]), max(c["x"])))
        shape = (c.get("shape") or {}).get("words") or ""
        flag = " · signs disagree" if r.get("sign_disagreement") else ""
        pad = 0.03 * ((hi - lo) or 1.0)  # a setting at a bound stays in sight
        panels.append({"id": name, "title": name.replace("_", " "), "subtitle": shape + flag,
                       "x": {"range": [float(lo) - pad, float(hi) + pad]}})  # fmt: skip
        marks.append(
            {
                "kind": "band",
                "x": c["x"],
                "low": c["low"],
                "high": c["high"],
                "colour": colour,
                "opacity": 0.25,
                "group": name,
                "panel": name,
            }
        )
        marks.append(
            {
                "kind": "line",
                "x": c["x"],
                "y": c["mean"],
                "colour": colour,
                "dash": "solid",
                "markers": True,
                "label": name,
                "group": name,
                "panel": name,
                "values": c["x"],
            }
        )
        if _finite(c.get("current")):
            marks.append(
                {
                    "kind": "vline",
                    "at": float(c["current"]),
                    "label": "",
                    "colour": OKABE_ITO["black"],
                    "dash": "dash",
                    "group": name,
                    "panel": name,
                }
            )
    objective = table["objective"].replace("_", " ")
    return {
        "id": "lever_curves",
        "title": "Response of each lever across its range",
        "caption": f"P({objective}) with each lever set across its range (every actor at "
        "once), the others as they are, on common worlds; bands are 95% intervals, the dashed "
        "line is the scenario's setting. The shape names only features resolved beyond 1.96 "
        "paired standard errors.",
        "x": {"title": "lever value"},
        "y": {"title": f"P({objective})"},
        "panels": panels,
        "columns": 4,
        "shared": [],
        "legend": False,
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
