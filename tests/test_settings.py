"""Run settings (how a run is executed) and the lazy package root.

RunSettings never changes a number: runs under different settings of one
backend are bit-identical. Importing the package, the engine or the
equations loads no scenario loader (pydantic, yaml), tables (pandas) or CLI
(typer, rich).
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

import waystation as ws
from waystation.analyses._common import Runner
from waystation.model import Model
from waystation.results import Results
from waystation.settings import RunSettings
from waystation.simulate import run_blocks

WORLDS = 1500  # two stream blocks, the second partial


@pytest.fixture(scope="module")
def short_model(model: Model) -> Model:
    return replace(model, horizon=2031.0)


@pytest.fixture(scope="module")
def baseline(short_model: Model) -> Results:
    return ws.run_model(short_model, WORLDS, 3)


def same(a: Results, b: Results) -> None:
    assert a.to_dict() == b.to_dict()
    assert a.records is not None and b.records is not None
    assert a.records.keys() == b.records.keys()
    for k in a.records:
        np.testing.assert_array_equal(a.records[k], b.records[k], err_msg=k)  # NaN == NaN here


@pytest.mark.parametrize(
    ("field", "value", "error", "match"),
    [
        ("backend", "torch", ValueError, "unknown backend 'torch'"),
        ("engine", "spark", ValueError, "unknown engine 'spark'"),
        ("workers", 0, ValueError, "workers: expected at least 1"),
        ("workers", True, TypeError, "workers: expected a whole number"),
        ("block_size", 2.5, TypeError, "block_size: expected a whole number"),
        ("keep_worlds", "no", TypeError, "keep_worlds: expected True or False"),
        ("address", "tcp://x:1", ValueError, "address needs engine 'dask'"),
        ("progress", 3, TypeError, "progress: expected a callable"),
    ],
)
def test_bad_settings_name_the_field(field: str, value: object, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        RunSettings(**{field: value})  # type: ignore[arg-type]


def test_settings_are_frozen_and_override_revalidates() -> None:
    s = RunSettings(workers=2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.workers = 3  # type: ignore[misc]
    assert s.override(block_size=None, workers=None) is s  # None leaves fields as they are
    assert s.override(block_size=2048) == RunSettings(workers=2, block_size=2048)
    with pytest.raises(ValueError, match="workers"):
        s.override(workers=-1)
    with pytest.raises(TypeError, match="unknown run setting"):
        s.override(wrokers=2)


def test_settings_object_and_keywords_give_identical_results(
    short_model: Model, baseline: Results
) -> None:
    how = RunSettings(block_size=1024, engine="threads", workers=2)
    same(baseline, ws.run_model(short_model, WORLDS, 3, settings=how))
    same(
        baseline, ws.run_model(short_model, WORLDS, 3, block_size=1024, engine="threads", workers=2)
    )


def test_keywords_override_the_settings_object(short_model: Model) -> None:
    quiet = RunSettings(keep_worlds=False)
    assert ws.run_model(short_model, 1100, 3, settings=quiet).records is None
    assert ws.run_model(short_model, 1100, 3, settings=quiet, keep_worlds=True).records is not None
    with pytest.raises(TypeError, match="settings: expected RunSettings"):
        ws.run_model(short_model, 1100, 3, settings={"workers": 2})  # type: ignore[arg-type]


def test_run_blocks_needs_an_open_engine(short_model: Model) -> None:
    with pytest.raises(ValueError, match="not open"):
        run_blocks(short_model, 100, 0, RunSettings(engine="threads"))


def test_runner_reports_progress_over_the_whole_analysis(
    short_model: Model, baseline: Results
) -> None:
    seen: list[tuple[int, int]] = []
    runner = Runner(
        3, 2 * WORLDS, RunSettings(block_size=1024, progress=lambda d, t: seen.append((d, t)))
    )
    same(baseline, runner.run(short_model, WORLDS))
    runner.run(short_model, WORLDS)
    assert [d for d, _ in seen] == [1024, 1500, 2524, 3000]
    assert {t for _, t in seen} == {3000}


CHECK_IMPORTS = """
import json, sys
import {module}
heavy = ("pydantic", "yaml", "pandas", "typer", "rich", "matplotlib", "jax", "numba")
print(json.dumps(sorted(m for m in heavy if m in sys.modules)))
"""


@pytest.mark.parametrize("module", ["waystation", "waystation.dynamics", "waystation.simulate"])
def test_importing_the_engine_loads_no_heavy_dependency(module: str) -> None:
    out = subprocess.run(
        [sys.executable, "-c", CHECK_IMPORTS.format(module=module)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert json.loads(out.stdout) == []


def test_package_root_loads_names_on_first_use() -> None:
    code = (
        "import sys, waystation as ws; before = 'pydantic' in sys.modules; "
        "f = ws.run; print(before, 'pydantic' in sys.modules, callable(f), "
        "isinstance(ws.__version__, str), 'run_model' in dir(ws))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True", "True", "True", "True"]
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        ws.nope  # noqa: B018


SHARED_OPTIONS = ("--workers", "--engine", "--address", "--backend", "--block-size")
SIMULATING = ("run", "compare", "competence", "levers", "sensitivity", "voi", "optimise",
              "calibration", "plot", "report")  # fmt: skip


def test_every_simulating_command_has_the_one_set_of_run_options() -> None:
    """The run options are declared once and every command that simulates accepts them all."""
    import typer.main

    from waystation.cli import app

    group = typer.main.get_command(app)
    for name in SIMULATING:
        command = group.commands[name]  # type: ignore[attr-defined]
        flags = {f for p in command.params for f in p.opts}
        assert set(SHARED_OPTIONS) <= flags, name
        assert "how" not in {p.name for p in command.params}, name


def test_every_analysis_takes_one_run_settings_and_no_loose_run_keywords() -> None:
    import inspect

    from waystation import analyses, calibration

    loose = {"workers", "executor", "progress", "engine", "backend", "block_size", "address"}
    for fn in (analyses.compare, analyses.competence, analyses.lever_values, analyses.optimise,
               analyses.sensitivity, analyses.voi, calibration.check):  # fmt: skip
        params = inspect.signature(fn).parameters
        assert "settings" in params and not loose & set(params), fn.__name__
