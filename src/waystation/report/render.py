"""Render a report as one self-contained HTML file or as Markdown."""

from __future__ import annotations

import re
from collections.abc import Mapping

from waystation.report.data import SECTIONS, ReportData, figure_svgs
from waystation.report.tables import _e, _notes, _question, _strategy_text, _tables

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
