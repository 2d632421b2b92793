"""How vendors sign their webhooks: HMAC schemes, URL keys and replay windows. Pure, no I/O."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal, Protocol

from services.ingest.connectors.requests import WebhookRequest


class RefusalKind(StrEnum):
    """Why a delivery is refused, as a closed set (a metrics label): the detail is the refusal's reason."""

    NOT_CONFIGURED = "not_configured"
    SIGNATURE = "signature"
    STALE = "stale"


@dataclass(frozen=True)
class Refusal:
    """A delivery that is not the vendor's own, or not fresh: its kind, and what is wrong in words."""

    kind: RefusalKind
    reason: str


class Scheme(Protocol):
    """One way a vendor proves a request is theirs."""

    def check(self, secret: str, message: bytes, request: WebhookRequest) -> str | None:
        """None when the request carries proof of the secret; otherwise what is wrong."""
        ...


def _same(expected: str, given: str) -> bool:
    # Constant time, so the comparison leaks nothing about how much of a forgery was right.
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


@dataclass(frozen=True)
class HmacSignature:
    """An HMAC of the signed message, in a header, hex or base64, with an optional prefix such as 'sha256='."""

    header: str
    algorithm: Literal["sha1", "sha256"]
    encoding: Literal["hex", "base64"]
    prefix: str = ""

    def expected(self, secret: str, message: bytes) -> str:
        digest = hmac.new(secret.encode(), message, self.algorithm).digest()
        return digest.hex() if self.encoding == "hex" else base64.b64encode(digest).decode()

    def check(self, secret: str, message: bytes, request: WebhookRequest) -> str | None:
        given = (request.header(self.header) or "").strip()
        if not given:
            return f"missing {self.header} header"
        if not given.startswith(self.prefix):
            return f"{self.header} must start with {self.prefix!r}"
        value = given.removeprefix(self.prefix)
        expected = self.expected(secret, message)
        if self.encoding == "hex":
            value, expected = value.lower(), expected.lower()
        if not _same(expected, value):
            return f"{self.header} does not match the body"
        return None


@dataclass(frozen=True)
class UrlKey:
    """The vendor calls a URL that embeds the secret (`?key=...`): for vendors that sign nothing."""

    parameter: str = "key"

    def check(self, secret: str, message: bytes, request: WebhookRequest) -> str | None:
        given = request.query.get(self.parameter)
        if not given:
            return f"missing the {self.parameter!r} URL parameter"
        if not _same(secret, given):
            return f"the {self.parameter!r} URL parameter is wrong"
        return None


def sha256_hex(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def outside_window(sent_at: datetime | None, now: datetime, window: timedelta) -> str | None:
    """None when the request was sent within `window` of now (either side, for clock skew)."""
    if sent_at is None:
        return "missing or unreadable timestamp"
    if abs(now - sent_at) > window:
        return f"timestamp {sent_at.isoformat()} is outside the {window.total_seconds():.0f} s replay window"
    return None
