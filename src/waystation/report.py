"""A self-contained report of a scenario: runs, analyses and figures in one HTML (or Markdown) file.

:func:`gather` runs what the report needs through the public API and the
analyses; :func:`render_html` and :func:`render_markdown` turn the gathered
:class:`ReportData` into text. The HTML embeds its figures as inline SVG and
its style inline, and refers to nothing outside itself.
"""

from __future__ import annotations

import html
import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from io import StringIO
from typing import Any

from waystation.api import compile_scenario, package_version
from waystation.distributions import Dist
from waystation.io import load_scenario
from waystation.levers import LEVERS, Lever
from waystation.model import Model
from waystation.params import PARAMS, Param
from waystation.results import OUTCOMES, Results
from waystation.scenario import Scenario
from waystation.strategies import BUILTIN_STRATEGIES

__all__ = [
    "DEFAULT_STRATEGIES",
    "SECTIONS",
    "ReportData",
    "command_line",
    "figure_svgs",
    "gather",
    "render_html",
    "render_markdown",
]

#: The essay's question when no strategy is named: the scenario's default against two paths.
DEFAULT_STRATEGIES: tuple[str, ...] = (
    "default",
    "pause-then-enhanced-labor",
    "automated-alignment-researcher",
)
#: Section ids and titles, in order.
SECTIONS: dict[str, str] = {
    "question": "Question and scenario",
    "outcomes": "Outcomes",
    "diagram": "Capability frontier and safety range",
    "waystations": "Waystations",
    "comparison": "Strategy comparison",
    "competence": "Competence profile",
    "levers": "Levers",
    "sensitivity": "Sensitivity",
    "parameters": "Parameters",
    "reproduce": "Reproduce",
}
STAGES = 4
#: Hardness values of the report's competence profile (x baseline).
COMPETENCE_GRID: tuple[float, ...] = (0.1, 0.32, 1.0, 3.2, 10.0)
#: Morris trajectories of the report's sensitivity screening.
MORRIS_TRAJECTORIES = 16
Z95 = 1.96


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows: runs per strategy and the analyses' result objects."""

    scenario: Scenario
    model: Model
    results: dict[str, Results]
    comparison: Any
    competence: Any
    levers: Any
    sensitivity: Any
    worlds: int
    seed: int
    command: str
    version: str


def command_line(
    scenario: str,
    strategies: Sequence[str],
    worlds: int,
    seed: int,
    output: str = "report.html",
    fmt: str = "html",
) -> str:
    """The ``waystation report`` command that regenerates a report exactly."""
    parts = ["waystation", "report", scenario]
    for s in strategies:
        parts += ["-s", s]
    parts += ["--worlds", str(worlds), "--seed", str(seed), "-o", output]
    if fmt != "html":
        parts += ["--format", fmt]
    return shlex.join(parts)


def gather(
    scenario: str,
    strategies: Sequence[str] = (),
    worlds: int = 2000,
    seed: int = 0,
    *,
    output: str = "report.html",
    fmt: str = "html",
    progress: Callable[[int, int], None] | None = None,
) -> ReportData:
    """Run the strategies on common random numbers and the analyses a report shows.

    Analyses are kept small so the default report takes seconds: a quarter of
    ``worlds`` per evaluation (at least 200), a 5-point hardness grid, and a
    Morris screening of the problem profile's uncertain inputs.
    """
    from waystation import analyses

    tick = progress or (lambda done, total: None)
    names = tuple(strategies) or DEFAULT_STRATEGIES
    sc = load_scenario(scenario)
    small = max(200, worlds // 4)
    cmp = analyses.compare(scenario, list(names), worlds=worlds, seed=seed)
    tick(1, STAGES)
    first = names[0]
    model = compile_scenario(scenario, first)
    prof = analyses.competence(
        scenario, strategy=first, grid=COMPETENCE_GRID, worlds=small, seed=seed
    )
    tick(2, STAGES)
    lev = analyses.lever_values(scenario, strategy=first, worlds=small, seed=seed)
    tick(3, STAGES)
    profile = [p.name for p in PARAMS if p.group == "nature" and p.name in model.uncertain()]
    sens = analyses.sensitivity(
        scenario,
        strategy=first,
        method="morris",
        seed=seed,
        base_samples=MORRIS_TRAJECTORIES,
        names=profile or None,
    )
    tick(4, STAGES)
    return ReportData(
        sc,
        model,
        dict(cmp.results),
        cmp,
        prof,
        lev,
        sens,
        worlds,
        seed,
        command_line(scenario, strategies, worlds, seed, output, fmt),
        package_version(),
    )


def figure_svgs(data: ReportData) -> dict[str, str]:
    """The report's figures as SVG text, by section id."""
    from waystation import plots

    first = next(iter(data.results.values()))
    levels = plots.thresholds_of(data.model)
    figs = {
        "outcomes": plots.outcomes(data.results),
        "diagram": plots.diagram(first, levels=levels),
        "waystations": plots.waystation_value(first),
        "comparison": plots.comparison(data.comparison),
        "competence": plots.competence_profile(data.competence),
        "levers": plots.tornado(data.levers),
        "sensitivity": plots.sobol(data.sensitivity),
    }
    return {k: _svg(f) for k, f in figs.items()}


def _svg(fig: Any) -> str:
    """SVG text of a figure without XML prologue or metadata, for inline use."""
    buf = StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    return re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)


