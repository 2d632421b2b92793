"""Each vendor as seen from its side: small payloads in its documented shapes, and how it signs a delivery.

The signers are written from the vendors' documentation (../shared/connectors/SPEC.md), apart from
the connectors' own code, so a test that passes means both read the documentation alike.
"""

from __future__ import annotations

import base64
import hmac
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

REPOSITORY = Path(__file__).resolve().parents[4]
EXAMPLES = REPOSITORY.parent / "shared" / "connectors" / "payloads"
BASE_URL = "http://ingest.test"


@dataclass(frozen=True)
class Delivery:
    url: str
    body: bytes
    headers: dict[str, str]

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.url).query))


def _hmac(secret: str, message: bytes, algorithm: str) -> bytes:
    return hmac.new(secret.encode(), message, algorithm).digest()


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


Signer = Callable[[str, bytes, datetime, str], tuple[str, dict[str, str]]]


def _github(secret: str, body: bytes, now: datetime, url: str) -> tuple[str, dict[str, str]]:
    return url, {
        "X-Hub-Signature-256": "sha256=" + _hmac(secret, body, "sha256").hex(),
        "X-GitHub-Delivery": str(uuid.uuid4()),
    }


def _intercom(secret: str, body: bytes, now: datetime, url: str) -> tuple[str, dict[str, str]]:
    return url, {"X-Hub-Signature": "sha1=" + _hmac(secret, body, "sha1").hex()}


def _zendesk(secret: str, body: bytes, now: datetime, url: str) -> tuple[str, dict[str, str]]:
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    return url, {
        "X-Zendesk-Webhook-Signature": _b64(_hmac(secret, stamp.encode() + body, "sha256")),
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
    }


def _helpscout(secret: str, body: bytes, now: datetime, url: str) -> tuple[str, dict[str, str]]:
    return url, {"X-HelpScout-Signature": _b64(_hmac(secret, body, "sha1"))}


def _linear(secret: str, body: bytes, now: datetime, url: str) -> tuple[str, dict[str, str]]:
    return url, {"Linear-Signature": _hmac(secret, body, "sha256").hex(), "Linear-Delivery": str(uuid.uuid4())}


def _jira(secret: str, body: bytes, now: datetime, url: str) -> tuple[str, dict[str, str]]:
    return url, {"X-Hub-Signature": "sha256=" + _hmac(secret, body, "sha256").hex()}


def _canny(secret: str, body: bytes, now: datetime, url: str) -> tuple[str, dict[str, str]]:
    nonce = uuid.uuid4().hex
    return url, {
        "canny-nonce": nonce,
        "canny-timestamp": str(int(now.timestamp() * 1000)),
        "canny-signature": _b64(_hmac(secret, nonce.encode(), "sha256")),
    }


def _url_key(secret: str, body: bytes, now: datetime, url: str) -> tuple[str, dict[str, str]]:
    return f"{url}?{urlencode({'key': secret})}", {}


def _hubspot(secret: str, body: bytes, now: datetime, url: str) -> tuple[str, dict[str, str]]:
    stamp = str(int(now.timestamp() * 1000))
    message = b"POST" + url.encode() + body + stamp.encode()
    return url, {"X-HubSpot-Signature-v3": _b64(_hmac(secret, message, "sha256")), "X-HubSpot-Request-Timestamp": stamp}


@dataclass(frozen=True)
class Vendor:
    """One source: a delivery that carries feedback (and what it must map to), and one that carries none."""

    source: str
    sign: Signer
    feedback: Any
    ignored: Any
    expected: dict[str, Any]
    feedback_headers: dict[str, str] = field(default_factory=dict)
    ignored_headers: dict[str, str] = field(default_factory=dict)
    timestamped: bool = False
    body_signed: bool = True
    stamp_body: Callable[[Any, datetime], Any] | None = None

    def deliver(
        self, secret: str, payload: Any, now: datetime, headers: dict[str, str] | None = None, base_url: str = BASE_URL
    ) -> Delivery:
        """The request the vendor would send to ingest at `base_url`: its body, its signature, its event headers."""
        if self.stamp_body:
            payload = self.stamp_body(payload, now)
        body = json.dumps(payload).encode()
        url, signed = self.sign(secret, body, now, f"{base_url}/webhooks/{self.source}")
        return Delivery(url, body, {"Content-Type": "application/json", **signed, **(headers or {})})

    def feedback_delivery(self, secret: str, now: datetime, base_url: str = BASE_URL) -> Delivery:
        return self.deliver(secret, self.feedback, now, self.feedback_headers, base_url)

    def ignored_delivery(self, secret: str, now: datetime, base_url: str = BASE_URL) -> Delivery:
        return self.deliver(secret, self.ignored, now, self.ignored_headers, base_url)


