"""The explorer's progressive answers, its cache of runs and the cancelling of replaced work.

A first estimate comes from the first worlds of the requested run; the full
answer adds worlds to them (served from the server's cache) and is
bit-identical to the same run computed at once. A newer request on a
channel stops the older one's worker process.
"""

from __future__ import annotations

import copy
import threading
import time
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import waystation as ws

pytest.importorskip("fastapi", reason="the web extra is not installed")

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from waystation.keeping import keeping
from waystation.tally import BlockOut
from waystation.web import ServerLimits, create_app
from waystation.web.cache import PREVIEW_WORLDS, Chunk, RunCache, WorkerKeeper, chain
from waystation.web.payloads import scenario_json, scenario_of

WORLDS = 3_000  # past the preview size, small enough to stay fast on the short scenario


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app()) as c:
        yield c


@pytest.fixture(scope="module")
def fast(client: TestClient) -> dict[str, Any]:
    """The default scenario over four years with a coarse step."""
    sc = client.get("/api/scenarios/default").json()["scenario"]
    sc["time"] = {"start": 2026, "horizon": 2030, "dt": 0.5}
    return sc  # type: ignore[no-any-return]


def edit(sc: dict[str, Any], share: float) -> dict[str, Any]:
    out = copy.deepcopy(sc)
    out["actors"][0].setdefault("levers", {})["ai_safety_share"] = share
    return out


def test_a_preview_is_the_first_worlds_and_the_full_answer_only_adds_worlds(
    client: TestClient, fast: dict[str, Any]
) -> None:
    edited = edit(fast, 0.41)
    body = {"scenario": edited, "baseline": fast, "strategy": "default", "worlds": WORLDS,
            "seed": 11}  # fmt: skip
    first = client.post("/api/edited", json={**body, "preview": True}).json()
    assert first["preliminary"] is True and first["target_worlds"] == WORLDS
    assert first["edited"]["worlds"] == first["baseline"]["worlds"] == PREVIEW_WORLDS
    assert first["cache"] == {"served_worlds": 0, "computed_worlds": 2 * PREVIEW_WORLDS}
    full = client.post("/api/edited", json=body).json()
    assert full["preliminary"] is False and full["edited"]["worlds"] == WORLDS
    # only the worlds past the preview were computed, for each of the two runs
    assert full["cache"] == {"served_worlds": 2 * PREVIEW_WORLDS,
                             "computed_worlds": 2 * (WORLDS - PREVIEW_WORLDS)}  # fmt: skip
    # the preview is exactly the first worlds: a run of PREVIEW_WORLDS worlds on its own
    sc = scenario_of(edited)
    alone = ws.run(sc, PREVIEW_WORLDS, 11, strategy="default")
    assert first["edited"]["probabilities"] == alone.probabilities
    # and the answer grown from it is bit-identical to the whole run computed at once
    whole = ws.run(sc, WORLDS, 11, strategy="default")
    assert full["edited"]["probabilities"] == whole.probabilities
    assert full["edited"]["standard_errors"] == whole.standard_errors
    # its interval is the one of those worlds alone (wider: fewer worlds)
    assert first["edited"]["standard_errors"] == alone.standard_errors


def test_the_cache_does_not_change_any_number(fast: dict[str, Any]) -> None:
    """The same requests on a server without a cache give the same answers, to the bit."""
    edited = edit(fast, 0.33)
    body = {"scenario": edited, "baseline": fast, "worlds": WORLDS, "seed": 3}
    with TestClient(create_app(ServerLimits(cache_bytes=0))) as bare, \
            TestClient(create_app()) as cached:  # fmt: skip
        cached.post("/api/edited", json={**body, "preview": True})
        a = cached.post("/api/edited", json=body).json()
        b = bare.post("/api/edited", json=body).json()
    assert "cache" not in b
    assert a["differences"] == b["differences"]
    assert a["edited"]["probabilities"] == b["edited"]["probabilities"]
    assert a["baseline"]["trajectories"] == b["baseline"]["trajectories"]


