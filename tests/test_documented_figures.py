"""docs/model.md states the default's outcomes; a run must agree within 3 standard errors."""

from __future__ import annotations

import math
import re
from pathlib import Path

import waystation as ws

DOC = Path(__file__).resolve().parents[1] / "docs" / "model.md"
ROW = re.compile(r"^\| P\((victory|costly non-failure|failure)\)( by (\d{4}))? \| ([0-9.]+) \|")


def documented() -> dict[str, float]:
    rows = {}
    for line in DOC.read_text().splitlines():
        m = ROW.match(line)
        if m:
            rows[m.group(1) + (f"@{m.group(3)}" if m.group(3) else "")] = float(m.group(4))
    return rows


def test_default_figures_match_the_documentation() -> None:
    doc = documented()
    assert {"victory", "costly non-failure", "failure", "failure@2030", "failure@2100"} <= set(doc)
    n = 8192
    res = ws.run("default", worlds=n, seed=2, keep_worlds=False)
    run = {k.replace("_", " ").replace("non failure", "non-failure"): v
           for k, v in res.probabilities.items()}  # fmt: skip
    run.update({f"failure@{y}": p for y, p in res.failure_by.items()})
    for key, expected in doc.items():
        got = run[key]
        # a per-world probability has variance at most p (1 - p): a conservative s.e.
        se = math.sqrt(max(got * (1 - got), 1e-6) / n + 1e-6)
        assert abs(got - expected) < 3 * se, (key, got, expected, se)
