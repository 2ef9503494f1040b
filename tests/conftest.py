"""Fixtures shared by the test modules, built once per session (helpers: ``helpers.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import waystation as ws
from helpers import ONE_LAB
from waystation.model import Model


@pytest.fixture(scope="session")
def model() -> Model:
    """The shipped default scenario, compiled (a frozen model: safe to share)."""
    return ws.compile_scenario("default")


@pytest.fixture(scope="session")
def one_lab_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A YAML file of :data:`helpers.ONE_LAB`: one actor, eight yearly steps."""
    path = Path(tmp_path_factory.mktemp("sc")) / "one-lab.yaml"
    path.write_text(yaml.safe_dump(ONE_LAB), encoding="utf-8")
    return str(path)


@pytest.fixture(autouse=True)
def _private_run_store(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Tests never read the user's config or write to the user's run store."""
    root = tmp_path_factory.getbasetemp()
    monkeypatch.setenv("WAYSTATION_CONFIG", str(root / "no-config.toml"))
    monkeypatch.setenv("WAYSTATION_STORE", str(root / "run-store"))
    monkeypatch.delenv("WAYSTATION_KEEP", raising=False)
