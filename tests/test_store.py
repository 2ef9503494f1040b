"""The run store: served runs are bit-identical, grown runs append, the store stays bounded.

Every check compares a run served (wholly or partly) from the store with the
same run computed afresh: the summaries (``to_dict``) and per-world rows must
be equal exactly, not within a tolerance, because the store keeps the exact
fixed-point tallies of each chunk of worlds.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

import waystation as ws
from waystation.cli import app
from waystation.export import data_dictionary, dictionary_path
from waystation.keeping import keeping
from waystation.model import Model
from waystation.store import RunStore, StoreError, parse_size, run_key

ONE_LAB = {
    "name": "one-lab",
    "time": {"start": 2026, "horizon": 2034, "dt": 1.0},
    "nature": {"hardness": "0.5 to 8", "hazard_rate": 0.3, "scheming": 0.2, "eval_ease": 0.4,
               "wbe_cost": "1e4 to 3e5"},
    "world": {"C_aar": 3, "si_gap": 1.5, "g_compute": 0.6, "g_algo": 0.45, "scaling_years": 8,
              "ideas_harder": 0.3, "safety_growth": 0.2, "wbe_background": 0.0},
    "actors": [{"name": "lab"}, {"name": "rival", "frontier": -0.3}],
}  # fmt: skip


@pytest.fixture(scope="module")
def model() -> Model:
    return ws.compile_scenario(ws.Scenario.model_validate(ONE_LAB))


def fresh(model: Model, worlds: int, seed: int = 1) -> ws.Results:
    return ws.run_model(model, worlds, seed, keep_worlds=True, block_size=1024)


def same(a: ws.Results, b: ws.Results) -> None:
    assert a.to_dict() == b.to_dict()
    assert a.records is not None and b.records is not None
    assert list(a.records) == list(b.records)
    for k in a.records:
        assert np.array_equal(a.records[k], b.records[k], equal_nan=True), k


def chunks(store: RunStore) -> list[tuple[int, int]]:
    return sorted((lo, hi) for _, lo, hi, _ in store.sql("select * from chunks")[1])


def test_served_grown_and_split_runs_equal_fresh_ones(tmp_path: Path, model: Model) -> None:
    store = RunStore.open(tmp_path)
    with keeping(store):
        first = fresh(model, 1500)
        again = fresh(model, 1500)
        grown = fresh(model, 2600)
        smaller = fresh(model, 700)
    key1500 = run_key(model, 1, 1500, first.backend)[0]
    assert store.kept[0] == key1500 and store.served == [key1500]
    # growing appended the new worlds only; the smaller run split the first chunk exactly
    assert chunks(store) == [(0, 700), (700, 1500), (1500, 2600)]
    same(again, first)
    same(first, fresh(model, 1500))
    same(grown, fresh(model, 2600))
    same(smaller, fresh(model, 700))
    with keeping(store):  # the split chunks still serve the larger runs exactly
        same(fresh(model, 2600), grown)
    assert store.served[-1] == run_key(model, 1, 2600, first.backend)[0]


def test_summary_only_runs_are_served_without_rows(tmp_path: Path, model: Model) -> None:
    store = RunStore.open(tmp_path)
    with keeping(store):
        kept = ws.run_model(model, 1100, 2, keep_worlds=False)
        served = ws.run_model(model, 1100, 2, keep_worlds=False)
    assert kept.records is None and served.records is None and store.served
    assert served.to_dict() == ws.run_model(model, 1100, 2, keep_worlds=False).to_dict()


def test_key_is_what_fixes_the_numbers(model: Model) -> None:
    key, family = run_key(model, 1, 1000, "numpy")
    assert run_key(model, 1, 2000, "numpy") != (key, family)
    assert run_key(model, 1, 2000, "numpy")[1] == family  # one family: more worlds
    for other in (
        run_key(model, 2, 1000, "numpy"),
        run_key(model, 1, 1000, "fused-simd8"),
        run_key(model.with_overrides({"hardness": 2.0}), 1, 1000, "numpy"),
        run_key(ws.compile_scenario(ws.Scenario.model_validate(ONE_LAB), "race"), 1, 1000,
                "numpy"),
    ):  # fmt: skip
        assert other[0] != key and other[1] != family
    renamed = Model(**{**model.__dict__, "name": "other", "description": "prose"})
    assert run_key(renamed, 1, 1000, "numpy") == (key, family)


def test_least_recently_used_runs_are_evicted_with_a_message(tmp_path: Path, model: Model) -> None:
    store = RunStore.open(tmp_path)
    with keeping(store):
        ws.run_model(model, 1024, 1)
    one = store.size()
    store.limit = int(2.5 * one)
    with keeping(store):
        ws.run_model(model, 1024, 2)
        ws.run_model(model, 1024, 1)  # served: seed 1 is now the most recently used
        ws.run_model(model, 1024, 3)
    seeds = sorted(r["seed"] for r in store.runs())
    assert seeds == [1, 3] and store.size() <= store.limit
    assert len(store.notices) == 1 and "removed the 1 least recently used" in store.notices[0]


def test_sizes_and_unknown_keys() -> None:
    assert parse_size("500MB") == 500 * 10**6 and parse_size("1 GiB") == 2**30
    with pytest.raises(StoreError, match=r"expected e\.g\. 500MB"):
        parse_size("lots")


def invoke(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    res = CliRunner().invoke(app, list(args), env=env)
    return res.exit_code, res.stdout, res.stderr


def test_cli_keep_list_sql_export_rm(tmp_path: Path) -> None:
    env = {"WAYSTATION_STORE": str(tmp_path / "store"), "WAYSTATION_CONFIG": str(tmp_path / "none")}
    code, out, err = invoke("run", "default", "-n", "600", "--keep", "--json", env=env)
    assert code == 0, err
    doc = json.loads(out)
    prov = doc["provenance"]
    assert {"date", "waystation_version", "model_version", "backend", "worlds", "seed",
            "scenario_hash", "command", "permalink"} <= set(prov)  # fmt: skip
    assert prov["worlds"] == 600 and prov["backend"] == doc["backend"]
    assert prov["command"] == "waystation run default --worlds 600"
    assert "kept 1 run(s), served 0" in err
    code, out, err = invoke("run", "default", "-n", "600", "--keep", "--json", env=env)
    assert "served 1" in err and json.loads(out)["probabilities"] == doc["probabilities"]
    listed = json.loads(invoke("runs", "list", "--json", env=env)[1])
    assert [r["worlds"] for r in listed["runs"]] == [600]
    key = listed["runs"][0]["key"]
    code, out, err = invoke("runs", "sql", "select count(*) as n, avg(p_victory) as v from worlds",
                            "--json", env=env)  # fmt: skip
    assert code == 0, err
    ((n, mean),) = json.loads(out)["rows"]
    assert n == 600 and mean == pytest.approx(doc["probabilities"]["victory"], abs=1e-9)
    target = tmp_path / "w.parquet"
    code, _, err = invoke("runs", "export", key[:6], str(target), env=env)
    assert code == 0, err
    table = pq.read_table(target)
    assert table.num_rows == 600 and table.column_names[0] == "world"
    assert dictionary_path(target).read_text().startswith("column,unit,definition")
    assert invoke("runs", "rm", "zzzz", env=env)[0] == 2
    assert invoke("runs", "rm", key, env=env)[0] == 0
    assert json.loads(invoke("runs", "list", "--json", env=env)[1])["runs"] == []


def test_keep_default_from_config_and_no_keep(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[store]\nkeep = true\ndir = "{tmp_path / "s"}"\n', encoding="utf-8")
    env = {"WAYSTATION_CONFIG": str(config), "WAYSTATION_STORE": ""}
    assert invoke("run", "default", "-n", "300", "--no-keep", env=env)[0] == 0
    assert not (tmp_path / "s").exists()
    code, _, err = invoke("run", "default", "-n", "300", env=env)
    assert code == 0 and "kept 1 run(s)" in err
    assert (tmp_path / "s" / "catalogue.duckdb").is_file()


def test_run_export_csv_with_dictionary(tmp_path: Path) -> None:
    path = tmp_path / "onelab.yaml"
    path.write_text(yaml.safe_dump(ONE_LAB), encoding="utf-8")
    target = tmp_path / "worlds.csv"
    env = {"WAYSTATION_CONFIG": str(tmp_path / "none"), "WAYSTATION_KEEP": "0"}
    code, out, err = invoke("run", str(path), "-n", "400", "--export", str(target), "--json",
                            env=env)  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)
    with target.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 400
    header = list(rows[0])
    p_victory = np.array([float(r["p_victory"]) for r in rows])
    assert p_victory.mean() == pytest.approx(doc["probabilities"]["victory"], abs=1e-9)
    described = data_dictionary(header)
    assert all(d["definition"] != "(not in the registry)" for d in described), described
    assert invoke("run", str(path), "--export", str(tmp_path / "w.xlsx"), env=env)[0] == 2


def test_model_hashes_are_taken_once_per_model_object_and_mean_the_same() -> None:
    """The memo of model_hash / scenario_hash is per object and changes no hash."""
    from waystation import provenance

    a = ws.compile_scenario("default")
    b = ws.compile_scenario("default")  # equal content, another object
    c = ws.compile_scenario("default", "race")
    fresh = provenance.digest(provenance._content(a))
    assert provenance.model_hash(a) == provenance.model_hash(b) == fresh
    assert provenance.model_hash(c) != fresh
    assert provenance.scenario_hash(c) == provenance.scenario_hash(a)  # the strategy left out
    assert provenance._HASHES[(id(a), "model")][1] == fresh  # kept for this object
    key = (id(c), "model")
    del c
    import gc

    gc.collect()
    assert key not in provenance._HASHES  # dropped with its model
