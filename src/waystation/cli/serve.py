"""``waystation serve``: the interactive explorer in a local web page."""

from __future__ import annotations

import threading
import webbrowser
from typing import Annotated

import typer

from waystation.cli._app import app, fail, out

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@app.command()
def serve(
    port: Annotated[int, typer.Option("--port", "-p", min=1, max=65535,
                                      help="TCP port to listen on.")] = 8765,
    host: Annotated[str, typer.Option("--host",
                                      help="Interface to bind (default: this machine only).")]
    = "127.0.0.1",
    browser: Annotated[bool, typer.Option("--browser/--no-browser",
                                          help="Open the page in a web browser.")] = True,
) -> None:  # fmt: skip
    """Serve the interactive explorer: pick scenarios, move levers, compare strategies."""
    try:
        import uvicorn

        from waystation.web import create_app
    except ImportError as err:
        fail(f"the explorer needs the web extra ({err.name} is missing): "
             "pip install 'waystation[web]'")  # fmt: skip
        return
    if host not in LOOPBACK:
        out.print(f"[yellow]warning:[/] serving on {host}: the explorer has no authentication "
                  "and anyone who can reach this address can run simulations")  # fmt: skip
    url = f"http://{'[::1]' if host == '::1' else host}:{port}/"
    out.print(f"waystation explorer on [bold]{url}[/] (Ctrl+C to stop)")
    if browser:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    uvicorn.run(create_app(), host=host, port=port, log_level="warning", access_log=False)
