"""The report's decision section: which strategy, how sure, what would change it, and when.

Findings here are written from results, never from endpoints alone: a curve
is described by its shape (:mod:`waystation.analyses.shapes`: where a hump
peaks or a threshold sits), a choice by the probability that each strategy
is the best and the expected loss of choosing it, a disagreement between two
strategies by the inputs' switch points ("what you would have to believe"),
and a ranking by whether it holds at every horizon. Each writer takes plain
analysis results, so tests can feed it synthetic curves and tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from waystation import present
from waystation.analyses._common import Interval
from waystation.analyses.cruxes import CruxTable
from waystation.analyses.decision import Decision, HorizonTable
from waystation.analyses.shapes import Shape, shape_of

Table = tuple[list[str], list[list[str]]]


def curve_sentence(
    subject: str,
    xname: str,
    x: Sequence[float],
    y: Sequence[float],
    diff_se: Sequence[float],
    log: bool = False,
) -> str:
    """A curve in words by its resolved shape: where it peaks or switches, not just its ends.

    ``subject`` names the curve (e.g. ``"P(victory) under race"``), ``xname``
    its axis; ``diff_se`` are the standard errors of consecutive differences;
    ``log`` judges slopes against log(x) (an axis spanning decades).
    """
    shape = shape_of(x, y, diff_se, log=log)
    ends = f"{y[0]:.2f} at {xname} {x[0]:g} and {y[-1]:.2f} at {x[-1]:g}"
    k_max = max(range(len(y)), key=lambda k: y[k])
    k_min = min(range(len(y)), key=lambda k: y[k])
    if shape.kind == "hump":
        return (
            f"{subject} is not monotone in {xname}: it peaks near {shape.at:.3g} "
            f"({y[k_max]:.2f} at {x[k_max]:g}), with {ends}."
        )
    if shape.kind == "dip":
        return (
            f"{subject} is not monotone in {xname}: it bottoms out near {shape.at:.3g} "
            f"({y[k_min]:.2f} at {x[k_min]:g}), with {ends}."
        )
    if shape.kind == "step":
        return (
            f"{subject} changes mostly at a threshold: {xname} near {shape.at:.3g} (from {ends})."
        )
    if shape.kind == "kink":
        how = "levels off" if shape.detail == "flattens after" else "steepens"
        return f"{subject} {how} at {xname} ≈ {shape.at:.3g} ({ends})."
    if shape.kind == "flat":
        return f"{subject} does not change resolvably with {xname} ({ends})."
    verb = "rises" if shape.kind == "increasing" else "falls"
    return f"{subject} {verb} steadily with {xname} ({ends})."


def shape_words(shape: Shape | None) -> str:
    """A shape as table text (``–`` for none)."""
    return "–" if shape is None else shape.words()


def decision_finding(dec: Decision) -> str:
    """Which strategy to choose on the objective, how often it is best, and what it risks."""
    best = dec.best
    acc = dec.acceptability[best]
    others = [s for s in dec.strategies if s != best]
    runner = min(others, key=lambda s: dec.expected_loss[s].estimate) if others else None
    text = (
        f"Choosing {best} forgoes the least {_objective(dec.objective)} against a chooser who "
        f"knew the world: {_iv(dec.expected_loss[best])} (the EVPI); it is the best strategy "
        f"in {acc.estimate:.0%} of worlds (95% interval {acc.low:.0%} to {acc.high:.0%})."
    )
    if runner is not None:
        text += (
            f" The next, {runner}, would forgo {_iv(dec.expected_loss[runner])} and is best "
            f"in {dec.acceptability[runner].estimate:.0%} of worlds."
        )
    return text


def horizon_findings(table: HorizonTable) -> list[str]:
    """When the best strategy differs by year, and every resolved reversal of a ranking."""
    bests = {y: table.best(y) for y in table.years}
    if len(set(bests.values())) == 1:
        (only,) = set(bests.values())
        years = ", ".join(f"{y:g}" for y in table.years)
        head = f"{only} leads on {_objective(table.objective)} by every horizon read ({years})."
    else:
        head = (
            "The leader depends on the horizon: "
            + "; ".join(f"by {y:g}, {s}" for y, s in bests.items())
            + "."
        )
    return [head, *table.changes]


def crux_findings(table: CruxTable, top: int = 2) -> list[str]:
    """The inputs whose value would switch the choice between two strategies, in words."""
    switching = [c for c in table.cruxes if c.switch_points][:top]
    if not switching:
        lead = table.a if table.difference.estimate > 0 else table.b
        return [
            f"No single uncertain input switches the choice between {table.a} and {table.b} "
            f"by {table.horizon:g} within its range: {lead} stays ahead wherever any one "
            "input lies, other inputs varying as the scenario says."
        ]
    out = []
    for c in switching:
        p = c.switch_points[0]
        out.append(
            f"Between {table.a} and {table.b} by {table.horizon:g}, {c.input} is a crux: "
            f"the better choice switches at {c.input} ≈ {p.value:.3g} (95% interval "
            f"{p.low:.3g} to {p.high:.3g}; {p.better_above} above, prior mass "
            f"{1 - p.mass_below:.0%} above). {c.believe[table.a]}"
        )
    return out


def decision_table(dec: Decision) -> Table:
    """P(best), expected loss and mean objective per strategy."""
    rows = [
        [
            s + (" (least loss)" if s == dec.best else ""),
            _num_iv(dec.acceptability[s]),
            _num_iv(dec.expected_loss[s]),
            _num_iv(dec.means[s]),
        ]
        for s in dec.strategies
    ]
    return ["strategy", "P(best)", "expected loss", f"mean {dec.objective}"], rows


def horizon_table(table: HorizonTable) -> Table:
    """P(victory) of each strategy by each year, the best marked."""
    rows = []
    for s in table.strategies:
        cells = []
        for y in table.years:
            iv = table.probabilities[y][s]["victory"]
            cells.append(f"{iv.estimate:.3f} ± {(iv.high - iv.low) / 2:.3f}" + (
                " (best)" if table.best(y) == s else ""
            ))  # fmt: skip
        rows.append([s, *cells])
    return ["strategy", *(f"P(victory) by {y:g}" for y in table.years)], rows


def crux_table(table: CruxTable, top: int = 6) -> Table:
    """Inputs by share of the disagreement explained, with switch points and prior mass."""
    rows = []
    for c in table.cruxes[:top]:
        points = "; ".join(
            f"{p.value:.3g} [{p.low:.3g}, {p.high:.3g}], {p.better_above} above"
            for p in c.switch_points
        )
        mass = "; ".join(f"{p.mass_below:.0%} / {1 - p.mass_below:.0%}" for p in c.switch_points)
        rows.append([c.input, f"{c.explained:.1%}", points or "none in range", mass or "–"])
    head = ["input", "share explained", "switch point [95% interval]", "prior mass below / above"]
    return head, rows


def _objective(objective: str) -> str:
    return {"victory": "P(victory)", "non_failure": "P(non-failure)"}.get(
        objective, "expected utility"
    )


def _iv(iv: Interval) -> str:
    return present.interval_words(iv)


def _num_iv(iv: Any) -> str:
    return present.interval(iv, sign=False)
