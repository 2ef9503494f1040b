"""The explorer as a user meets it, timed in a real Chromium on 127.0.0.1 (default scenario).

    PYTHONPATH=src .venv/bin/python benchmarks/web_page.py [--moves 3] [--src OTHER/src]

Starts a server (``--src`` serves another checkout's code, e.g. the main
branch before a change: the same measurements, side by side), then measures:

- **first load**: bytes transferred (as sent, compressed where the server
  compresses) and uncompressed, the page's ``load`` event and its first full
  answer (20,000 worlds) in a fresh browser context (empty cache), and the
  ``load`` event of a reload (the browser's cache in use);
- **a slider move** (a key press on a lever's slider): time to the first
  estimate (where the page gives one: its numbers and intervals drawn), to
  its charts (drawn in the next frame) and to the full answer, ``--moves`` times;
- **a strategy switch** with an edit in place: time to the full answer;
- **compare**: the compared strategy switched twice (the baseline strategy's
  worlds reused by the cache where there is one).

Prints one JSON object (medians in seconds) and writes it to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

HOST = "127.0.0.1"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
SLIDER = "#lever-leading-lab-ai_safety_share"
LIMIT_MS = 150_000
#: A full answer newer than the n-th has been drawn, and nothing is pending.
DONE = "n => window.runCount > n && document.body.dataset.state === 'idle'"


def start(src: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": src}
    command = [sys.executable, "-m", "uvicorn", "waystation.web:create_app", "--factory",
               "--host", HOST, "--port", str(port), "--log-level", "warning"]  # fmt: skip
    proc = subprocess.Popen(command, env=env)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://{HOST}:{port}/api/registry", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


def first_load(browser: Any, url: str) -> tuple[dict[str, Any], Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(LIMIT_MS)
    sent: list[Any] = []
    page.on("requestfinished", lambda r: sent.append(r))
    start = time.perf_counter()
    page.goto(url, wait_until="load")
    loaded = time.perf_counter() - start
    page.wait_for_function("() => window.runCount > 0 && document.body.dataset.state === 'idle'")
    answered = time.perf_counter() - start
    transferred = raw = 0
    for r in sent:
        sizes = r.sizes()
        transferred += sizes["responseBodySize"] + sizes["responseHeadersSize"]
        response = r.response()
        raw += len(response.body()) if response is not None else 0
    return {"load_s": loaded, "first_full_answer_s": answered, "transferred_bytes": transferred,
            "uncompressed_bytes": raw, "requests": len(sent)}, page  # fmt: skip


def move(page: Any) -> dict[str, float | None]:
    """Press → on the slider; seconds to the first estimate (None without one) and full answer."""
    n = page.evaluate("window.runCount")
    staged = page.evaluate("Array.isArray(window.runEvents)")
    k = page.evaluate("window.runEvents.length") if staged else 0
    page.focus(SLIDER)
    start = time.perf_counter()
    page.keyboard.press("ArrowRight")
    first = charts = None
    if staged:
        page.wait_for_function(
            "k => window.runEvents.slice(k).some(e => e.stage === 'preliminary')", arg=k
        )
        first = time.perf_counter() - start
        page.wait_for_function(  # its charts, drawn a frame after the numbers
            "k => window.runEvents.slice(k).some(e => e.stage === 'preliminary-charts' "
            "|| e.stage === 'final')",
            arg=k,
        )
        charts = time.perf_counter() - start
    page.wait_for_function(
        "n => window.runCount > n && document.body.dataset.state === 'idle'", arg=n
    )
    return {"first_estimate_s": first, "first_charts_s": charts,
            "full_answer_s": time.perf_counter() - start}  # fmt: skip


def switch_strategy(page: Any, name: str) -> float:
    n = page.evaluate("window.runCount")
    start = time.perf_counter()
    page.select_option("#strategy-select", name)
    page.wait_for_function(
        "n => window.runCount > n && document.body.dataset.state === 'idle'", arg=n
    )
    return time.perf_counter() - start


def compare(page: Any, against: str) -> float:
    page.select_option("#compare-strategy", against)
    start = time.perf_counter()
    page.click("#compare-run")
    page.wait_for_function(
        "a => document.querySelector('#compare-table thead').textContent.includes(a) && "
        "document.body.dataset.state === 'idle'", arg=against)  # fmt: skip
    return time.perf_counter() - start


def attempt(page: Any, step: Any, *args: Any) -> Any:
    """``step(*args)``, or what the page's status said when it did not finish in time."""
    try:
        return step(*args)
    except PlaywrightTimeout:
        return {"failed": page.text_content("#status")}


def median(xs: list[Any]) -> float | None:
    got = [x for x in xs if isinstance(x, float)]
    return statistics.median(got) if got else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=3)
    parser.add_argument("--src", default=str(Path(__file__).resolve().parents[1] / "src"))
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    import socket

    with socket.socket() as s:
        s.bind((HOST, 0))
        port = s.getsockname()[1]
    proc = start(args.src, port)
    url = f"http://{HOST}:{port}/"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            load, page = first_load(browser, url)
            began = time.perf_counter()
            page.reload(wait_until="load")  # a second visit: the cached bundle, revalidated page
            load["reload_s"] = time.perf_counter() - began
            page.wait_for_function("() => window.runCount > 0")
            moves = [attempt(page, move, page) for _ in range(args.moves)]
            switch = attempt(page, switch_strategy, page, "cautious-lab")
            compares = [
                attempt(page, compare, page, "race"),
                attempt(page, compare, page, "default"),
            ]
            browser.close()
    finally:
        proc.terminate()
        proc.wait(30)
    out = {
        "src": args.src,
        "cpu_count": os.cpu_count(),
        "load_average": os.getloadavg(),
        **load,
        "first_estimate_s": median([m.get("first_estimate_s") for m in moves]),
        "first_charts_s": median([m.get("first_charts_s") for m in moves]),
        "full_answer_s": median([m.get("full_answer_s") for m in moves]),
        "moves": moves,
        "strategy_switch_s": switch,
        "compare_switch_s": compares,
    }
    text = json.dumps(out, indent=1)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
