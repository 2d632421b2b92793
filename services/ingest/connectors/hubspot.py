"""HubSpot CRM notes: v3-signed webhooks (method, URI, body and timestamp), and notes through CRM search.

HubSpot's webhook events name an object and a property change but carry no note text, so they are
acknowledged and the notes arrive through the sync.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import unquote

from libs.connectors.http import ApiRequest, ApiResponse
from libs.connectors.paging import Cursor, PageContent
from libs.connectors.records import JSON, Stamp, dig, moment, objects, when
from libs.connectors.settings import HubSpotSettings
from libs.schemas.feedback import FeedbackInput, Source
from services.ingest.connectors.base import Connector, VendorModel
from services.ingest.connectors.requests import WebhookRequest
from services.ingest.connectors.signatures import HmacSignature
from services.ingest.connectors.text import html_to_text

PROPERTIES = ["hs_note_body", "hs_timestamp", "hs_lastmodifieddate", "hs_createdate"]


class NoteProperties(VendorModel):
    hs_note_body: str | None = None
    hs_timestamp: Stamp = None
    hs_createdate: Stamp = None


class Note(VendorModel):
    id: str
    properties: NoteProperties
    createdAt: Stamp = None


class HubSpot(Connector):
    name = Source.HUBSPOT
    settings_type = HubSpotSettings
    scheme = HmacSignature("x-hubspot-signature-v3", "sha256", "base64")
    timestamped = True
    settings: HubSpotSettings

    def signed_message(self, request: WebhookRequest) -> bytes:
        uri = unquote(self.settings.webhook_url or request.url)
        timestamp = request.header("x-hubspot-request-timestamp") or ""
        return request.method.encode() + uri.encode() + request.body + timestamp.encode()

    def sent_at(self, request: WebhookRequest) -> datetime | None:
        return moment(request.header("x-hubspot-request-timestamp"))

    def event_name(self, request: WebhookRequest, payload: Any) -> str:
        if isinstance(payload, list):
            kinds = sorted({str(event.get("subscriptionType")) for event in objects(payload)})
            return ",".join(kinds) or "empty"
        return "unknown"

    def feedback_records(self, request: WebhookRequest, payload: Any) -> list[JSON]:
        if not isinstance(payload, list):
            raise ValueError("a HubSpot webhook body is a JSON array of events")
        return []

    def transform_to_standard(self, record: JSON) -> FeedbackInput:
        note = Note.model_validate(record)
        return self.feedback(
            source_id=note.id,
            title=None,
            text=html_to_text(note.properties.hs_note_body or ""),
            created_at=when(note.properties.hs_timestamp or note.properties.hs_createdate or note.createdAt),
        )

    def page_request(self, cursor: Cursor) -> ApiRequest:
        since = int(cursor.since.timestamp() * 1000) if cursor.since else 0
        body: JSON = {
            "filterGroups": [{"filters": [{"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": since}]}],
            "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
            "properties": PROPERTIES,
            "limit": min(self.settings.page_size, 200),
        }
        if cursor.page:
            body["after"] = cursor.page
        return ApiRequest(method="POST", url="/crm/v3/objects/notes/search", body=body)

    def read_page(self, cursor: Cursor, response: ApiResponse) -> PageContent:
        records = objects(dig(response.body, "results"))
        token = dig(response.body, "paging", "next", "after")
        return PageContent(records, str(token) if token is not None and records else None)

    def updated_at(self, record: JSON) -> datetime | None:
        return when(dig(record, "properties", "hs_lastmodifieddate"))
