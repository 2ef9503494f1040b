"""The report: findings from the results, every section, every strategy's analyses, legible figures.

Most tests render hand-built analysis results around real (small) runs, so
they take seconds; one slow test builds a whole report through the CLI at a
patched default world count and checks it against ``waystation run --json``.
"""

from __future__ import annotations

import html
import json
import re
import shlex
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

import waystation as ws
from report_helpers import iv, make_data, section, table_rows
from waystation import definitions, present, report
from waystation.analyses import (
    Interval,
)
from waystation.analyses.compare import paired_difference
from waystation.cli import app
from waystation.levers import LEVER_REGISTRY
from waystation.report.data import slug
from waystation.results import OUTCOMES, Results
from waystation.strategies import BUILTIN_STRATEGIES

EXTERNAL = re.compile(
    r"""(src|href)\s*=\s*["']?\s*(https?:)?//|url\(\s*["']?(https?:)?//|@import""", re.I
)
MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "svg": b"<?xml", "pdf": b"%PDF-"}
NAMES = ("default", "race")
#: Fewest figures of a report of NAMES: outcomes, comparison, and five per strategy
#: (new figures from waystation.plots may add more).
FIGURES = 2 + 5 * len(NAMES)
runner = CliRunner()


@pytest.fixture(scope="module")
def runs() -> dict[str, Results]:
    return {s: ws.run("default", worlds=300, seed=2, strategy=s, block_size=300) for s in NAMES}


@pytest.fixture(scope="module")
def data(runs: dict[str, Results]) -> report.ReportData:
    return make_data(runs, iv(0.04, 0.02, 0.06))


@pytest.fixture(scope="module")
def items(data: report.ReportData) -> list[report.FigureItem]:
    return report.figure_items(data)


@pytest.fixture(scope="module")
def page(data: report.ReportData, items: list[report.FigureItem]) -> str:
    return report.render_html(data, items)


def check_self_contained(text: str) -> None:
    assert not EXTERNAL.search(text), EXTERNAL.search(text)
    assert "<script" not in text
    assert '<link rel="stylesheet"' not in text


def test_html_has_every_section_figure_and_nothing_external(
    data: report.ReportData, items: list[report.FigureItem], page: str
) -> None:
    for sid in ("findings", "methods", "definitions", "assumptions", "calibration"):
        assert sid in report.SECTIONS
    for sid in ("limitations", "figures"):
        assert sid in report.SECTIONS
    for sid in report.SECTIONS:
        assert f'<section id="{sid}">' in page
    assert page.count("<svg") == len(items) >= FIGURES
    assert "<?xml" not in page
    check_self_contained(page)
    rows = table_rows(page, "outcome-table")
    assert len(rows) == len(NAMES) * (len(OUTCOMES) + 1)
    for strategy, outcome, p, se, _ in rows:
        res = data.results[strategy]
        expected = 1 - res.probabilities["failure"] if outcome == "non_failure" else None
        assert float(p) == pytest.approx(expected or res.probabilities[outcome], abs=5e-5)
        key = "failure" if outcome == "non_failure" else outcome
        assert float(se) == pytest.approx(res.standard_errors[key], abs=5e-5)
    params = re.search(r'<table id="parameter-table".*?</table>', page, re.S)
    assert params is not None
    for p in ws.PARAMS:
        assert f"<td>{html.escape(p.name)}</td>" in params.group(0)
    assert html.escape(data.command) in page


def test_every_strategy_has_each_analysis(page: str) -> None:
    for name in NAMES:
        s = slug(name)
        for kind in ("diagram", "waystations", "competence", "levers", "sensitivity"):
            assert f'<figure id="fig-{kind}-{s}">' in page, (kind, name)
        for kind in ("waystation", "competence", "lever", "sensitivity"):
            assert table_rows(page, f"{kind}-table-{s}"), (kind, name)


def test_figures_are_numbered_in_reading_order(page: str) -> None:
    ids = re.findall(r'<figure id="(fig-[^"]+)">', page)
    numbers = [int(n) for n in re.findall(r"<b>Figure (\d+)\.</b>", page)]
    assert numbers == list(range(1, len(ids) + 1))
    listed = re.findall(r'<li><a href="#(fig-[^"]+)">', section(page, "figures"))
    assert listed == ids


