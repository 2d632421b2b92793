"""A small HTTP server that answers as Intercom's and Slack's APIs do, as far as notify uses them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from libs.testing.http import serving


@dataclass
class Vendors:
    """What the fake Intercom (under /intercom) and Slack (under /slack) received, and how they answer."""

    url: str = ""
    requests: list[tuple[str, dict[str, Any], dict[str, str]]] = field(default_factory=list)
    intercom_contacts: dict[str, str] = field(default_factory=dict)  # email -> contact id
    slack_errors: dict[str, str] = field(default_factory=dict)  # channel -> Slack's error code
    unavailable: dict[str, int] = field(default_factory=dict)  # path -> how many 503s before answering

    def received(self, path: str) -> list[dict[str, Any]]:
        return [body for got, body, _ in self.requests if got == path]


def _app(vendors: Vendors) -> FastAPI:
    app = FastAPI()

    @app.post("/{path:path}")
    async def answer(path: str, request: Request) -> JSONResponse:
        body = await request.json()
        vendors.requests.append((f"/{path}", body, dict(request.headers)))
        if vendors.unavailable.get(f"/{path}", 0) > 0:
            vendors.unavailable[f"/{path}"] -= 1
            return JSONResponse({"error": "try later"}, status_code=503)
        if path == "intercom/contacts/search":
            wanted = body["query"]["value"]
            contact = vendors.intercom_contacts.get(wanted)
            data = [{"type": "contact", "id": contact, "role": "user", "email": wanted}] if contact else []
            return JSONResponse({"type": "list", "data": data, "total_count": len(data)})
        if path == "intercom/messages":
            return JSONResponse({"type": "admin_message", "id": "2001", "message_type": "email"})
        if path == "slack/chat.postMessage":
            if error := vendors.slack_errors.get(body["channel"]):
                return JSONResponse({"ok": False, "error": error})
            return JSONResponse({"ok": True, "channel": body["channel"], "ts": "1700000000.000100"})
        return JSONResponse({"error": "not found"}, status_code=404)

    return app


@contextmanager
def vendor_server() -> Iterator[Vendors]:
    """The fake Intercom and Slack on a free local port."""
    vendors = Vendors()
    with serving(_app(vendors)) as url:
        vendors.url = url
        yield vendors
