"""Gong: automation-rule webhooks (a signed JWT, or a key in the URL), and calls through the extensive API.

The sync asks `/v2/calls/transcript` for the transcripts of each page's calls and keeps each under its
call's `transcript` key. A call with its transcript becomes one closed item whose text is the dialogue;
triage splits it into one item per request voiced. A call without one (Gong's webhooks carry none)
becomes one item with Gong's brief; when the sync later brings its transcript, ingest announces the
change (feedback.updated) and triage splits it then.
"""

from __future__ import annotations

import base64
import hmac
from datetime import datetime
from typing import Any

import jwt

from libs.connectors.http import ApiRequest, ApiResponse
from libs.connectors.lookups import Lookups
from libs.connectors.paging import Cursor, PageContent
from libs.connectors.records import JSON, Stamp, dig, objects, text_at, when
from libs.connectors.settings import GongSettings
from libs.schemas import transcripts
from libs.schemas.feedback import Customer, FeedbackInput, Source
from libs.schemas.transcripts import SpeakerRole, Turn
from services.ingest.connectors.base import Connector, VendorModel
from services.ingest.connectors.requests import WebhookRequest
from services.ingest.connectors.signatures import Refusal, RefusalKind, UrlKey, sha256_hex
from services.ingest.connectors.text import html_to_text
from services.ingest.splits import transcript_parent


class Party(VendorModel):
    name: str | None = None
    emailAddress: str | None = None
    affiliation: str | None = None
    speakerId: str | int | None = None


class Sentence(VendorModel):
    text: str = ""


class Monologue(VendorModel):
    """What one speaker said before another spoke, as /v2/calls/transcript gives it."""

    speakerId: str | int | None = None
    sentences: list[Sentence] = []


class MetaData(VendorModel):
    id: str | int
    title: str | None = None
    url: str | None = None
    started: Stamp = None


class Content(VendorModel):
    brief: str | None = None


class Call(VendorModel):
    metaData: MetaData
    parties: list[Party] = []
    content: Content | None = None
    transcript: list[Monologue] = []

    def turns(self) -> list[Turn]:
        """The transcript as speaker-labelled turns: External parties are the customer, Internal ones us."""
        speakers = {str(party.speakerId): party for party in self.parties if party.speakerId is not None}
        turns = []
        for monologue in self.transcript:
            party = speakers.get(str(monologue.speakerId))
            name = (party.name or party.emailAddress if party else None) or f"Speaker {monologue.speakerId}"
            affiliation = party.affiliation if party else None
            role = ROLES.get(affiliation or "", SpeakerRole.UNKNOWN)
            text = " ".join(sentence.text for sentence in monologue.sentences)
            turns.append(Turn(speaker=name[:80], role=role, text=text))
        return turns


# Gong's transcript endpoint takes a list of call ids; a sync page holds at most 100 calls.
TRANSCRIPT_BATCH = 100
ROLES = {"External": SpeakerRole.CUSTOMER, "Internal": SpeakerRole.INTERNAL}


class Delivery(VendorModel):
    callData: JSON
    isTest: bool = False


