"""The report's decision section and shape-aware findings, fed synthetic curves and tables."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest

import waystation as ws
from report_helpers import make_data, section, table_rows
from waystation import report
from waystation.analyses import Interval
from waystation.analyses.cruxes import cruxes_of
from waystation.analyses.decision import HorizonTable, decision_of, ranking_changes
from waystation.report.data import report_cruxes
from waystation.report.decision import (
    crux_findings,
    curve_sentence,
    decision_finding,
    horizon_findings,
)
from waystation.results import Results

X = [0.1, 0.32, 1.0, 3.2, 10.0]
SE = [0.004] * 4


@pytest.fixture(scope="module")
def runs() -> dict[str, Results]:
    """300-world runs of default and race (as in test_report)."""
    return {
        s: ws.run("default", worlds=300, seed=2, strategy=s, block_size=300)
        for s in ("default", "race")
    }


def test_a_monotone_curve_is_described_as_rising_or_falling() -> None:
    text = curve_sentence("P(victory)", "hardness", X, [0.9, 0.8, 0.6, 0.4, 0.2], SE, log=True)
    assert text == "P(victory) falls steadily with hardness (0.90 at hardness 0.1 and 0.20 at 10)."


def test_a_hump_is_located_not_summarised_by_its_ends() -> None:
    # the race curve: 0.30 at hardness 0.1 and 0.38 at 1 -- ends alone would hide the peak
    text = curve_sentence("P(victory)", "hardness", X, [0.30, 0.36, 0.40, 0.35, 0.31], SE, log=True)
    assert "not monotone in hardness" in text and "peaks near" in text
    at = float(re.search(r"peaks near ([\d.]+)", text).group(1))  # type: ignore[union-attr]
    assert 0.32 <= at <= 3.2
    assert "0.40 at 1" in text


def test_a_step_is_reported_at_its_threshold() -> None:
    text = curve_sentence("P(victory)", "spillover", [0, 0.2, 0.4, 0.6, 0.8],
                          [0.2, 0.2, 0.2, 0.7, 0.7], SE)  # fmt: skip
    assert "threshold: spillover near 0.5" in text


def test_noise_is_not_a_shape() -> None:
    text = curve_sentence("P(victory)", "x", X, [0.5, 0.503, 0.498, 0.502, 0.5], [0.01] * 4)
    assert "does not change resolvably" in text


def synthetic_horizons() -> HorizonTable:
    rng = np.random.default_rng(0)
    base = rng.uniform(0.3, 0.7, 2000)
    values = {2040.0: np.stack([base + 0.1, base]), 2100.0: np.stack([base, base + 0.05])}
    names = ("default", "pause")
    probs = {
        y: {s: {"victory": Interval.of_mean(v[i])} for i, s in enumerate(names)}
        for y, v in values.items()
    }
    decisions = {y: decision_of(v, names) for y, v in values.items()}
    changes = ranking_changes(list(values), names, values, "P(victory)")
    return HorizonTable(tuple(values), names, "victory", probs, decisions, changes)  # type: ignore[arg-type]


def test_horizon_findings_say_when_the_leader_changes() -> None:
    head, change = horizon_findings(synthetic_horizons())
    assert head == "The leader depends on the horizon: by 2040, default; by 2100, pause."
    assert "between 2040 and 2100" in change


def test_decision_and_crux_findings_from_synthetic_worlds() -> None:
    rng = np.random.default_rng(1)
    h = np.exp(rng.normal(size=4000))
    fa = 0.6 + 0.1 * np.tanh(2 * np.log(h / 1.5)) + 0.02 * rng.normal(size=4000)
    fb = np.full(4000, 0.6)
    dec = decision_of(np.stack([fa, fb]), ["a", "b"])
    text = decision_finding(dec)
    assert text.startswith(f"Choosing {dec.best} forgoes the least P(victory)")
    assert "is best in" in text
    (crux,) = crux_findings(cruxes_of({"h": h}, ("a", fa), ("b", fb), 2100.0))
    assert "h is a crux" in crux and "a above" in crux and "would have to believe" in crux
    (none,) = crux_findings(cruxes_of({"h": h}, ("a", fb + 0.1), ("b", fb), 2100.0))
    assert none.startswith("No single uncertain input switches the choice")


@pytest.fixture(scope="module")
def decided(runs: dict[str, Results]) -> report.ReportData:
    data = make_data(runs, Interval(0.04, 0.02, 0.06))
    cmp = data.comparison
    F = np.stack([cmp.results[s].records["p_victory"] for s in cmp.strategies])
    cmp = replace(cmp, decision=decision_of(F, cmp.strategies), horizons=synthetic_horizons())
    return replace(data, comparison=cmp, cruxes=report_cruxes(cmp, data.model))


def test_report_has_a_decision_section_with_its_tables_and_findings(
    decided: report.ReportData,
) -> None:
    page = report.render_html(decided, [])
    text = section(page, "decision")
    assert "P(best)" in text and "expected loss" in text
    rows = table_rows(page, "decision-table")
    shares = [float(r[1].split()[0]) for r in rows]
    assert len(rows) == 2 and sum(shares) == pytest.approx(1.0, abs=2e-3)
    assert len(table_rows(page, "horizon-table")) == 2
    assert table_rows(page, "crux-table-race")
    findings = " ".join(report.key_findings(decided))
    assert "forgoes the least P(victory)" in findings
    assert "The leader depends on the horizon" in findings
