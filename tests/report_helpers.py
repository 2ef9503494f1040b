"""Report data built by hand for the report's tests (shared by several test modules)."""

from __future__ import annotations

import html
import re

import numpy as np

import waystation as ws
from waystation import report
from waystation.analyses import (
    CompetenceProfile,
    Interval,
    LeverTable,
    LeverValue,
    Sensitivity,
)
from waystation.analyses.compare import Comparison, paired_difference
from waystation.analyses.levers import lever_cost
from waystation.levers import LEVER_REGISTRY
from waystation.results import OUTCOMES, Results


def iv(estimate: float, low: float, high: float) -> Interval:
    return Interval(estimate, low, high)


def analyses_of(name: str, lever_interval: Interval, mu_conf: float) -> report.StrategyAnalyses:
    """Hand-built analyses of one strategy, shaped like the real ones."""
    model = ws.compile_scenario("default", name)
    fixed = report.fixed_levers(model)
    grid = np.geomspace(0.1, 10, 4)
    curves = {
        "victory": np.linspace(0.9, 0.2, 4),
        "costly_non_failure": np.linspace(0.05, 0.1, 4),
        "failure": np.linspace(0.05, 0.7, 4),
        "non_failure": np.linspace(0.95, 0.3, 4),
    }
    ses = {k: np.full(4, 0.02) for k in curves}
    prof = CompetenceProfile("default", name, 2, 300, grid, curves, ses, iv(3.0, 2.0, 4.0))
    free = [n for n in ("caution", "lookahead") if n not in fixed]
    rows = tuple(
        LeverValue(
            n,
            LEVER_REGISTRY[n].scope,
            lever_cost(model, LEVER_REGISTRY[n]),
            lever_interval.scaled(5.0),
            lever_interval,
        )
        for n in free
    )
    levers = LeverTable("default", name, 2, 300, "victory", rows)
    names = ("hardness", "scheming")
    sens = Sensitivity(
        "default",
        name,
        "morris",
        "victory",
        8,
        2,
        300,
        names,
        mu_star={"hardness": 0.3, "scheming": 0.1},
        mu_star_conf={"hardness": mu_conf, "scheming": 0.2},
        sigma={"hardness": 0.2, "scheming": 0.1},
    )
    return report.StrategyAnalyses(name, model, prof, levers, fixed, sens)


CALIBRATION = [
    {
        "target": "P(failure) by 2100",
        "source": "a survey",
        "band": [0.05, 0.2],
        "unit": "probability",
        "value": 0.3,
        "se": 0.01,
        "inside": False,
        "how": "P(failure)",
    }
]


def make_data(
    runs: dict[str, Results], lever_interval: Interval, mu_conf: float = 0.05
) -> report.ReportData:
    """Report data from real runs with hand-built analyses (their cost is not under test)."""
    names = tuple(runs)
    first = runs[names[0]]
    diffs = {n: {o: paired_difference(first, r, o) for o in OUTCOMES} for n, r in runs.items()}
    cmp = Comparison("default", 2, 300, names, runs, diffs)
    per = {n: analyses_of(n.split("#")[0], lever_interval, mu_conf) for n in names}
    return report.ReportData(
        ws.load_scenario("default"),
        ws.compile_scenario("default"),
        runs,
        cmp,
        per,
        CALIBRATION,
        report.Settings.of(300, 2),
        report.command_line("default", list(names), 300, 2),
        ws.__version__,
    )


def table_rows(text: str, tid: str) -> list[list[str]]:
    table = re.search(rf'<table id="{tid}"[^>]*>.*?</table>', text, re.S)
    assert table is not None, tid
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(0), re.S)[1:]
    return [[html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", r)] for r in rows]


def section(text: str, sid: str) -> str:
    found = re.search(rf'<section id="{sid}">(.*?)</section>', text, re.S)
    assert found is not None, sid
    return html.unescape(found.group(1))
