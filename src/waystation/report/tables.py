"""The report's tables and notes, as plain text cells shared by HTML and Markdown."""

from __future__ import annotations

import html
from typing import Any

from waystation import present
from waystation._text import shown
from waystation.analyses.levers import lever_cost
from waystation.definitions import define
from waystation.distributions import Dist
from waystation.levers import LEVERS, Lever
from waystation.model import Model
from waystation.params import PARAMS, Param
from waystation.report.data import ReportData, StrategyAnalyses, slug
from waystation.report.decision import crux_table, decision_table, horizon_table
from waystation.report.findings import difference, probability
from waystation.report.text import scenario_levers, strategy_settings
from waystation.results import OUTCOMES, Results

#: Definition keys of the waystation table's columns after the waystation's name.
WAYSTATION_COLUMNS = (
    "p_reached",
    "median_year",
    "p_victory_given_reached",
    "p_victory_given_not_reached",
)


def _e(x: object) -> str:
    """HTML-escaped text, control characters from user files shown as escapes."""
    return html.escape(shown(x, newlines=True))


def sentence(text: str) -> str:
    """``text`` with its first letter capitalised, to open a sentence."""
    return text[:1].upper() + text[1:]


def _dist(d: Dist) -> str:
    """A distribution in words: its value if constant, else median and 90% interval."""
    if d.is_constant:
        return f"{d.median():.4g}"
    lo, mid, hi = d.ppf([0.05, 0.5, 0.95])
    return f"{mid:.3g} (90%: {lo:.3g} to {hi:.3g})"


def _question(data: ReportData) -> str:
    names = ", ".join(data.results)
    return (
        f"Under scenario {data.scenario.name!r}, how likely are victory, costly non-failure "
        f"and failure by {data.model.horizon:g} under the strategies {names}, and which does "
        f"best on victory and on non-failure? Which waystations go with victory, how hard a "
        f"problem can each strategy handle, which levers buy victory most cheaply, and "
        f"which uncertain inputs matter most? Each strategy faces the same "
        f"{data.worlds:,} worlds (common random numbers)."
    )


Table = tuple[list[str], list[list[str]]]


def section_tables(data: ReportData) -> dict[str, list[tuple[str, str]]]:
    """Table ids per section, each with a heading ("" for none), in reading order."""
    per = [(n, slug(n)) for n in data.analyses]
    out: dict[str, list[tuple[str, str]]] = {
        "outcomes": [("outcome-table", "")],
        "waystations": [(f"waystation-table-{s}", n) for n, s in per],
        "competence": [(f"competence-table-{s}", n) for n, s in per],
        "levers": [(f"lever-table-{s}", n) for n, s in per],
        "sensitivity": [(f"sensitivity-table-{s}", n) for n, s in per],
        "calibration": [("calibration-table", "")],
        "parameters": [("parameter-table", "")],
    }
    if len(data.results) > 1:
        out["comparison"] = [("comparison-table", "")]
    out["decision"] = decision_table_ids(data)
    if _solved(data):
        out["equilibrium"] = [("equilibrium-table", "")]
    return out


def _solved(data: ReportData) -> bool:
    """Whether the report holds an equilibrium result (not a reason for its absence)."""
    return data.equilibrium is not None and not isinstance(data.equilibrium, str)


def equilibrium_table(res: Any) -> Table:
    """Each equilibrium and the cooperative optimum: choices, payoff and P(failure) per actor."""
    header = ["profile", "actor", *res.choose, "payoff", "P(failure) [95% interval]", "stable"]
    rows = []
    found = [(f"equilibrium {i + 1}", e) for i, e in enumerate(res.equilibria)]
    for label, f in [*found, ("cooperative optimum", res.optimum)]:
        fail = f.point.failure
        for i, a in enumerate(res.actors):
            stable = "" if i or f.stable is None else ("yes" if f.stable else "no")
            if i == 0 and f.is_equilibrium is False:
                stable = "not an equilibrium"
            rows.append([
                label if i == 0 else "", a, *(f"{f.choices[a][c]:.2f}" for c in res.choose),
                present.number(f.point.payoffs[i].estimate),
                f"{present.number(fail.estimate)} [{present.number(fail.low)}, "
                f"{present.number(fail.high)}]" if i == 0 else "",
                stable,
            ])  # fmt: skip
    return header, rows


