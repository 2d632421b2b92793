"""The headers that tell a browser what a service's pages may do, on every answer (a 404 and a 413 too).

The pages the hub serves are the gateway's web UI (one module script and one stylesheet from /static,
fetch and EventSource to the same origin) and FastAPI's API documents. The policy allows exactly what
the web UI does; its one allowance is `style` attributes (the calendar and checklist bars set their
geometry inline), which run no script. No page of the hub may be framed by another site.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
# FastAPI's /docs and /redoc: its inline start-up script and the pinned bundles it loads from jsDelivr. They
# show only the OpenAPI document, nothing a request or the database put there.
DOCUMENTS_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'unsafe-inline' https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/ https://cdn.jsdelivr.net/npm/redoc@2/",
        "style-src 'unsafe-inline' https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/ https://fonts.googleapis.com",
        "font-src https://fonts.gstatic.com",
        "img-src 'self' data: https://fastapi.tiangolo.com",
        "connect-src 'self'",
        "worker-src blob:",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "X-Content-Type-Options": "nosniff",
    # The sign-in's callback URL carries the provider's code: no page of the hub tells another site where it was.
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
# Outside dev and test: browsers keep to https for a year once they saw it over https (over http it is ignored).
STRICT_TRANSPORT = "max-age=31536000"


class SecurityHeaders:
    """ASGI middleware: the headers above on every HTTP response, unless the route set its own."""

    def __init__(self, app: ASGIApp, *, documents: Iterable[str], strict_transport: bool) -> None:
        self.app = app
        self.documents = frozenset(documents)
        self.strict_transport = strict_transport

    def headers_for(self, path: str) -> Mapping[str, str]:
        policy = DOCUMENTS_POLICY if path in self.documents else PAGE_POLICY
        headers = {"Content-Security-Policy": policy, **HEADERS}
        if self.strict_transport:
            headers["Strict-Transport-Security"] = STRICT_TRANSPORT
        return headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = [(name.lower().encode(), value.encode()) for name, value in self.headers_for(scope["path"]).items()]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *((name, value) for name, value in extra if name not in present),
                ]
            await send(message)

        await self.app(scope, receive, with_headers)
