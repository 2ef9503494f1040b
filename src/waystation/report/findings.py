"""Key findings, written from the results: what is best on victory and on non-failure, by how much.

Every difference comes from paired runs on common worlds
(:func:`waystation.analyses.compare.paired_difference`) with a 95% interval.
A difference whose interval spans zero is never stated as a finding: the
strategies are reported as not told apart at this precision. Likewise a lever
or an input is headlined only when its interval excludes zero.
"""

from __future__ import annotations

from itertools import combinations

from waystation import present
from waystation.analyses import Interval
from waystation.analyses.compare import paired_difference
from waystation.report.data import ReportData
from waystation.results import Results

#: The two outcomes a strategy is judged on, with their labels.
JUDGED: dict[str, str] = {"victory": "P(victory)", "non_failure": "P(non-failure)"}


def probability(res: Results, outcome: str) -> Interval:
    """P(outcome) of a run with its 95% Monte Carlo interval (non-failure = 1 - failure)."""
    if outcome == "non_failure":
        return Interval.normal(1.0 - res.probabilities["failure"], res.standard_errors["failure"])
    return Interval.normal(res.probabilities[outcome], res.standard_errors[outcome])


def difference(a: Results, b: Results, outcome: str) -> Interval:
    """P(outcome | b) - P(outcome | a) on common worlds, with its paired 95% interval."""
    if outcome == "non_failure":
        d = paired_difference(a, b, "failure")
        return Interval(-d.estimate, -d.high, -d.low)
    return paired_difference(a, b, outcome)


def separated(iv: Interval) -> bool:
    """Whether an interval excludes zero, so its sign is a finding."""
    return iv.low > 0.0 or iv.high < 0.0


def fmt(iv: Interval, sign: bool = False) -> str:
    """An estimate with its 95% interval in words (:func:`waystation.present.interval_words`)."""
    return present.interval_words(iv, sign)


def best_on(data: ReportData, outcome: str) -> str:
    """Which strategy gives the most of ``outcome``, its margins and any it cannot be told from."""
    res = data.results
    label = JUDGED[outcome]
    best = max(res, key=lambda s: probability(res[s], outcome).estimate)
    text = f"On {label}, {best} does best: {fmt(probability(res[best], outcome))}."
    ahead: list[str] = []
    tied: list[str] = []
    for other in res:
        if other == best:
            continue
        d = difference(res[other], res[best], outcome)
        (ahead if separated(d) else tied).append(f"{other} by {fmt(d, sign=True)}")
    if ahead:
        text += " It beats " + "; ".join(ahead) + "."
    if tied:
        text += (
            " It cannot be told apart, at this precision, from "
            + "; ".join(t.replace(" by ", " (difference ", 1) + ")" for t in tied)
            + ": those intervals span zero."
        )
    return text


def disagreements(data: ReportData) -> list[str]:
    """Pairs of strategies that victory and non-failure rank in opposite, distinguishable ways."""
    res = data.results
    out = []
    for a, b in combinations(res, 2):
        dv = difference(res[a], res[b], "victory")
        dn = difference(res[a], res[b], "non_failure")
        if separated(dv) and separated(dn) and (dv.estimate > 0) != (dn.estimate > 0):
            more, less = (b, a) if dv.estimate > 0 else (a, b)
            if more == a:
                dv, dn = _neg(dv), _neg(dn)
            out.append(
                f"Victory and non-failure disagree on {more} versus {less}: {more} gives "
                f"more victory ({fmt(dv, sign=True)}) but less non-failure "
                f"({fmt(dn, sign=True)}). P(costly non-failure) is "
                f"{res[more].probabilities['costly_non_failure']:.3f} under {more} and "
                f"{res[less].probabilities['costly_non_failure']:.3f} under {less}."
            )
    return out


def _neg(iv: Interval) -> Interval:
    return Interval(-iv.estimate, -iv.high, -iv.low)