def equilibrium_note(data: ReportData) -> str:
    """The strategic-actors section's paragraph: what was asked, at what budget, and findings."""
    from waystation.analyses.equilibrium_sweep import findings
    from waystation.report.data import (
        EQUILIBRIUM_GRID,
        EQUILIBRIUM_SEARCH_WORLDS,
        EQUILIBRIUM_STARTS,
    )

    res = data.equilibrium
    if res is None:
        return (
            "Not computed for this report. With --equilibrium the report adds what the "
            "actors would choose if each set its own caution to serve its own payoff "
            "(waystation equilibrium, at a small search budget)."
        )
    if isinstance(res, str):
        return res
    budget = (
        f"Each actor chooses its caution under the scenario as written (its own strategy), "
        f"to serve its own payoff; a small search: a {EQUILIBRIUM_GRID}-point grid per "
        f"lever with parabolic refinement, {EQUILIBRIUM_STARTS} starts, "
        f"{min(EQUILIBRIUM_SEARCH_WORLDS, res.worlds):,} worlds per candidate, each "
        f"equilibrium and the optimum re-run on {res.worlds:,} worlds (waystation "
        "equilibrium searches more finely). "
    )
    defs = " ".join(
        sentence(define(k).text()) + "." for k in ("equilibrium", "cooperative_optimum")
    )
    return budget + defs + " " + " ".join(findings(res))


def _outcome_table(data: ReportData) -> Table:
    rows = []
    for s, r in data.results.items():
        for o in (*OUTCOMES, "non_failure"):
            p = probability(r, o).estimate
            se = r.standard_errors["failure" if o == "non_failure" else o]
            shown = present.number(p, present.PLACES), present.standard_error(se)
            rows.append([s, o, *shown, present.probability_interval(p, se)])
    return ["strategy", "outcome", "probability", "s.e.", "95% interval"], rows


def _comparison_table(data: ReportData) -> Table:
    first_name, first = next(iter(data.results.items()))
    judged = (*OUTCOMES, "non_failure")
    rows = [
        [s, *(present.interval(difference(first, r, o)) for o in judged)]
        for s, r in list(data.results.items())[1:]
    ]
    return ["strategy", *(f"Δ {o} vs {first_name}" for o in judged)], rows


def _waystation_table(res: Results) -> Table:
    header = [define(k).label for k in WAYSTATION_COLUMNS]
    rows = [
        [
            n,
            present.number(w.p_reached),
            present.MISSING if w.median_year is None else f"{w.median_year:g}",
            present.number(w.p_victory_given_reached),
            present.number(w.p_victory_given_not_reached),
        ]
        for n, w in res.waystations.items()
    ]
    return ["waystation", *header], rows


def _competence_table(per: StrategyAnalyses) -> Table:
    c = per.competence
    rows = [
        [
            f"{h:g}",
            *(
                present.probability(c.curves[k][i], c.standard_errors[k][i])
                for k in ("victory", "costly_non_failure", "failure", "non_failure")
            ),
        ]
        for i, h in enumerate(c.grid)
    ]
    head = ["hardness", "P(victory)", "P(costly non-failure)", "P(failure)", "P(non-failure)"]
    return head, rows


def _lever_table(per: StrategyAnalyses) -> Table:
    """Free levers ranked by the next budget unit, then levers the strategy fixes, marked."""
    sets = strategy_settings(per.model)
    rows = []
    for r in per.levers.rows if per.levers is not None else ():
        note = f"also set by the strategy: {sets[r.name]}" if r.name in sets else "free"
        if r.sign_disagreement:
            note += "; next step and derivative disagree in sign"
        shape = r.curve.shape.words() if r.curve is not None else "–"
        rows.append(
            [r.name, r.scope, f"{r.cost:g}", present.interval(r.per_cost),
             present.interval(r.derivative), shape, note]
        )  # fmt: skip
    for lv in LEVERS:
        if lv.name in per.fixed:
            rows.append(
                [
                    lv.name,
                    lv.scope,
                    f"{lever_cost(per.model, lv):g}",
                    "fixed",
                    "fixed",
                    "–",
                    f"fixed by the strategy: {sets[lv.name]}",
                ]
            )
    head = [
        "lever",
        "scope",
        "cost",
        "next budget unit: Δ P(victory)",
        "derivative dP(victory)/d(lever)",
        "shape over the range",
        "status",
    ]
    return head, rows


def _calibration_table(data: ReportData) -> Table:
    rows = [
        [
            r["target"],
            f"{r['band'][0]:g} to {r['band'][1]:g}",
            f"{r['value']:.1f}" if r["unit"] == "year" else f"{r['value']:.3g}",
            f"{r['se']:.2g}",
            r["unit"],
            "yes" if r["inside"] else "NO",
            r["source"],
        ]
        for r in data.calibration
    ]
    return ["target", "band", "model", "s.e.", "unit", "inside", "source"], rows


def _assumption_table(data: ReportData) -> Table:
    base = scenario_levers(data.model)
    settings = {n: strategy_settings(p.model) for n, p in data.analyses.items()}
    rows = [
        [lv.name, lv.unit, base[lv.name], *(settings[n].get(lv.name, "—") for n in settings)]
        for lv in LEVERS
    ]
    return ["lever", "unit", "scenario value", *settings], rows


