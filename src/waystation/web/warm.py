"""What the explorer's worker processes inherit ready: imported, hashed and loaded once.

The forkserver imports this module before it forks any worker
(:data:`waystation.web.workers.PRELOAD`), so each worker starts with the
jobs' modules imported, the model version (a hash of the equations' code)
computed and the compiled kernel loaded by a one-world run: a worker's first
estimate spends its time on worlds, not on starting up.
"""

from __future__ import annotations

import contextlib

from waystation.provenance import model_version
from waystation.web import jobs as jobs  # imported for the workers


def warm() -> None:
    """Hash the equations and step one world of the default scenario (errors ignored)."""
    model_version()
    with contextlib.suppress(Exception):  # a missing compiler falls back to numpy later
        from waystation.api import compile_scenario, run_model

        run_model(compile_scenario("default"), 1, 0, keep_worlds=False)


warm()
