"""A local HTTP server that speaks Mistral's API (chat completions, embeddings).

The real mistralai SDK talks to it over real HTTP, so timeouts, retries, status codes and
malformed bodies are exercised exactly as with the hosted API. What it answers is scripted by
the test: a queue of `Reply`s, then a default that answers every chat with `default_content`.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from libs.testing.http import serving


@dataclass(frozen=True)
class Reply:
    """One scripted answer: a chat content, an HTTP error, a body that is not JSON, or a delay."""

    content: str | None = None
    status: int = 200
    raw_body: str | None = None
    delay_seconds: float = 0.0
    retry_after: int | None = None


@dataclass
class MistralServer:
    default_content: Callable[[list[dict[str, str]]], str] = lambda messages: "{}"
    script: deque[Reply] = field(default_factory=deque)
    requests: list[dict[str, object]] = field(default_factory=list)
    url: str = ""  # set while running

    def then(self, *replies: Reply) -> MistralServer:
        """Answer the next requests with these, in order."""
        self.script.extend(replies)
        return self

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def chat(request: Request) -> Response:
            body = await request.json()
            self.requests.append({"path": "chat", "auth": request.headers.get("authorization"), **body})
            reply = self.script.popleft() if self.script else Reply(content=self.default_content(body["messages"]))
            if reply.delay_seconds:
                await asyncio.sleep(reply.delay_seconds)
            if reply.raw_body is not None:
                return PlainTextResponse(reply.raw_body, status_code=reply.status, media_type="application/json")
            if reply.status != 200:
                headers = {"Retry-After": str(reply.retry_after)} if reply.retry_after is not None else {}
                return JSONResponse({"object": "error", "message": "scripted failure"}, reply.status, headers)
            content = reply.content or ""
            prompt_tokens = sum(len(message.get("content", "").split()) for message in body["messages"])
            return JSONResponse(
                {
                    "id": f"cmpl-{len(self.requests)}",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body["model"],
                    "choices": [
                        {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
                    ],
                    "usage": {
                        "prompt_tokens": prompt_tokens,
                        "completion_tokens": len(content.split()),
                        "total_tokens": prompt_tokens + len(content.split()),
                    },
                }
            )

        @app.post("/v1/embeddings")
        async def embeddings(request: Request) -> JSONResponse:
            body = await request.json()
            self.requests.append({"path": "embeddings", **body})
            texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
            return JSONResponse(
                {
                    "id": f"emb-{len(self.requests)}",
                    "object": "list",
                    "model": body["model"],
                    "data": [
                        {"object": "embedding", "index": index, "embedding": _pseudo_embedding(text)}
                        for index, text in enumerate(texts)
                    ],
                    "usage": {"prompt_tokens": sum(len(t.split()) for t in texts), "total_tokens": 0},
                }
            )

        return app


def _pseudo_embedding(text: str, dimension: int = 16) -> list[float]:
    """Deterministic per text, so equal texts embed equally; not a language model."""
    digest = hashlib.sha256(text.encode()).digest()
    return [(byte - 128) / 128 for byte in digest[:dimension]]


@contextmanager
def running_mistral(server: MistralServer) -> Iterator[MistralServer]:
    """Serve `server` on a free local port in a background thread."""
    with serving(server.app()) as url:
        server.url = url
        yield server
