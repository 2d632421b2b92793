"""Canny: webhooks signed over a nonce (the body is not signed), and posts listed page by page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from libs.connectors.http import ApiRequest, ApiResponse
from libs.connectors.paging import Cursor, PageContent
from libs.connectors.records import JSON, Stamp, dig, moment, objects, text_at, when
from libs.connectors.settings import CannySettings
from libs.schemas.feedback import Customer, FeedbackInput, Source
from services.ingest.connectors.base import Connector, VendorModel
from services.ingest.connectors.requests import WebhookRequest
from services.ingest.connectors.signatures import HmacSignature

# A new post is feedback; votes, comments and status changes are activity on it.
FEEDBACK_EVENTS = {"post.created"}
# A status change carries the whole post (its score too): it changes a post the hub holds.
EDIT_EVENTS = {"post.status_changed"}


class Author(VendorModel):
    name: str | None = None
    email: str | None = None


class Named(VendorModel):
    name: str


class Post(VendorModel):
    id: str
    title: str | None = None
    details: str | None = None
    author: Author | None = None
    created: Stamp = None
    url: str | None = None
    score: int = Field(default=1, ge=0)
    tags: list[Named] = []
    category: Named | None = None


class Event(VendorModel):
    type: str
    object: Any = None


class Canny(Connector):
    name = Source.CANNY
    settings_type = CannySettings
    scheme = HmacSignature("canny-signature", "sha256", "base64")
    timestamped = True
    # Canny signs only the nonce, so a nonce seen twice is a replay: the nonce is the delivery id.
    delivery_header = "canny-nonce"
    settings: CannySettings

    def signed_message(self, request: WebhookRequest) -> bytes:
        return (request.header("canny-nonce") or "").encode()

    def sent_at(self, request: WebhookRequest) -> datetime | None:
        return moment(request.header("canny-timestamp"))

    def event_name(self, request: WebhookRequest, payload: Any) -> str:
        return text_at(payload, "type") or "unknown"

    def feedback_records(self, request: WebhookRequest, payload: Any) -> list[JSON]:
        event = Event.model_validate(payload)
        if event.type not in FEEDBACK_EVENTS:
            return []
        if not isinstance(event.object, dict):
            raise ValueError("object: a post event carries the post")
        return [event.object]

    def edited_records(self, request: WebhookRequest, payload: Any) -> list[JSON]:
        post = dig(payload, "object")
        return [post] if text_at(payload, "type") in EDIT_EVENTS and isinstance(post, dict) else []

    def transform_to_standard(self, record: JSON) -> FeedbackInput:
        post = Post.model_validate(record)
        author = post.author or Author()
        return self.feedback(
            source_id=post.id,
            title=post.title,
            text=(post.details or "").strip(),
            customer=Customer(email=author.email, name=author.name),
            created_at=when(post.created),
            url=post.url,
            votes=max(post.score, 1),
            tags=[tag.name for tag in post.tags] + ([post.category.name] if post.category else []),
        )

    def authenticate(self) -> dict[str, str]:
        return {}  # Canny takes the API key in the body of every call

    def page_request(self, cursor: Cursor) -> ApiRequest:
        body: JSON = {
            "apiKey": self.settings.token(),
            "limit": self.settings.page_size,
            "skip": int(cursor.page or 0),
            "sort": "newest",
        }
        if self.settings.board_id:
            body["boardID"] = self.settings.board_id
        return ApiRequest(method="POST", url="/api/v1/posts/list", body=body)

    def read_page(self, cursor: Cursor, response: ApiResponse) -> PageContent:
        records = objects(dig(response.body, "posts"))
        # Newest first, with no updated-since filter: an incremental run stops at the first post it has seen.
        reached_known = cursor.since is not None and any(
            (created := when(post.get("created"))) is not None and created < cursor.since for post in records
        )
        more = dig(response.body, "hasMore") is True and bool(records) and not reached_known
        return PageContent(records, str(int(cursor.page or 0) + len(records)) if more else None)

    def updated_at(self, record: JSON) -> datetime | None:
        return when(record.get("created"))
