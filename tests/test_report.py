"""The report: every section, inline figures, no external references, reproducible command."""

from __future__ import annotations

import html
import re
import shlex
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import waystation as ws
from test_plots import interval, make_cmp, make_lever, make_profile, make_sens, make_table
from waystation import report
from waystation.cli import app
from waystation.results import OUTCOMES
from waystation.simulate import DEFAULT_BLOCK

EXTERNAL = re.compile(
    r"""(src|href)\s*=\s*["']?\s*(https?:)?//|url\(\s*["']?(https?:)?//|@import""", re.I
)
MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "svg": b"<?xml", "pdf": b"%PDF-"}
runner = CliRunner()


@pytest.fixture(scope="module")
def data() -> report.ReportData:
    """Report data from real runs and hand-built analysis results of the analyses' shapes."""
    runs = {
        s: ws.run("default", worlds=300, seed=2, strategy=s, block_size=300)
        for s in ("default", "race")
    }
    diffs = {"race": {o: interval(-0.1, -0.15, -0.05) for o in OUTCOMES}}
    grid = np.geomspace(0.1, 10, 4)
    curves = {"victory": np.linspace(0.9, 0.2, 4), "non_failure": np.linspace(1.0, 0.3, 4)}
    prof = make_profile(
        grid, curves, {k: np.full(4, 0.02) for k in curves}, interval(3.0, 2.0, 4.0)
    )
    levers = make_table(
        "victory",
        (make_lever("caution", "actor", 5.0, interval(0.2, 0.1, 0.3), interval(0.04, 0.02, 0.06)),),
    )
    sens = make_sens(
        "morris",
        ("hardness", "scheming"),
        mu_star={"hardness": 0.3, "scheming": 0.1},
        mu_star_conf={"hardness": 0.05, "scheming": 0.04},
        sigma={"hardness": 0.2, "scheming": 0.1},
    )
    return report.ReportData(
        ws.load_scenario("default"),
        ws.compile_scenario("default"),
        runs,
        make_cmp(("default", "race"), diffs),
        prof,
        levers,
        sens,
        300,
        2,
        report.command_line("default", ["default", "race"], 300, 2),
        ws.__version__,
    )


def outcome_rows(text: str) -> list[list[str]]:
    table = re.search(r'<table id="outcome-table">.*?</table>', text, re.S)
    assert table is not None
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(0), re.S)[1:]
    return [[html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", r)] for r in rows]


def check_self_contained(text: str) -> None:
    assert not EXTERNAL.search(text), EXTERNAL.search(text)
    assert "<script" not in text
    assert '<link rel="stylesheet"' not in text


def test_html_has_every_section_figure_and_nothing_external(data: report.ReportData) -> None:
    text = report.render_html(data)
    for sid in report.SECTIONS:
        assert f'<section id="{sid}">' in text
    assert text.count("<svg") == 7
    assert "<?xml" not in text
    check_self_contained(text)
    rows = outcome_rows(text)
    assert len(rows) == 2 * len(OUTCOMES)
    for strategy, outcome, p, se, _ in rows:
        res = data.results[strategy]
        assert float(p) == pytest.approx(res.probabilities[outcome], abs=5e-5)
        assert float(se) == pytest.approx(res.standard_errors[outcome], abs=5e-5)
    params = re.search(r'<table id="parameter-table".*?</table>', text, re.S)
    assert params is not None
    for p in ws.PARAMS:
        assert f"<td>{html.escape(p.name)}</td>" in params.group(0)
        assert html.escape(p.source) in params.group(0)
    assert html.escape(data.command) in text


def test_markdown_links_figures(data: report.ReportData) -> None:
    files = {sid: f"r-{sid}.svg" for sid in ("diagram", "outcomes")}
    text = report.render_markdown(data, files)
    for sid in report.SECTIONS:
        assert f'<a id="{sid}"></a>' in text
    assert "](r-diagram.svg)" in text and "](r-outcomes.svg)" in text
    assert "| default | victory |" in text


def test_report_md_writes_svgs_beside(
    data: report.ReportData, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report, "gather", lambda *a, **k: data)
    out = tmp_path / "r.md"
    result = runner.invoke(app, ["report", "default", "-o", str(out), "--format", "md"])
    assert result.exit_code == 0, result.output
    svgs = sorted(tmp_path.glob("r-*.svg"))
    assert len(svgs) == 7
    assert all(p.read_text().startswith("<svg") for p in svgs)
    for p in svgs:
        assert f"]({p.name})" in out.read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "pdf", "-o", "r.pdf"], "html or md"),
        (["-o", "r.txt"], ".html"),
    ],
)
def test_report_bad_options_exit_2(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["report", "default", *args])
    assert result.exit_code == 2
    assert message in result.output


@pytest.mark.parametrize("ext", ["png", "svg", "pdf"])
def test_plot_writes_each_format(tmp_path: Path, ext: str) -> None:
    out = tmp_path / f"c.{ext}"
    result = runner.invoke(
        app, ["plot", "cumulative", "default", "--worlds", "200", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(MAGIC[ext])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["plot", "violin", "default", "-o", "x.png"], "unknown figure kind"),
        (["plot", "diagram", "default", "-o", "x.jpg"], ".png, .svg, .pdf"),
        (["plot", "comparison", "default", "--worlds", "10", "-o", "x.png"], "two strategies"),
    ],
)
def test_plot_bad_input_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    args = [a if not a.startswith("x.") else str(tmp_path / a) for a in args]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output


def short_default(tmp_path: Path) -> Path:
    """The default scenario to 2040: a report's many small runs cost per step, not per world."""
    import yaml

    sc = ws.load_scenario("default").model_dump(mode="json", by_alias=True, exclude_none=True)
    sc["time"]["horizon"] = 2040.0
    path = tmp_path / "short.yaml"
    path.write_text(yaml.safe_dump(sc, sort_keys=False))
    return path


@pytest.mark.slow
def test_report_reruns_to_the_same_numbers(tmp_path: Path) -> None:
    first = tmp_path / "first.html"
    short = short_default(tmp_path)
    result = runner.invoke(
        app,
        [
            "report",
            str(short),
            "-s",
            "default",
            "-s",
            "race",
            "--worlds",
            "200",
            "--seed",
            "11",
            "-o",
            str(first),
        ],
    )
    assert result.exit_code == 0, result.output
    text = first.read_text()
    for sid in report.SECTIONS:
        assert f'<section id="{sid}">' in text
    assert text.count("<svg") == 7
    check_self_contained(text)
    found = re.search(r'<code id="command">(.*?)</code>', text, re.S)
    assert found is not None
    argv = shlex.split(html.unescape(found.group(1)))
    assert argv[:2] == ["waystation", "report"]
    second = tmp_path / "second.html"
    argv[argv.index("-o") + 1] = str(second)
    result = runner.invoke(app, argv[1:])
    assert result.exit_code == 0, result.output
    rows = outcome_rows(second.read_text())
    assert rows == outcome_rows(text)
    again = ws.run(short, worlds=200, seed=11, strategy="race", block_size=DEFAULT_BLOCK)
    race = {o: float(p) for s, o, p, *_ in rows if s == "race"}
    assert race == pytest.approx(again.probabilities, abs=5e-5)
