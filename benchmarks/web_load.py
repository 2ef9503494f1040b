"""Load on the explorer, on 127.0.0.1 only: small-request latency and memory under heavy load.

    PYTHONPATH=src .venv/bin/python benchmarks/web_load.py [--heavy 4] [--rounds 10]

Starts a server (2 heavy workers, queue 2), measures small requests idle,
then while ``--heavy`` heavy requests saturate it (the extra ones wait or get
503), then closes the heavy clients and checks that their workers stop and
the server's memory is back at its baseline. Every loop is bounded.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import time
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import waystation as ws
from webserver import read_response, rss_mb, send_post, server, wait_until, workers_of


def family_rss_mb(pid: int) -> float:
    procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    return sum(p.memory_info().rss for p in procs) / 1e6


def small(url: str, scenario: dict[str, object]) -> float:
    start = time.perf_counter()
    r = httpx.post(url + "/api/run", json={"scenario": scenario, "worlds": 2000}, timeout=60)
    assert r.status_code == 200, r.text
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--heavy", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=10)
    args = ap.parse_args()
    sc = json.loads(json.dumps(ws.load_scenario("default").model_dump(
        mode="json", by_alias=True, exclude_none=True)))  # fmt: skip
    heavy = copy.deepcopy(sc)
    heavy["time"]["dt"] = 0.1
    with server(workers=2, queue=2) as (url, proc):
        small(url, sc)
        idle = [small(url, sc) for _ in range(args.rounds)]
        base = rss_mb(proc)
        socks = [send_post(url, "/api/run", {"scenario": heavy, "worlds": 200_000})
                 for _ in range(args.heavy)]  # fmt: skip
        wait_until(lambda: len(workers_of(proc)) >= 2, 20)
        loaded = [small(url, sc) for _ in range(args.rounds)]
        peak_family = family_rss_mb(proc.pid)
        during = rss_mb(proc)
        with send_post(url, "/api/run", {"scenario": heavy, "worlds": 200_000}) as extra:
            status, headers, _ = read_response(extra, 30)
        for s in socks:
            s.close()
        start = time.perf_counter()
        stopped = wait_until(lambda: not workers_of(proc), 10)
        stop_s = time.perf_counter() - start
        time.sleep(1)
        after = rss_mb(proc)
    print(f"small request idle:   median {statistics.median(idle):.3f} s, max {max(idle):.3f} s")
    print(f"small request loaded: median {statistics.median(loaded):.3f} s, "
          f"max {max(loaded):.3f} s ({args.heavy} heavy requests, 2 heavy workers)")  # fmt: skip
    print(f"one more heavy request: HTTP {status}, Retry-After {headers.get('retry-after')}")
    print(f"heavy workers stopped after clients left: {stopped} in {stop_s:.2f} s")
    print(f"server RSS: baseline {base:.0f} MB, under load {during:.0f} MB, after {after:.0f} MB; "
          f"server + workers under load {peak_family:.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
