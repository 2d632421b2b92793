"""Intercom: X-Hub-Signature (sha1) webhooks, and conversations through the search API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from libs.connectors.http import ApiRequest, ApiResponse
from libs.connectors.lookups import Lookups
from libs.connectors.paging import Cursor, PageContent
from libs.connectors.records import JSON, Stamp, dig, filled, objects, text_at, when
from libs.connectors.settings import IntercomSettings
from libs.schemas.feedback import Customer, FeedbackInput, Source
from services.ingest.connectors.base import Connector, VendorModel
from services.ingest.connectors.requests import WebhookRequest
from services.ingest.connectors.signatures import HmacSignature
from services.ingest.connectors.text import html_to_text

# A customer opening a conversation is feedback; replies, notes and tags are the conversation going on.
FEEDBACK_TOPICS = {"conversation.user.created"}


class Person(VendorModel):
    type: str | None = None
    id: str | int | None = None
    name: str | None = None
    email: str | None = None


class Message(VendorModel):
    subject: str | None = None
    body: str | None = None
    author: Person | None = None


class Tag(VendorModel):
    name: str


class Tags(VendorModel):
    tags: list[Tag] = []


class Conversation(VendorModel):
    """A conversation as the v2 API returns it (`source`) or as v1 webhooks sent it (`conversation_message`)."""

    id: str | int
    title: str | None = None
    created_at: Stamp = None
    updated_at: Stamp = None
    source: Message | None = None
    conversation_message: Message | None = None
    user: Person | None = None
    tags: Tags | None = None
    links: dict[str, Any] = {}


class Notification(VendorModel):
    topic: str
    id: str | None = None
    data: dict[str, Any]


class Intercom(Connector):
    name = Source.INTERCOM
    settings_type = IntercomSettings
    scheme = HmacSignature("x-hub-signature", "sha1", "hex", prefix="sha1=")
    reset_headers = ("x-ratelimit-reset",)
    settings: IntercomSettings

    def event_name(self, request: WebhookRequest, payload: Any) -> str:
        return text_at(payload, "topic") or "unknown"

    def delivery_id(self, request: WebhookRequest, payload: Any) -> str:
        notification = text_at(payload, "id")
        return f"notification:{notification}" if notification else super().delivery_id(request, payload)

    def feedback_records(self, request: WebhookRequest, payload: Any) -> list[JSON]:
        notification = Notification.model_validate(payload)
        if notification.topic not in FEEDBACK_TOPICS:
            return []
        item = notification.data.get("item")
        if not isinstance(item, dict):
            raise ValueError("data.item: a conversation notification carries its conversation")
        return [item]

    def transform_to_standard(self, record: JSON) -> FeedbackInput:
        conversation = Conversation.model_validate(record)
        message = conversation.source or conversation.conversation_message or Message()
        # An admin-initiated conversation names the admin as author; the customer is then unknown here.
        author = message.author if message.author and message.author.type != "admin" else conversation.user
        web = conversation.links.get("conversation_web")
        return self.feedback(
            source_id=conversation.id,
            title=conversation.title or html_to_text(message.subject or ""),
            text=html_to_text(message.body or ""),
            customer=Customer(email=author.email, name=author.name) if author else None,
            created_at=when(conversation.created_at),
            url=web if isinstance(web, str) else None,
            tags=[tag.name for tag in conversation.tags.tags] if conversation.tags else [],
        )

    def authenticate(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.settings.token()}", "Intercom-Version": self.settings.api_version}

    def page_request(self, cursor: Cursor) -> ApiRequest:
        since = int(cursor.since.timestamp()) if cursor.since else 0
        pagination: JSON = {"per_page": min(self.settings.page_size, 150)}
        if cursor.page:
            pagination["starting_after"] = cursor.page
        return ApiRequest(
            method="POST",
            url="/conversations/search",
            body={
                "query": {"field": "updated_at", "operator": ">", "value": since},
                "pagination": pagination,
            },
        )

    def read_page(self, cursor: Cursor, response: ApiResponse) -> PageContent:
        records = objects(dig(response.body, "conversations"))
        token = text_at(response.body, "pages", "next", "starting_after")
        return PageContent(records, token if records else None)

    def updated_at(self, record: JSON) -> datetime | None:
        return when(record.get("updated_at"))

    async def complete(self, records: list[JSON], lookups: Lookups) -> list[JSON]:
        """The customer's email and name from GET /contacts/{id} when the conversation names them by id only."""
        completed = []
        for record in records:
            author = dig(record, "source", "author")
            from_customer = isinstance(author, dict) and author.get("type") != "admin"
            person = author if from_customer else record.get("user")
            contact_ids = [contact.get("id") for contact in objects(dig(record, "contacts", "contacts"))]
            contact_id = (dig(person, "id") if isinstance(person, dict) else None) or next(iter(contact_ids), None)
            if dig(person, "email") or not contact_id:
                completed.append(record)
                continue
            contact = await lookups.get(ApiRequest(url=f"/contacts/{contact_id}"))
            if not isinstance(contact, dict):
                completed.append(record)
                continue
            found = {"id": contact_id, "type": contact.get("role")} | {
                "name": contact.get("name"),
                "email": contact.get("email"),
            }
            if from_customer:
                source = {**record["source"], "author": filled(author, found)}
                completed.append({**record, "source": source})
            else:
                completed.append({**record, "user": filled(person if isinstance(person, dict) else {}, found)})
        return completed
