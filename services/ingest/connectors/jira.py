"""Jira Cloud: X-Hub-Signature (sha256) admin webhooks, and issues through the JQL search."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field

from libs.connectors.http import ApiRequest, ApiResponse
from libs.connectors.lookups import Lookups
from libs.connectors.paging import Cursor, PageContent
from libs.connectors.records import JSON, Stamp, dig, filled, objects, text_at, when
from libs.connectors.settings import JiraSettings
from libs.schemas.feedback import Customer, FeedbackInput, Source
from services.ingest.connectors.base import Connector, VendorModel
from services.ingest.connectors.requests import WebhookRequest
from services.ingest.connectors.signatures import HmacSignature
from services.ingest.connectors.text import adf_to_text

# A new issue is feedback; updates, deletions and comments are the team's work on it.
FEEDBACK_EVENTS = {"jira:issue_created"}
# An update carries the whole issue: it changes an issue the hub holds, and creates none.
EDIT_EVENTS = {"jira:issue_updated"}
FIELDS = "summary,description,reporter,created,updated,labels,votes"


class Reporter(VendorModel):
    displayName: str | None = None
    emailAddress: str | None = None


class Votes(VendorModel):
    votes: int = 0


class Fields(VendorModel):
    summary: str | None = None
    description: Any = None
    reporter: Reporter | None = None
    created: Stamp = None
    updated: Stamp = None
    labels: list[str] = []
    votes: Votes | None = None


class Issue(VendorModel):
    id: str | int
    key: str | None = None
    self_url: str | None = Field(default=None, alias="self")
    fields: Fields


class Event(VendorModel):
    webhookEvent: str
    issue: JSON | None = None


class Jira(Connector):
    name = Source.JIRA
    settings_type = JiraSettings
    scheme = HmacSignature("x-hub-signature", "sha256", "hex", prefix="sha256=")
    delivery_header = "x-atlassian-webhook-identifier"
    versioned = True
    reset_headers = ("x-ratelimit-reset",)
    settings: JiraSettings

    def event_name(self, request: WebhookRequest, payload: Any) -> str:
        return text_at(payload, "webhookEvent") or "unknown"

    def feedback_records(self, request: WebhookRequest, payload: Any) -> list[JSON]:
        event = Event.model_validate(payload)
        if event.webhookEvent not in FEEDBACK_EVENTS:
            return []
        if event.issue is None:
            raise ValueError("issue: an issue event carries the issue")
        return [event.issue]

    def edited_records(self, request: WebhookRequest, payload: Any) -> list[JSON]:
        issue = dig(payload, "issue")
        return [issue] if text_at(payload, "webhookEvent") in EDIT_EVENTS and isinstance(issue, dict) else []

    def transform_to_standard(self, record: JSON) -> FeedbackInput:
        issue = Issue.model_validate(record)
        reporter = issue.fields.reporter or Reporter()
        return self.feedback(
            source_id=issue.id,
            title=issue.fields.summary,
            text=adf_to_text(issue.fields.description) if issue.fields.description else "",
            customer=Customer(email=reporter.emailAddress, name=reporter.displayName),
            created_at=when(issue.fields.created),
            url=self._browse_url(issue),
            votes=max(issue.fields.votes.votes if issue.fields.votes else 0, 1),
            tags=issue.fields.labels,
        )

    def _browse_url(self, issue: Issue) -> str | None:
        """The page people open (`/browse/KEY`); `self` is the API's URL."""
        site = self.settings.api_url or (
            f"{urlsplit(issue.self_url).scheme}://{urlsplit(issue.self_url).netloc}" if issue.self_url else ""
        )
        return f"{site.rstrip('/')}/browse/{issue.key}" if site and issue.key else issue.self_url

    def authenticate(self) -> dict[str, str]:
        pair = f"{self.settings.email or ''}:{self.settings.token()}".encode()
        return {"Authorization": f"Basic {base64.b64encode(pair).decode()}", "Accept": "application/json"}

    def page_request(self, cursor: Cursor) -> ApiRequest:
        # JQL compares minutes (in the account's time zone): the overlap only re-reads a few items.
        since = (cursor.since or datetime(1970, 1, 1, tzinfo=UTC)).astimezone(UTC).strftime("%Y-%m-%d %H:%M")
        clause = f'updated >= "{since}"'
        jql = f"({self.settings.jql}) AND {clause}" if self.settings.jql else clause
        params: dict[str, str | int] = {
            "jql": f"{jql} ORDER BY updated ASC",
            "fields": FIELDS,
            "maxResults": min(self.settings.page_size, 100),
        }
        if cursor.page:
            params["nextPageToken"] = cursor.page
        return ApiRequest(url="/rest/api/3/search/jql", params=params)

    def read_page(self, cursor: Cursor, response: ApiResponse) -> PageContent:
        token = text_at(response.body, "nextPageToken")
        return PageContent(objects(dig(response.body, "issues")), None if dig(response.body, "isLast") else token)

    def updated_at(self, record: JSON) -> datetime | None:
        return when(dig(record, "fields", "updated"))

    async def complete(self, records: list[JSON], lookups: Lookups) -> list[JSON]:
        """The reporter's email from GET /rest/api/3/user when the search hides it (it may stay hidden)."""
        completed = []
        for record in records:
            reporter = dig(record, "fields", "reporter")
            account = dig(reporter, "accountId")
            if not isinstance(reporter, dict) or reporter.get("emailAddress") or not isinstance(account, str):
                completed.append(record)
                continue
            user = await lookups.get(ApiRequest(url="/rest/api/3/user", params={"accountId": account}))
            found = {"emailAddress": text_at(user, "emailAddress"), "displayName": text_at(user, "displayName")}
            completed.append({**record, "fields": {**record["fields"], "reporter": filled(reporter, found)}})
        return completed
