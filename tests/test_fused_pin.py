"""The one re-pin step, ``python -m waystation._fused pin``: it pins only code that passes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from waystation import _fused
from waystation._fused import __main__ as fused_main


def _sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, test_body: str) -> Path:
    """A copy of ``_fused/__init__.py`` with a zero pin; agreement 'tests' running ``test_body``."""
    init = tmp_path / "pkg" / "__init__.py"
    init.parent.mkdir()
    text = Path(_fused.__file__).read_text()
    init.write_text(
        re.sub(r'(?m)^CHECKED_AGAINST = ".*"$', f'CHECKED_AGAINST = "{"0" * 33}"', text)
    )
    monkeypatch.setattr(_fused, "__file__", str(init))
    root = tmp_path / "repo"
    for name in fused_main.TESTS:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(f"def test_agreement():\n    {test_body}\n")
    return root


def test_pin_sets_the_pin_when_the_agreement_tests_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _sandbox(tmp_path, monkeypatch, "assert True")
    assert fused_main.repin(root) == 0
    assert f'\nCHECKED_AGAINST = "{_fused.pin()}"\n' in Path(_fused.__file__).read_text()


def test_pin_keeps_the_old_pin_when_they_fail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _sandbox(tmp_path, monkeypatch, "assert False")
    before = Path(_fused.__file__).read_text()
    assert fused_main.repin(root) == 1
    assert Path(_fused.__file__).read_text() == before


def test_pin_outside_the_repository_says_where_to_run_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert fused_main.repin(tmp_path) == 2
    assert "repository root" in capsys.readouterr().err


def test_the_pin_ignores_annotations_and_aliases_but_not_constants() -> None:
    """Changes that alter no equation keep the pin; a constant's value (in the header) moves it."""
    base = "X = 1.0\n\ndef f(x: float) -> float:\n    return x * X\n"
    h = _fused.equations_hash({"m": base})
    assert _fused.equations_hash({"m": base.replace("x: float", "x: int")}) == h
    assert _fused.equations_hash({"m": "Alias = list[int]\n" + base}) == h
    assert _fused.equations_hash({"m": base.replace("x * X", "x / X")}) != h
    code = Path(_fused.__file__).with_name("step.c").read_text()
    k = _fused.kernel_hash(code)
    assert _fused.kernel_hash(code.replace("/* ", "/* note: ", 1)) == k  # a comment
    assert _fused.kernel_hash(code.replace("0.5 * (pause0[a]", "0.25 * (pause0[a]")) != k
