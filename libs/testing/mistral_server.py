"""A local HTTP server that speaks Mistral's API (chat completions, embeddings).

The real mistralai SDK talks to it over real HTTP, so timeouts, retries, status codes and
malformed bodies are exercised exactly as with the hosted API. What it answers is scripted by
the test: a queue of `Reply`s (chat and embeddings alike), then a default that answers every chat
with `default_content` and every embeddings request with test-only vectors derived from each text's
hash (equal texts embed equally; similar texts do not score as similar: no language model here).
"""

from __future__ import annotations

import asyncio
import hashlib
import math
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
    # Of the vectors /v1/embeddings answers (mistral-embed's); a test may ask for a wrong one.
    dimension: int = 1024
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
            if (failure := await _failure(reply)) is not None:
                return failure
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
        async def embeddings(request: Request) -> Response:
            body = await request.json()
            self.requests.append({"path": "embeddings", "auth": request.headers.get("authorization"), **body})
            if self.script and (failure := await _failure(self.script.popleft())) is not None:
                return failure
            texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
            return JSONResponse(
                {
                    "id": f"emb-{len(self.requests)}",
                    "object": "list",
                    "model": body["model"],
                    "data": [
                        {"object": "embedding", "index": index, "embedding": hashed_embedding(text, self.dimension)}
                        for index, text in enumerate(texts)
                    ],
                    "usage": {"prompt_tokens": sum(len(t.split()) for t in texts), "total_tokens": 0},
                }
            )

        return app


async def _failure(reply: Reply) -> Response | None:
    """The scripted delay, then the scripted error or malformed body; None when the reply is a success."""
    if reply.delay_seconds:
        await asyncio.sleep(reply.delay_seconds)
    if reply.raw_body is not None:
        return PlainTextResponse(reply.raw_body, status_code=reply.status, media_type="application/json")
    if reply.status != 200:
        headers = {"Retry-After": str(reply.retry_after)} if reply.retry_after is not None else {}
        return JSONResponse({"object": "error", "message": "scripted failure"}, reply.status, headers)
    return None


def hashed_embedding(text: str, dimension: int) -> list[float]:
    """Test-only: a unit vector derived from the text's hash, equal for equal texts; no meaning in it."""
    digest = hashlib.shake_256(text.encode()).digest(dimension)
    vector = [(byte - 127.5) / 127.5 for byte in digest]
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector]


@contextmanager
def running_mistral(server: MistralServer) -> Iterator[MistralServer]:
    """Serve `server` on a free local port in a background thread."""
    with serving(server.app()) as url:
        server.url = url
        yield server
