"""A body-size limit per route, enforced as the body arrives: before any parsing and before authentication.

A declared Content-Length over the limit is refused without reading a byte; a body streamed without one is
read only until it passes the limit. Either way the answer is a 413 and the connection is not read further,
so a stranger's 200 MB body costs the service at most the limit in memory.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyLimits:
    """ASGI middleware: `limits` by path prefix (the longest that matches), else `default` bytes."""

    def __init__(self, app: ASGIApp, *, default: int, limits: Mapping[str, int]) -> None:
        self.app = app
        self.default = default
        # Longest prefix first: /api/v1/feedback/import before /api/v1/feedback.
        self.limits = sorted(limits.items(), key=lambda limit: len(limit[0]), reverse=True)

    def limit_for(self, path: str) -> int:
        return next((limit for prefix, limit in self.limits if path.startswith(prefix)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit)
            return
        # Read the body here, up to the limit, and hand the app what was read.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                chunks = []
                break  # the client left: the app sees the disconnect
            size += len(message.get("body", b""))
            if size > limit:
                await _too_large(send, limit)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: the disconnect, when it comes

    return replayed


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps({"detail": f"the body is over this route's limit of {limit} bytes"}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    # Connection: close, so that the rest of a body nobody read is not taken for the next request.
    await send({"type": "http.response.start", "status": 413, "headers": [*headers, (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
