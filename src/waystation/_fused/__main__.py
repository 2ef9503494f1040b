"""The fused kernel's maintenance commands (run from the repository root).

``python -m waystation._fused pin``
    After an equation changed in :mod:`waystation.dynamics` and in ``step.c``:
    sets :data:`waystation._fused.CHECKED_AGAINST` to the code's
    :func:`~waystation._fused.pin`, runs the agreement tests
    (``tests/test_fused.py``, ``tests/test_fused_segment.py``) and keeps the new
    pin only if they pass.
``python -m waystation._fused header``
    Prints the C header generated from the Python registries.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from waystation import _fused

TESTS = ("tests/test_fused.py", "tests/test_fused_segment.py")


def repin(root: Path) -> int:
    """Pin the kernel to the code as it is, if the agreement tests under ``root`` pass."""
    if not all((root / t).exists() for t in TESTS):
        print(f"no {TESTS[0]} under {root}: run from the repository root", file=sys.stderr)
        return 2
    init = Path(_fused.__file__)
    old = init.read_text()
    new_pin = _fused.pin()
    line = re.compile(r'^CHECKED_AGAINST = "[0-9a-f-]*"$', re.M)
    if len(line.findall(old)) != 1:
        print(f"cannot find the CHECKED_AGAINST line in {init}", file=sys.stderr)
        return 2
    init.write_text(line.sub(f'CHECKED_AGAINST = "{new_pin}"', old))
    print(f"checking the kernel against numpy with CHECKED_AGAINST = {new_pin!r} ...")
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", *TESTS], cwd=root, check=False)
    if run.returncode != 0:
        init.write_text(old)
        print("the agreement tests failed: CHECKED_AGAINST left as it was", file=sys.stderr)
        return 1
    print(f"pinned: CHECKED_AGAINST = {new_pin!r} in {init}")
    return 0


def main(argv: list[str]) -> int:
    if argv == ["header"]:
        print(_fused.header())
        return 0
    if argv == ["pin"]:
        return repin(Path.cwd())
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