def _linear_stamp(payload: Any, now: datetime) -> Any:
    return {**payload, "webhookTimestamp": int(now.timestamp() * 1000)}


VENDORS = [
    Vendor(
        "github",
        _github,
        feedback={
            "action": "opened",
            "issue": {
                "id": 9001,
                "number": 42,
                "title": "Export to CSV drops unicode",
                "body": "Steps:\n\n1. Export **any** report\n2. Open it <!-- template -->",
                "user": {"login": "octo-ada", "id": 7},
                "labels": [{"name": "bug"}],
                "html_url": "https://github.com/acme/app/issues/42",
                "created_at": "2026-11-20T10:00:00Z",
                "updated_at": "2026-11-20T10:00:00Z",
                "reactions": {"+1": 4, "total_count": 5},
            },
            "repository": {"full_name": "acme/app"},
        },
        ignored={"zen": "Design for failure.", "hook_id": 1},
        feedback_headers={"X-GitHub-Event": "issues"},
        ignored_headers={"X-GitHub-Event": "ping"},
        expected={
            "title": "Export to CSV drops unicode",
            "description": "Steps:\n\n- Export any report\n- Open it",
            "customer.name": "octo-ada",
            "url": "https://github.com/acme/app/issues/42",
            "votes": 5,
            "tags": ["bug"],
        },
    ),
    Vendor(
        "intercom",
        _intercom,
        feedback={
            "type": "notification_event",
            "id": "notif_1",
            "topic": "conversation.user.created",
            "data": {
                "type": "notification_event_data",
                "item": {
                    "type": "conversation",
                    "id": "7001",
                    "created_at": 1763632800,
                    "source": {
                        "subject": "",
                        "body": "<p>Can we get <b>SAML</b> SSO?</p><p>Okta, ideally.</p>",
                        "author": {"type": "user", "id": "u1", "name": "Ada Lovelace", "email": "ada@acme.io"},
                    },
                    "tags": {"type": "tag.list", "tags": [{"name": "sso"}]},
                    "links": {"conversation_web": "https://app.intercom.com/a/apps/x/conversations/7001"},
                },
            },
        },
        ignored={"type": "notification_event", "id": "notif_2", "topic": "ping", "data": {"item": {}}},
        expected={
            "title": "Can we get SAML SSO?",
            "description": "Can we get SAML SSO?\n\nOkta, ideally.",
            "customer.email": "ada@acme.io",
            "url": "https://app.intercom.com/a/apps/x/conversations/7001",
        },
    ),
    Vendor(
        "zendesk",
        _zendesk,
        feedback={
            "type": "zen:event-type:ticket.created",
            "account_id": 1,
            "id": "evt-1",
            "time": "2026-11-20T10:00:00Z",
            "zendesk_event_version": "2022-11-06",
            "subject": "zen:ticket:5001",
            "detail": {
                "id": "5001",
                "subject": "Invoices are charged twice",
                "description": "We were billed twice this month.",
                "requester_id": "77",
                "created_at": "2026-11-20T10:00:00Z",
                "tags": ["billing"],
            },
        },
        ignored={
            "type": "zen:event-type:ticket.status_changed",
            "id": "evt-2",
            "subject": "zen:ticket:5001",
            "detail": {"id": "5001"},
        },
        timestamped=True,
        expected={"title": "Invoices are charged twice", "description": "We were billed twice this month."},
    ),
    Vendor(
        "helpscout",
        _helpscout,
        feedback={
            "id": 3001,
            "number": 88,
            "subject": "Dark mode for the dashboard",
            "preview": "Our team works at night",
            "createdBy": {"id": 12, "type": "customer", "email": "night@owl.io", "first": "Nia", "last": "Owl"},
            "createdAt": "2026-11-20T10:00:00Z",
            "tags": [{"tag": "ui"}],
            "_embedded": {
                "threads": [
                    {"type": "customer", "body": "<p>Our team works at night.</p>", "createdAt": "2026-11-20T10:00:00Z"}
                ]
            },
        },
        ignored={"id": 3001},
        feedback_headers={"X-HelpScout-Event": "convo.created"},
        ignored_headers={"X-HelpScout-Event": "convo.assigned"},
        expected={
            "title": "Dark mode for the dashboard",
            "description": "Our team works at night.",
            "customer.email": "night@owl.io",
            "customer.name": "Nia Owl",
            "url": "https://secure.helpscout.net/conversation/3001/88/",
        },
    ),
    Vendor(
        "linear",
        _linear,
        feedback={
            "action": "create",
            "type": "Issue",
            "actor": {"id": "u-1", "name": "Grace Hopper"},
            "data": {
                "id": "2f6a1c3e-0000-4000-8000-000000000001",
                "identifier": "FEED-12",
                "title": "Bulk edit for tags",
                "description": "Editing tags **one by one** takes forever.",
                "createdAt": "2026-11-20T10:00:00.000Z",
                "creator": {"name": "Grace Hopper", "email": "grace@navy.mil"},
                "labels": [{"name": "feature"}],
            },
            "url": "https://linear.app/acme/issue/FEED-12/bulk-edit-for-tags",
            "createdAt": "2026-11-20T10:00:00.000Z",
            "webhookTimestamp": 0,
        },
        ignored={
            "action": "update",
            "type": "Issue",
            "data": {"id": "2f6a1c3e-0000-4000-8000-000000000001"},
            "webhookTimestamp": 0,
        },
        timestamped=True,
        stamp_body=_linear_stamp,
        expected={
            "title": "Bulk edit for tags",
            "description": "Editing tags one by one takes forever.",
            "customer.email": "grace@navy.mil",
            "url": "https://linear.app/acme/issue/FEED-12/bulk-edit-for-tags",
        },
    ),
    Vendor(
        "jira",
        _jira,
        feedback={
            "timestamp": 1763632800000,
            "webhookEvent": "jira:issue_created",
            "issue": {
                "id": "10042",
                "key": "FEED-42",
                "self": "https://acme.atlassian.net/rest/api/3/issue/10042",
                "fields": {
                    "summary": "Webhooks retry too aggressively",
                    "description": {
                        "type": "doc",
                        "version": 1,
                        "content": [
                            {"type": "paragraph", "content": [{"type": "text", "text": "Five retries a minute."}]}
                        ],
                    },
                    "reporter": {"displayName": "Linus T", "emailAddress": "linus@acme.io"},
                    "created": "2026-11-20T10:00:00.000+0000",
                    "labels": ["webhooks"],
                    "votes": {"votes": 3},
                },
            },
        },
        ignored={"webhookEvent": "jira:issue_updated", "issue": {"id": "10042", "fields": {}}},
        expected={
            "title": "Webhooks retry too aggressively",
            "description": "Five retries a minute.",
            "customer.email": "linus@acme.io",
            "url": "https://acme.atlassian.net/browse/FEED-42",
            "votes": 3,
        },
    ),
    Vendor(
        "canny",
        _canny,
        feedback={
            "created": "2026-11-20T10:00:00.000Z",
            "objectType": "post",
            "type": "post.created",
            "object": {
                "id": "553c3ef8b8cdcd1501ba1234",
                "title": "Zapier integration",
                "details": "Connect boards to Zapier.",
                "author": {"id": "a1", "name": "Zed", "email": "zed@zap.io"},
                "created": "2026-11-20T10:00:00.000Z",
                "url": "https://acme.canny.io/feature-requests/p/zapier-integration",
                "score": 12,
                "tags": [],
            },
        },
        ignored={"created": "2026-11-20T10:00:00.000Z", "objectType": "vote", "type": "vote.created", "object": {}},
        timestamped=True,
        body_signed=False,
        expected={
            "title": "Zapier integration",
            "customer.email": "zed@zap.io",
            "url": "https://acme.canny.io/feature-requests/p/zapier-integration",
            "votes": 12,
        },
    ),
    Vendor(
        "gong",
        _url_key,
        feedback={
            "isTest": False,
            "callData": {
                "metaData": {
                    "id": "5599332235511222779",
                    "url": "https://app.gong.io/call?id=5599332235511222779",
                    "title": "Acme / renewal",
                    "started": "2026-11-20T10:00:00-07:00",
                },
                "parties": [
                    {"name": "Rep", "emailAddress": "rep@us.io", "affiliation": "Internal"},
                    {"name": "Cora Buyer", "emailAddress": "cora@acme.io", "affiliation": "External"},
                ],
                "content": {"brief": "They need audit logs before renewal."},
            },
        },
        ignored={"isTest": True, "callData": {"metaData": {"id": "1"}}},
        body_signed=False,
        expected={
            "title": "Acme / renewal",
            "description": "They need audit logs before renewal.",
            "customer.email": "cora@acme.io",
            "url": "https://app.gong.io/call?id=5599332235511222779",
        },
    ),
    Vendor(
        "chorus",
        _url_key,
        feedback={
            "engagement_id": "EE8ED5BBBC254177B8201B9D84855949",
            "subject": "Acme discovery call",
            "date_time": 1763632800,
            "url": "https://chorus.ai/meeting/EE8ED5BBBC254177B8201B9D84855949",
            "account_name": "Acme",
            "participants": [
                {"name": "Rep", "email": "rep@us.io", "type": "rep"},
                {"name": "Dee Buyer", "email": "dee@acme.io", "company_name": "Acme", "type": "prospect"},
            ],
            "tracker_matches": [{"name": "Pricing", "num_matches": 2}],
        },
        ignored={"event": "recording_done", "id": "EE8ED5BB"},
        body_signed=False,
        expected={
            "title": "Acme discovery call",
            "customer.email": "dee@acme.io",
            "customer.company": "Acme",
            "url": "https://chorus.ai/meeting/EE8ED5BBBC254177B8201B9D84855949",
        },
    ),
    Vendor(
        "hubspot",
        _hubspot,
        feedback=None,
        ignored=[
            {
                "eventId": 1,
                "subscriptionId": 2,
                "portalId": 3,
                "occurredAt": 1763632800000,
                "subscriptionType": "company.propertyChange",
                "attemptNumber": 0,
                "objectId": 123,
                "propertyName": "annualrevenue",
                "propertyValue": "100000",
            }
        ],
        timestamped=True,
        expected={},
    ),
    Vendor(
        "salesforce",
        _url_key,
        feedback={
            "records": [
                {
                    "attributes": {"type": "Case", "url": "/services/data/v60.0/sobjects/Case/500XX0000000001"},
                    "Id": "500XX0000000001",
                    "Subject": "Need a sandbox org",
                    "Description": "Our admins want to test flows.",
                    "SuppliedEmail": "admin@acme.io",
                    "SuppliedCompany": "Acme",
                    "CreatedDate": "2026-11-20T10:00:00.000+0000",
                }
            ]
        },
        ignored={"records": [{"attributes": {"type": "Account"}, "Id": "001", "Name": "Acme"}]},
        body_signed=False,
        expected={"title": "Need a sandbox org", "customer.email": "admin@acme.io", "customer.company": "Acme"},
    ),
]
BY_SOURCE = {vendor.source: vendor for vendor in VENDORS}
WITH_FEEDBACK = [vendor for vendor in VENDORS if vendor.feedback is not None]


def field_of(item: Any, path: str) -> Any:
    """A dotted field of a model (customer.email), with URLs as strings."""
    value = item
    for part in path.split("."):
        value = getattr(value, part)
    return str(value) if path == "url" and value is not None else value
