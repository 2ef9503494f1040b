"""One way to write numbers (``waystation.present``) and references that point somewhere real."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from waystation import present
from waystation.analyses import Interval
from waystation.definitions import define

ROOT = Path(__file__).parents[1]
SRC = ROOT / "src" / "waystation"


def test_plus_minus_is_the_95_percent_half_width() -> None:
    """The "±" is 1.96 standard errors, never one: 0.5 ± 1.96 * 0.01."""
    assert present.probability(0.5, 0.01) == "0.5000 ± 0.0196"
    assert present.probability_interval(0.5, 0.01) == "[0.4804, 0.5196]"
    assert present.probability_interval(0.001, 0.01) == "[0.0000, 0.0206]"  # clipped to [0, 1]
    assert present.standard_error(0.01) == "0.0100"
    assert "1.96" in define("plus_minus").meaning and "95%" in define("plus_minus").meaning


def test_intervals_are_signed_and_never_read_zero_for_a_nonzero_value() -> None:
    iv = Interval.normal(0.0123, 0.005)
    assert present.interval(iv) == f"+0.0123 [{iv.low:+.4f}, {iv.high:+.4f}]"
    tiny = Interval(0.00002, 0.00001, 0.00003)
    assert present.interval(tiny) == "+0.00002 [+0.00001, +0.00003]"
    assert present.interval_words(iv, sign=True).startswith("+0.0123 (95% interval ")
    assert present.number(None) == present.number(float("nan")) == "—"


def test_shown_writes_every_interval_and_probability_the_same_way() -> None:
    data = {
        "differences": {"race": {"victory": {"estimate": 0.01, "low": -0.02, "high": 0.04}}},
        "strategies": {
            "a": {"probabilities": {"victory": 0.5}, "standard_errors": {"victory": 0.01}}
        },
    }
    out = present.shown(data)
    assert out["differences"]["race"]["victory"]["shown"] == "+0.0100 [-0.0200, +0.0400]"
    assert out["strategies"]["a"]["shown"] == {
        "victory": "0.5000 ± 0.0196",
        "victory_interval": "[0.4804, 0.5196]",
    }
    assert "shown" not in data["differences"]["race"]["victory"]  # a copy: the input is unchanged
    # a series of numbers inside intervals' siblings is copied as it is, not walked
    series = {"x": [1.0, 2.5], "nested": [[{"estimate": 1.0, "low": 0.0, "high": 2.0}]]}
    out = present.shown(series)
    assert out["x"] == [1.0, 2.5] and out["x"] is not series["x"]
    assert out["nested"][0][0]["shown"] == "+1.0000 [+0.0000, +2.0000]"


REFERENCE = re.compile(
    r'docs/model\.md`*\s+sections?\s+(\d+)(?:\s+and\s+(\d+))?(?:,\s+"([^"]+)")?', re.S
)


def _sections() -> dict[int, str]:
    """Section number -> its text (heading and body) of docs/model.md."""
    text = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    parts = re.split(r"^## (\d+)\. ", text, flags=re.M)
    return {int(n): body for n, body in zip(parts[1::2], parts[2::2], strict=True)}


def test_every_model_reference_in_the_package_names_a_real_section() -> None:
    """No "MODEL.md" (not shipped); each "docs/model.md section N, "Title"" exists as cited."""
    sections = _sections()
    found = 0
    for path in sorted(SRC.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert "MODEL.md" not in text, f"{path.name} cites MODEL.md, which is not shipped"
        for m in REFERENCE.finditer(text):
            found += 1
            for n in filter(None, m.groups()[:2]):
                assert int(n) in sections, f"{path.name}: docs/model.md has no section {n}"
            title = m.group(3)
            if title is not None:
                body = sections[int(m.group(1))]
                heading = body.splitlines()[0]
                assert heading.startswith(title) or f"**{title}.**" in body, (path.name, title)
    assert found >= 10


def test_the_presentation_layer_imports_no_plotting_web_or_cli_library() -> None:
    code = "import json, sys, waystation.present; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.check_output([sys.executable, "-c", code], text=True)
    loaded = {m.split(".")[0] for m in json.loads(out)}
    assert not loaded & {"matplotlib", "plotly", "fastapi", "starlette", "rich", "typer", "pandas"}


def test_cli_report_and_page_print_the_same_intervals_for_the_same_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One comparison, written by the CLI's tables, the report's tables and the web API."""
    from types import SimpleNamespace

    from typer.testing import CliRunner

    from waystation import analyses
    from waystation.cli import app
    from waystation.cli._app import out
    from waystation.io import load_scenario
    from waystation.report.tables import _comparison_table, _outcome_table
    from waystation.results import OUTCOMES
    from waystation.web.jobs import run_job
    from waystation.web.payloads import CompareRequest, RunRequest, scenario_json

    scenario, names, worlds, seed = "single-lab", ["race", "cautious-lab"], 400, 2
    cmp = analyses.compare(scenario, names, worlds, seed)
    diffs = {o: cmp.differences["cautious-lab"][o] for o in OUTCOMES}
    race = cmp.results["race"]
    intervals = {o: present.probability_interval(race.probabilities[o], race.standard_errors[o])
                 for o in OUTCOMES}  # fmt: skip

    monkeypatch.setattr(out, "width", 400)  # one line per row: no cell is wrapped
    args = ["-n", str(worlds), "--seed", str(seed)]
    cli = CliRunner().invoke(app, ["compare", scenario, "-s", names[0], "-s", names[1], *args])
    cli_run = CliRunner().invoke(app, ["run", scenario, "-s", "race", *args])
    assert cli.exit_code == 0 and cli_run.exit_code == 0, cli.stderr + cli_run.stderr
    for o in ("victory", "failure"):  # the CLI's compare table shows these two differences
        assert present.interval(diffs[o]) in cli.stdout
    for o in OUTCOMES:
        assert intervals[o] in cli_run.stdout

    data = SimpleNamespace(results=dict(cmp.results))
    (_, rows) = _comparison_table(data)
    assert rows[0][1:4] == [present.interval(diffs[o]) for o in OUTCOMES]
    (_, outcome_rows) = _outcome_table(data)
    assert [r[-1] for r in outcome_rows if r[0] == "race"][:3] == [intervals[o] for o in OUTCOMES]

    sc = scenario_json(load_scenario(scenario))
    kind, page = run_job("compare", CompareRequest(scenario=sc, strategies=names, worlds=worlds,
                                                   seed=seed))  # fmt: skip
    assert kind == "ok"
    assert [page["differences"]["cautious-lab"][o]["shown"] for o in OUTCOMES] == rows[0][1:4]
    kind, single = run_job(
        "run", RunRequest(scenario=sc, strategy="race", worlds=worlds, seed=seed)
    )
    assert kind == "ok"
    assert [single["shown"][f"{o}_interval"] for o in OUTCOMES] == [intervals[o] for o in OUTCOMES]