def number(pattern: str, text: str) -> float:
    found = re.search(pattern, text)
    assert found is not None, pattern
    return float(found.group(1))


def test_figure_text_is_at_least_9pt_at_rendered_width(page: str) -> None:
    """Every text of every inline SVG, scaled to the width the column shows it at."""
    css = re.search(r"<style>(.*?)</style>", page, re.S)
    assert css is not None
    assert f"max-width:{report.COLUMN_PX}px" in css.group(1)
    assert "figure svg{display:block;max-width:100%" in css.group(1)
    svgs = re.findall(r"<svg\b[^>]*>.*?</svg>", page, re.S)
    assert len(svgs) == page.count("<figure id=") >= FIGURES
    for svg in svgs:
        head = svg[: svg.index(">")]
        width_pt = number(r'width="([\d.]+)pt"', head)
        view_w = number(r'viewBox="0 0 ([\d.]+)', head)
        natural_px = width_pt * 96 / 72
        rendered_px = min(natural_px, report.COLUMN_PX)
        sizes = [float(x) for x in re.findall(r"font-size: ?([\d.]+)px", svg)]
        assert sizes, "figure text must be SVG text, not paths"
        smallest_pt = min(sizes) * rendered_px / view_w * 72 / 96
        assert smallest_pt >= 9.0, (head, min(sizes))


def test_fit_makes_a_column_figure_full_width_and_legible() -> None:
    """A figure drawn for a paper column (3.5 in, 7 pt, a log axis) grows to the column."""
    from matplotlib.figure import Figure

    from waystation.report.figures import WIDTH_IN, fit, text_sizes

    fig = Figure(figsize=(3.5, 2.5))
    ax = fig.add_subplot()
    ax.plot([0.1, 1, 10], [0.2, 0.5, 0.9], label="a curve")
    ax.set_xscale("log")
    ax.set_xlabel("hardness", fontsize=7)
    ax.tick_params(labelsize=6)
    ax.legend(fontsize=6)
    assert min(text_sizes(fig)) < 9
    fit(fig)
    assert fig.get_size_inches()[0] == pytest.approx(WIDTH_IN)
    assert min(text_sizes(fig)) >= report.MIN_PT
    labels = [t.get_text() for t in ax.xaxis.get_ticklabels() if t.get_text()]
    assert "10" in labels and not any("^" in t for t in labels)  # plain, not 10^1


@pytest.mark.parametrize(
    ("strategy", "fixed"),
    [
        ("default", set()),
        ("race", set(BUILTIN_STRATEGIES["race"]["rules"][0]["set"])),
        # its pause and caution are set only while a waystation is (not) reached
        ("pause-then-enhanced-labor", {"wbe_investment"}),
    ],
)
def test_fixed_levers_are_those_set_always_for_everyone(strategy: str, fixed: set[str]) -> None:
    assert set(report.fixed_levers(ws.compile_scenario("default", strategy))) == fixed


def test_levers_a_strategy_fixes_are_shown_fixed_not_zero(page: str) -> None:
    rows = {r[0]: r for r in table_rows(page, "lever-table-race")}
    for name in BUILTIN_STRATEGIES["race"]["rules"][0]["set"]:
        assert rows[name][3] == "fixed" and "fixed by the strategy" in rows[name][-1]
    free = table_rows(page, "lever-table-default")
    assert all(r[3] != "fixed" for r in free)
    assert {"caution", "lookahead"} <= {r[0] for r in free}


def test_assumptions_state_each_strategys_rules(page: str) -> None:
    text = section(page, "assumptions")
    for name in NAMES:
        assert f"<h3>{name}</h3>" in text
    assert "Always: sets caution = 0" in text  # race's rule, read from the strategy
    rows = {r[0]: r for r in table_rows(page, "assumption-table")}
    assert rows["caution"][-1] == "0 always"  # the race column
    assert rows["caution"][-2] == "—"  # default sets nothing


