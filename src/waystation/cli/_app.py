"""The typer application shared by every command module, and helpers they use."""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from waystation.definitions import define, definitions_block
from waystation.engines import MISSING_DASK
from waystation.io import ScenarioError

app = typer.Typer(
    name="waystation",
    help="Simulate paths through AI safety: capability frontiers, safety ranges, waystations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
#: Messages on stderr are not hard-wrapped: a file path or a located error stays
#: on one line, whole, however wide the terminal (and copyable).
err = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")


def fail(message: str, code: int = 2) -> None:
    """Print an error for people on stderr and exit with ``code``."""
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True)
    raise typer.Exit(code)


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Turn scenario and value errors into located messages and exit code 2 (no traceback)."""
    try:
        yield
    except ScenarioError as e:
        for problem in e.problems:
            err.print(f"[bold red]error:[/] {escape(str(problem))}", highlight=False, markup=True)
        raise typer.Exit(2) from None
    except (ValueError, OSError) as e:
        fail(str(e))
    except RuntimeError as e:  # the dask engine without its extra, raised as the engine opens
        if str(e) != MISSING_DASK:
            raise
        fail(str(e))


Scenario_ = Annotated[str, typer.Argument(help="Shipped scenario name or YAML path.")]
Seed_ = Annotated[int, typer.Option("--seed", min=0, help="Root random seed.")]
Json_ = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
Strategy_ = Annotated[
    str | None,
    typer.Option(
        "--strategy", "-s", help="Built-in strategy name or YAML file (default: the scenario's)."
    ),
]


def scenario_source(name: str) -> str | Path:
    """A scenario argument as a file path if such a file exists, else as a shipped name."""
    return Path(name) if Path(name).is_file() else name


def print_json(data: Any, definitions: Sequence[str] = ()) -> None:
    """Write one JSON object on stdout (NaN becomes null).

    ``definitions`` names the keys of :mod:`waystation.definitions` that the
    document uses; a dictionary document then gains a ``definitions`` block
    with their meanings (its other keys are unchanged).
    """
    if definitions and isinstance(data, dict):
        data = {**data, "definitions": definitions_block(*definitions)}
    sys.stdout.write(json.dumps(_clean(data), indent=2) + "\n")


def footnote(*keys: str, title: str = "where") -> None:
    """Print the meanings of ``keys`` under a table, one entry each, from the registry.

    The default-precision convention is left to the ``--json`` documents: a
    table's title already states how many worlds it used.
    """
    from rich.table import Table

    shown = [k for k in dict.fromkeys(keys) if k != "default_worlds"]
    if not shown:
        return
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(style="dim")
    for k in shown:
        grid.add_row("  -", escape(define(k).text()))
    out.print(f"  [bold]{escape(title)}:[/]", highlight=False)
    out.print(grid, highlight=False)


def _clean(x: Any) -> Any:
    """Replace non-finite floats by None, recursively, so the JSON is standard."""
    if isinstance(x, float):
        return x if x == x and abs(x) != float("inf") else None
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    return x


#: Environment variable that forces progress bars on ("1") or off ("0") whatever
#: stderr is; unset, a bar is drawn only when stderr is a terminal.
PROGRESS_ENV = "WAYSTATION_PROGRESS"


def progress_wanted() -> bool:
    """Whether progress bars are drawn: ``WAYSTATION_PROGRESS`` if set, else stderr is a TTY."""
    forced = os.environ.get(PROGRESS_ENV, "").strip().lower()
    if forced in ("1", "true", "yes", "on", "always"):
        return True
    if forced in ("0", "false", "no", "off", "never"):
        return False
    return err.is_terminal


@contextmanager
def progress_bar(total: int, label: str, show: bool = True) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on stderr, fed by the engine's ``progress(done, total)`` callback.

    Every long command (and the report, through this same helper) draws its
    bar here, on stderr only, so ``--json`` output on stdout stays one JSON
    document. Drawn when ``show`` and :func:`progress_wanted`: on a terminal,
    or anywhere with ``WAYSTATION_PROGRESS=1`` (a bar elsewhere would
    otherwise draw nothing but a blank line). The callback accepts a new
    total, so callers may report in their own units (worlds, evaluations).
    """
    if not show or not progress_wanted():
        yield lambda done, total: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = err if err.is_terminal else Console(stderr=True, force_terminal=True)
    with Progress(
        SpinnerColumn(),  # moves while a long block runs, before its first update
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda done, new_total: bar.update(task, completed=done, total=new_total)


def stage_progress(
    progress: Callable[[int, int], None], stage: int, stages: int
) -> Callable[[int, int], None]:
    """The ``progress(done, total)`` of stage ``stage`` (from 0) of a job of ``stages`` stages.

    For jobs made of several runs or analyses, such as the report: pass the
    result as the ``progress`` of stage ``stage``'s run, and the job's bar
    (from :func:`progress_bar`) moves smoothly through that stage's share, in
    per mille of the whole job.
    """

    def report(done: int, total: int) -> None:
        share = min(1.0, done / total) if total > 0 else 1.0
        progress(int(1000 * (stage + share) / stages), 1000)

    return report


#: Optional dependencies and the extra that installs each.
EXTRAS = {
    "matplotlib": "plot",
    "SALib": "analysis",
    "fastapi": "web",
    "uvicorn": "web",
    "plotly": "web",
    "starlette": "web",
    "dask": "dask",
    "distributed": "dask",
    "jax": "jax",
}


#: Exit status of a command stopped by Ctrl-C (128 + SIGINT), as shells report it.
INTERRUPTED = 130


class _Interrupt:
    """SIGINT handler: the first Ctrl-C raises KeyboardInterrupt, later ones are ignored.

    Ignoring repeats lets the clean-up run to its end: pools stop their
    workers and temporary files are removed (each step bounded in time).
    """

    def __init__(self) -> None:
        self.seen = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if not self.seen:
            self.seen = True
            raise KeyboardInterrupt


def _exit_interrupted(signum: int, frame: FrameType | None) -> None:
    """SIGINT after the command has finished: leave at once with 130, no traceback."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(INTERRUPTED)


def main() -> None:
    """Entry point of the ``waystation`` console script.

    Ctrl-C stops the command (its worker processes first), prints one line
    and exits with 130; no output file is left half-written.
    """
    interrupt = _Interrupt()
    signal.signal(signal.SIGINT, interrupt)
    code: int | str | None = 0
    try:
        try:
            app()
        except SystemExit as e:
            code = e.code
        except KeyboardInterrupt:
            code = INTERRUPTED
        except ModuleNotFoundError as e:
            code = _missing_extra(e)
        except BaseException:
            if not interrupt.seen:
                raise
    finally:
        signal.signal(signal.SIGINT, _exit_interrupted)
    if interrupt.seen:
        err.print("[bold red]interrupted[/] (Ctrl-C): stopped", highlight=False)
        code = INTERRUPTED
    raise SystemExit(code)


def _missing_extra(e: ModuleNotFoundError) -> int:
    """Exit code 2 and one line naming the extra that installs a missing module."""
    top = (e.name or "").split(".")[0]
    if top not in EXTRAS:
        raise e
    extra = EXTRAS[top]
    err.print(
        f"[bold red]error:[/] this command needs {escape(top)}, from the "
        f"{escape(f'[{extra}]')} extra: pip install {escape(repr(f'waystation[{extra}]'))}",
        highlight=False,
    )
    return 2