def one_strategy(data: ReportData) -> str:
    """The headline of a report of a single strategy: its two judged probabilities."""
    name, res = next(iter(data.results.items()))
    return (
        f"Under {name}, P(victory) is {fmt(probability(res, 'victory'))} and P(non-failure) "
        f"is {fmt(probability(res, 'non_failure'))}."
    )


def competence_findings(data: ReportData) -> list[str]:
    """Per strategy: where P(non-failure) falls to one half as the problem gets harder."""
    out = []
    for name, per in data.analyses.items():
        prof, grid = per.competence, per.competence.grid
        v = prof.curves["victory"]
        span = (
            f"P(victory) goes from {v[0]:.2f} at hardness {grid[0]:g} "
            f"to {v[-1]:.2f} at {grid[-1]:g}"
        )
        nf = prof.curves["non_failure"]
        if prof.frontier is not None:
            f = prof.frontier
            where = (
                f"falls to one half at hardness {f.estimate:.3g} "
                f"(95% interval {f.low:.3g} to {f.high:.3g})"
            )
        elif (nf >= 0.5).all():
            where = f"stays at or above one half from hardness {grid[0]:g} to {grid[-1]:g}"
        elif (nf < 0.5).all():
            where = f"is below one half at every hardness from {grid[0]:g} to {grid[-1]:g}"
        else:
            where = "rises through one half as hardness grows"
        out.append(
            f"Under {name}, P(non-failure) {where} "
            f"({nf[0]:.2f} at {grid[0]:g}, {nf[-1]:.2f} at {grid[-1]:g}); {span}."
        )
    return out


def lever_findings(data: ReportData) -> list[str]:
    """Per strategy: the free lever that buys the most victory per budget unit, if any is clear."""
    out = []
    for name, per in data.analyses.items():
        rows = [] if per.levers is None else [r for r in per.levers.rows if r.per_cost.low > 0]
        if rows:
            top = rows[0]
            out.append(
                f"Under {name}, the cheapest P(victory) at the margin comes from {top.name}: "
                f"{fmt(top.per_cost, sign=True)} per budget unit."
            )
        else:
            out.append(
                f"Under {name}, no free lever's marginal value on P(victory) is distinguishable "
                f"from zero at {data.settings.analysis_worlds:,} worlds per evaluation."
            )
    return out


def sensitivity_findings(data: ReportData) -> list[str]:
    """Per strategy: the inputs P(victory) depends on most (Morris mu*, interval clear of 0)."""
    out = []
    for name, per in data.analyses.items():
        s = per.sensitivity
        if s.mu_star is None or s.mu_star_conf is None:
            continue
        mu, conf = s.mu_star, s.mu_star_conf
        clear = sorted((n for n in s.names if mu[n] - conf[n] > 0), key=lambda n: -mu[n])
        if clear:
            top = ", ".join(f"{n} ({present.plus_minus(mu[n], conf[n], 3)})" for n in clear[:3])
            out.append(
                f"Under {name}, P(victory) depends most on {top}: Morris μ*, the mean "
                "absolute change in P(victory) as one input moves across its range."
            )
    return out


def calibration_finding(data: ReportData) -> str:
    """How many calibration targets the scenario meets, naming those it misses."""
    rows = data.calibration
    missed = [r["target"] for r in rows if not r["inside"]]
    text = f"The scenario meets {len(rows) - len(missed)} of {len(rows)} calibration targets"
    return text + (f"; outside the band: {', '.join(missed)}." if missed else ".")


def key_findings(data: ReportData) -> list[str]:
    """The report's key findings, most important first, as plain sentences."""
    if len(data.results) == 1:
        head = [one_strategy(data)]
    else:
        head = [best_on(data, o) for o in JUDGED]
        split = disagreements(data)
        head += split or [
            "Victory and non-failure do not rank any two strategies in opposite, "
            "distinguishable ways."
        ]
    return [
        *head,
        *competence_findings(data),
        *lever_findings(data),
        *sensitivity_findings(data),
        calibration_finding(data),
    ]
