"""The dynamics package: its old names still import, and docs/model.md points at its modules."""

from __future__ import annotations

import pkgutil
import re
from pathlib import Path

import numpy as np

from waystation import dynamics
from waystation.dynamics.inputs import levers_of, params_of

#: Every public name of the single-module ``dynamics.py`` this package replaced.
OLD_NAMES = [
    "Params",
    "Levers",
    "LN10",
    "LOG_FLOOR",
    "EVAL_REF_SHARE",
    "HARDEN_REF_SHARE",
    "SI_HAZARD",
    "CAUTION_EPS",
    "PAUSE_LEVEL",
    "PAUSE_YEARS",
    "AAR_LABOUR",
    "HARDENED_OOM",
    "TAKEOFF_YEARS",
    "sigmoid",
    "saturate",
    "actor_sum",
    "actor_max",
    "actor_min",
    "actor_any",
    "actor_all",
    "rival_max",
    "human_labour",
    "automation",
    "ai_labour",
    "rd_multiplier",
    "trust",
    "ai_safety_labour",
    "emulated_labour",
    "wbe_effort",
    "capability_rate",
    "sabotage",
    "hardening_cover",
    "safety_range",
    "safety_rates",
    "evaluation_error",
    "estimated_margin",
    "race_relief",
    "coordination",
    "restraint",
    "hazard",
    "backdrop_target",
    "Growth",
    "growth",
    "range_growth",
    "step",
    "EVOLVING_WHEN_DONE",
    "freeze",
    "track_waystations",
]

MODEL_DOC = Path(__file__).resolve().parents[1] / "docs" / "model.md"


def test_every_old_name_still_imports_from_the_package() -> None:
    missing = [name for name in OLD_NAMES if not hasattr(dynamics, name)]
    assert not missing
    assert set(OLD_NAMES) <= set(dynamics.__all__)


def test_model_doc_names_every_module_and_only_existing_ones() -> None:
    modules = {m.name for m in pkgutil.iter_modules(dynamics.__path__)}
    cited = set(re.findall(r"src/waystation/dynamics/(\w+)\.py", MODEL_DOC.read_text()))
    cited |= set(re.findall(r"`dynamics/(\w+)\.py`", MODEL_DOC.read_text()))
    assert cited == modules


def test_each_mechanism_is_defined_once_in_its_section_module() -> None:
    """A name's home is the module of its docs/model.md section, not a copy elsewhere."""
    homes = {
        "trust": "labour", "capability_rate": "capability", "safety_rates": "safety",
        "restraint": "restraint", "hazard": "hazard", "backdrop_target": "backdrop",
        "track_waystations": "waystations", "step": "integrate", "initial_state": "integrate",
    }  # fmt: skip
    for name, module in homes.items():
        assert getattr(dynamics, name).__module__ == f"waystation.dynamics.{module}", name


def test_logistic_is_the_one_sigmoid_scaled() -> None:
    """Race relief and deterrence share one logistic: half strength at the threshold.
    Trust is a Gompertz curve instead: exp(-1) at the edge of the safety range."""
    p = params_of({"edge_width": np.array([[0.3]]), "race_pressure": np.array([[0.4]]),
                   "race_scale": np.array([[0.5]]),
                   "deterrence_threshold": np.array([[1.0]])})  # fmt: skip
    level = np.array([[2.0]])
    assert dynamics.trust(level, level, p)[0, 0] == np.exp(-1.0)
    assert dynamics.race_relief(level, level, p)[0, 0] == 0.2
    lead = np.array([[3.0]]), np.array([[2.0]])
    lv = levers_of({"deterrence": np.array([[0.6]])})
    assert dynamics.sabotage(*lead, p, lv)[0, 0] == 0.3
    far = dynamics.sigmoid(np.array([-1e6, 1e6]))  # clipped: no overflow, exact-enough tails
    assert 0.0 < far[0] < 1e-17 and far[1] == 1.0
