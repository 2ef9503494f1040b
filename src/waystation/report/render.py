"""Render a report as one self-contained HTML file or as Markdown."""

from __future__ import annotations

import re
from collections.abc import Mapping

from waystation._text import shown
from waystation.report.data import SECTIONS, ReportData
from waystation.report.figures import COLUMN_PX, FigureItem, figure_items, svg
from waystation.report.findings import key_findings
from waystation.report.tables import _e, _notes, _question, _tables, section_tables
from waystation.report.text import LIMITATIONS, glossary, methods, rules_text, strategy_text

_CSS = f"""
body{{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:{COLUMN_PX}px;
margin:2rem auto;padding:0 1rem;color:#222;line-height:1.45;font-size:16px}}
h1{{font-size:1.6rem;margin-bottom:.2rem}}h2{{font-size:1.3rem;border-bottom:1px solid #ccc;
margin-top:2.4rem}}h3{{font-size:1.08rem;margin:1.4rem 0 .4rem}}
.meta{{color:#555;margin-top:0}}
.tw{{overflow-x:auto;margin:.5rem 0}}
table{{border-collapse:collapse;font-size:.85rem}}
th,td{{border:1px solid #ddd;padding:.2rem .45rem;text-align:left;vertical-align:top}}
th{{background:#f3f3f3}}td.n{{text-align:right;font-variant-numeric:tabular-nums;
white-space:nowrap}}
figure{{margin:1rem 0 1.6rem}}figure svg{{display:block;max-width:100%;height:auto}}
figcaption{{font-size:.9rem;color:#333;margin-top:.3rem}}
#findings li{{margin:.35rem 0}}#findings{{background:#f7f9fc;padding:.2rem 1rem .6rem;
border-left:4px solid #0072B2}}
dt{{font-weight:600;margin-top:.5rem}}dd{{margin-left:1.2rem}}
pre{{background:#f6f6f6;padding:.6rem;overflow-x:auto}}
nav{{font-size:.9rem}}nav a{{margin-right:.7rem;white-space:nowrap}}
.params td{{font-size:.78rem}}
"""


#: Tables whose cells mix numbers and words, left-aligned throughout.
PLAIN = ("assumption-table", "calibration-table", "parameter-table")


def _html_table(tid: str, header: list[str], rows: list[list[str]]) -> str:
    num = re.compile(r"^[-+]?[\d.]+(e[-+]?\d+)?( (± |\[)|$)|^\[")
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{_e(c)}</td>'
            if num.match(c) and tid not in PLAIN
            else f"<td>{_e(c)}</td>"
            for c in row
        )
        + "</tr>\n"
        for row in rows
    )
    cls = ' class="params"' if tid == "parameter-table" else ""
    return (
        f'<div class="tw"><table id="{tid}"{cls}><thead><tr>{head}</tr></thead><tbody>\n'
        f"{body}</tbody></table></div>"
    )


def _figure_html(item: FigureItem, number: int, svg_text: str) -> str:
    return (
        f'<figure id="{item.id}">{svg_text}<figcaption><b>Figure {number}.</b> '
        f"{_e(item.title)}. {_e(item.caption)}</figcaption></figure>"
    )


def _prose_html(sid: str, data: ReportData, items: list[FigureItem]) -> str:
    """The body of the sections that are prose rather than figure and tables."""
    if sid == "findings":
        return "<ul>" + "".join(f"<li>{_e(f)}</li>" for f in key_findings(data)) + "</ul>"
    if sid == "question":
        return _question_html(data)
    if sid == "methods":
        return "".join(f"<p>{_e(p)}</p>" for p in methods(data))
    if sid == "assumptions":
        return _assumptions_html(data)
    if sid == "definitions":
        return (
            "<dl>"
            + "".join(
                f"<dt>{_e(d.label)}{_e(' [' + d.unit + ']' if d.unit else '')}</dt>"
                f"<dd>{_e(d.meaning)}{ASSOCIATION if d.association else ''}</dd>"
                for d in glossary()
            )
            + "</dl>"
        )
    if sid == "limitations":
        return "<ul>" + "".join(f"<li>{_e(x)}</li>" for x in LIMITATIONS) + "</ul>"
    if sid == "figures":
        return (
            "<ol>"
            + "".join(f'<li><a href="#{i.id}">{_e(i.title)}</a></li>' for i in items)
            + "</ol>"
        )
    return _reproduce_html(data)


ASSOCIATION = " <i>(an association across worlds, not an effect)</i>"
PROSE = (
    "findings",
    "question",
    "methods",
    "assumptions",
    "definitions",
    "limitations",
    "figures",
    "reproduce",
)


def render_html(
    data: ReportData,
    items: list[FigureItem] | None = None,
    svgs: Mapping[str, str] | None = None,
) -> str:
    """The whole report as one self-contained HTML page (inline CSS and SVG figures)."""
    items = figure_items(data) if items is None else items
    svgs = {i.id: svg(i.figure) for i in items} if svgs is None else svgs
    number = {i.id: k + 1 for k, i in enumerate(items)}
    tables, notes, sec_tables = _tables(data), _notes(data), section_tables(data)
    links = " ".join(f'<a href="#{k}">{_e(v)}</a>' for k, v in SECTIONS.items())
    parts = [f"<nav>{links}</nav>"]
    for sid, title in SECTIONS.items():
        body = [f'<section id="{sid}"><h2>{_e(title)}</h2>']
        if sid in PROSE:
            body.append(_prose_html(sid, data, items))
        else:
            body.append(f"<p>{_e(notes.get(sid, ''))}</p>")
            for group, figs, tabs in _groups(sid, data, items, sec_tables):
                if group:
                    body.append(f"<h3>{_e(group)}</h3>")
                body += [_figure_html(i, number[i.id], svgs[i.id]) for i in figs]
                body += [_html_table(t, *tables[t]) for t in tabs]
        parts.append("\n".join(body) + "</section>")
    title = f"waystation report: {data.scenario.name}"
    meta = (
        f"{', '.join(data.results)} · {data.worlds:,} worlds per strategy · seed "
        f"{data.seed} · waystation {data.version}"
    )
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>\n"
        f'<h1>{_e(title)}</h1>\n<p class="meta">{_e(meta)}</p>\n'
        + "\n".join(parts)
        + "\n</body></html>\n"
    )


