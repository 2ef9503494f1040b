"""Output files written whole or not at all.

Each file is written under a temporary name in its own directory and moved
into place with :func:`os.replace` (atomic on one file system) only when the
command has written everything; on Ctrl-C or an error the temporary files are
removed, and an existing file of the same name is left as it was.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from waystation._pool import sigint_held

__all__ = ["Outputs", "atomic_outputs"]


class Outputs:
    """Temporary paths for a command's output files, moved into place together."""

    def __init__(self) -> None:
        self._moves: list[tuple[Path, Path]] = []

    def path(self, final: Path) -> Path:
        """Where to write ``final`` for now: a hidden name beside it, same suffix."""
        tmp = final.with_name(f".{final.stem}.{secrets.token_hex(4)}.tmp{final.suffix}")
        self._moves.append((tmp, final))
        return tmp

    def commit(self) -> None:
        """Move every file into place; Ctrl-C is held back until all have moved."""
        with sigint_held():
            for tmp, final in self._moves:
                os.replace(tmp, final)
            self._moves.clear()

    def discard(self) -> None:
        """Remove the temporary files not moved into place."""
        for tmp, _ in self._moves:
            tmp.unlink(missing_ok=True)
        self._moves.clear()


@contextmanager
def atomic_outputs() -> Iterator[Outputs]:
    """Write to :meth:`Outputs.path` inside the block; the files appear only if it completes."""
    outputs = Outputs()
    try:
        yield outputs
        outputs.commit()
    finally:
        outputs.discard()