# -- text pieces shared by both formats ------------------------------------------------------


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

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:60rem;margin:2rem auto;
padding:0 1rem;color:#222;line-height:1.45}
h1{font-size:1.6rem}h2{font-size:1.25rem;border-bottom:1px solid #ccc;margin-top:2rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
th,td{border:1px solid #ddd;padding:.2rem .45rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1rem 0}figure svg{max-width:100%;height:auto}
pre{background:#f6f6f6;padding:.6rem;overflow-x:auto}nav a{margin-right:.6rem}
.params td{font-size:.78rem}
"""


def _html_table(tid: str, header: list[str], rows: list[list[str]]) -> str:
    num = re.compile(r"^[-+]?[\d.]+(e[-+]?\d+)?$|^\[")
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{_e(c)}</td>' if num.match(c) else f"<td>{_e(c)}</td>" for c in row
        )
        + "</tr>\n"
        for row in rows
    )
    cls = ' class="params"' if tid == "parameter-table" else ""
    return f'<table id="{tid}"{cls}><thead><tr>{head}</tr></thead><tbody>\n{body}</tbody></table>'


#: The table each section shows, by section id (shared by HTML and Markdown).
SECTION_TABLES: Mapping[str, str] = {
    "outcomes": "outcome-table",
    "waystations": "waystation-table",
    "comparison": "comparison-table",
    "levers": "lever-table",
    "sensitivity": "sensitivity-table",
    "parameters": "parameter-table",
}


def render_html(data: ReportData, svgs: Mapping[str, str] | None = None) -> str:
    """The whole report as one self-contained HTML page (inline CSS and SVG figures)."""
    svgs = figure_svgs(data) if svgs is None else svgs
    tables, notes = _tables(data), _notes(data)
    sec_tables = SECTION_TABLES
    links = "".join(f'<a href="#{k}">{_e(v)}</a>' for k, v in SECTIONS.items())
    parts = [f"<nav>{links}</nav>"]
    for sid, title in SECTIONS.items():
        body = [f'<section id="{sid}"><h2>{_e(title)}</h2>']
        if sid == "question":
            body.append(_question_html(data))
        elif sid == "reproduce":
            body.append(_reproduce_html(data))
        else:
            body.append(f"<p>{_e(notes[sid])}</p>")
        if sid in svgs:
            body.append(f'<figure id="fig-{sid}">{svgs[sid]}</figure>')
        if sid in sec_tables:
            body.append(_html_table(sec_tables[sid], *tables[sec_tables[sid]]))
        parts.append("\n".join(body) + "</section>")
    title = f"waystation report: {data.scenario.name}"
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>\n"
        f"<h1>{_e(title)}</h1>\n" + "\n".join(parts) + "\n</body></html>\n"
    )


def _question_html(data: ReportData) -> str:
    actors = "".join(
        f"<li><b>{_e(a.name)}</b>: {_e(a.description)}</li>" for a in data.scenario.actors
    )
    strategies = "".join(f"<li><b>{_e(s)}</b>: {_e(_strategy_text(s))}</li>" for s in data.results)
    return (
        f"<p>{_e(_question(data))}</p><p>{_e(data.scenario.description)}</p>"
        f"<h3>Actors</h3><ul>{actors}</ul><h3>Strategies</h3><ul>{strategies}</ul>"
    )


def _reproduce_html(data: ReportData) -> str:
    return (
        f"<p>Regenerate this report (waystation {_e(data.version)}, seed {data.seed}, "
        f"{data.worlds:,} worlds per strategy) with:</p>"
        f'<pre><code id="command">{_e(data.command)}</code></pre>'
        f'<dl><dt>version</dt><dd id="version">{_e(data.version)}</dd>'
        f'<dt>seed</dt><dd id="seed">{data.seed}</dd></dl>'
    )


# -- Markdown --------------------------------------------------------------------------------


def _md_cell(x: str) -> str:
    return x.replace("|", "\\|").replace("\n", " ")


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(_md_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def render_markdown(data: ReportData, figure_files: Mapping[str, str]) -> str:
    """The report as Markdown, linking figures by section id to SVG files beside it."""
    tables, notes = _tables(data), _notes(data)
    sec_tables = SECTION_TABLES
    out = [f"# waystation report: {data.scenario.name}"]
    for sid, title in SECTIONS.items():
        out.append(f'<a id="{sid}"></a>\n\n## {title}')
        if sid == "question":
            out.append(_question(data) + "\n\n" + data.scenario.description)
            out.append("\n".join(f"- **{a.name}**: {a.description}" for a in data.scenario.actors))
            out.append("\n".join(f"- **{s}**: {_strategy_text(s)}" for s in data.results))
        elif sid == "reproduce":
            out.append(
                f"waystation {data.version}, seed {data.seed}, {data.worlds:,} worlds "
                f"per strategy:\n\n```\n{data.command}\n```"
            )
        else:
            out.append(notes[sid])
        if sid in figure_files:
            out.append(f"![{title}]({figure_files[sid]})")
        if sid in sec_tables:
            out.append(_md_table(*tables[sec_tables[sid]]))
    return "\n\n".join(out) + "\n"
