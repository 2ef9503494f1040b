"""The explorer under load, on a real server bound to 127.0.0.1 (bounded loops only).

Heavy requests are sent on raw sockets and then closed, which is how a client
that goes away looks to the server: their worker processes must stop.
"""

from __future__ import annotations

import copy
import json
import socket
import statistics
import time
from collections.abc import Iterator
from typing import Any

import pytest

import waystation as ws

pytest.importorskip("fastapi", reason="the web extra is not installed")
pytest.importorskip("psutil", reason="psutil (dev extra) counts worker processes")

import httpx

from webserver import (
    HOST,
    port_of,
    read_response,
    rss_mb,
    send_post,
    server,
    wait_until,
    workers_of,
)

pytestmark = pytest.mark.slow

HEAVY_WORKERS = 2
HEAVY_QUEUE = 1


@pytest.fixture(scope="module")
def scenario() -> dict[str, Any]:
    sc = ws.load_scenario("default").model_dump(mode="json", by_alias=True, exclude_none=True)
    return json.loads(json.dumps(sc))  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def heavy(scenario: dict[str, Any]) -> dict[str, Any]:
    """A request that keeps a core busy for many seconds (well inside the work budget)."""
    sc = copy.deepcopy(scenario)
    # the default runs to 2100 at dt 0.125: 100,000 worlds are tens of CPU-seconds,
    # inside the work budget (100,000 x 3 actors x 592 steps)
    return {"scenario": sc, "worlds": 100_000}


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[str, Any]]:
    with server(workers=HEAVY_WORKERS, queue=HEAVY_QUEUE, body_timeout=1.0) as pair:
        yield pair


def small_latency(url: str, scenario: dict[str, Any]) -> float:
    """Seconds for a small run: what the page asks while someone moves a slider."""
    sc = copy.deepcopy(scenario)
    sc["time"] = {"start": 2026, "horizon": 2036, "dt": 0.5}
    start = time.perf_counter()
    response = httpx.post(url + "/api/run", json={"scenario": sc, "worlds": 500},
                          timeout=30)  # fmt: skip
    assert response.status_code == 200, response.text
    return time.perf_counter() - start


def test_small_request_stays_fast_while_heavy_ones_run_and_stop_when_clients_leave(
    live: tuple[str, Any], scenario: dict[str, Any], heavy: dict[str, Any]
) -> None:
    url, proc = live
    small_latency(url, scenario)  # warm: the first fork imports what jobs need
    baseline = rss_mb(proc)
    heavy_socks = [send_post(url, "/api/run", heavy) for _ in range(HEAVY_WORKERS)]
    try:
        assert wait_until(lambda: len(workers_of(proc)) >= HEAVY_WORKERS, 20)
        latencies = [small_latency(url, scenario) for _ in range(5)]
        busy = workers_of(proc)
        assert len(busy) >= HEAVY_WORKERS  # the heavy ones were still running throughout
    finally:
        for sock in heavy_socks:
            sock.close()
    assert statistics.median(latencies) <= 1.0, latencies
    # the clients are gone: their simulations are killed, not left to run for many seconds
    assert wait_until(lambda: not workers_of(proc), 5), workers_of(proc)
    # the work ran in worker processes, so the server itself holds no more memory than before
    assert rss_mb(proc) < baseline + 50, (baseline, rss_mb(proc))


def test_full_lanes_answer_503_with_retry_after(
    live: tuple[str, Any], heavy: dict[str, Any]
) -> None:
    url, proc = live
    socks = [send_post(url, "/api/run", heavy) for _ in range(HEAVY_WORKERS + HEAVY_QUEUE)]
    try:
        assert wait_until(lambda: len(workers_of(proc)) >= HEAVY_WORKERS, 20)
        time.sleep(0.5)  # the queued one has reached the queue
        with send_post(url, "/api/run", heavy) as extra:
            status, headers, body = read_response(extra, 10)
        assert status == 503
        assert int(headers["retry-after"]) > 0
        error = json.loads(body)["errors"][0]
        assert "busy" in error["message"] and error["path"] == ""
        assert httpx.get(url + "/api/scenarios", timeout=5).status_code == 200
    finally:
        for sock in socks:
            sock.close()
    assert wait_until(lambda: not workers_of(proc), 5)


def test_slow_body_is_timed_out(live: tuple[str, Any]) -> None:
    url, _ = live
    sock = socket.create_connection((HOST, port_of(url)), timeout=5)
    with sock:
        sock.sendall(b"POST /api/run HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{\"scen")  # fmt: skip
        status, _, body = read_response(sock, 10)
    assert status == 408
    assert "not received" in json.loads(body)["errors"][0]["message"]


def test_short_body_runs_nothing_and_the_server_carries_on(
    live: tuple[str, Any], scenario: dict[str, Any]
) -> None:
    url, proc = live
    for _ in range(3):
        sock = socket.create_connection((HOST, port_of(url)), timeout=5)
        sock.sendall(b'POST /api/run HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n{"s')
        sock.close()
    assert small_latency(url, scenario) < 30
    assert not workers_of(proc)