def _groups(
    sid: str,
    data: ReportData,
    items: list[FigureItem],
    sec_tables: Mapping[str, list[tuple[str, str]]],
) -> list[tuple[str, list[FigureItem], list[str]]]:
    """A section's figures and tables grouped under headings: shared first, then per strategy."""
    figs = [i for i in items if i.section == sid]
    tabs = sec_tables.get(sid, [])
    out = [("", [i for i in figs if i.strategy is None], [t for t, h in tabs if not h])]
    for name in data.results:
        mine = [i for i in figs if i.strategy == name], [t for t, h in tabs if h == name]
        if mine[0] or mine[1]:
            out.append((name, *mine))
    out += [(h, [], [t]) for t, h in tabs if h and h not in data.results]
    return [g for g in out if g[1] or g[2]]


def _question_html(data: ReportData) -> str:
    actors = "".join(
        f"<li><b>{_e(a.name)}</b>: {_e(a.description)}</li>" for a in data.scenario.actors
    )
    strategies = "".join(
        f"<li><b>{_e(s)}</b>: {_e(strategy_text(s, p.model))}</li>"
        for s, p in data.analyses.items()
    )
    return (
        f"<p>{_e(_question(data))}</p><p>{_e(data.scenario.description)}</p>"
        f"<h3>Actors</h3><ul>{actors}</ul><h3>Strategies</h3><ul>{strategies}</ul>"
    )


def _assumptions_html(data: ReportData) -> str:
    m = data.model
    head = (
        f"<p>The scenario {_e(data.scenario.name)} runs from {m.start:g} to {m.horizon:g} with "
        f"{len(m.actors)} actors ({_e(', '.join(m.actors))}) and {len(m.uncertain())} uncertain "
        "inputs drawn from its priors (listed with their sources under Parameters). Each "
        "strategy below is a list of rules applied at every step, later rules overriding "
        "earlier ones; what a rule sets is assumed to be agreed and kept to as stated.</p>"
    )
    per = "".join(
        f"<h3>{_e(s)}</h3><p>{_e(strategy_text(s, p.model))}</p><ul>"
        + "".join(f"<li>{_e(r)}</li>" for r in rules_text(p.model))
        + "</ul>"
        for s, p in data.analyses.items()
    )
    table = _html_table("assumption-table", *_tables(data)["assumption-table"])
    return head + per + "<h3>Levers: the scenario's values and what each strategy sets</h3>" + table


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


def render_markdown(
    data: ReportData, figure_files: Mapping[str, str], items: list[FigureItem] | None = None
) -> str:
    """The report as Markdown, linking each figure (by figure id) to a file beside it."""
    items = figure_items(data) if items is None else items
    tables, notes, sec_tables = _tables(data), _notes(data), section_tables(data)
    out = [f"# waystation report: {data.scenario.name}"]
    for sid, title in SECTIONS.items():
        out.append(f'<a id="{sid}"></a>\n\n## {title}')
        if sid == "findings":
            out.append("\n".join(f"- {f}" for f in key_findings(data)))
        elif sid == "question":
            out.append(_question(data) + "\n\n" + data.scenario.description)
            out.append("\n".join(f"- **{a.name}**: {a.description}" for a in data.scenario.actors))
            out.append(
                "\n".join(
                    f"- **{s}**: {strategy_text(s, p.model)}" for s, p in data.analyses.items()
                )
            )
        elif sid == "methods":
            out += methods(data)
        elif sid == "assumptions":
            for s, p in data.analyses.items():
                out.append(f"### {s}\n\n{strategy_text(s, p.model)}")
                out.append("\n".join(f"- {r}" for r in rules_text(p.model)))
            out.append(_md_table(*tables["assumption-table"]))
        elif sid == "definitions":
            out.append("\n".join(f"- **{d.label}**: {d.text()}" for d in glossary()))
        elif sid == "limitations":
            out.append("\n".join(f"- {x}" for x in LIMITATIONS))
        elif sid == "figures":
            out.append("\n".join(f"{k + 1}. {i.title}" for k, i in enumerate(items)))
        elif sid == "reproduce":
            out.append(
                f"waystation {data.version}, seed {data.seed}, {data.worlds:,} worlds "
                f"per strategy:\n\n```\n{data.command}\n```"
            )
        else:
            out.append(notes.get(sid, ""))
            for group, figs, tabs in _groups(sid, data, items, sec_tables):
                if group:
                    out.append(f"### {group}")
                out += [
                    f"![{i.title}]({figure_files[i.id]})\n\n*{i.title}.* {i.caption}"
                    for i in figs
                    if i.id in figure_files
                ]
                out += [_md_table(*tables[t]) for t in tabs]
    return shown("\n\n".join(out), newlines=True) + "\n"  # names from user files, escaped
