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
