"""The engine's structure: one loop, pluggable block runners, no import cycle.

Issue 12 asks that the numpy engine, the fused kernel and the JAX backend
share one statement of the draw order, one compaction and one tally, and
that no module of the engine imports another that imports it back (the old
``simulate`` and ``jax_backend`` did). The graph below includes imports
made inside functions, which a cycle through a lazy import would hide.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import waystation as ws
from waystation import simulate
from waystation.settings import BACKENDS, DEFAULT_BACKEND, RunSettings

SRC = Path(ws.__file__).resolve().parent


def _imports(path: Path) -> set[str]:
    """Every ``waystation.*`` module a file imports, at top level or inside functions."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("waystation"):
                if node.module != "waystation":  # the root imports lazily (PEP 562)
                    out.add(node.module)
                out.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("waystation."))
    return out


def _module_graph() -> dict[str, set[str]]:
    files = {}
    for path in SRC.rglob("*.py"):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        files[name] = path
    return {m: {i for i in _imports(p) if i in files and i != m} for m, p in files.items()}


ENGINE = ("waystation.simulate", "waystation.tally", "waystation.jax_backend",
          "waystation._fused", "waystation.rng", "waystation.settings")  # fmt: skip


def test_the_engine_has_no_import_cycle() -> None:
    graph = _module_graph()
    # every module the engine reaches, through any import (lazy ones included)
    seen: set[str] = set()
    todo = list(ENGINE)
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo.extend(graph.get(m, ()))
    state: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for n in sorted(graph.get(m, ())):
            if n in seen and state.get(n) == 1:
                cycle = [*path[path.index(n) :], n] if n in path else [m, n]
                raise AssertionError(f"import cycle: {' -> '.join(cycle)}")
            if n in seen and n not in state:
                visit(n, [*path, n])
        state[m] = 2

    for m in sorted(seen):
        if m not in state:
            visit(m, [m])
    assert "waystation.simulate" not in graph["waystation.jax_backend"]
    assert "waystation.simulate" not in graph["waystation.tally"]


def test_the_checker_finds_a_cycle_through_a_lazy_import(tmp_path: Path) -> None:
    f = tmp_path / "m.py"
    f.write_text("def g():\n    from waystation.simulate import run_blocks\n")
    assert "waystation.simulate" in _imports(f)


def test_the_default_backend_is_the_fused_kernel() -> None:
    assert DEFAULT_BACKEND == "fused" == BACKENDS[0] == RunSettings().backend


def test_every_backend_has_a_block_runner_and_unknown_ones_are_refused() -> None:
    assert callable(simulate.block_runner("numpy"))
    assert callable(simulate.block_runner("fused"))
    with pytest.raises(ValueError, match="unknown backend 'cuda'"):
        simulate.block_runner("cuda")


def test_the_default_run_agrees_with_numpy_world_by_world() -> None:
    model = ws.compile_scenario("default")
    fused = ws.run_model(model, 2048, seed=3)
    ref = ws.run_model(model, 2048, seed=3, backend="numpy")
    assert fused.worlds is not None and ref.worlds is not None
    for col in ("p_victory", "p_failure", "p_costly_non_failure"):
        np.testing.assert_allclose(fused.worlds[col], ref.worlds[col], rtol=0, atol=1e-12)
    for k, v in ref.probabilities.items():
        assert abs(fused.probabilities[k] - v) < 1e-9


def test_the_package_has_no_import_cycle() -> None:
    """No module of the package reaches itself again, lazy imports included (plots too)."""
    graph = _module_graph()
    state: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for n in sorted(graph.get(m, ())):
            if state.get(n) == 1:
                raise AssertionError(f"import cycle: {' -> '.join([*path[path.index(n) :], n])}")
            if n not in state:
                visit(n, [*path, n])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])


#: The edges: they may import what they present with (CLI, web, report, plots) or read
#: files with (the scenario loader, and the shipped presets, which are scenario files).
EDGES = ("cli", "web", "report", "plots", "io.py", "_loader.py", "scenario.py", "presets")
#: Optional extras and table output the core may import inside a function, on use
#: (pyarrow, duckdb and platformdirs: the run store and per-world export).
ON_USE = {"numpy", "scipy", "pandas", "SALib", "dask", "jax", "pyarrow", "duckdb", "platformdirs"}


def _third_party(path: Path) -> tuple[set[str], set[str]]:
    """Top-level packages a file imports at module level, and inside functions or classes."""
    import sys

    tree = ast.parse(path.read_text())
    checking = {id(n) for s in tree.body if isinstance(s, ast.If)
                and "TYPE_CHECKING" in ast.unparse(s.test) for n in ast.walk(s)}  # fmt: skip
    top_level = {id(n) for n in tree.body}
    module, inside = set(), set()
    for node in ast.walk(tree):
        if id(node) in checking:
            continue
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        roots = {n.split(".")[0] for n in names} - set(sys.stdlib_module_names)
        roots -= {"waystation", "__future__"}
        (module if id(node) in top_level else inside).update(roots)
    return module, inside


def test_the_core_imports_numpy_and_scipy_only() -> None:
    """At module level the core (the package minus its edges) imports numpy and scipy only.

    Anything else (pandas for tables, SALib, Dask, JAX) is imported inside the
    function that needs it, so importing the core never loads it.
    """
    core = [p for p in SRC.rglob("*.py") if p.relative_to(SRC).parts[0] not in EDGES]
    assert len(core) > 40
    for path in core:
        module, inside = _third_party(path)
        assert module <= {"numpy", "scipy"}, (path.name, module)
        assert inside <= ON_USE, (path.name, inside)


def test_no_test_module_imports_another() -> None:
    """Shared test code lives in conftest.py (fixtures) and helpers.py, imported by name."""
    tests = Path(__file__).resolve().parent
    for path in tests.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(("test_", "tests.", "conftest")), (path.name, name)
