"""Ctrl-C, for real: SIGINT sent to the CLI in a subprocess once its run has started.

Each interrupted command must exit with 130 and one line on stderr (no
traceback), stop its worker processes before it exits, and leave no output
file, finished or partial, behind. SIGTERM and SIGHUP get the same shutdown
(exit 143 and 129).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from waystation._pool import process_pool
from waystation.cli._files import atomic_outputs

psutil = pytest.importorskip("psutil", reason="psutil (dev extra) finds child processes")

from helpers import ONE_LAB  # noqa: E402
from webserver import env, free_port, send_post  # noqa: E402

CLI = "from waystation.cli import main; main()"
#: The slow-write hook: writes half a file, touches the marker, then waits to be interrupted.
SLOW_WRITE = """
import pathlib, sys, time
marker = pathlib.Path(sys.argv.pop(1))
def slow(self, data, *args, **kwargs):
    with open(self, "w", encoding="utf-8") as f:
        f.write(data[: len(data) // 2])
        f.flush()
        marker.touch()
        time.sleep(60)
        f.write(data[len(data) // 2 :])
    return len(data)
pathlib.Path.write_text = slow
from waystation.cli import main
main()
"""


def start(args: list[str], cwd: Path, code: str = CLI) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=cwd, env=env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def wait_for(check: Callable[[], bool], proc: subprocess.Popen[str], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the command did not get going in time"
        time.sleep(0.1)


def busy_workers(
    proc: subprocess.Popen[str], count: int, seconds: float = 2.0
) -> Callable[[], bool]:
    """True once ``count`` worker processes have each used ``seconds`` of CPU (simulating)."""

    def check() -> bool:
        workers = [p for p in descendants(proc) if "spawn_main" in cmdline(p)]
        return sum(cpu(p) > seconds for p in workers) >= count

    return check


def computing(proc: subprocess.Popen[str]) -> Callable[[], bool]:
    """True once the command itself has used a few seconds of CPU (past its imports)."""
    return lambda: cpu(psutil.Process(proc.pid)) > 3.0


def descendants(proc: subprocess.Popen[str]) -> list[psutil.Process]:
    try:
        return list(psutil.Process(proc.pid).children(recursive=True))
    except psutil.NoSuchProcess:
        return []


def cmdline(p: psutil.Process) -> str:
    try:
        return " ".join(p.cmdline())
    except psutil.Error:
        return ""


def cpu(p: psutil.Process) -> float:
    try:
        t = p.cpu_times()
    except psutil.Error:
        return 0.0
    return float(t.user + t.system)


def alive(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def interrupt(
    proc: subprocess.Popen[str], timeout: float = 60, signum: int = signal.SIGINT
) -> tuple[list[psutil.Process], str]:
    """Signal the command (SIGINT: Ctrl-C); its descendants then, and its stderr once it exits."""
    family = descendants(proc)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=timeout)
    return family, err


def assert_clean_exit(
    proc: subprocess.Popen[str], family: list[psutil.Process], err: str,
    signum: int = signal.SIGINT,
) -> None:  # fmt: skip
    assert proc.returncode == 128 + signum, err  # 130 for Ctrl-C, 143 SIGTERM, 129 SIGHUP
    lines = err.strip().splitlines()
    name = {signal.SIGINT: "Ctrl-C"}.get(signum, signal.Signals(signum).name)
    assert len(lines) == 1 and "interrupted" in lines[0] and f"({name})" in lines[0], err
    workers = [p for p in family if "spawn_main" in cmdline(p) or "forkserver" in cmdline(p)]
    assert not [p for p in workers if alive(p)], "a worker outlived the command"
    deadline = time.monotonic() + 5  # helpers such as multiprocessing's resource tracker follow
    while any(alive(p) for p in family) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in family if alive(p)]


# --- the pool itself ----------------------------------------------------------------


def test_an_interrupted_pool_stops_its_workers_at_once() -> None:
    start_time = time.monotonic()
    with pytest.raises(KeyboardInterrupt), process_pool(2) as pool:
        futures = [pool.submit(time.sleep, 60) for _ in range(4)]
        deadline = time.monotonic() + 60
        while not any(f.running() for f in futures) and time.monotonic() < deadline:
            time.sleep(0.05)
        workers = [psutil.Process(p.pid) for p in pool._processes.values()]
        raise KeyboardInterrupt
    assert workers and not [p for p in workers if alive(p)]
    assert time.monotonic() - start_time < 30  # not the 60 s the tasks would take


def test_a_finished_pool_shuts_down_normally() -> None:
    with process_pool(1) as pool:
        assert pool.submit(pow, 2, 10).result(timeout=60) == 1024
    assert isinstance(pool, ProcessPoolExecutor)
    with pytest.raises(RuntimeError):
        pool.submit(pow, 2, 3)


# --- outputs appear whole or not at all ----------------------------------------------


def test_outputs_appear_only_when_complete(tmp_path: Path) -> None:
    kept = tmp_path / "report.html"
    kept.write_text("old", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt), atomic_outputs() as files:
        files.path(kept).write_text("half", encoding="utf-8")
        files.path(tmp_path / "fig.svg").write_text("<svg/>", encoding="utf-8")
        raise KeyboardInterrupt
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]
    assert kept.read_text(encoding="utf-8") == "old"
    with atomic_outputs() as files:
        files.path(kept).write_text("new", encoding="utf-8")
        assert kept.read_text(encoding="utf-8") == "old"
    assert kept.read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


# --- real Ctrl-C on the command line ---------------------------------------------------


@pytest.mark.slow
def test_ctrl_c_stops_a_run_and_its_worker_processes(tmp_path: Path) -> None:
    proc = start(["run", "default", "-n", "20000000", "--workers", "2"], tmp_path)
    wait_for(busy_workers(proc, 2), proc)
    family, err = interrupt(proc)
    assert_clean_exit(proc, family, err)


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_sigterm_and_sighup_stop_a_run_and_its_workers_as_ctrl_c_does(
    tmp_path: Path, signum: int
) -> None:
    """What ``timeout``, ``kill`` and batch schedulers send, or a closed terminal: before the
    fix the workers and the resource tracker outlived the command, re-parented."""
    proc = start(["run", "default", "-n", "20000000", "--workers", "2"], tmp_path)
    wait_for(busy_workers(proc, 2), proc)
    family, err = interrupt(proc, signum=signum)
    assert_clean_exit(proc, family, err, signum)  # every descendant gone, helpers included


@pytest.mark.slow
def test_sigterm_during_a_report_leaves_no_file(tmp_path: Path) -> None:
    proc = start(["report", "default", "-o", "out.html", "-n", "1000000"], tmp_path)
    wait_for(computing(proc), proc)
    family, err = interrupt(proc, signum=signal.SIGTERM)
    assert_clean_exit(proc, family, err, signal.SIGTERM)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_ctrl_c_stops_dask_workers(tmp_path: Path) -> None:
    pytest.importorskip("distributed", reason="the dask extra is not installed")
    proc = start(["run", "default", "-n", "20000000", "--engine", "dask", "--workers", "2"],
                 tmp_path)  # fmt: skip
    wait_for(busy_workers(proc, 2, seconds=4.0), proc, timeout=120)
    family, err = interrupt(proc)
    assert_clean_exit(proc, family, err)


@pytest.mark.slow
def test_ctrl_c_while_a_dask_cluster_starts(tmp_path: Path) -> None:
    pytest.importorskip("distributed", reason="the dask extra is not installed")
    proc = start(["run", "default", "-n", "20000000", "--engine", "dask", "--workers", "2"],
                 tmp_path)  # fmt: skip
    wait_for(lambda: any("spawn_main" in cmdline(p) for p in descendants(proc)), proc)
    family, err = interrupt(proc)
    assert_clean_exit(proc, family, err)


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ["report", "default", "-o", "out.html", "-n", "1000000"],
        ["report", "default", "-o", "out.md", "--format", "md", "-n", "1000000"],
        ["plot", "outcomes", "default", "-o", "out.png", "-n", "1000000"],
    ],
    ids=["report-html", "report-md", "plot"],
)
def test_ctrl_c_during_the_run_leaves_no_file(tmp_path: Path, args: list[str]) -> None:
    proc = start(args, tmp_path)
    wait_for(computing(proc), proc)
    family, err = interrupt(proc)
    assert_clean_exit(proc, family, err)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_ctrl_c_while_the_report_is_written_leaves_no_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    marker = tmp_path / "half-written"
    import yaml

    # one lab, eight yearly steps: what is tested is the write, so the analyses before it
    # should cost little (a report's many small runs cost per step)
    (tmp_path / "short.yaml").write_text(yaml.safe_dump(ONE_LAB, sort_keys=False))
    # one strategy: the report runs every analysis for each strategy named
    args = [str(marker), "report", "short.yaml", "-s", "default", "-o", "out/r.html", "-n", "300"]
    proc = start(args, tmp_path, code=SLOW_WRITE)
    wait_for(marker.exists, proc)
    assert len(list(out.iterdir())) == 1  # the half-written temporary file
    family, err = interrupt(proc)
    assert_clean_exit(proc, family, err)
    assert list(out.iterdir()) == []


@pytest.mark.slow
def test_ctrl_c_stops_the_explorer_and_its_running_simulation(tmp_path: Path) -> None:
    pytest.importorskip("fastapi", reason="the web extra is not installed")
    import httpx

    import waystation as ws

    port = free_port()
    proc = start(["serve", "--no-browser", "--port", str(port)], tmp_path)
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return httpx.get(url + "/api/scenarios", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    wait_for(answers, proc)
    sc = ws.load_scenario("default").model_dump(mode="json", by_alias=True, exclude_none=True)
    # the default runs to 2100 at dt 0.125: 100,000 worlds are tens of CPU-seconds,
    # inside the work budget (100,000 x 3 actors x 592 steps)
    with send_post(url, "/api/run", {"scenario": sc, "worlds": 100_000}):
        wait_for(lambda: any(p.children() for p in descendants(proc)), proc)  # a worker runs
        # the simulation needs half a minute or more here: Ctrl-C must not wait for it
        family, err = interrupt(proc, timeout=15)
    assert_clean_exit(proc, family, err)


@pytest.mark.slow
def test_sighup_stops_the_explorer_as_ctrl_c_does(tmp_path: Path) -> None:
    """uvicorn handles SIGINT and SIGTERM itself; SIGHUP (a closed terminal) takes its way out too,
    with the CLI's one line and exit 129, and no worker or helper left."""
    pytest.importorskip("fastapi", reason="the web extra is not installed")
    import httpx

    port = free_port()
    proc = start(["serve", "--no-browser", "--port", str(port)], tmp_path)

    def answers() -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/api/scenarios", timeout=2).is_success
        except httpx.TransportError:
            return False

    wait_for(answers, proc)
    family, err = interrupt(proc, timeout=30, signum=signal.SIGHUP)
    assert_clean_exit(proc, family, err, signal.SIGHUP)


def test_dask_reports_of_blocks_no_longer_wanted_print_no_traceback() -> None:
    """On Ctrl-C distributed's executor reports blocks the engine gave up on; those are dropped.

    The records are what tornado logs when ``distributed.cfexecutor`` sets the
    result of a future the engine has just cancelled (dropped always: it can
    only follow a cancel), or fails to gather a block once the client closes
    (dropped only then); any other record passes.
    """
    import logging
    from concurrent.futures import Future

    from waystation.engines import _CancelRace

    fut: Future[int] = Future()
    assert fut.cancel()
    try:
        fut.set_result(1)  # what distributed's callback does after our cancel
    except Exception:  # the InvalidStateError under test
        raced = logging.LogRecord("tornado.application", logging.ERROR, __file__, 1,
                                  "Exception in callback %r", ("cb",), sys.exc_info())  # fmt: skip
    else:  # pragma: no cover - Python would have to accept a result after cancel
        pytest.fail("setting a cancelled future's result did not raise")
    try:
        raise ValueError("a real error")
    except ValueError:
        real = logging.LogRecord("tornado.application", logging.ERROR, __file__, 1,
                                 "Exception in callback %r", ("cb",), sys.exc_info())  # fmt: skip
    plain = logging.LogRecord("tornado.application", logging.ERROR, __file__, 1, "x", (), None)
    # a gather failing on the closed connection inside distributed's forwarding callback
    code = compile("def _cascade_future():\n    raise OSError('Stream is closed')\n",
                   "/site-packages/distributed/cfexecutor.py", "exec")  # fmt: skip
    space: dict[str, Any] = {}
    exec(code, space)
    try:
        space["_cascade_future"]()
    except OSError:
        closed = logging.LogRecord("tornado.application", logging.ERROR, __file__, 1,
                                   "Exception in callback %r", ("cb",), sys.exc_info())  # fmt: skip
    quiet = _CancelRace()
    assert not quiet.filter(raced)
    assert quiet.filter(real) and quiet.filter(plain)
    assert quiet.filter(closed)  # while the engine still waits for its blocks: reported
    quiet.closing = True
    assert not quiet.filter(closed)  # once the client closes: dropped
    assert quiet.filter(real) and quiet.filter(plain)
