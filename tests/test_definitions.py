"""The registry of meanings covers every named output, once."""

from __future__ import annotations

import json

import pytest

from waystation.definitions import DEFINITIONS, define, definitions_block
from waystation.levers import LEVERS
from waystation.params import PARAMS
from waystation.results import OUTCOMES
from waystation.state import WAYSTATION_DEFINITIONS


def test_every_outcome_waystation_parameter_and_lever_is_defined() -> None:
    names = [
        *OUTCOMES,
        *WAYSTATION_DEFINITIONS,
        *(p.name for p in PARAMS),
        *(lv.name for lv in LEVERS),
    ]
    missing = [n for n in names if n not in DEFINITIONS]
    assert missing == []
    assert all(DEFINITIONS[n].meaning.strip() for n in names)


def test_conditional_waystation_figures_are_labelled_associations() -> None:
    assert define("p_victory_given_reached").association
    assert "association" in define("p_victory_given_reached").text()
    assert not define("p_reached").association


def test_definitions_block_is_json_and_unknown_keys_are_named() -> None:
    block = definitions_block("victory", "budget_unit", "victory")
    assert list(block) == ["victory", "budget_unit"]
    assert json.loads(json.dumps(block))["budget_unit"]["kind"] == "quantity"
    with pytest.raises(KeyError, match="no definition of 'nope'"):
        define("nope")