def test_switching_the_compared_strategy_reuses_the_baselines_worlds(
    client: TestClient, fast: dict[str, Any]
) -> None:
    sc = edit(fast, 0.27)
    body = {"scenario": sc, "worlds": WORLDS, "seed": 5}
    run = client.post("/api/run", json={**body, "strategy": "default"}).json()
    assert run["cache"]["computed_worlds"] == WORLDS
    one = client.post("/api/compare", json={**body, "strategies": ["default", "race"]}).json()
    assert one["cache"] == {"served_worlds": WORLDS, "computed_worlds": WORLDS}
    two = client.post("/api/compare", json={**body, "strategies": ["default", "cautious-lab"]})
    assert two.json()["cache"] == {"served_worlds": WORLDS, "computed_worlds": WORLDS}
    again = client.post("/api/compare", json={**body, "strategies": ["default", "race"]}).json()
    assert again["cache"] == {"served_worlds": 2 * WORLDS, "computed_worlds": 0}
    assert again["differences"] == one["differences"]


def _chunk(lo: int, hi: int, nbytes: int, hist: bool = True) -> Chunk:
    tally = {"n": np.zeros(nbytes // 8, dtype=np.int64)}
    block = BlockOut(0, tally, np.zeros(0, np.int64), None)
    return Chunk(lo, hi, "numpy", block, None if hist else (2, 3))


def test_the_cache_is_bounded_and_drops_the_least_recently_used() -> None:
    cache = RunCache(limit=3_000)
    cache.add("a", [_chunk(0, 10, 1_000)])
    cache.add("b", [_chunk(0, 10, 1_000)])
    cache.add("a", [_chunk(0, 10, 1_000)])  # the same chunk again: not counted twice
    assert cache.size == 2_000
    cache.get("a")  # a is now the most recently used
    cache.add("c", [_chunk(0, 10, 1_600)])
    assert cache.size <= 3_000
    assert cache.get("b") == [] and cache.get("a") and cache.get("c")


def test_a_chain_of_chunks_starts_at_world_zero_and_never_overshoots() -> None:
    chunks = [_chunk(0, 2048, 8), _chunk(2048, 5000, 8), _chunk(2048, 20000, 8),
              _chunk(5000, 9000, 8)]  # fmt: skip
    assert [(c.lo, c.hi) for c in chain(chunks, 20000, "numpy")] == [(0, 2048), (2048, 20000)]
    assert [(c.lo, c.hi) for c in chain(chunks, 10000, "numpy")] == [(0, 2048), (2048, 5000),
                                                                       (5000, 9000)]  # fmt: skip
    assert chain(chunks, 1000, "numpy") == [] and chain(chunks, 20000, "fused") == []


def test_the_keeper_splits_fresh_work_at_the_preview_size(fast: dict[str, Any]) -> None:
    """A run computed whole is kept as the preview's worlds and the rest, so both are served."""
    keeper = WorkerKeeper(lambda family: [])
    model = ws.compile_scenario(scenario_of(fast))
    with keeping(keeper):
        ws.run_model(model, 3_000, 2)
        ws.run_model(model, PREVIEW_WORLDS, 2)
    (chunks,) = keeper.new.values()
    assert [(c.lo, c.hi) for c in chunks] == [(0, PREVIEW_WORLDS), (PREVIEW_WORLDS, 3_000)]
    assert keeper.computed == 3_000 and keeper.served == PREVIEW_WORLDS
    assert all(set(c.block.records or {}) <= {"p_victory", "p_costly_non_failure", "p_failure"}
               for c in chunks)  # fmt: skip


def test_a_chunk_without_histograms_serves_only_runs_that_read_no_trajectories() -> None:
    chunks = [_chunk(0, 2048, 8, hist=False), _chunk(2048, 4096, 8)]
    assert chain(chunks, 4096, "numpy") == []  # a run drawing trajectories cannot use it
    served = chain(chunks, 4096, "numpy", hist=False)
    assert [(c.lo, c.hi) for c in served] == [(0, 2048), (2048, 4096)]
    assert chunks[0].served().hist.shape == (2, 3)
    cache = RunCache()
    cache.add("f", [chunks[0]])
    cache.add("f", [_chunk(0, 2048, 8)])  # the same worlds with histograms replace it
    assert [c.has_hist for c in cache.get("f")] == [True] and cache.size == 8


@pytest.mark.slow
def test_levers_grown_from_their_preview_equal_levers_computed_at_once(
    fast: dict[str, Any],
) -> None:
    """The lever job under the cache (preview, then full) gives the same table, to the bit."""
    from waystation.web.jobs import run_job
    from waystation.web.payloads import LeversRequest

    cache = RunCache()
    short = {**fast, "time": {"start": 2026, "horizon": 2028, "dt": 0.5}}  # four steps

    def job(preview: bool) -> dict[str, Any]:
        keeper = WorkerKeeper(cache.get, hist=False)
        with keeping(keeper):
            request = LeversRequest(scenario=short, worlds=WORLDS, seed=2, preview=preview)
            status, answer = run_job("levers", request)
        assert status == "ok", answer
        for family, chunks in keeper.new.items():
            cache.add(family, chunks)
        return answer  # type: ignore[no-any-return]

    first, grown = job(True), job(False)
    assert first["preliminary"] and first["worlds"] == PREVIEW_WORLDS
    assert grown["cache"]["served_worlds"] >= first["cache"]["computed_worlds"] > 0
    status, whole = run_job("levers", LeversRequest(scenario=short, worlds=WORLDS, seed=2))
    assert status == "ok" and whole["worlds"] == grown["worlds"] == WORLDS
    assert grown["levers"] == whole["levers"]


def test_a_newer_request_on_a_channel_stops_the_older_one(client: TestClient) -> None:
    """The older request is answered 499 long before it could have finished, its worker gone."""
    psutil = pytest.importorskip("psutil")
    from webserver import wait_until

    def workers() -> list[int]:  # this process's forkserver's children: the worker processes
        found = []
        for child in psutil.Process().children():
            if "forkserver" in " ".join(child.cmdline()):
                found += [p.pid for p in child.children() if p.status() != psutil.STATUS_ZOMBIE]
        return found

    default = scenario_json(ws.load_scenario("default"))  # slow enough to be stopped mid-run
    slow = {"scenario": default, "worlds": 60_000, "seed": 1, "channel": "tab/run"}
    answers: dict[str, Any] = {}

    def older() -> None:
        start = time.monotonic()
        answers["older"] = client.post("/api/run", json=slow)
        answers["older_s"] = time.monotonic() - start

    thread = threading.Thread(target=older)
    thread.start()
    assert wait_until(lambda: len(workers()) >= 1, 30), "the slow run never started"
    newer = client.post("/api/run", json={**slow, "worlds": 2, "seed": 2})
    thread.join(60)
    assert newer.status_code == 200, newer.text
    assert answers["older"].status_code == 499
    assert "newer request" in answers["older"].json()["errors"][0]["message"]
    assert answers["older_s"] < 30  # 60,000 default worlds take far longer on this machine
    assert wait_until(lambda: not workers(), 10)


def test_every_response_is_compressed_and_the_bundle_is_cached(client: TestClient) -> None:
    """Assets and JSON answers go gzipped; the plotly bundle is cached, the page revalidated."""
    gz = {"Accept-Encoding": "gzip"}
    bundle = client.get("/static/plotly-basic.min.js", headers=gz)
    assert bundle.headers["content-encoding"] == "gzip"
    assert int(bundle.headers["content-length"]) < 500_000 < len(bundle.content)  # 1.2 MB raw
    assert "immutable" in bundle.headers["cache-control"]
    page = client.get("/", headers=gz)
    assert (
        page.headers["content-encoding"] == "gzip" and page.headers["cache-control"] == "no-cache"
    )
    again = client.get("/", headers={**gz, "If-None-Match": page.headers["etag"]})
    assert again.status_code == 304 and not again.content
    for path in ("/static/app.js", "/api/registry", "/api/definitions"):
        assert client.get(path, headers=gz).headers.get("content-encoding") == "gzip", path
    plain = client.get("/static/app.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and b"waystation explorer" in plain.content


def test_presets_are_served_with_their_sources(client: TestClient) -> None:
    listed = client.get("/api/scenario-presets").json()
    names = [p["name"] for p in listed]
    assert names[:2] == ["optimistic-worlds", "pessimistic-worlds"]
    for p in listed:
        one = client.get(f"/api/scenarios/preset:{p['name']}").json()
        assert one["scenario"]["name"] == p["name"] and one["sources"] == p["sources"]
    assert client.get("/api/scenarios/preset:nope").status_code == 404
