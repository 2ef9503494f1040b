"""The ``waystation`` command line: one typer app, commands registered by submodules.

Heavy libraries (matplotlib, SALib, FastAPI) are imported inside the commands
that use them, so ``waystation --help`` and ``waystation run`` start fast.
"""

from __future__ import annotations

from waystation.cli import analyses as _analyses  # noqa: F401
from waystation.cli import equilibrium as _equilibrium  # noqa: F401
from waystation.cli import report as _report  # noqa: F401
from waystation.cli import run as _run  # noqa: F401  (registers commands)
from waystation.cli import serve as _serve  # noqa: F401
from waystation.cli._app import app, main

__all__ = ["app", "main"]
