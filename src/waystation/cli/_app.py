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
from rich.text import Text

from waystation._text import shown
from waystation.definitions import define, definitions_block
from waystation.engines import MISSING_DASK
from waystation.io import ScenarioError
from waystation.present import jsonable

app = typer.Typer(
    name="waystation",
    help="Simulate paths through AI safety: capability frontiers, safety ranges, waystations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class _Console(Console):
    """A rich console that shows every string through :func:`~waystation._text.shown`.

    Tables, titles and messages print names, keys and values from user files;
    a control character among them (an escape sequence that clears the screen
    or moves the cursor) is printed as a visible escape, never sent raw.
    Newlines stay: the program's own messages use them.
    """

    def render_str(self, text: str, **kwargs: Any) -> Text:
        """Escape control characters, then render as rich does (markup, highlighting)."""
        return super().render_str(shown(text, newlines=True), **kwargs)


out = _Console()
#: Messages on stderr are not hard-wrapped: a file path or a located error stays
#: on one line, whole, however wide the terminal (and copyable).
err = _Console(stderr=True, soft_wrap=True)
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
    sys.stdout.write(json.dumps(jsonable(data), indent=2) + "\n")


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
#: Signals that stop a command cleanly, as Ctrl-C does: the terminal's, ``kill`` and
#: ``timeout``'s (SIGTERM, what batch schedulers send too) and a closed terminal's.
STOP_SIGNALS = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM", signal.SIGHUP: "SIGHUP"}
#: Exit status of a command stopped by a bug: an exception no command turned into a message.
BUG = 1
#: Environment variable that, set to 1, prints the traceback of a bug (as ``--debug`` does).
DEBUG_ENV = "WAYSTATION_DEBUG"
_options = {"debug": False}


@app.callback()
def _global_options(
    debug: Annotated[
        bool, typer.Option("--debug", help="On an internal error, print its full traceback.")
    ] = False,
) -> None:
    _options["debug"] = _options["debug"] or debug


class _Interrupt:
    """Handler of the :data:`STOP_SIGNALS`: the first raises KeyboardInterrupt, later ones wait.

    Every stop signal takes the same way out as Ctrl-C: pools stop their
    workers, temporary files are removed (each step bounded in time), and
    ignoring repeats lets that clean-up run to its end. ``signum`` is the
    first signal received.
    """

    def __init__(self) -> None:
        self.signum: int | None = None

    @property
    def seen(self) -> bool:
        return self.signum is not None

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is None:
            self.signum = signum
            raise KeyboardInterrupt


def _exit_at_once(code: int) -> Callable[[int, FrameType | None], None]:
    """A stop signal after the command has finished: leave at once with ``code``, no traceback."""

    def leave(signum: int, frame: FrameType | None) -> None:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        os._exit(code)

    return leave


def main() -> None:
    """Entry point of the ``waystation`` console script.

    Ctrl-C, SIGTERM or SIGHUP stops the command (its worker processes first),
    prints one line and exits with 128 + the signal's number (130 for
    Ctrl-C); no output file is left half-written. Any other exception that
    escapes a command is a bug: one line says so and where to report it
    (the traceback with ``--debug`` or ``WAYSTATION_DEBUG=1``), exit code 1.
    """
    if "--debug" in sys.argv[1:]:  # accepted anywhere on the line, not only before the command
        sys.argv.remove("--debug")
        _options["debug"] = True
    interrupt = _Interrupt()
    for signum in STOP_SIGNALS:
        signal.signal(signum, interrupt)
    code: int | str | None = 0
    try:
        try:
            app()
        except SystemExit as e:
            code = e.code
        except KeyboardInterrupt:
            code = INTERRUPTED
        except MemoryError as e:  # not a bug: the run does not fit this machine
            if not interrupt.seen:
                said = f": {e}" if str(e) else ""
                err.print(f"[bold red]error:[/] out of memory{escape(said)}; use fewer worlds, "
                          "--block-size or --workers", highlight=False)  # fmt: skip
                code = 1
        except Exception as e:  # the last resort: a bug, said in one line
            if not interrupt.seen:
                extra = isinstance(e, ModuleNotFoundError) and _is_missing_extra(e)
                code = (
                    _missing_extra(e) if isinstance(e, ModuleNotFoundError) and extra else _bug(e)
                )
        except BaseException:
            if not interrupt.seen:
                raise
    finally:
        for signum in STOP_SIGNALS:
            signal.signal(signum, _exit_at_once(128 + (interrupt.signum or signum)))
    if interrupt.signum is not None:
        name = STOP_SIGNALS.get(signal.Signals(interrupt.signum), "signal")
        err.print(f"[bold red]interrupted[/] ({name}): stopped", highlight=False)
        code = 128 + interrupt.signum
    raise SystemExit(code)


def _bug(e: Exception) -> int:
    """One line for an exception no command handled (the traceback if debugging); exit 1."""
    from waystation._version import bug_tracker, package_version

    if _options["debug"] or os.environ.get(DEBUG_ENV, "") not in ("", "0"):
        import traceback

        traceback.print_exception(e, file=sys.stderr)
    summary = f"{type(e).__name__}: {e}".splitlines()[0][:300]
    err.print(
        f"[bold red]internal error:[/] {escape(summary)} -- this is a bug in waystation "
        f"{escape(package_version())}; please report it, with the command and its input files, "
        f"at {escape(bug_tracker())} (run with --debug for the traceback)",
        highlight=False,
    )
    return BUG


def _is_missing_extra(e: ModuleNotFoundError) -> bool:
    """Whether ``e`` is an optional dependency missing (an extra to install), not a bug."""
    return (e.name or "").split(".")[0] in EXTRAS


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
