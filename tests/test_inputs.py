"""Typed inputs: Params and Levers have one field per registry name, and assemble fills them."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from waystation.api import compile_scenario
from waystation.dynamics import Levers, Params
from waystation.dynamics.inputs import DERIVED, levers_of, params_of
from waystation.levers import ACTOR_LEVERS, GLOBAL_LEVERS, LEVER_REGISTRY
from waystation.model import ACTOR_PARAMS, WORLD_PARAMS, assemble, draw_inputs
from waystation.params import REGISTRY, params_in
from waystation.strategies import apply_strategy


def test_params_fields_are_the_registry_plus_the_derived_names() -> None:
    """Adding a parameter to the registry without a field here fails this test."""
    drawn = tuple(p.name for g in ("nature", "world", "actor") for p in params_in(g))
    assert Params._fields == drawn + DERIVED
    # every registry name reaches the equations, except the run's time grid
    assert set(REGISTRY) - set(Params._fields) == {"horizon", "dt"}
    assert set(DERIVED) - set(REGISTRY) == {"C_si", *(f"log1p_{k}" for k in
        ("safety_growth", "capability_growth", "wbe_background_growth"))}  # fmt: skip


def test_levers_fields_are_the_lever_registry() -> None:
    assert Levers._fields == GLOBAL_LEVERS + ACTOR_LEVERS
    assert set(Levers._fields) == set(LEVER_REGISTRY)


def test_assemble_shapes_every_field() -> None:
    """World inputs (W, 1) or 0-d when constant; actor inputs and levers (W, A), column-major."""
    model = compile_scenario("default")
    W, A = 16, len(model.actors)
    x = draw_inputs(model, W, 3)
    p, lv = assemble(model, x)
    assert isinstance(p, Params) and isinstance(lv, Levers)
    for name in WORLD_PARAMS + GLOBAL_LEVERS:
        arr = getattr(p, name) if name in Params._fields else getattr(lv, name)
        assert arr.shape == (() if model.inputs[name].is_constant else (W, 1)), name
    for name in ACTOR_PARAMS + ACTOR_LEVERS:
        arr = getattr(p, name) if name in Params._fields else getattr(lv, name)
        assert arr.shape == (W, A) and arr.flags.f_contiguous, name
        for a, actor in enumerate(model.actors):  # the flat draws, one column per actor
            np.testing.assert_array_equal(arr[:, a], x[f"{actor}.{name}"], err_msg=name)
    np.testing.assert_array_equal(p.C_si, p.C_aar + p.si_gap)
    np.testing.assert_array_equal(p.log1p_safety_growth, np.log1p(p.safety_growth))
    assert p.start == model.start


def test_inputs_pickle_and_are_jax_pytrees() -> None:
    model = compile_scenario("single-lab")
    p, lv = assemble(model, draw_inputs(model, 4, 1))
    back = pickle.loads(pickle.dumps((p, lv)))
    assert type(back[0]) is Params and back[0]._fields == p._fields
    np.testing.assert_array_equal(back[0].hardness, p.hardness)
    jax = pytest.importorskip("jax")
    leaves, tree = jax.tree_util.tree_flatten(p)
    assert len(leaves) == len(Params._fields)
    assert jax.tree_util.tree_unflatten(tree, leaves).hardness is p.hardness


def test_apply_strategy_replaces_only_the_levers_its_rules_set() -> None:
    model = compile_scenario("default", "automated-alignment-researcher")
    p, base = assemble(model, draw_inputs(model, 8, 2))
    from waystation.dynamics import initial_state

    s = initial_state(p, base, np.zeros((8, len(model.actors))), model.start)
    lv = apply_strategy(model.strategy, base, s, p, model.actors)
    assert isinstance(lv, Levers)
    ruled = {k for r in model.strategy.rules for k in r.levers}
    assert ruled
    for name in Levers._fields:
        assert (getattr(lv, name) is getattr(base, name)) == (name not in ruled), name
    none = compile_scenario("default").strategy
    assert not none.rules and apply_strategy(none, base, s, p, model.actors) is base


def test_partial_inputs_fill_nan_and_reject_unknown_names() -> None:
    p = params_of({"hardness": np.ones((2, 1))})
    assert p.hardness.shape == (2, 1) and np.isnan(p.C_si)
    assert np.isnan(levers_of({}).caution)
    with pytest.raises(TypeError):
        params_of({"hardnes": 1.0})
    with pytest.raises(TypeError):
        levers_of({"cautoin": 1.0})
