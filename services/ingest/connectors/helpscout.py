"""Help Scout: base64 HMAC-SHA1 webhooks, and conversations modified since the cursor."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from libs.connectors.http import ApiRequest, ApiResponse
from libs.connectors.lookups import Lookups
from libs.connectors.paging import Cursor, PageContent
from libs.connectors.records import JSON, Stamp, dig, filled, objects, text_at, when
from libs.connectors.settings import HelpScoutSettings
from libs.schemas.feedback import Customer, FeedbackInput, Source
from services.ingest.connectors.base import Connector, VendorModel
from services.ingest.connectors.requests import WebhookRequest
from services.ingest.connectors.signatures import HmacSignature
from services.ingest.connectors.text import html_to_text

# A new conversation is feedback; replies, notes, tags, status changes and the test ping are not.
FEEDBACK_EVENTS = {"convo.created"}
# These carry the whole conversation: they change one the hub holds (its tags), and create none.
EDIT_EVENTS = {"convo.tags", "convo.custom-fields"}


class Person(VendorModel):
    id: int | None = None
    type: str | None = None
    email: str | None = None
    first: str | None = None
    last: str | None = None
    organization: str | None = None


class Thread(VendorModel):
    type: str | None = None
    body: str | None = None
    createdAt: Stamp = None


class Tag(VendorModel):
    tag: str


class Conversation(VendorModel):
    id: int
    number: int | None = None
    subject: str | None = None
    preview: str | None = None
    createdBy: Person | None = None
    primaryCustomer: Person | None = None
    createdAt: Stamp = None
    tags: list[Tag] = []
    embedded: dict[str, Any] = Field(default_factory=dict, alias="_embedded")


class HelpScout(Connector):
    name = Source.HELPSCOUT
    settings_type = HelpScoutSettings
    scheme = HmacSignature("x-helpscout-signature", "sha1", "base64")
    reset_headers = ("x-ratelimit-retry-after",)

    def event_name(self, request: WebhookRequest, payload: Any) -> str:
        return request.header("x-helpscout-event") or "unknown"

    def feedback_records(self, request: WebhookRequest, payload: Any) -> list[JSON]:
        if request.header("x-helpscout-event") not in FEEDBACK_EVENTS:
            return []
        if not isinstance(payload, dict):
            raise ValueError("a convo.created body is the conversation object")
        return [payload]

    def edited_records(self, request: WebhookRequest, payload: Any) -> list[JSON]:
        held = request.header("x-helpscout-event") in EDIT_EVENTS and isinstance(payload, dict)
        return [payload] if held else []

    def transform_to_standard(self, record: JSON) -> FeedbackInput:
        conversation = Conversation.model_validate(record)
        first = _first_customer_thread(conversation.embedded.get("threads"))
        text = html_to_text(first.body or "") if first else ""
        author = (
            conversation.createdBy if conversation.createdBy and conversation.createdBy.type == "customer" else None
        )
        person = author or conversation.primaryCustomer
        name = " ".join(part for part in (person.first, person.last) if part) if person else ""
        url = f"https://secure.helpscout.net/conversation/{conversation.id}/{conversation.number or ''}".rstrip("/")
        return self.feedback(
            source_id=conversation.id,
            title=conversation.subject,
            text=text or (conversation.preview or "").strip(),
            customer=Customer(email=person.email, name=name or None, company=person.organization) if person else None,
            created_at=when(conversation.createdAt),
            url=f"{url}/",
            tags=[tag.tag for tag in conversation.tags],
        )

    def page_request(self, cursor: Cursor) -> ApiRequest:
        if cursor.page:
            return ApiRequest(url=cursor.page)
        params: dict[str, str | int] = {"status": "all", "embed": "threads"}
        if cursor.since:
            params["modifiedSince"] = cursor.since.strftime("%Y-%m-%dT%H:%M:%SZ")
        return ApiRequest(url="/v2/conversations", params=params)

    def read_page(self, cursor: Cursor, response: ApiResponse) -> PageContent:
        records = objects(dig(response.body, "_embedded", "conversations"))
        href = text_at(response.body, "_links", "next", "href")
        return PageContent(records, href if records else None)

    def updated_at(self, record: JSON) -> datetime | None:
        return when(record.get("userUpdatedAt") or record.get("createdAt"))

    async def complete(self, records: list[JSON], lookups: Lookups) -> list[JSON]:
        """The customer's email from Help Scout's customer record when the conversation gives only their id."""
        return [await _with_customer(record, lookups) for record in records]


def _first_customer_thread(threads: Any) -> Thread | None:
    """The customer's opening message (the oldest customer thread), when the body embeds threads."""
    if not isinstance(threads, list):
        return None
    parsed = [Thread.model_validate(thread) for thread in threads if isinstance(thread, dict)]
    customer = [thread for thread in parsed if thread.type == "customer"] or parsed
    return min(customer, key=lambda thread: thread.createdAt or "") if customer else None


async def _with_customer(record: JSON, lookups: Lookups) -> JSON:
    """The conversation with its customer's email, name and organization from GET /v2/customers/{id}."""
    created_by = record.get("createdBy")
    role = "createdBy" if isinstance(created_by, dict) and created_by.get("type") == "customer" else "primaryCustomer"
    person = record.get(role)
    if not isinstance(person, dict) or person.get("email") or not person.get("id"):
        return record
    customer = await lookups.get(ApiRequest(url=f"/v2/customers/{person['id']}"))
    if not isinstance(customer, dict):
        return record
    emails = [text_at(email, "value") for email in objects(dig(customer, "_embedded", "emails"))]
    organization = customer.get("organization")
    found = {
        "email": next((email for email in emails if email), None),
        "first": customer.get("firstName"),
        "last": customer.get("lastName"),
        "organization": organization if isinstance(organization, str) else None,
    }
    return {**record, role: filled(person, found)}
