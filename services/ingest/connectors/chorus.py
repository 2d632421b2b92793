"""Chorus (ZoomInfo): webhooks authenticated by a key in the registered URL, and engagements by date.

Chorus documents no webhook signature, so the hook URL registered with Chorus carries our secret
(`.../webhooks/chorus?key=...`). A meeting becomes one feedback item for now; one item per request
voiced in its transcript is a later issue.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic_settings import SettingsConfigDict

from libs.schemas.feedback import Customer, FeedbackInput, Source
from services.ingest.connectors.base import Connector, SourceSettings, Stamp, VendorModel, dig, objects, text_at, when
from services.ingest.connectors.requests import JSON, ApiRequest, ApiResponse, Cursor, PageContent, WebhookRequest
from services.ingest.connectors.signatures import UrlKey


class ChorusSettings(SourceSettings):
    model_config = SettingsConfigDict(env_prefix="PRODOPS_CHORUS_")

    api_url: str = "https://chorus.ai"


class Participant(VendorModel):
    name: str | None = None
    email: str | None = None
    company_name: str | None = None
    type: str | None = None


class Tracker(VendorModel):
    name: str


class Engagement(VendorModel):
    engagement_id: str
    subject: str | None = None
    date_time: Stamp = None
    url: str | None = None
    account_name: str | None = None
    participants: list[Participant] = []
    tracker_matches: list[Tracker] = []


class Chorus(Connector):
    name = Source.CHORUS
    settings_type = ChorusSettings
    scheme = UrlKey()

    def event_name(self, request: WebhookRequest, payload: Any) -> str:
        return text_at(payload, "event") or "recording_done"

    def feedback_records(self, request: WebhookRequest, payload: Any) -> list[JSON]:
        # The callback's body is undocumented: an engagement in it is feedback; a bare notice waits for the sync.
        if not isinstance(payload, dict):
            raise ValueError("a Chorus webhook body is a JSON object")
        engagement = payload.get("engagement", payload)
        return [engagement] if isinstance(engagement, dict) and "engagement_id" in engagement else []

    def transform_to_standard(self, record: JSON) -> FeedbackInput:
        meeting = Engagement.model_validate(record)
        customer = next((person for person in meeting.participants if person.type != "rep"), None)
        return self.feedback(
            source_id=meeting.engagement_id,
            title=meeting.subject,
            text="",
            customer=Customer(
                email=customer.email if customer else None,
                name=customer.name if customer else None,
                company=(customer.company_name if customer else None) or meeting.account_name or None,
            ),
            created_at=when(meeting.date_time),
            url=meeting.url,
            tags=[tracker.name for tracker in meeting.tracker_matches],
        )

    def authenticate(self) -> dict[str, str]:
        return {"Authorization": self.settings.token()}  # Chorus takes the raw API token

    def page_request(self, cursor: Cursor) -> ApiRequest:
        params: dict[str, str | int] = {"engagement_type": "meeting"}
        if cursor.since:
            params["min_date"] = cursor.since.isoformat()
        if cursor.page:
            params["continuation_key"] = cursor.page
        return ApiRequest(url="/v3/engagements", params=params)

    def read_page(self, cursor: Cursor, response: ApiResponse) -> PageContent:
        records = objects(dig(response.body, "engagements"))
        return PageContent(records, (text_at(response.body, "continuation_key") or None) if records else None)

    def updated_at(self, record: JSON) -> datetime | None:
        return when(record.get("date_time"))
