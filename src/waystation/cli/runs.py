"""``waystation runs`` (the run store), ``--keep`` on every command, and "cite this run".

Every command that simulates gets ``--keep/--no-keep`` from one place,
:func:`add_keep_options`: its body is wrapped so that, for the command's
duration, every run is kept in (and served from) the run store
(:mod:`waystation.store`) and observed, so that ``--json`` documents and
tables end with the provenance of what ran (:mod:`waystation.provenance`).
The default comes from ``WAYSTATION_KEEP`` or ``keep = true`` under
``[store]`` in the config file.
"""

from __future__ import annotations

import functools
import inspect
import json as _json
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from waystation.cli._app import (
    SESSION,
    Json_,
    err,
    friendly_errors,
    out,
    print_json,
)

if TYPE_CHECKING:
    from waystation.model import Model
    from waystation.store import RunStore

#: Commands that simulate, and so take ``--keep``.
KEEP_COMMANDS: tuple[str, ...] = ("run", "compare", "competence", "levers", "sensitivity",
                                  "voi", "optimise", "calibration", "report", "plot")  # fmt: skip

Keep_ = Annotated[
    bool | None,
    typer.Option(
        "--keep/--no-keep",
        help="Keep this command's runs in the run store ('waystation runs list'); a run "
        "already kept is served from it, a larger one computes only its new worlds. Default: "
        "WAYSTATION_KEEP, or keep = true under \\[store] in the config file.",
        show_default=False,
    ),
]

runs_app = typer.Typer(
    name="runs",
    help="The run store: list, show, export, remove and query kept runs (see --keep).",
    no_args_is_help=True,
)


@dataclass
class Session:
    """What one command ran: its reproducing command and the runs it observed."""

    command: str
    scenario: str | None = None
    strategy: str | None = None
    runs: list[tuple[Model, int, int, str]] = field(default_factory=list)

    def observe(self, model: Model, worlds: int, seed: int, backend: str, fixed: bool) -> None:
        """The run observer (:func:`waystation.keeping.observing`)."""
        if not fixed:
            self.runs.append((model, worlds, seed, backend))

    def provenance(self) -> dict[str, Any] | None:
        """The "cite this run" block of the command's first run (None before any run)."""
        if not self.runs:
            return None
        from waystation.provenance import provenance

        model, worlds, seed, backend = max(self.runs, key=lambda r: r[1])  # the main run
        if self.scenario is not None:  # an analysis's first run may have overridden inputs
            model = self._named(model)
        link = self._link(model, worlds, seed)
        block = provenance(model, worlds, seed, backend, self.command, link)
        block["runs"] = len(self.runs)
        return block

    def _named(self, observed: Model) -> Model:
        """The model of the command's scenario and (first) strategy, as named on the command."""
        from waystation.api import compile_scenario
        from waystation.cli._app import scenario_source
        from waystation.io import ScenarioError

        try:
            return compile_scenario(scenario_source(str(self.scenario)), self.strategy)
        except (ScenarioError, ValueError, OSError):  # keep what ran
            return observed

    def _link(self, model: Model, worlds: int, seed: int) -> str | None:
        """A permalink into the explorer, where the page can show the run."""
        from waystation.io import load_scenario, shipped_scenarios
        from waystation.provenance import permalink
        from waystation.strategies import BUILTIN_STRATEGIES

        strategy = self.strategy or model.strategy.name
        if strategy not in BUILTIN_STRATEGIES and strategy != "default":
            return None  # the page offers built-in strategies only
        name = self.scenario or model.name
        if name in shipped_scenarios():
            return permalink(name, strategy, worlds, seed)
        try:
            from waystation.web.payloads import scenario_json
        except ImportError:  # the page's extra is not installed
            return None
        return permalink(scenario_json(load_scenario(Path(name))), strategy, worlds, seed)


_SESSION = SESSION  # the command running now (its ContextVar lives in _app, which prints)


#: Options left out of a reproducing command: they change how, never what, a run computes.
QUIET = frozenset({"keep", "json", "workers", "engine", "address", "block_size"})


