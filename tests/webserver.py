"""A real explorer server in a subprocess on 127.0.0.1, and raw HTTP helpers for tests.

Only loopback is ever bound or contacted. Every wait is bounded in time.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

HOST = "127.0.0.1"
SRC = str(Path(__file__).resolve().parents[1] / "src")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def env() -> dict[str, str]:
    """This process's environment with the worktree's ``src`` first on PYTHONPATH."""
    out = dict(os.environ)
    out["PYTHONPATH"] = os.pathsep.join(p for p in (SRC, out.get("PYTHONPATH")) if p)
    return out


@contextmanager
def server(**limits: Any) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """An explorer with these :class:`ServerLimits`, served by uvicorn; yields (url, process)."""
    port = free_port()
    code = (
        "import json, sys, uvicorn\n"
        "from waystation.web import ServerLimits, create_app\n"
        "limits = ServerLimits(**json.loads(sys.argv[1]))\n"
        f"uvicorn.run(create_app(limits), host={HOST!r}, port={port}, log_level='warning')\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, json.dumps(limits)], env=env())
    url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/api/scenarios", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, "the server exited"
            assert time.monotonic() < deadline, "the server did not start within 60 s"
            time.sleep(0.2)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def send_post(url: str, path: str, body: dict[str, Any]) -> socket.socket:
    """Send a POST on a raw socket and return it unread (close it to disconnect)."""
    data = json.dumps(body).encode()
    sock = socket.create_connection((HOST, port_of(url)), timeout=5)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n"
    )
    sock.sendall(head.encode() + data)
    return sock


def read_response(sock: socket.socket, timeout: float) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of the answer on ``sock`` (which the server closes)."""
    sock.settimeout(timeout)
    raw = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        chunk = sock.recv(65536)
        if not chunk:
            break
        raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def workers_of(proc: subprocess.Popen[bytes]) -> list[int]:
    """Pids of the server's worker processes: the children of its forkserver."""
    import psutil

    found = []
    for child in psutil.Process(proc.pid).children():
        try:
            if "forkserver" in " ".join(child.cmdline()):
                found += [p.pid for p in child.children() if p.status() != psutil.STATUS_ZOMBIE]
        except psutil.Error:
            continue
    return found


def rss_mb(proc: subprocess.Popen[bytes]) -> float:
    """Resident memory of the server process itself, in MB."""
    import psutil

    return float(psutil.Process(proc.pid).memory_info().rss) / 1e6


def wait_until(check: Any, timeout: float, every: float = 0.1) -> bool:
    """Poll ``check()`` until it is true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(every)
    return bool(check())
