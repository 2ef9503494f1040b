"""The one set of run options that every simulating command shares, and the settings it builds.

``--workers``, ``--engine``, ``--address``, ``--backend`` and ``--block-size``
say how a command's worlds are computed, never what it computes: they are
declared once, here, and become one :class:`~waystation.settings.RunSettings`
(:func:`run_options`). Each command adds only its own progress callback.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any

import typer

from waystation.cli._app import fail
from waystation.settings import BACKENDS, DEFAULT_BACKEND, DEFAULT_BLOCK, ENGINES, RunSettings

Workers_ = Annotated[
    int,
    typer.Option(
        "--workers",
        "-w",
        min=1,
        max=256,
        help="Worker processes (threads with --engine threads); results do not depend on it.",
    ),
]
Engine_ = Annotated[
    str,
    typer.Option(
        "--engine",
        help="Where blocks run: 'local' (this process or --workers processes), 'threads' "
        "(--workers threads in this process: no start-up cost) or 'dask' (a Dask cluster: "
        "--address, or a local one with --workers processes).",
    ),
]
Address_ = Annotated[
    str | None,
    typer.Option("--address", help="Dask scheduler to connect to, e.g. tcp://10.0.0.5:8786."),
]
Backend_ = Annotated[
    str,
    typer.Option(
        "--backend",
        help="How worlds are stepped: 'fused' (default: the model's step as one compiled C "
        "loop, built with gcc on first use; numpy, said once, where it cannot be built), "
        "'numpy' (the readable reference) or 'jax' (compiled with XLA; needs pip install "
        "'waystation\\[jax]'). All draw the same numbers and agree within 1e-9.",
    ),
]
Block_ = Annotated[int, typer.Option("--block-size", min=1, help="Worlds per compute block.")]
Preset_ = Annotated[
    str | None,
    typer.Option(
        "--preset",
        help="Run a preset scenario shipped with waystation instead of SCENARIO: "
        "'pessimistic-worlds', 'optimistic-worlds' or a viewpoint (`waystation scenarios` "
        "lists them with their sources).",
    ),
]

#: The shared options: (parameter, annotated type, default), in the order ``--help`` lists them.
RUN_OPTIONS: tuple[tuple[str, Any, Any], ...] = (
    ("workers", Workers_, 1),
    ("engine", Engine_, "local"),
    ("address", Address_, None),
    ("backend", Backend_, DEFAULT_BACKEND),
    ("block_size", Block_, DEFAULT_BLOCK),
)


def settings_of(
    workers: int = 1,
    engine: str = "local",
    address: str | None = None,
    backend: str = DEFAULT_BACKEND,
    block_size: int = DEFAULT_BLOCK,
) -> RunSettings:
    """The :class:`RunSettings` of the shared options, or one line and exit code 2.

    An unknown engine or backend, ``--address`` without ``--engine dask`` and
    ``--backend jax`` without JAX are refused here, before any work.
    """
    if engine not in ENGINES:
        fail(f"--engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if backend not in BACKENDS:
        fail(f"--backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if address is not None and engine != "dask":
        fail("--address needs --engine dask")
    if backend == "jax":
        from waystation.jax_backend import MISSING_JAX, jax_available

        if not jax_available():
            fail(MISSING_JAX)
    return RunSettings(
        backend=backend, engine=engine, workers=workers, address=address, block_size=block_size
    )


def preset_scenario(preset: str, scenario: str | None) -> str:
    """The scenario file of ``--preset``; one line and exit code 2 if unknown or doubled."""
    from waystation.presets import preset_path

    if scenario not in (None, "default"):
        fail(f"give a scenario ({scenario!r}) or --preset {preset}, not both")
    try:
        return str(preset_path(preset))
    except ValueError as err:
        fail(str(err))
        raise  # fail exits; for type checkers


def run_options(command: Callable[..., None]) -> Callable[..., None]:
    """Give a command the shared run options; it receives them as ``how``, a RunSettings.

    ``command`` declares its own options and a keyword ``how: RunSettings``;
    the command typer sees has those options followed by ``--workers``,
    ``--engine``, ``--address``, ``--backend`` and ``--block-size``
    (:data:`RUN_OPTIONS`), which are turned into ``how`` by
    :func:`settings_of`. A command with a ``scenario`` argument also gets
    ``--preset NAME``, which runs that shipped preset's scenario file instead
    (:mod:`waystation.presets`). Apply it under ``@app.command()``.
    """
    own = inspect.signature(command, eval_str=True)
    shared = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=kind, default=default)
        for name, kind, default in RUN_OPTIONS
    ]
    names = [name for name, _, _ in RUN_OPTIONS]
    takes_preset = "scenario" in own.parameters
    if takes_preset:
        shared.append(
            inspect.Parameter(
                "preset", inspect.Parameter.KEYWORD_ONLY, annotation=Preset_, default=None
            )
        )

    @functools.wraps(command)
    def with_options(**given: Any) -> None:
        how = settings_of(**{name: given.pop(name) for name in names})
        preset = given.pop("preset", None) if takes_preset else None
        if preset is not None:
            given["scenario"] = preset_scenario(preset, given.get("scenario"))
        command(**given, how=how)

    with_options.__signature__ = own.replace(  # type: ignore[attr-defined]
        parameters=[p for p in own.parameters.values() if p.name != "how"] + shared
    )
    return with_options
