"""``waystation serve``: the interactive explorer in a local web page."""

from __future__ import annotations

import signal
import threading
import webbrowser
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Annotated, Any

import typer

from waystation.cli._app import app, fail, out

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
#: Connections and requests uvicorn serves at once before it answers 503 itself.
MAX_CONNECTIONS = 64
#: Seconds an idle keep-alive connection is held open.
KEEP_ALIVE = 5


@app.command()
def serve(
    port: Annotated[int, typer.Option("--port", "-p", min=1, max=65535,
                                      help="TCP port to listen on.")] = 8765,
    host: Annotated[str, typer.Option("--host",
                                      help="Interface to bind (default: this machine only).")]
    = "127.0.0.1",
    browser: Annotated[bool, typer.Option("--browser/--no-browser",
                                          help="Open the page in a web browser.")] = True,
    workers: Annotated[int | None, typer.Option("--workers", "-w", min=1, max=64,
                       help="Worker processes for heavy simulations at once (default: every "
                            "core but one); small ones have two of their own.")] = None,
    queue: Annotated[int, typer.Option("--queue", min=0, max=1000,
                     help="Heavy simulations that may wait for a worker; more get 503.")] = 4,
    time_limit: Annotated[float, typer.Option("--time-limit", min=1, max=3600,
                          help="Seconds a simulation may run before it is stopped.")] = 60.0,
) -> None:  # fmt: skip
    """Serve the interactive explorer: pick scenarios, move levers, compare strategies."""
    try:
        import uvicorn

        from waystation.web import ServerLimits, create_app
    except ImportError as err:
        fail(f"the explorer needs the web extra ({err.name} is missing): "
             "pip install 'waystation[web]'")  # fmt: skip
        return
    limits = ServerLimits(queue=queue, time_limit=time_limit)
    if workers is not None:
        limits = ServerLimits(workers=workers, queue=queue, time_limit=time_limit)
    if host not in LOOPBACK:
        out.print(f"[yellow]warning:[/] serving on {host}: the explorer has no authentication "
                  "and anyone who can reach this address can run simulations")  # fmt: skip
    url = f"http://{'[::1]' if host == '::1' else host}:{port}/"
    out.print(f"waystation explorer on [bold]{url}[/] (Ctrl+C to stop)")
    if browser:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    config = uvicorn.Config(create_app(limits), host=host, port=port, log_level="warning",
                            access_log=False, limit_concurrency=MAX_CONNECTIONS,
                            timeout_keep_alive=KEEP_ALIVE)  # fmt: skip
    _server(uvicorn.Server)(config).run()


def _server(base: type[Any]) -> type[Any]:
    """A uvicorn server that stops the running simulations as soon as it is told to exit.

    uvicorn lets requests in flight finish before it shuts the application
    down; a simulation could take a minute, so Ctrl-C kills the workers first
    (their requests are answered 503) and the server exits at once.
    """

    class Server(base):  # type: ignore[misc]
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            self.config.app.state.stop_workers()
            super().handle_exit(sig, frame)

        @contextmanager
        def capture_signals(self) -> Iterator[None]:
            """Uvicorn's SIGINT and SIGTERM, and SIGHUP: a closed terminal stops it alike."""
            with super().capture_signals():
                if threading.current_thread() is not threading.main_thread():
                    yield
                    return
                previous = signal.signal(signal.SIGHUP, self.handle_exit)
                try:
                    yield
                finally:  # uvicorn then raises the signals it caught again, for the CLI to report
                    signal.signal(signal.SIGHUP, previous)

    return Server