class Gong(Connector):
    name = Source.GONG
    settings_type = GongSettings
    scheme = UrlKey()
    settings: GongSettings

    def verify(self, request: WebhookRequest, now: datetime) -> Refusal | None:
        public_key = self.settings.webhook_public_key
        if public_key is None:
            return super().verify(request, now)
        return _jwt_refusal(public_key.get_secret_value(), request)

    def event_name(self, request: WebhookRequest, payload: Any) -> str:
        return "call.test" if dig(payload, "isTest") is True else "call"

    def feedback_records(self, request: WebhookRequest, payload: Any) -> list[JSON]:
        delivery = Delivery.model_validate(payload)
        return [] if delivery.isTest else [delivery.callData]

    def transform_to_standard(self, record: JSON) -> FeedbackInput:
        call = Call.model_validate(record)
        # The customer is whoever on the call is not from our company.
        customer = next((party for party in call.parties if party.affiliation == "External"), None)
        brief = html_to_text(call.content.brief or "") if call.content else ""
        dialogue = transcripts.render(call.turns())
        item = self.feedback(
            source_id=call.metaData.id,
            title=call.metaData.title,
            text=dialogue or brief,
            customer=Customer(email=customer.emailAddress, name=customer.name) if customer else None,
            created_at=when(call.metaData.started),
            url=call.metaData.url,
        )
        return transcript_parent(item) if dialogue else item

    def authenticate(self) -> dict[str, str]:
        pair = f"{self.settings.access_key or ''}:{self.settings.token()}".encode()
        return {"Authorization": f"Basic {base64.b64encode(pair).decode()}"}

    def page_request(self, cursor: Cursor) -> ApiRequest:
        since = cursor.since.isoformat() if cursor.since else "1970-01-01T00:00:00+00:00"
        body: JSON = {
            "filter": {"fromDateTime": since},
            "contentSelector": {"exposedFields": {"parties": True, "content": {"brief": True}}},
        }
        if cursor.page:
            body["cursor"] = cursor.page  # the extensive endpoint takes its cursor in the body
        return ApiRequest(method="POST", url="/v2/calls/extensive", body=body)

    def read_page(self, cursor: Cursor, response: ApiResponse) -> PageContent:
        return PageContent(objects(dig(response.body, "calls")), text_at(response.body, "records", "cursor") or None)

    def updated_at(self, record: JSON) -> datetime | None:
        return when(dig(record, "metaData", "started"))

    async def complete(self, records: list[JSON], lookups: Lookups) -> list[JSON]:
        """Each call with its transcript: POST /v2/calls/transcript with the page's call ids, cursor-paged."""
        ids = [str(dig(record, "metaData", "id") or "") for record in records]
        pairs = list(zip(ids, records, strict=True))
        wanted = [call_id for call_id, record in pairs if call_id and "transcript" not in record]
        found: dict[str, list[JSON]] = {}
        for start in range(0, len(wanted), TRANSCRIPT_BATCH):
            found |= await self._transcripts(wanted[start : start + TRANSCRIPT_BATCH], lookups)
        return [{**record, "transcript": found[call_id]} if call_id in found else record for call_id, record in pairs]

    async def _transcripts(self, call_ids: list[str], lookups: Lookups) -> dict[str, list[JSON]]:
        """The monologues of each call that has a transcript (Gong answers 404 when none has)."""
        found: dict[str, list[JSON]] = {}
        cursor: str | None = None
        while True:
            body: JSON = {"filter": {"callIds": call_ids}}
            if cursor:
                body["cursor"] = cursor
            answer = await lookups.get(ApiRequest(method="POST", url="/v2/calls/transcript", body=body))
            for call in objects(dig(answer, "callTranscripts")):
                if call.get("callId") is not None:
                    found[str(call["callId"])] = objects(call.get("transcript"))
            cursor = text_at(answer, "records", "cursor")
            if not cursor:
                return found


def _jwt_refusal(public_key: str, request: WebhookRequest) -> Refusal | None:
    """Gong's 'Signed JWT header': RS256 over claims that bind the body's SHA-256 (and expire)."""
    token = (request.header("authorization") or "").removeprefix("Bearer ").strip()
    if not token:
        return Refusal(RefusalKind.SIGNATURE, "missing the signed JWT in the Authorization header")
    try:
        claims = jwt.decode(token, public_key, algorithms=["RS256"], options={"require": ["exp", "body_sha256"]})
    except jwt.ExpiredSignatureError as error:
        return Refusal(RefusalKind.STALE, f"invalid JWT: {error}")
    except jwt.InvalidTokenError as error:
        return Refusal(RefusalKind.SIGNATURE, f"invalid JWT: {error}")
    digest = sha256_hex(request.body)
    given = str(claims["body_sha256"])
    # Gong's encoding of the digest is not documented: hex or base64 both bind the same body.
    candidates = (digest, base64.b64encode(bytes.fromhex(digest)).decode())
    if not any(hmac.compare_digest(candidate.encode(), given.encode()) for candidate in candidates):
        return Refusal(RefusalKind.SIGNATURE, "the JWT's body_sha256 does not match the body")
    return None