def _tables(data: ReportData) -> dict[str, Table]:
    """Every table of the report as (header, rows) of plain text, by table id."""
    out: dict[str, Table] = {
        "outcome-table": _outcome_table(data),
        "comparison-table": _comparison_table(data),
        "calibration-table": _calibration_table(data),
        "assumption-table": _assumption_table(data),
        "parameter-table": _parameter_table(data.model),
    }
    out.update(decision_tables(data))
    if _solved(data):
        out["equilibrium-table"] = equilibrium_table(data.equilibrium)
    for name, per in data.analyses.items():
        s = slug(name)
        out[f"waystation-table-{s}"] = _waystation_table(data.results[name])
        out[f"competence-table-{s}"] = _competence_table(per)
        out[f"lever-table-{s}"] = _lever_table(per)
        out[f"sensitivity-table-{s}"] = _sensitivity_table(per.sensitivity)
    return out


def _sensitivity_table(sens: Any) -> tuple[list[str], list[list[str]]]:
    if sens.method == "morris":
        return (
            ["input", "μ*", "μ* 95% half-width", "σ"],
            [
                [n, f"{sens.mu_star[n]:.3f}", f"{sens.mu_star_conf[n]:.3f}", f"{sens.sigma[n]:.3f}"]
                for n in sorted(sens.names, key=lambda n: -sens.mu_star[n])
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
    first = next(iter(data.results))
    return {
        "outcomes": "Probabilities by the horizon for each strategy; non-failure is victory "
        "or costly non-failure. " + sentence(define("standard_error").text()) + ".",
        "comparison": sentence(define("difference").text())
        + f" (here: each strategy minus {first}). "
        + sentence(define("interval_95").text())
        + ".",
        "diagram": "After the essay's section 4 diagram, one figure per strategy: each actor's "
        "capability frontier and safety range in orders of magnitude of effective compute "
        "above the 2026 frontier. Development above the safety range is unsafe.",
        "waystations": "Per strategy: how often each waystation is reached, when, and "
        "P(victory) in worlds that reach it and in worlds that do not. These conditional "
        "figures are associations across worlds, not effects of reaching the waystation.",
        "competence": "Per strategy: outcomes with the problem's hardness fixed at each grid "
        "value and every other draw of each world unchanged (paired along the grid); "
        "± is the half-width of the 95% interval (1.96 s.e.). "
        + sentence(define("competence_frontier").text())
        + ".",
        "decision": "Which strategy to choose on P(victory) and how sure that is: "
        + define("acceptability").text()
        + "; "
        + define("expected_loss").text()
        + ". Then P(victory) by several years on the same worlds, and the cruxes between "
        "the first strategy and each other one: " + define("switch_point").text() + ".",
        "levers": "Per strategy, ranked by the next step: "
        + define("forward_step").text()
        + "; "
        + define("derivative").text()
        + "; "
        + define("response_shape").text()
        + "; "
        + define("per_cost").text()
        + ". Levers that a strategy's rules fix in every world "
        "are marked fixed: moving the scenario's value cannot change anything under it.",
        "sensitivity": "Per strategy: Morris screening of P(victory) over every uncertain "
        "input, most influential first. " + sentence(define("mu_star").text()) + "; σ large "
        "relative to μ* means the effect depends on the other inputs.",
        "equilibrium": equilibrium_note(data),
        "calibration": "External figures the scenario should reproduce (waystation "
        "calibration), the model's value with its Monte Carlo s.e., and whether it lies "
        "inside the band. Computed for the scenario without strategy rules.",
        "parameters": "Every model parameter and lever, its value in this scenario (median "
        "and 90% interval when uncertain), unit, bounds, meaning and source.",
    }


def decision_table_ids(data: ReportData) -> list[tuple[str, str]]:
    """The decision section's tables, in reading order (crux tables headed by their pair)."""
    cmp = data.comparison
    out = []
    if getattr(cmp, "decision", None) is not None:
        out.append(("decision-table", ""))
    if getattr(cmp, "horizons", None) is not None:
        out.append(("horizon-table", ""))
    out += [(f"crux-table-{slug(t.b)}", f"Cruxes: {t.a} against {t.b}") for t in data.cruxes]
    return out


def decision_tables(data: ReportData) -> dict[str, Table]:
    """The decision section's tables by id."""
    cmp = data.comparison
    out: dict[str, Table] = {}
    if getattr(cmp, "decision", None) is not None:
        out["decision-table"] = decision_table(cmp.decision)
    if getattr(cmp, "horizons", None) is not None:
        out["horizon-table"] = horizon_table(cmp.horizons)
    for t in data.cruxes:
        out[f"crux-table-{slug(t.b)}"] = crux_table(t)
    return out
