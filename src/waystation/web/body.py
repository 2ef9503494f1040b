"""Request bodies read whole before the application sees them: bounded, then decoded strictly.

A body over the size limit is refused with 413 (declared or streamed), one
that does not arrive within the time limit with 408, and a client that
disconnects before its body is complete gets no answer and runs nothing.

A complete JSON body is then read by the same strict loader as scenario
files (:func:`waystation._loader.load_json`) before the framework decodes it:
a key given twice (``{"worlds": 100, "worlds": 300}``), ``NaN`` or
``Infinity``, a number outside the range of a 64-bit float, nesting or size
beyond the loader's limits, or text that is not UTF-8 JSON is refused with a
422 naming the key path (and line), so the framework only ever decodes
bodies whose meaning is not in doubt.
"""

from __future__ import annotations

import anyio
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from waystation._loader import LoadError, load_json
from waystation._text import shown

__all__ = ["BodyLimit", "error", "json_problem"]


def error(status: int, message: str, path: str = "", line: int | None = None) -> JSONResponse:
    """The explorer's JSON error shape, with one problem (about the whole request by default)."""
    problem = {"path": shown(path), "line": line, "message": shown(message)}
    return JSONResponse({"errors": [problem]}, status)


def _json_body(scope: Scope) -> bool:
    """Whether the request's body is JSON for the framework: declared so, or undeclared."""
    declared = dict(scope.get("headers", [])).get(b"content-type", b"")
    kind = declared.split(b";")[0].strip().lower()
    return kind in (b"", b"application/json") or kind.endswith(b"+json")


def json_problem(body: bytes) -> tuple[str, int | None, str] | None:
    """Why ``body`` is refused by the strict JSON loader: (key path, line, message), or None."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        return "", None, f"request body is not UTF-8 text: {err.reason} at byte {err.start}"
    try:
        load_json(text)
    except LoadError as err:
        path = ""
        for part in err.path:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        return path, err.line, err.message
    return None


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes (413) or slower than ``timeout`` seconds (408).

    A client that disconnects before its body is complete gets no answer and
    runs nothing.
    """

    def __init__(self, app: ASGIApp, limit: int, timeout: float) -> None:
        self.app = app
        self.limit = limit
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Read an HTTP request's whole body, then pass the request on with it replayed."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(scope, receive, send)
            return
        chunks: list[bytes] = []
        outcome = "disconnected"
        with anyio.move_on_after(self.timeout) as waited:
            outcome = await self._receive_body(receive, chunks)
        if waited.cancelled_caught:
            slow = error(408, f"request body not received within {self.timeout:g} s")
            await slow(scope, receive, send)
            return
        if outcome == "disconnected":
            return
        if outcome == "too large":
            await self._refuse(scope, receive, send)
            return
        body, sent = b"".join(chunks), False
        problem = json_problem(body) if body.strip() and _json_body(scope) else None
        if problem is not None:
            await error(422, problem[2], problem[0], problem[1])(scope, receive, send)
            return

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _receive_body(self, receive: Receive, chunks: list[bytes]) -> str:
        """Read the body into ``chunks``: ``"complete"``, ``"too large"`` or ``"disconnected"``."""
        size, more = 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return "disconnected"
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
            if size > self.limit:
                return "too large"
        return "complete"

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error(413, f"request body larger than {self.limit} bytes")
        await response(scope, receive, send)