def test_findings_name_the_best_with_paired_intervals(
    data: report.ReportData, page: str, runs: dict[str, Results]
) -> None:
    text = section(page, "findings")
    for outcome, label in (("victory", "P(victory)"), ("non_failure", "P(non-failure)")):
        p = {
            n: (1 - r.probabilities["failure"])
            if outcome == "non_failure"
            else r.probabilities[outcome]
            for n, r in runs.items()
        }
        best, other = sorted(p, key=lambda n: -p[n])
        assert f"On {label}, {best} does best" in text
        d = paired_difference(
            runs[other], runs[best], "failure" if outcome == "non_failure" else outcome
        )
        if outcome == "non_failure":
            d = Interval(-d.estimate, -d.high, -d.low)
        written = present.interval_words(d, sign=True)  # the one way intervals are written
        assert f"beats {other} by {written}" in text or "cannot be told apart" in text
    assert "lookahead" in text or "caution" in text  # a lever clear of zero is headlined
    assert "hardness (0.300" in text  # mu* clear of its interval
    assert "scheming (0.100" not in text  # mu* within its interval of zero
    assert "meets 0 of 1 calibration targets; outside the band: P(failure) by 2100" in text


def test_findings_never_headline_what_spans_zero(runs: dict[str, Results]) -> None:
    """The same strategy twice differs by exactly zero; levers whose interval spans zero."""
    twice = {"default": runs["default"], "default#2": runs["default"]}
    data = make_data(twice, iv(0.01, -0.02, 0.04), mu_conf=0.5)
    text = " ".join(report.key_findings(data))
    assert "cannot be told apart" in text
    assert "beats" not in text
    assert "no free lever's next budget unit changes P(victory) distinguishably from zero" in text
    assert "depends most on" not in text


def test_definitions_come_from_the_registry(page: str) -> None:
    text = section(page, "definitions")
    for key in ("victory", "non_failure", "hardness", "per_cost", "mu_star"):
        assert html.unescape(html.escape(definitions.define(key).meaning)) in text
    assert "P(victory | reached)" in text and "association" in text


def test_markdown_links_each_figure(
    data: report.ReportData, items: list[report.FigureItem]
) -> None:
    files = {i.id: f"r-{i.id}.svg" for i in items if i.id in ("fig-outcomes", "fig-comparison")}
    text = report.render_markdown(data, files, items)
    for sid in report.SECTIONS:
        assert f'<a id="{sid}"></a>' in text
    assert "](r-fig-outcomes.svg)" in text and "](r-fig-comparison.svg)" in text
    assert "| default | victory |" in text


