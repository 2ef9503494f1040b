"""The ``waystation`` command line: one typer app, commands registered by submodules.

Heavy libraries (matplotlib, SALib, FastAPI) are imported inside the commands
that use them, so ``waystation --help`` and ``waystation run`` start fast.
"""

from __future__ import annotations

from waystation.cli._app import app, main
from waystation.cli import run as _run  # noqa: F401  (registers commands)

__all__ = ["app", "main"]
