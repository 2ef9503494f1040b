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