def test_report_md_writes_svgs_and_pdfs(
    data: report.ReportData,
    items: list[report.FigureItem],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every figure as an SVG beside the Markdown and a PDF in --figures (three of them here)."""
    monkeypatch.setattr(report, "gather", lambda *a, **k: data)
    monkeypatch.setattr(report, "figure_items", lambda _data: items[:3])
    out, figs = tmp_path / "r.md", tmp_path / "figs"
    args = ["report", "default", "-o", str(out), "--format", "md", "--figures", str(figs)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    svgs = sorted(tmp_path.glob("r-*.svg"))
    assert len(svgs) == 3
    assert all(p.read_text().startswith("<svg") for p in svgs)
    for p in svgs:
        assert f"]({p.name})" in out.read_text()
    pdfs = sorted(figs.glob("*.pdf"))
    assert [p.name for p in pdfs] == sorted(f"{i.id.removeprefix('fig-')}.pdf" for i in items[:3])
    assert all(p.read_bytes().startswith(MAGIC["pdf"]) for p in pdfs)
    assert not list(tmp_path.rglob(".*.tmp*"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "pdf", "-o", "r.pdf"], "html or md"),
        (["-o", "r.txt"], ".html"),
        (["-o", "r.html", "--worlds", "1"], "--worlds"),
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


def short_default(tmp_path: Path, horizon: float = 2030.0) -> Path:
    """The default scenario cut short: a report's many small runs cost per step, not per world."""
    import yaml

    sc = ws.load_scenario("default").model_dump(mode="json", by_alias=True, exclude_none=True)
    sc["time"]["horizon"] = horizon
    path = tmp_path / "short.yaml"
    path.write_text(yaml.safe_dump(sc, sort_keys=False))
    return path


@pytest.mark.slow
def test_report_at_default_worlds_matches_run_and_has_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A whole report through the CLI at the (patched, small) default world count."""
    monkeypatch.setattr(definitions, "DEFAULT_WORLDS", 200)
    short, out = short_default(tmp_path), tmp_path / "r.html"
    args = ["report", str(short), "-s", "default", "-s", "race", "--seed", "11", "-o", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    text = out.read_text()
    for sid in report.SECTIONS:
        assert f'<section id="{sid}">' in text
    assert text.count("<svg") == text.count("<figure id=") >= FIGURES
    check_self_contained(text)
    test_every_strategy_has_each_analysis(text)
    test_figure_text_is_at_least_9pt_at_rendered_width(text)
    shown = {(s, o): float(p) for s, o, p, *_ in table_rows(text, "outcome-table")}
    for name in NAMES:
        args = ["run", str(short), "-s", name, "--seed", "11", "--json"]
        got = runner.invoke(app, [*args, "--worlds", str(definitions.DEFAULT_WORLDS)])
        assert got.exit_code == 0, got.output
        probabilities = json.loads(got.output)["probabilities"]
        assert shown[(name, "victory")] == pytest.approx(probabilities["victory"], abs=5e-5)
    found = re.search(r'<code id="command">(.*?)</code>', text, re.S)
    assert found is not None
    argv = shlex.split(html.unescape(found.group(1)))
    assert argv[argv.index("--worlds") + 1] == "200" and argv[argv.index("--seed") + 1] == "11"
    assert "race" in section(text, "levers") and "fixed by the strategy" in text
    check_provenance(text, short, tmp_path)


def provenance_of(text: str) -> dict[str, str]:
    block = re.search(r'<dl id="provenance">(.*?)</dl>', text, re.S)
    assert block is not None
    found = re.findall(r'<dd data-key="([a-z_]+)">(.*?)</dd>', block.group(1), re.S)
    return {k: html.unescape(v) for k, v in found}


def check_provenance(text: str, scenario: Path, tmp_path: Path) -> None:
    """The report says what made it, embeds its inputs, and its command rebuilds its numbers."""
    from waystation.provenance import model_version

    prov = provenance_of(text)
    assert prov["worlds"] == "200" and prov["seed"] == "11"
    assert prov["model_version"] == model_version() and prov["waystation_version"] == ws.__version__
    assert prov["backend"] in {"numpy", "fused-simd8", "fused-simd", "fused-exact"}
    embedded = re.search(r'<code id="scenario-yaml">(.*?)</code>', text, re.S)
    assert embedded is not None and html.unescape(embedded.group(1)) == scenario.read_text()
    rules = re.findall(r'<code class="strategy-yaml">(.*?)</code>', text, re.S)
    assert len(rules) == len(NAMES) and "name: race" in html.unescape(rules[1])
    assert "@software{waystation" in html.unescape(text)
    argv = shlex.split(prov["command"])
    assert argv[:2] == ["waystation", "report"]
    argv[argv.index("-o") + 1] = str(tmp_path / "again.html")
    with pytest.MonkeyPatch.context() as mp:  # the rebuild is read for its numbers only
        mp.setattr(report, "figure_items", lambda data: [])
        rebuilt = runner.invoke(app, argv[1:])
    assert rebuilt.exit_code == 0, rebuilt.output
    again = (tmp_path / "again.html").read_text()
    tables = ("outcome-table", "comparison-table", "calibration-table", "lever-table-race",
              "sensitivity-table-race", "competence-table-default")  # fmt: skip
    for table in tables:
        assert table_rows(again, table) == table_rows(text, table)


@pytest.mark.parametrize(
    ("non_failure", "words"),
    [
        ([0.4, 0.35, 0.3, 0.2], "is below one half at every hardness"),
        ([0.9, 0.8, 0.7, 0.6], "stays at or above one half"),
    ],
)
def test_competence_finding_reads_the_curve_when_it_never_crosses(
    data: report.ReportData, non_failure: list[float], words: str
) -> None:
    """No 50% frontier means the curve never falls through one half: above it, or below it."""
    from dataclasses import replace

    per = data.analyses["race"]
    curves = {**per.competence.curves, "non_failure": np.array(non_failure)}
    prof = replace(per.competence, curves=curves, frontier=None)
    changed = replace(data, analyses={**data.analyses, "race": replace(per, competence=prof)})
    text = " ".join(report.key_findings(changed))
    assert f"Under race, P(non-failure) {words}" in text


def test_lever_costs_are_for_every_actor_whether_free_or_fixed(page: str) -> None:
    """An actor lever's cost is per unit for all actors (3 here), in both tables."""
    actors = len(ws.compile_scenario("default").actors)
    for table in ("lever-table-default", "lever-table-race"):
        rows = {r[0]: r for r in table_rows(page, table)}
        assert float(rows["caution"][2]) == LEVER_REGISTRY["caution"].cost * actors


def test_report_cli_passes_default_worlds_and_workers(
    data: report.ReportData,
    items: list[report.FigureItem],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, object] = {}

    def gather(
        scenario: str, strategies: list[str], worlds: int, seed: int, **kw: object
    ) -> object:
        seen.update(worlds=worlds, seed=seed, **kw)
        return data

    monkeypatch.setattr(report, "gather", gather)
    monkeypatch.setattr(report, "figure_items", lambda _data: items[:1])
    out = tmp_path / "r.html"
    args = ["report", "default", "-o", str(out), "--workers", "2", "--equilibrium"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert seen["equilibrium"] is True
    how = seen["settings"]
    assert seen["worlds"] == definitions.DEFAULT_WORLDS
    assert isinstance(how, ws.RunSettings) and how.workers == 2 and how.progress is not None
    assert out.read_text().count("<svg") == 1


def test_fit_leaves_a_full_width_figure_and_only_raises_small_text() -> None:
    from matplotlib.figure import Figure

    from waystation.report.figures import fit, text_sizes

    fig = Figure(figsize=(10, 4))
    ax = fig.add_subplot()
    ax.set_xlabel("year", fontsize=9.5)
    ax.set_title("a title", fontsize=14)
    fit(fig)
    assert tuple(fig.get_size_inches()) == (10, 4)
    assert sorted(set(text_sizes(fig))) == [report.MIN_PT, 14.0]


def test_methods_say_how_the_runs_were_executed(data: report.ReportData) -> None:
    """The methods text is written from the run's backend and settings, not assumed."""
    from dataclasses import replace

    from waystation.report.text import methods

    backend = next(iter(data.results.values())).backend
    first = methods(data)[0]
    assert f"stepped by the {backend} backend in one process" in first
    threads = ws.RunSettings(engine="threads", workers=2, block_size=4096)
    first = methods(replace(data, run=threads))[0]
    assert "on 2 threads in one process, in blocks of up to 4,096 worlds" in first
    assert "numpy engine" not in first


def test_equilibrium_section_is_opt_in_stated_and_tabled(
    data: report.ReportData, items: list[report.FigureItem], tmp_path: Path
) -> None:
    """``--equilibrium`` adds what strategic actors choose: the table holds every profile
    found, the note states the search budget and the findings in words; without it the
    section says how to ask; a scenario with one actor says there is no game."""
    import dataclasses

    import yaml

    from waystation.analyses.equilibrium import EquilibriumResult
    from waystation.analyses.equilibrium_sweep import findings
    from waystation.report.data import equilibrium_task

    two = {
        "name": "two-labs",
        "time": {"start": 2026, "horizon": 2034, "dt": 1.0},
        "nature": {"hardness": "0.5 to 4", "scheming": 0.2, "eval_ease": 0.4},
        "world": {"C_aar": "1.5 to 4", "si_gap": 1.0},
        "actors": [
            {"name": "alpha", "frontier": 0.0, "levers": {"caution": 0.4}},
            {"name": "beta", "frontier": -0.3, "levers": {"caution": 0.2}},
        ],
    }
    path = tmp_path / "two.yaml"
    path.write_text(yaml.safe_dump(two))
    st = report.Settings.of(800, 2)
    task = equilibrium_task(str(path), ws.compile_scenario(str(path)), st)
    ticks: list[int] = []
    res = task.call(ws.RunSettings(progress=lambda done, _t: ticks.append(done)))
    assert isinstance(res, EquilibriumResult) and res.worlds == st.analysis_worlds == 200
    assert ticks and max(ticks) <= task.size
    svgs = {items[0].id: "<svg></svg>"}
    page = report.render_html(dataclasses.replace(data, equilibrium=res), items[:1], svgs)
    text = " ".join(section(page, "equilibrium").split())
    assert "3-point grid" in text and "200 worlds per candidate" in text
    assert " ".join(findings(res)[-1].split()) in text
    rows = table_rows(page, "equilibrium-table")
    assert len(rows) == 2 * (len(res.equilibria) + 1)
    assert rows[-2][0] == "cooperative optimum"
    assert rows[-2][-2].startswith(present.number(res.optimum.point.failure.estimate))
    md = report.render_markdown(dataclasses.replace(data, equilibrium=res), {}, items[:1])
    assert "| cooperative optimum | alpha |" in md
    assert "Not computed" in section(report.render_html(data, items[:1], svgs), "equilibrium")
    one = equilibrium_task("single-lab", ws.compile_scenario("single-lab"), st)
    assert "one actor" in one.call(ws.RunSettings())
    assert "--equilibrium" in report.command_line("default", [], 300, 2, equilibrium=True)


# --- one presentation layer: the report draws the page's figure specifications ---------------

#: The report's figures drawn from the page's specs, by id prefix: the figspecs function.
FROM_SPECS = {
    "fig-over-time": "outcomes_over_time",
    "fig-diagram-": "diagram",
    "fig-levers-": "lever_tornado",
    "fig-lever-curves-": "lever_curves",
}


def with_curves(data: report.ReportData) -> report.ReportData:
    """``data`` with a response curve on every lever row (the hand-built tables have none)."""
    from dataclasses import replace

    from waystation.analyses.levers import ResponseCurve

    rng = np.random.default_rng(5)
    per = {}
    for name, a in data.analyses.items():
        assert a.levers is not None
        rows = tuple(
            replace(r, curve=ResponseCurve.of(np.linspace(*LEVER_REGISTRY[r.name].bounds, 4),
                    [(rng.random(300) < p).astype(float) for p in (0.5, 0.6, 0.7, 0.72)],
                    LEVER_REGISTRY[r.name].bounds[0]))
            for r in a.levers.rows
        )  # fmt: skip
        per[name] = replace(a, levers=replace(a.levers, rows=rows))
    return replace(data, analyses=per)


@pytest.fixture(scope="module")
def curved(data: report.ReportData) -> report.ReportData:
    return with_curves(data)


def test_the_reports_figures_are_the_pages_specs_drawn(curved: report.ReportData) -> None:
    """Over time, each diagram, tornado and lever curves: every mark of the page's spec, drawn."""
    from helpers import assert_drawn_from
    from waystation import figspecs

    items = {i.id: i for i in report.figure_items(curved)}
    assert_drawn_from(items["fig-over-time"].figure, figspecs.outcomes_over_time(curved.results))
    levels = figspecs.thresholds_of(curved.model)
    for name, res in curved.results.items():
        s = slug(name)
        levers = curved.analyses[name].levers
        assert levers is not None
        table = present.jsonable(levers.to_dict())
        assert_drawn_from(items[f"fig-diagram-{s}"].figure, figspecs.diagram(res, levels))
        assert_drawn_from(items[f"fig-levers-{s}"].figure,
                          figspecs.lever_tornado(table, top=len(levers.rows)))  # fmt: skip
        assert_drawn_from(items[f"fig-lever-curves-{s}"].figure, figspecs.lever_curves(table))


def test_a_change_to_a_spec_changes_the_report(
    curved: report.ReportData, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each of the four spec functions, changed, changes the report's figure drawn from it."""
    from matplotlib.text import Text

    from waystation import figspecs

    def changed(function: str) -> Any:
        original = getattr(figspecs, function)

        def spec(*args: Any, **kwargs: Any) -> dict[str, Any]:
            out = original(*args, **kwargs)
            out["title"] = f"changed: {function}"
            out["marks"].append({"kind": "hline", "at": 0.5, "label": f"mark of {function}",
                                 "colour": "#000000", "dash": "dot"})  # fmt: skip
            return out

        return spec

    for function in FROM_SPECS.values():
        monkeypatch.setattr(figspecs, function, changed(function))
    items = report.figure_items(curved)
    seen = set()
    for item in items:
        texts = {t.get_text() for t in item.figure.findobj(Text)}
        function = next((f for p, f in FROM_SPECS.items() if item.id.startswith(p)), None)
        if function is None:
            assert not any(t.startswith("changed: ") for t in texts), item.id
            continue
        seen.add(function)
        assert f"changed: {function}" in texts, item.id
        gids = {a.get_gid() for a in item.figure.findobj(lambda a: a.get_gid() is not None)}
        assert any(str(g).endswith(f":hline:mark of {function}") for g in gids), item.id
    assert seen == set(FROM_SPECS.values())
