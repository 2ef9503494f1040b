"""The report's tables and notes, as plain text cells shared by HTML and Markdown."""

from __future__ import annotations

import html
from typing import Any

from waystation.distributions import Dist
from waystation.levers import LEVERS, Lever
from waystation.model import Model
from waystation.params import PARAMS, Param
from waystation.report.data import Z95, ReportData
from waystation.results import OUTCOMES
from waystation.strategies import BUILTIN_STRATEGIES


def _e(x: object) -> str:
    return html.escape(str(x))


def _p(x: float | None, digits: int = 3) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _interval(iv: Any) -> str:
    return f"{iv.estimate:+.3f} [{iv.low:+.3f}, {iv.high:+.3f}]"


def _dist(d: Dist) -> str:
    """A distribution in words: its value if constant, else median and 90% interval."""
    if d.is_constant:
        return f"{d.median():.4g}"
    lo, mid, hi = d.ppf([0.05, 0.5, 0.95])
    return f"{mid:.3g} (90%: {lo:.3g} to {hi:.3g})"


def _strategy_text(name: str) -> str:
    spec = BUILTIN_STRATEGIES.get(name)
    return str(spec["description"]) if spec else "strategy file"


def _question(data: ReportData) -> str:
    names = ", ".join(data.results)
    return (
        f"Under scenario {data.scenario.name!r}, how likely are victory (no loss of control "
        f"and access to superintelligence's benefits), costly non-failure (no loss of control "
        f"but benefits forgone) and failure (loss of control) by "
        f"{data.model.horizon:g}, under the strategies {names}? Which waystations make the "
        f"path easier, how hard a problem can this civilisation handle, and which levers "
        f"buy competence most cheaply? Each world draws a problem profile from the priors; "
        f"each strategy faces the same {data.worlds:,} worlds (common random numbers)."
    )


def _tables(data: ReportData) -> dict[str, tuple[list[str], list[list[str]]]]:
    """Every table of the report as (header, rows) of plain text."""
    first_name, first = next(iter(data.results.items()))
    out: dict[str, tuple[list[str], list[list[str]]]] = {}
    out["outcome-table"] = (
        ["strategy", "outcome", "probability", "s.e.", "95% interval"],
        [
            [
                s,
                o,
                f"{r.probabilities[o]:.4f}",
                f"{r.standard_errors[o]:.4f}",
                f"[{r.probabilities[o] - Z95 * r.standard_errors[o]:.4f}, "
                f"{r.probabilities[o] + Z95 * r.standard_errors[o]:.4f}]",
            ]
            for s, r in data.results.items()
            for o in OUTCOMES
        ],
    )
    out["waystation-table"] = (
        [
            "waystation",
            "P(reached)",
            "median year",
            "P(victory | reached)",
            "P(victory | not reached)",
        ],
        [
            [
                n,
                _p(w.p_reached),
                "—" if w.median_year is None else f"{w.median_year:g}",
                _p(w.p_victory_given_reached),
                _p(w.p_victory_given_not_reached),
            ]
            for n, w in first.waystations.items()
        ],
    )
    out["comparison-table"] = (
        ["strategy", *(f"Δ {o} vs {first_name}" for o in OUTCOMES)],
        [[s, *(_interval(d[o]) for o in OUTCOMES)] for s, d in data.comparison.differences.items()],
    )
    out["lever-table"] = (
        ["lever", "scope", "cost", f"dP({data.levers.objective})/d(lever)", "per unit cost"],
        [
            [r.name, r.scope, f"{r.cost:g}", _interval(r.derivative), _interval(r.per_cost)]
            for r in data.levers.rows
        ],
    )
    out["sensitivity-table"] = _sensitivity_table(data.sensitivity)
    out["parameter-table"] = _parameter_table(data.model)
    return out


def _sensitivity_table(sens: Any) -> tuple[list[str], list[list[str]]]:
    if sens.method == "morris":
        return (
            ["input", "μ*", "μ* conf.", "σ"],
            [
                [n, f"{sens.mu_star[n]:.3f}", f"{sens.mu_star_conf[n]:.3f}", f"{sens.sigma[n]:.3f}"]
                for n in sens.names
            ],
        )
    return (
        ["input", "S1", "S1 conf.", "ST", "ST conf."],
        [
            [
                n,
                f"{sens.S1[n]:.3f}",
                f"{sens.S1_conf[n]:.3f}",
                f"{sens.ST[n]:.3f}",
                f"{sens.ST_conf[n]:.3f}",
            ]
            for n in sens.names
        ],
    )


def _parameter_table(model: Model) -> tuple[list[str], list[list[str]]]:
    """Every parameter and lever: value in this scenario, unit, bounds, meaning and source."""
    rows = []
    times = {"start": model.start, "horizon": model.horizon, "dt": model.dt}
    items: list[Param | Lever] = [*PARAMS, *LEVERS]
    for item in items:
        if item.name in model.inputs:
            value = _dist(model.inputs[item.name])
        elif item.name in times:
            value = f"{times[item.name]:g}"
        else:
            per = [(a, model.inputs.get(f"{a}.{item.name}")) for a in model.actors]
            value = "; ".join(f"{a}: {_dist(d)}" for a, d in per if d is not None) or "—"
        group = item.group if isinstance(item, Param) else f"lever ({item.scope})"
        lo, hi = item.bounds
        rows.append(
            [item.name, group, value, item.unit, f"[{lo:g}, {hi:g}]", item.meaning, item.source]
        )
    return ["name", "group", "value", "unit", "bounds", "meaning", "source"], rows


def _notes(data: ReportData) -> dict[str, str]:
    """One paragraph of plain text under each section heading."""
    prof = data.competence
    frontier = (
        "P(non-failure) stays above 50% over the whole hardness grid"
        if prof.frontier is None
        else f"P(non-failure) falls to 50% at hardness {prof.frontier.estimate:.3g} "
        f"(95% interval {prof.frontier.low:.3g} to {prof.frontier.high:.3g})"
    )
    top = data.levers.rows[0].name if data.levers.rows else "none"
    return {
        "outcomes": "Probabilities by the horizon; s.e. is the Monte Carlo standard error "
        "over worlds and the interval is ±1.96 s.e.",
        "diagram": "After the essay's section 4 diagram, per actor and for the first strategy: "
        "the capability frontier and the safety range (orders of magnitude of effective "
        "compute above the 2026 frontier). Development above the safety range is unsafe. "
        "Lines are medians over worlds, bands hold 50% and 90% of worlds; ticks at the top "
        "mark waystations' median arrival years.",
        "waystations": "How often each waystation is reached (survival-weighted), when, and "
        "P(victory) for worlds that reach it vs those that do not, for the first strategy.",
        "comparison": "Paired differences on the same worlds against the first strategy, "
        "with 95% intervals.",
        "competence": f"Outcomes as the problem's hardness is fixed across a grid, the "
        f"rest of each world unchanged. {frontier}.",
        "levers": f"Marginal change in P({data.levers.objective}) per unit of each lever, "
        f"divided by the lever's cost; the cheapest competence here comes from {top}.",
        "sensitivity": f"Global sensitivity ({data.sensitivity.method}) of "
        f"P({getattr(data.sensitivity, 'objective', 'victory')}) to the uncertain inputs "
        "of the problem profile; "
        f"bars are 95% intervals.",
        "parameters": "Every model parameter and lever, its value in this scenario (median "
        "and 90% interval when uncertain), unit, bounds, meaning and source.",
    }


# -- HTML ------------------------------------------------------------------------------------
