"""Request bodies read whole before the application sees them: bounded in size and in time.

A body over the size limit is refused with 413 (declared or streamed), one
that does not arrive within the time limit with 408, and a client that
disconnects before its body is complete gets no answer and runs nothing.
"""

from __future__ import annotations

import anyio
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodyLimit", "error"]


def error(status: int, message: str) -> JSONResponse:
    """The explorer's JSON error shape, with one problem about the whole request."""
    return JSONResponse({"errors": [{"path": "", "line": None, "message": message}]}, status)


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
