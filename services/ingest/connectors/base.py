"""The connector plugin interface: one class per source, the spec's adapter pattern.

A connector is pure: it verifies a webhook from its raw bytes, says which events carry feedback,
maps the vendor's records to the unified model, and describes its REST API's requests and pages.
The I/O (HTTP, the database) lives in webhooks.py and sync.py, the same for every vendor.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterable
from datetime import datetime, timedelta
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, HttpUrl, TypeAdapter, ValidationError

from libs.connectors.http import ApiRequest, ApiResponse, wait_from_headers
from libs.connectors.lookups import Lookups
from libs.connectors.paging import Cursor, Fetch, Page, PageContent, walk
from libs.connectors.records import JSON
from libs.connectors.settings import SourceSettings
from libs.schemas.feedback import MAX_TAG_LENGTH, MAX_TAGS, MAX_VOTES, Customer, FeedbackInput, Source
from services.ingest.connectors.requests import Feedback, WebhookEvent, WebhookRequest
from services.ingest.connectors.signatures import Refusal, RefusalKind, Scheme, outside_window, sha256_hex

TITLE_LENGTH = 120
_url = TypeAdapter(HttpUrl)


class PayloadError(ValueError):
    """A verified payload that cannot become feedback: answered 422 and recorded."""


class VendorModel(BaseModel):
    """A vendor's JSON as far as we read it: unknown fields are ignored, known ones are typed."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Connector(ABC):
    """One source: webhook verification, feedback mapping, and its REST API's paging."""

    name: ClassVar[Source]
    settings_type: ClassVar[type[SourceSettings]]
    scheme: ClassVar[Scheme | None]
    """How the vendor signs its webhooks; None: it sends none we can verify."""
    timestamped: ClassVar[bool] = False
    """Whether the vendor dates its deliveries, so a replay window applies."""
    delivery_header: ClassVar[str | None] = None
    versioned: ClassVar[bool] = False
    """Whether `updated_at` says when the vendor last changed a record (not when it was made): then a record older
    than the one the hub holds (a replayed or overtaken delivery) never rolls an item back."""
    reset_headers: ClassVar[tuple[str, ...]] = ()
    """Headers in which the vendor says when a rate limit resets, besides Retry-After."""

    def __init__(self, settings: SourceSettings | None = None) -> None:
        """A connector with its block of ingest's settings; without one, the block's defaults."""
        self.settings = settings if settings is not None else self.settings_type()

    # --- webhooks -------------------------------------------------------------------------------

    def verify(self, request: WebhookRequest, now: datetime) -> Refusal | None:
        """None when the delivery is the vendor's own and fresh; otherwise why it is refused."""
        secret = self.settings.webhook_secret
        if secret is None or self.scheme is None:
            return Refusal(
                RefusalKind.NOT_CONFIGURED,
                f"webhooks from {self.name} are refused: PRODOPS_{self.name.upper()}_WEBHOOK_SECRET is not set",
            )
        if problem := self.scheme.check(secret.get_secret_value(), self.signed_message(request), request):
            return Refusal(RefusalKind.SIGNATURE, problem)
        if self.timestamped:
            window = timedelta(seconds=self.settings.replay_window_seconds)
            if problem := outside_window(self.sent_at(request), now, window):
                return Refusal(RefusalKind.STALE, problem)
        return None

    def signed_message(self, request: WebhookRequest) -> bytes:
        """The bytes the vendor's signature covers."""
        return request.body

    def sent_at(self, request: WebhookRequest) -> datetime | None:
        """When the vendor says it sent the delivery (only for `timestamped` vendors)."""
        return None

    def read_webhook(self, request: WebhookRequest) -> WebhookEvent:
        """A verified delivery's event, delivery id and feedback; raises ValueError when it is unreadable."""
        payload = json.loads(request.body)
        records = self.feedback_records(request, payload)
        return WebhookEvent(
            name=self.event_name(request, payload),
            delivery_id=self.delivery_id(request, payload),
            feedback=[self.feedback_of(record) for record in records],
            edits=self._readable(self.edited_records(request, payload)),
        )

    def _readable(self, records: list[JSON]) -> list[Feedback]:
        """The edits that map; an edit that cannot be read changes nothing (the sync re-reads the record)."""
        readable = []
        for record in records:
            try:
                readable.append(self.feedback_of(record))
            except ValueError:
                continue
        return readable

    def delivery_id(self, request: WebhookRequest, payload: Any) -> str:
        """The vendor's id for this delivery, or a hash of the body when it gives none."""
        given = request.header(self.delivery_header) if self.delivery_header else None
        return given.strip()[:200] if given and given.strip() else f"sha256:{sha256_hex(request.body)}"

    @abstractmethod
    def event_name(self, request: WebhookRequest, payload: Any) -> str:
        """The vendor's name for what happened (for the delivery log)."""

    @abstractmethod
    def feedback_records(self, request: WebhookRequest, payload: Any) -> list[JSON]:
        """The vendor records in a delivery that are feedback; [] acknowledges and ignores it."""

    def edited_records(self, request: WebhookRequest, payload: Any) -> list[JSON]:
        """The whole records an update event carries: they change items the hub holds, never create one."""
        return []

    # --- the unified model ----------------------------------------------------------------------

    @abstractmethod
    def transform_to_standard(self, record: JSON) -> FeedbackInput:
        """A vendor record (from a webhook or the API) as unified feedback; raises ValueError when it can't be."""

    def feedback_of(self, record: JSON) -> Feedback:
        """A vendor record as the feedback it is, with its version when the vendor dates its changes."""
        return Feedback(record, self.transform_to_standard(record), self.updated_at(record) if self.versioned else None)

    def feedback(
        self,
        *,
        source_id: str | int,
        title: str | None,
        text: str,
        customer: Customer | None = None,
        created_at: datetime | None = None,
        url: str | None = None,
        votes: int = 1,
        tags: Iterable[str] = (),
    ) -> FeedbackInput:
        """The unified item, with a title taken from the text when the vendor has none, and limits applied."""
        return FeedbackInput(
            source=self.name,
            source_id=str(source_id),
            title=title_of(title, text),
            description=text[:50_000],
            customer=customer or Customer(),
            created_at=created_at,
            url=web_url(url),
            votes=min(max(votes, 0), MAX_VOTES),
            tags=list(dict.fromkeys(tag.strip()[:MAX_TAG_LENGTH].rstrip() for tag in tags if tag and tag.strip()))[
                :MAX_TAGS
            ],
        )

    # --- the REST API ---------------------------------------------------------------------------

    def authenticate(self) -> dict[str, str]:
        """The headers that authenticate us to the vendor's API (a bearer token unless the vendor differs)."""
        return {"Authorization": f"Bearer {self.settings.token()}"}

    @abstractmethod
    def page_request(self, cursor: Cursor) -> ApiRequest:
        """The request for the page the cursor points at (the first page when it has no position)."""

    @abstractmethod
    def read_page(self, cursor: Cursor, response: ApiResponse) -> PageContent:
        """The records of a page and the position of the next one."""

    def updated_at(self, record: JSON) -> datetime | None:
        """When a record last changed, for the next run's `since`."""
        return None

    def rate_limit_wait(self, response: ApiResponse, now: datetime) -> float | None:
        """Seconds to wait before retrying a rate-limited response; None when it is not rate-limited."""
        if response.status != 429:
            return None
        return wait_from_headers(response.headers, now, *self.reset_headers)

    async def complete(self, records: list[JSON], lookups: Lookups) -> list[JSON]:
        """A page's records with what the vendor keeps elsewhere (an author's email, a call's transcript).

        The second look-ups go through `lookups` (cached for the run); what they bring is added to the
        raw record, so the stored record keeps it and `transform_to_standard` stays pure.
        """
        return records

    def fetch_incremental(self, fetch: Fetch, cursor: Cursor) -> AsyncIterator[Page]:
        """Pages of records changed since the cursor, each with the cursor to resume after it."""
        return walk(self, fetch, cursor)

    def fetch_feedback(self, fetch: Fetch, cursor: Cursor) -> AsyncIterator[Page]:
        """Everything the vendor holds (the backfill): the same walk, from the beginning unless resuming."""
        return self.fetch_incremental(fetch, cursor)


def title_of(title: str | None, text: str) -> str:
    """The vendor's title, or the first line of the text; raises PayloadError when both are empty."""
    chosen = (title or "").strip() or next((line.strip() for line in text.splitlines() if line.strip()), "")
    if not chosen:
        raise PayloadError("the record has neither a title nor any text")
    return chosen if len(chosen) <= TITLE_LENGTH else chosen[: TITLE_LENGTH - 1].rstrip() + "…"


def web_url(value: str | None) -> str | None:
    """A link for people, or None when the vendor's value is not an http(s) URL."""
    if not value:
        return None
    try:
        return str(_url.validate_python(value))
    except ValidationError:
        return None
