"""What connectors read and return: a webhook request as it arrived, API requests and pages, cursors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from libs.schemas.feedback import FeedbackInput

JSON = dict[str, Any]


@dataclass(frozen=True)
class WebhookRequest:
    """A webhook delivery exactly as it arrived: the raw body is verified before anything parses it."""

    method: str
    url: str
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class Feedback:
    """One vendor record that is feedback, kept raw beside what it became."""

    record: JSON
    item: FeedbackInput


@dataclass(frozen=True)
class WebhookEvent:
    """What a verified delivery says: its event name, its delivery id, and the feedback it carries."""

    name: str
    delivery_id: str
    feedback: list[Feedback]


class Cursor(BaseModel):
    """Where a sync stands for one source; saved with every page, so a crashed run resumes."""

    model_config = ConfigDict(extra="ignore")

    since: AwareDatetime | None = None
    """Items changed at or after this time are still to fetch (None: from the beginning)."""
    page: str | None = None
    """The vendor's own position: a next-page URL, token or offset."""
    high_water: AwareDatetime | None = None
    """The latest change seen so far in this run; the next run's `since`."""


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


@dataclass(frozen=True)
class PageContent:
    """The records of one page, the token of the next, and where a later run may start when this is the last."""

    records: list[JSON]
    next_page: str | None
    resume_from: str | None = None


@dataclass(frozen=True)
class Page:
    records: list[JSON]
    cursor: Cursor
