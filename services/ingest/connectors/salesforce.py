"""Salesforce: Cases (or Notes) by SOQL, and records posted by a Flow's HTTP callout with a URL key.

Salesforce has no generic signed webhook; a Flow (or an Outbound Message relay) that posts the
records as the REST API shapes them, to `.../webhooks/salesforce?key=...`, is what we accept.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import Field

from libs.connectors.http import ApiRequest
from libs.connectors.paging import Cursor
from libs.connectors.records import JSON, Stamp, objects, text_at, when
from libs.connectors.salesforce import SoqlPages
from libs.connectors.settings import SalesforceSettings
from libs.schemas.feedback import Customer, FeedbackInput, Source
from services.ingest.connectors.base import Connector, VendorModel
from services.ingest.connectors.requests import WebhookRequest
from services.ingest.connectors.signatures import UrlKey
from services.ingest.connectors.text import html_to_text

FEEDBACK_TYPES = {"Case", "Note"}
QUERIES = {
    "Case": "SELECT Id, Subject, Description, SuppliedEmail, SuppliedName, SuppliedCompany, CreatedDate, "
    "LastModifiedDate FROM Case",
    "Note": "SELECT Id, Title, Body, CreatedDate, LastModifiedDate FROM Note",
}


class Attributes(VendorModel):
    type: str


class Record(VendorModel):
    attributes: Attributes
    id: str = Field(alias="Id")
    subject: str | None = Field(default=None, alias="Subject")
    title: str | None = Field(default=None, alias="Title")
    description: str | None = Field(default=None, alias="Description")
    body: str | None = Field(default=None, alias="Body")
    email: str | None = Field(default=None, alias="SuppliedEmail")
    name: str | None = Field(default=None, alias="SuppliedName")
    company: str | None = Field(default=None, alias="SuppliedCompany")
    created: Stamp = Field(default=None, alias="CreatedDate")


class Salesforce(SoqlPages, Connector):
    name = Source.SALESFORCE
    settings_type = SalesforceSettings
    scheme = UrlKey()
    settings: SalesforceSettings

    def event_name(self, request: WebhookRequest, payload: Any) -> str:
        return "records"

    def feedback_records(self, request: WebhookRequest, payload: Any) -> list[JSON]:
        records = payload.get("records", [payload]) if isinstance(payload, dict) else payload
        if not isinstance(records, list):
            raise ValueError("a Salesforce webhook body is a record, a list of records, or {records: [...]}")
        return [record for record in objects(records) if text_at(record, "attributes", "type") in FEEDBACK_TYPES]

    def transform_to_standard(self, record: JSON) -> FeedbackInput:
        item = Record.model_validate(record)
        site = self.settings.api_url.rstrip("/")
        return self.feedback(
            source_id=item.id,
            title=item.subject or item.title,
            text=html_to_text(item.description or item.body or ""),
            customer=Customer(email=item.email, name=item.name, company=item.company),
            created_at=when(item.created),
            url=f"{site}/lightning/r/{item.attributes.type}/{item.id}/view" if site else None,
        )

    def page_request(self, cursor: Cursor) -> ApiRequest:
        if cursor.page:
            return ApiRequest(url=cursor.page)
        since = (cursor.since or datetime(1970, 1, 1, tzinfo=UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        soql = f"{QUERIES[self.settings.sobject]} WHERE LastModifiedDate >= {since} ORDER BY LastModifiedDate"
        return ApiRequest(url=f"/services/data/{self.settings.api_version}/query", params={"q": soql})
