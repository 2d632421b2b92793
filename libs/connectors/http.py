"""httpx against one vendor's REST API: authenticated, rate limits waited out, server errors retried with backoff."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Literal, Self
from urllib.parse import urlsplit

import httpx
import stamina
import structlog
from pydantic import BaseModel

from libs.connectors.records import moment
from libs.schemas.events import utcnow

log = structlog.get_logger()


class ApiRequest(BaseModel):
    """One call to a vendor's REST API; `url` is absolute or relative to the API's base URL."""

    method: Literal["GET", "POST"] = "GET"
    url: str
    params: dict[str, str | int] = {}
    body: Any = None


@dataclass(frozen=True)
class ApiResponse:
    url: str
    status: int
    headers: Mapping[str, str]
    body: Any


RateLimitPolicy = Callable[[ApiResponse, datetime], float | None]
"""Seconds to wait before retrying a rate-limited response; None when the response is not rate-limited."""


class RateLimited(Exception):
    def __init__(self, wait: float) -> None:
        super().__init__(f"rate limited; retry in {wait:.1f} s")
        self.wait = wait


class VendorError(Exception):
    """The vendor answered with an error that is not a rate limit."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status


def wait_from_headers(headers: Any, now: datetime, *names: str, default: float = 60.0) -> float:
    """The wait a rate-limited response asks for: Retry-After, or a reset time in one of `names`, else `default`."""
    for name in ("retry-after", "x-ratelimit-retry-after"):
        value = headers.get(name)
        if value is not None:
            try:
                return max(float(value), 0.0)
            except ValueError:
                pass
    for name in names:
        reset = moment(headers.get(name))
        if reset is not None:
            return max((reset - now).total_seconds(), 0.0)
    return default


def on_429(response: ApiResponse, now: datetime) -> float | None:
    """The common policy: 429 is a rate limit, and Retry-After (or a minute) says how long."""
    return wait_from_headers(response.headers, now) if response.status == 429 else None


class VendorApi:
    """An httpx client for one vendor; call it with an ApiRequest, get the ApiResponse of a success."""

    def __init__(
        self,
        vendor: str,
        base_url: str,
        headers: Mapping[str, str],
        *,
        rate_limit_wait: RateLimitPolicy = on_429,
        max_rate_limit_wait: float = 900.0,
        attempts: int = 6,
        timeout: float = 30.0,
    ) -> None:
        self.vendor = vendor
        self.rate_limit_wait = rate_limit_wait
        self.max_rate_limit_wait = max_rate_limit_wait
        self.attempts = attempts
        base = base_url.rstrip("/")
        self.host = urlsplit(base).netloc
        self.client = httpx.AsyncClient(base_url=base, headers=dict(headers), timeout=timeout)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        await self.client.aclose()

    async def __call__(self, request: ApiRequest) -> ApiResponse:
        retrying = stamina.retry(on=self._backoff, attempts=self.attempts, timeout=None)(self._send)
        return await retrying(request)

    def _backoff(self, error: BaseException) -> bool | float:
        """How long to wait before trying again (True: the exponential backoff; False: give up)."""
        if isinstance(error, RateLimited):
            # A reset further away than this ends the run; the next one resumes from its cursor.
            return error.wait if error.wait <= self.max_rate_limit_wait else False
        if isinstance(error, VendorError):
            return error.status >= 500
        return isinstance(error, httpx.TransportError)

    async def _send(self, request: ApiRequest) -> ApiResponse:
        target = urlsplit(request.url)
        # Next-page links come from the vendor's answers: never send our token to another host.
        if target.netloc and target.netloc != self.host:
            raise VendorError(0, f"refusing to follow a link to {target.netloc}")
        response = await self.client.request(
            request.method, request.url, params=request.params or None, json=request.body
        )
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = None
        answer = ApiResponse(url=str(response.url), status=response.status_code, headers=response.headers, body=body)
        wait = self.rate_limit_wait(answer, utcnow())
        if wait is not None:
            log.info("rate limited", vendor=self.vendor, wait_seconds=round(wait, 1))
            raise RateLimited(wait)
        if response.status_code >= 400:
            raise VendorError(response.status_code, response.text[:300])
        return answer