def reproducing_command(ctx: typer.Context) -> str:
    """The command line that repeats this one: every parameter that differs from its default."""
    import shlex

    parts = ctx.command_path.split()
    for param in ctx.command.params:
        value = ctx.params.get(param.name or "")
        if param.param_type_name == "argument" and value is not None:
            parts.append(str(value))  # always: the command reads without its defaults
            continue
        if param.name in QUIET or value is None or value == param.default:
            continue
        if param.param_type_name == "argument":
            parts.append(str(value))
        elif getattr(param, "is_flag", False):
            parts.append(param.opts[0] if value else (param.secondary_opts or ["?"])[0])
        else:
            for v in value if isinstance(value, list | tuple) else [value]:
                parts += [param.opts[0], str(v)]
    if parts and parts[0] != "waystation":
        parts[0] = "waystation"
    return shlex.join(parts)


def _first(value: Any) -> str | None:
    if isinstance(value, list | tuple):
        return str(value[0]) if value else None
    return None if value is None else str(value)


@contextmanager
def kept(keep: bool | None, session: Session) -> Iterator[RunStore | None]:
    """Keep (and serve) the runs of the block in the store if asked; observe them always."""
    from waystation.keeping import keeping, observing

    store = None
    with friendly_errors():
        from waystation.store import RunStore, keep_by_default

        if keep if keep is not None else keep_by_default():
            store = RunStore.open()
            store.command = session.command
    token = _SESSION.set(session)
    try:
        with keeping(store), observing(session.observe):
            yield store
    finally:
        _SESSION.reset(token)
        if store is not None:
            for notice in store.notices:
                err.print(f"[yellow]note:[/] {escape(notice)}", highlight=False)
            if store.kept or store.served:
                err.print(
                    f"run store: kept {len(store.kept)} run(s), served {len(store.served)} "
                    f"from {escape(str(store.root))} (waystation runs list)",
                    highlight=False,
                )


def with_keep(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A command callback with ``--keep/--no-keep`` added, run inside :func:`kept`."""

    @functools.wraps(fn)
    def wrapper(*args: Any, keep: bool | None, ws_context: typer.Context, **kwargs: Any) -> Any:
        scenario, strategy = _first(kwargs.get("scenario")), _first(kwargs.get("strategy"))
        session = Session(reproducing_command(ws_context), scenario, strategy)
        with kept(keep, session):
            result = fn(*args, **kwargs)
        if not kwargs.get("json"):
            show_provenance(session.provenance())
        return result

    sig = inspect.signature(fn, eval_str=True)  # typer reads the options' Annotated metadata
    kw = inspect.Parameter.KEYWORD_ONLY
    params = [*sig.parameters.values(),
              inspect.Parameter("keep", kw, default=None, annotation=Keep_),
              inspect.Parameter("ws_context", kw, annotation=typer.Context)]  # fmt: skip
    wrapper.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    hints = typing.get_type_hints(fn, include_extras=True)
    wrapper.__annotations__ = {**hints, "keep": Keep_, "ws_context": typer.Context}
    return wrapper


def add_keep_options(app: typer.Typer) -> None:
    """Give every simulating command of ``app`` the ``--keep`` option (see :func:`with_keep`)."""
    for info in app.registered_commands:
        name = info.name or (info.callback.__name__ if info.callback else "")
        if info.callback is not None and name.removesuffix("_cmd") in KEEP_COMMANDS:
            info.callback = with_keep(info.callback)


def show_provenance(block: dict[str, Any] | None) -> None:
    """A few dim lines under a command's tables: what ran and how to run it again."""
    if not block:
        return
    line = (
        f"{block['date']} · waystation {block['waystation_version']} · model "
        f"{block['model_version']} · {block['backend']} · {block['worlds']:,} worlds · seed "
        f"{block['seed']} · scenario {block['scenario_hash']}"
    )
    out.print(f"  [dim]cite this run: {escape(line)}[/]", highlight=False, soft_wrap=True)
    out.print(f"  [dim]reproduce: {escape(block['command'])}[/]", highlight=False, soft_wrap=True)
    if block.get("permalink"):
        out.print(f"  [dim]open: {escape(block['permalink'])}[/]", highlight=False, soft_wrap=True)


# -- waystation runs ----------------------------------------------------------------------


def _store() -> RunStore:
    from waystation.store import RunStore

    return RunStore.open()


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat(timespec="seconds") if hasattr(v, "isoformat") else v)
            for k, v in row.items()}  # fmt: skip


