"""Linear: linear-signature webhooks with a 60 s timestamp window, and issues through GraphQL."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import Field

from libs.connectors.http import ApiRequest, ApiResponse, wait_from_headers
from libs.connectors.paging import Cursor, PageContent
from libs.connectors.records import JSON, Stamp, dig, moment, objects, text_at, when
from libs.connectors.settings import LinearSettings
from libs.schemas.feedback import Customer, FeedbackInput, Source
from services.ingest.connectors.base import Connector, VendorModel
from services.ingest.connectors.requests import WebhookRequest
from services.ingest.connectors.signatures import HmacSignature
from services.ingest.connectors.text import markdown_to_text

# New issues and new customer requests (CustomerNeed) are feedback; comments, updates and removals are not.
FEEDBACK_TYPES = {"Issue", "CustomerNeed"}
ISSUES_QUERY = """
query Issues($since: DateTimeOrDuration!, $after: String, $first: Int!) {
  issues(filter: {updatedAt: {gt: $since}}, orderBy: updatedAt, first: $first, after: $after) {
    nodes {
      __typename id identifier title description url createdAt updatedAt
      creator { name email }
      labels { nodes { name } }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""


class Person(VendorModel):
    name: str | None = None
    email: str | None = None


class Named(VendorModel):
    name: str


class Entity(VendorModel):
    """An Issue or a CustomerNeed, from a webhook's `data` or a GraphQL node."""

    typename: str = Field(default="Issue", alias="__typename")
    id: str
    title: str | None = None
    description: str | None = None
    body: str | None = None
    url: str | None = None
    createdAt: Stamp = None
    creator: Person | None = None
    customer: Named | None = None
    labels: list[Named] | dict[str, list[Named]] = []

    @property
    def label_names(self) -> list[str]:
        labels = self.labels.get("nodes", []) if isinstance(self.labels, dict) else self.labels
        return [label.name for label in labels]


class Envelope(VendorModel):
    action: str
    type: str
    data: JSON
    url: str | None = None
    actor: JSON | None = None


class Linear(Connector):
    name = Source.LINEAR
    settings_type = LinearSettings
    scheme = HmacSignature("linear-signature", "sha256", "hex")
    timestamped = True
    delivery_header = "linear-delivery"
    reset_headers = ("x-ratelimit-requests-reset",)

    def sent_at(self, request: WebhookRequest) -> datetime | None:
        # The timestamp sits in the signed body; the header is only a fallback.
        try:
            stamp = dig(json.loads(request.body), "webhookTimestamp")
        except ValueError:
            stamp = None
        return moment(stamp if isinstance(stamp, int | float) else request.header("linear-timestamp"))

    def event_name(self, request: WebhookRequest, payload: Any) -> str:
        kind = text_at(payload, "type")
        return f"{kind}.{text_at(payload, 'action')}" if kind else request.header("linear-event") or "unknown"

    def feedback_records(self, request: WebhookRequest, payload: Any) -> list[JSON]:
        return self._entity(payload, "create")

    def edited_records(self, request: WebhookRequest, payload: Any) -> list[JSON]:
        # An update carries the whole entity (and `updatedFrom`): it changes one the hub holds.
        return self._entity(payload, "update")

    def _entity(self, payload: Any, action: str) -> list[JSON]:
        envelope = Envelope.model_validate(payload)
        if envelope.action != action or envelope.type not in FEEDBACK_TYPES:
            return []
        record: JSON = {**envelope.data, "__typename": envelope.type}
        record.setdefault("url", envelope.url)
        if envelope.type == "Issue" and "creator" not in record and envelope.actor:
            record["creator"] = envelope.actor
        return [record]

    def transform_to_standard(self, record: JSON) -> FeedbackInput:
        entity = Entity.model_validate(record)
        text = markdown_to_text((entity.body if entity.typename == "CustomerNeed" else entity.description) or "")
        person = entity.creator or Person()
        return self.feedback(
            source_id=entity.id,
            title=entity.title if entity.typename == "Issue" else None,
            text=text,
            customer=Customer(
                email=person.email, name=person.name, company=entity.customer.name if entity.customer else None
            ),
            created_at=when(entity.createdAt),
            url=entity.url,
            tags=entity.label_names,
        )

    def authenticate(self) -> dict[str, str]:
        # A personal API key goes in the header as it is; an OAuth token would carry "Bearer ".
        return {"Authorization": self.settings.token()}

    def page_request(self, cursor: Cursor) -> ApiRequest:
        since = cursor.since.isoformat() if cursor.since else "1970-01-01T00:00:00Z"
        variables = {"since": since, "after": cursor.page, "first": min(self.settings.page_size, 250)}
        return ApiRequest(method="POST", url="/graphql", body={"query": ISSUES_QUERY, "variables": variables})

    def read_page(self, cursor: Cursor, response: ApiResponse) -> PageContent:
        if errors := dig(response.body, "errors"):
            raise ValueError(f"Linear answered with errors: {json.dumps(errors)[:500]}")
        issues = dig(response.body, "data", "issues")
        token = text_at(issues, "pageInfo", "endCursor") if dig(issues, "pageInfo", "hasNextPage") else None
        return PageContent(objects(dig(issues, "nodes")), token)

    def updated_at(self, record: JSON) -> datetime | None:
        return when(record.get("updatedAt"))

    def rate_limit_wait(self, response: ApiResponse, now: datetime) -> float | None:
        # Linear also says so inside a GraphQL answer: an error whose code is RATELIMITED.
        limited = response.status == 429 or any(
            "RATELIMITED" in json.dumps(error.get("extensions")) for error in objects(dig(response.body, "errors"))
        )
        return wait_from_headers(response.headers, now, *self.reset_headers) if limited else None
