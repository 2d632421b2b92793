"""The trackers a launch can follow, each behind one interface: Linear (GraphQL) and Jira (REST)."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Literal, Protocol

import httpx

from services.launches.settings import LaunchesSettings
from services.launches.trackers import JiraVersion, LinearProject

LINEAR_PROJECT = """
query Project($id: String!) {
  project(id: $id) {
    id name url health startDate targetDate
    status { name type }
    labels { nodes { name } }
  }
}
"""


class TrackerError(Exception):
    """The tracker could not say (unreachable, refused, or the object is gone); the launch is left as it is."""


class Tracker(Protocol):
    system: Literal["linear", "jira"]

    async def fetch(self, tracker_id: str) -> LinearProject | JiraVersion: ...


class LinearTracker:
    """Linear projects, through the GraphQL API with a personal API key."""

    system: Literal["linear", "jira"] = "linear"

    def __init__(self, client: httpx.AsyncClient, url: str, api_key: str) -> None:
        self.client, self.url = client, url
        # Linear takes a personal API key as it is (OAuth tokens would take "Bearer ").
        self.headers = {"Authorization": api_key}

    async def fetch(self, tracker_id: str) -> LinearProject:
        body = {"query": LINEAR_PROJECT, "variables": {"id": tracker_id}}
        answer = await _json(self.client.post(self.url, json=body, headers=self.headers), "Linear")
        if answer.get("errors") or not (answer.get("data") or {}).get("project"):
            raise TrackerError(f"Linear has no project {tracker_id}: {answer.get('errors')}")
        return LinearProject.model_validate(answer["data"]["project"])


class JiraTracker:
    """Jira fix versions, through the REST API with an account's email and API token."""

    system: Literal["linear", "jira"] = "jira"

    def __init__(self, client: httpx.AsyncClient, base_url: str, email: str, api_token: str) -> None:
        self.client, self.base_url = client, base_url.rstrip("/")
        self.auth = httpx.BasicAuth(email, api_token)

    async def fetch(self, tracker_id: str) -> JiraVersion:
        request = self.client.get(f"{self.base_url}/rest/api/3/version/{tracker_id}", auth=self.auth)
        return JiraVersion.model_validate(await _json(request, "Jira"))


async def _json(request: Awaitable[httpx.Response], vendor: str) -> dict[str, Any]:
    try:
        response = await request
    except httpx.HTTPError as error:
        raise TrackerError(f"{vendor} unreachable: {type(error).__name__}") from error
    if response.status_code != 200:
        raise TrackerError(f"{vendor} answered {response.status_code}: {response.text[:200]}")
    answer: dict[str, Any] = response.json()
    return answer


def trackers(settings: LaunchesSettings, client: httpx.AsyncClient) -> dict[str, Tracker]:
    """The trackers that are configured; launches following another one are not synced."""
    found: list[Tracker] = []
    if settings.linear_api_key:
        found.append(LinearTracker(client, settings.linear_api_url, settings.linear_api_key.get_secret_value()))
    if settings.jira_base_url and settings.jira_email and settings.jira_api_token:
        found.append(
            JiraTracker(client, settings.jira_base_url, settings.jira_email, settings.jira_api_token.get_secret_value())
        )
    return {tracker.system: tracker for tracker in found}
