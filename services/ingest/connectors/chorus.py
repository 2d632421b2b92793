"""Chorus (ZoomInfo): webhooks authenticated by a key in the registered URL, and engagements by date.

Chorus documents no webhook signature, so the hook URL registered with Chorus carries our secret
(`.../webhooks/chorus?key=...`). A meeting with its transcript (`utterances`, each with the speaker's
name and type) becomes one closed item whose text is the dialogue, which triage splits into one item
per request voiced; a meeting without one becomes one item.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from libs.connectors.http import ApiRequest, ApiResponse
from libs.connectors.paging import Cursor, PageContent
from libs.connectors.records import JSON, Stamp, dig, objects, text_at, when
from libs.connectors.settings import ChorusSettings
from libs.schemas import transcripts
from libs.schemas.feedback import Customer, FeedbackInput, Source
from libs.schemas.transcripts import SpeakerRole, Turn
from services.ingest.connectors.base import Connector, VendorModel
from services.ingest.connectors.requests import WebhookRequest
from services.ingest.connectors.signatures import UrlKey
from services.ingest.splits import transcript_parent


class Participant(VendorModel):
    name: str | None = None
    email: str | None = None
    company_name: str | None = None
    type: str | None = None


class Tracker(VendorModel):
    name: str


class Utterance(VendorModel):
    speaker_name: str | None = None
    speaker_type: str | None = None
    snippet: str = ""


class Engagement(VendorModel):
    engagement_id: str
    subject: str | None = None
    date_time: Stamp = None
    url: str | None = None
    account_name: str | None = None
    participants: list[Participant] = []
    tracker_matches: list[Tracker] = []
    utterances: list[Utterance] = []

    def turns(self) -> list[Turn]:
        """The transcript as speaker-labelled turns: reps are us, everyone else the customer (as for the author)."""
        reps = {person.name for person in self.participants if person.type == "rep" and person.name}
        return [
            Turn(
                speaker=(said.speaker_name or "Unknown speaker")[:80],
                role=SpeakerRole.INTERNAL
                if said.speaker_type == "rep" or said.speaker_name in reps
                else SpeakerRole.CUSTOMER,
                text=said.snippet,
            )
            for said in self.utterances
        ]


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
        dialogue = transcripts.render(meeting.turns())
        item = self.feedback(
            source_id=meeting.engagement_id,
            title=meeting.subject,
            text=dialogue,
            customer=Customer(
                email=customer.email if customer else None,
                name=customer.name if customer else None,
                company=(customer.company_name if customer else None) or meeting.account_name or None,
            ),
            created_at=when(meeting.date_time),
            url=meeting.url,
            tags=[tracker.name for tracker in meeting.tracker_matches],
        )
        return transcript_parent(item) if dialogue else item

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
