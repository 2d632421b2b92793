"""GitHub Issues: X-Hub-Signature-256 webhooks, and the issues of the configured repositories."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from libs.connectors.http import ApiRequest, ApiResponse, wait_from_headers
from libs.connectors.paging import Cursor, PageContent
from libs.connectors.records import JSON, Stamp, objects, text_at, when
from libs.connectors.settings import GitHubSettings
from libs.schemas.feedback import Customer, FeedbackInput, Source
from services.ingest.connectors.base import Connector, VendorModel
from services.ingest.connectors.requests import WebhookRequest
from services.ingest.connectors.signatures import HmacSignature
from services.ingest.connectors.text import markdown_to_text

# An issue is feedback when it is new, or comes back (edited or reopened: the same hub item).
FEEDBACK_ACTIONS = {"opened", "edited", "reopened"}
# Label changes carry the whole issue: they update an issue the hub holds (its tags).
EDIT_ACTIONS = {"labeled", "unlabeled"}
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


class User(VendorModel):
    login: str
    id: int | None = None


class Label(VendorModel):
    name: str


class Issue(VendorModel):
    id: int
    number: int | None = None
    title: str
    body: str | None = None
    user: User | None = None
    labels: list[Label] = []
    html_url: str | None = None
    created_at: Stamp = None
    updated_at: Stamp = None
    reactions: dict[str, Any] = {}
    pull_request: dict[str, Any] | None = None


class IssuesEvent(VendorModel):
    action: str
    issue: JSON


class GitHub(Connector):
    name = Source.GITHUB
    settings_type = GitHubSettings
    scheme = HmacSignature("x-hub-signature-256", "sha256", "hex", prefix="sha256=")
    delivery_header = "x-github-delivery"
    versioned = True
    reset_headers = ("x-ratelimit-reset",)
    settings: GitHubSettings

    def event_name(self, request: WebhookRequest, payload: Any) -> str:
        action = text_at(payload, "action")
        event = request.header("x-github-event") or "unknown"
        return f"{event}.{action}" if action else event

    def feedback_records(self, request: WebhookRequest, payload: Any) -> list[JSON]:
        return self._issue(request, payload, FEEDBACK_ACTIONS)

    def edited_records(self, request: WebhookRequest, payload: Any) -> list[JSON]:
        return self._issue(request, payload, EDIT_ACTIONS)

    def _issue(self, request: WebhookRequest, payload: Any, actions: set[str]) -> list[JSON]:
        if request.header("x-github-event") != "issues":
            return []
        event = IssuesEvent.model_validate(payload)
        if event.action not in actions or "pull_request" in event.issue:
            return []
        return [event.issue]

    def transform_to_standard(self, record: JSON) -> FeedbackInput:
        issue = Issue.model_validate(record)
        plus_ones = issue.reactions.get("+1")
        return self.feedback(
            source_id=issue.id,
            title=issue.title,
            text=markdown_to_text(issue.body or ""),
            customer=Customer(name=issue.user.login) if issue.user else None,
            created_at=when(issue.created_at),
            url=issue.html_url,
            # The author asks, and so does everyone who gave the issue a thumbs-up.
            votes=1 + (plus_ones if isinstance(plus_ones, int) else 0),
            tags=[label.name for label in issue.labels],
        )

    def authenticate(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.settings.token()}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        }

    def page_request(self, cursor: Cursor) -> ApiRequest:
        if cursor.page:
            return ApiRequest(url=cursor.page)
        return self._first_page(self.settings.repositories[0], cursor)

    def _first_page(self, repository: str, cursor: Cursor) -> ApiRequest:
        params: dict[str, str | int] = {
            "state": "all",
            "sort": "updated",
            "direction": "asc",
            "per_page": min(self.settings.page_size, 100),
        }
        if cursor.since:
            params["since"] = cursor.since.isoformat().replace("+00:00", "Z")
        return ApiRequest(url=f"/repos/{repository}/issues", params=params)

    def read_page(self, cursor: Cursor, response: ApiResponse) -> PageContent:
        # The issues list includes pull requests; they are not feedback.
        records = [issue for issue in objects(response.body) if "pull_request" not in issue]
        link = _NEXT.search(response.headers.get("link", ""))
        if link:
            return PageContent(records, link.group(1))
        following = self._repository_after(response.url)
        if following is None:
            return PageContent(records, None)
        request = self._first_page(following, cursor)
        return PageContent(records, f"{self.settings.api_url.rstrip('/')}{request.url}?{urlencode(request.params)}")

    def _repository_after(self, url: str) -> str | None:
        """The next configured repository after the one this page came from."""
        path = urlsplit(url).path
        repositories = self.settings.repositories
        for index, repository in enumerate(repositories):
            if f"/repos/{repository}/issues" in path:
                return repositories[index + 1] if index + 1 < len(repositories) else None
        return None

    def updated_at(self, record: JSON) -> datetime | None:
        return when(record.get("updated_at"))

    def rate_limit_wait(self, response: ApiResponse, now: datetime) -> float | None:
        # GitHub says "rate limited" with 403 as well as 429: out of quota, or a secondary limit.
        limited = response.status == 429 or (
            response.status == 403
            and (response.headers.get("x-ratelimit-remaining") == "0" or "retry-after" in response.headers)
        )
        return wait_from_headers(response.headers, now, *self.reset_headers) if limited else None
