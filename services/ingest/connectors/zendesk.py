"""Zendesk: timestamp+body signed webhooks, and tickets through the cursor-based incremental export."""

from __future__ import annotations

import base64
import re
from datetime import datetime
from typing import Any

from libs.connectors.http import ApiRequest, ApiResponse
from libs.connectors.paging import Cursor, PageContent
from libs.connectors.records import JSON, Stamp, dig, moment, objects, text_at, when
from libs.connectors.settings import ZendeskSettings
from libs.schemas.feedback import Customer, FeedbackInput, Source
from services.ingest.connectors.base import Connector, VendorModel
from services.ingest.connectors.requests import WebhookRequest
from services.ingest.connectors.signatures import HmacSignature
from services.ingest.connectors.text import html_to_text

# A new ticket is feedback: from an event subscription, or from a trigger whose body is {"ticket": {...}}.
TICKET_CREATED = "zen:event-type:ticket.created"
SIDELOADS = "users,organizations"
_API_TICKET = re.compile(r"^(https://[^/]+)/api/v2/tickets/(\d+)(?:\.json)?$")


class Person(VendorModel):
    name: str | None = None
    email: str | None = None


class Organization(VendorModel):
    name: str | None = None


class Ticket(VendorModel):
    """A ticket from the REST API, an event's `detail`, or a trigger body (which may add requester and organization)."""

    id: int | str
    subject: str | None = None
    description: str | None = None
    url: str | None = None
    created_at: Stamp = None
    updated_at: Stamp = None
    tags: list[str] = []
    requester: Person | None = None
    organization: Organization | None = None


class Zendesk(Connector):
    name = Source.ZENDESK
    settings_type = ZendeskSettings
    scheme = HmacSignature("x-zendesk-webhook-signature", "sha256", "base64")
    timestamped = True
    delivery_header = "x-zendesk-webhook-invocation-id"
    settings: ZendeskSettings

    def signed_message(self, request: WebhookRequest) -> bytes:
        return (request.header("x-zendesk-webhook-signature-timestamp") or "").encode() + request.body

    def sent_at(self, request: WebhookRequest) -> datetime | None:
        return moment(request.header("x-zendesk-webhook-signature-timestamp"))

    def event_name(self, request: WebhookRequest, payload: Any) -> str:
        return text_at(payload, "type") or ("trigger" if isinstance(dig(payload, "ticket"), dict) else "unknown")

    def delivery_id(self, request: WebhookRequest, payload: Any) -> str:
        event_id = text_at(payload, "id") if text_at(payload, "type") else None
        return f"event:{event_id}" if event_id else super().delivery_id(request, payload)

    def feedback_records(self, request: WebhookRequest, payload: Any) -> list[JSON]:
        if not isinstance(payload, dict):
            raise ValueError("a Zendesk webhook body is a JSON object")
        if payload.get("type") == TICKET_CREATED:
            detail = payload.get("detail")
            if not isinstance(detail, dict):
                raise ValueError("detail: a ticket event carries the ticket")
            return [detail]
        ticket = payload.get("ticket")
        if "type" not in payload and isinstance(ticket, dict):
            return [ticket]
        return []

    def transform_to_standard(self, record: JSON) -> FeedbackInput:
        ticket = Ticket.model_validate(record)
        requester = ticket.requester or Person()
        company = ticket.organization.name if ticket.organization else None
        return self.feedback(
            source_id=ticket.id,
            title=ticket.subject,
            # Zendesk sends plain text, but a trigger's placeholders may render HTML.
            text=html_to_text(ticket.description or ""),
            customer=Customer(email=requester.email, name=requester.name, company=company),
            created_at=when(ticket.created_at),
            url=self._agent_url(ticket),
            tags=ticket.tags,
        )

    def _agent_url(self, ticket: Ticket) -> str | None:
        """The agent's page for a ticket; the API's `url` is for machines."""
        api = _API_TICKET.match(ticket.url or "")
        if api:
            return f"{api.group(1)}/agent/tickets/{api.group(2)}"
        if self.settings.api_url:
            return f"{self.settings.api_url.rstrip('/')}/agent/tickets/{ticket.id}"
        return ticket.url

    def authenticate(self) -> dict[str, str]:
        if self.settings.email:
            pair = f"{self.settings.email}/token:{self.settings.token()}".encode()
            return {"Authorization": f"Basic {base64.b64encode(pair).decode()}"}
        return super().authenticate()

    def page_request(self, cursor: Cursor) -> ApiRequest:
        # Tickets name their requester and organization by id: side-loading brings both in the same answer.
        params: dict[str, str | int] = {"per_page": min(self.settings.page_size, 1000), "include": SIDELOADS}
        if cursor.page:
            params["cursor"] = cursor.page
        else:
            params["start_time"] = int(cursor.since.timestamp()) if cursor.since else 0
        return ApiRequest(url="/api/v2/incremental/tickets/cursor.json", params=params)

    def read_page(self, cursor: Cursor, response: ApiResponse) -> PageContent:
        records = with_people(
            objects(dig(response.body, "tickets")),
            objects(dig(response.body, "users")),
            objects(dig(response.body, "organizations")),
        )
        after = text_at(response.body, "after_cursor")
        if dig(response.body, "end_of_stream") is not False:
            # The export's cursor stays good: the next run continues from it rather than from a time.
            return PageContent(records, None, resume_from=after or cursor.page)
        return PageContent(records, after)

    def updated_at(self, record: JSON) -> datetime | None:
        return when(record.get("updated_at"))


def with_people(tickets: list[JSON], users: list[JSON], organizations: list[JSON]) -> list[JSON]:
    """Each ticket with its side-loaded requester and organization, as a trigger body carries them."""
    users_by_id = {_id(user.get("id")): user for user in users}
    organizations_by_id = {_id(organization.get("id")): organization for organization in organizations}
    completed = []
    for ticket in tickets:
        requester = ticket.get("requester") or users_by_id.get(_id(ticket.get("requester_id")))
        organization_id = ticket.get("organization_id") or dig(requester, "organization_id")
        organization = ticket.get("organization") or organizations_by_id.get(_id(organization_id))
        extra = {"requester": requester, "organization": organization}
        completed.append(ticket | {key: value for key, value in extra.items() if value and key not in ticket})
    return completed


def _id(value: object) -> str | int | None:
    """An id to look a side-loaded record up by; None for anything else (a list there raised TypeError, a 500)."""
    return value if isinstance(value, str | int) else None