@runs_app.command("list")
def list_cmd(json: Json_ = False) -> None:
    """The kept runs, most recently used first, and where the store is."""
    from waystation.store import _size

    with friendly_errors():
        store = _store()
        rows = store.runs()
        size = store.size()
    if json:
        print_json({"store": str(store.root), "bytes": size, "limit": store.limit,
                    "runs": [_jsonable(r) for r in rows]})  # fmt: skip
        return
    table = Table(
        title=f"Kept runs in {store.root}",
        caption=f"{len(rows)} runs · {_size(size)} of {_size(store.limit)}",
    )
    for col in ("key", "scenario", "strategy", "worlds", "seed", "backend", "P(victory)",
                "last used"):  # fmt: skip
        right = col in ("worlds", "seed", "P(victory)")
        table.add_column(col, justify="right" if right else "left")
    for r in rows:
        table.add_row(r["key"], r["scenario"], r["strategy"], f"{r['worlds']:,}", str(r["seed"]),
                      r["backend"], f"{r['p_victory']:.4f}",
                      r["used"].isoformat(sep=" ", timespec="seconds"))  # fmt: skip
    print_wide(table)


def print_wide(renderable: Any) -> None:
    """Print a wide table whole: on a pipe, at 200 columns rather than rich's default 80."""
    from rich.console import Console

    if out.is_terminal:
        out.print(renderable)
    else:
        Console(width=200, file=out.file).print(renderable)


Key_ = Annotated[str, typer.Argument(help="A run's key, or a unique prefix of it (4+ characters).")]


@runs_app.command("show")
def show_cmd(key: Key_, json: Json_ = False) -> None:
    """One kept run: what made it, its probabilities and its per-world columns."""
    from waystation.export import data_dictionary

    with friendly_errors():
        store = _store()
        row = _jsonable(store.resolve(key))
        columns = store.worlds(row["key"]).column_names
    row["columns"] = data_dictionary(columns)
    if json:
        print_json(row)
        return
    table = Table(title=f"Kept run {row['key']}", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for k, v in row.items():
        if k != "columns":
            table.add_row(k, escape(str(v)))
    out.print(table)
    out.print(f"  per-world columns: {escape(', '.join(columns))}", highlight=False)


@runs_app.command("export")
def export_cmd(
    key: Key_,
    output: Annotated[Path, typer.Argument(help="File to write: .parquet or .csv.")],
) -> None:
    """Write a kept run's per-world rows, and a data dictionary beside them."""
    with friendly_errors():
        table = _store().worlds(key)
        export_worlds(table, output)


def export_worlds(records: Any, output: Path) -> None:
    """Write per-world rows and their dictionary, whole or not at all, and say so."""
    from waystation.cli._files import atomic_outputs
    from waystation.export import dictionary_path, export_format, write_worlds

    fmt = export_format(output)
    with atomic_outputs() as files:
        write_worlds(records, files.path(output), files.path(dictionary_path(output)), fmt)
    n = records.num_rows if hasattr(records, "num_rows") else len(next(iter(records.values())))
    err.print(f"wrote {escape(str(output))} ({n:,} worlds) and its data dictionary "
              f"{escape(str(dictionary_path(output)))}", highlight=False)  # fmt: skip


@runs_app.command("rm")
def rm_cmd(
    keys: Annotated[list[str] | None, typer.Argument(help="Keys (or unique prefixes).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Remove every kept run.")] = False,
) -> None:
    """Remove kept runs (their files go with the last run that uses them)."""
    with friendly_errors():
        store = _store()
        if all_:
            keys = [r["key"] for r in store.runs()]
        elif not keys:
            raise ValueError("name the runs to remove (keys from `waystation runs list`), or --all")
        gone = store.remove(keys or [])
    out.print(f"removed {len(gone)} run(s)")


@runs_app.command("sql")
def sql_cmd(
    query: Annotated[str, typer.Argument(help='SQL, e.g. "select count(*) from worlds".')],
    json: Json_ = False,
) -> None:
    """Query the store with DuckDB (read-only): tables runs and chunks, view worlds."""
    with friendly_errors():
        columns, rows = _store().sql(query)
    if json:
        print_json({"columns": columns, "rows": [list(r) for r in rows]})
        return
    table = Table()
    for c in columns:
        table.add_column(escape(c))
    for r in rows:
        table.add_row(*(escape(_json.dumps(v, default=str) if not isinstance(v, str) else v)
                        for v in r))  # fmt: skip
    out.print(table)
