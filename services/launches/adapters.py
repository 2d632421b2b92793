"""The trackers a launch can follow, each behind one interface: Linear (GraphQL) and Jira (REST).

Both read the object a launch follows (sync), and find or create the object a new launch gets.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Literal, Protocol

import httpx

from libs.schemas.launches import Launch, TrackerRef
from services.launches.settings import LaunchesSettings
from services.launches.trackers import JiraVersion, LinearProject

PROJECT_FIELDS = """
    id name url health startDate targetDate
    status { name type }
    labels { nodes { name } }
"""
LINEAR_PROJECT = f"""
query Project($id: String!) {{
  project(id: $id) {{ {PROJECT_FIELDS} }}
}}
"""
# A filter, not project(id): an id that is not there is an empty list rather than an error to interpret.
LINEAR_FIND_PROJECT = f"""
query FindProject($id: ID!) {{
  projects(filter: {{ id: {{ eq: $id }} }}) {{ nodes {{ {PROJECT_FIELDS} }} }}
}}
"""
LINEAR_CREATE_PROJECT = f"""
mutation CreateProject($input: ProjectCreateInput!) {{
  projectCreate(input: $input) {{ success project {{ {PROJECT_FIELDS} }} }}
}}
"""
# Linear's short project description; the whole text goes in `content` (markdown).
LINEAR_DESCRIPTION_CHARS = 255
# Jira's limit on a version's description.
JIRA_DESCRIPTION_BYTES = 16_384


class TrackerError(Exception):
    """The tracker could not say or do (unreachable, refused, or the object is gone); the launch is left as it is."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        # Whether the same request may pass later: unreachable, rate limited, a server error.
        self.retryable = retryable


class Tracker(Protocol):
    system: Literal["linear", "jira"]

    async def fetch(self, tracker_id: str) -> LinearProject | JiraVersion: ...

    async def find_or_create(self, launch: Launch, ref: TrackerRef) -> LinearProject | JiraVersion:
        """The launch's object: the one an earlier attempt made, else a new one."""
        ...


class LinearTracker:
    """Linear projects, through the GraphQL API with a personal API key."""

    system: Literal["linear", "jira"] = "linear"

    def __init__(self, client: httpx.AsyncClient, url: str, api_key: str, team_ids: list[str] | None = None) -> None:
        self.client, self.url, self.team_ids = client, url, team_ids or []
        # Linear takes a personal API key as it is (OAuth tokens would take "Bearer ").
        self.headers = {"Authorization": api_key}

    async def fetch(self, tracker_id: str) -> LinearProject:
        data = await self._graphql(LINEAR_PROJECT, {"id": tracker_id})
        if not data.get("project"):
            raise TrackerError(f"Linear has no project {tracker_id}")
        return LinearProject.model_validate(data["project"])

    async def find_or_create(self, launch: Launch, ref: TrackerRef) -> LinearProject:
        # The project's id was chosen when the launch was created: an attempt that created it and
        # then failed to report it is found here, and never creates a second one.
        if not ref.id:
            raise TrackerError("no Linear project id was chosen for the launch")
        found = (await self._graphql(LINEAR_FIND_PROJECT, {"id": ref.id})).get("projects") or {}
        if nodes := found.get("nodes"):
            return LinearProject.model_validate(nodes[0])
        project_input: dict[str, Any] = {
            "id": ref.id,
            "name": launch.name,
            "teamIds": self.team_ids,
            "targetDate": launch.target_date.isoformat(),
        }
        if launch.start_date:
            project_input["startDate"] = launch.start_date.isoformat()
        if launch.description:
            project_input["description"] = launch.description[:LINEAR_DESCRIPTION_CHARS]
            project_input["content"] = launch.description
        created = (await self._graphql(LINEAR_CREATE_PROJECT, {"input": project_input})).get("projectCreate") or {}
        if not created.get("success") or not created.get("project"):
            raise TrackerError(f"Linear did not create the project: {created}")
        return LinearProject.model_validate(created["project"])

    async def _graphql(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        answer = await _json(
            self.client.post(self.url, json={"query": query, "variables": variables}, headers=self.headers), "Linear"
        )
        if errors := answer.get("errors"):
            # Linear reports a rate limit as HTTP 429 or as a GraphQL error of type RATELIMITED.
            limited = any(_error_type(error) == "ratelimited" for error in errors)
            messages = "; ".join(str(error.get("message", error)) for error in errors)
            raise TrackerError(f"Linear answered: {messages}"[:300], retryable=limited)
        data: dict[str, Any] = answer.get("data") or {}
        return data


class JiraTracker:
    """Jira fix versions, through the REST API with an account's email and API token."""

    system: Literal["linear", "jira"] = "jira"

    def __init__(
        self, client: httpx.AsyncClient, base_url: str, email: str, api_token: str, project_id: int | None = None
    ) -> None:
        self.client, self.base_url, self.project_id = client, base_url.rstrip("/"), project_id
        self.auth = httpx.BasicAuth(email, api_token)

    async def fetch(self, tracker_id: str) -> JiraVersion:
        # The id comes from an editor and goes into the path: a version id is digits, never `../issue/...`.
        if not tracker_id.isascii() or not tracker_id.isdigit():
            raise TrackerError(f"{tracker_id[:80]!r} is not a Jira version id (digits)")
        request = self.client.get(f"{self.base_url}/rest/api/3/version/{tracker_id}", auth=self.auth)
        return JiraVersion.model_validate(await _json(request, "Jira"))

    async def find_or_create(self, launch: Launch, ref: TrackerRef) -> JiraVersion:
        if self.project_id is None:
            raise TrackerError("no Jira project to create the version in")
        # Version names are unique in a Jira project: one an earlier attempt created is found by its name.
        if found := await self._named(launch.name):
            return found
        body: dict[str, Any] = {
            "name": launch.name,
            "projectId": self.project_id,
            "releaseDate": launch.target_date.isoformat(),
        }
        if launch.start_date:
            body["startDate"] = launch.start_date.isoformat()
        if launch.description:
            body["description"] = launch.description.encode()[:JIRA_DESCRIPTION_BYTES].decode(errors="ignore")
        request = self.client.post(f"{self.base_url}/rest/api/3/version", json=body, auth=self.auth)
        return JiraVersion.model_validate(await _json(request, "Jira"))

    async def _named(self, name: str) -> JiraVersion | None:
        """The project's version of exactly this name (Jira's query matches any part of name or description)."""
        url = f"{self.base_url}/rest/api/3/project/{self.project_id}/version"
        start = 0
        while True:
            params: dict[str, str | int] = {"query": name, "startAt": start, "maxResults": 50}
            page = await _json(self.client.get(url, params=params, auth=self.auth), "Jira")
            values = page.get("values") or []
            for value in values:
                if value.get("name") == name:
                    return JiraVersion.model_validate(value)
            if page.get("isLast", True) or not values:
                return None
            start += len(values)


def _error_type(error: dict[str, Any]) -> str:
    extensions = error.get("extensions") or {}
    return str(extensions.get("type") or extensions.get("code") or "").lower()


async def _json(request: Awaitable[httpx.Response], vendor: str) -> dict[str, Any]:
    try:
        response = await request
    except httpx.HTTPError as error:
        raise TrackerError(f"{vendor} unreachable: {type(error).__name__}", retryable=True) from error
    if not response.is_success:
        retryable = response.status_code == 429 or response.status_code >= 500
        raise TrackerError(f"{vendor} answered {response.status_code}: {response.text[:200]}", retryable=retryable)
    answer: dict[str, Any] = response.json()
    return answer


def trackers(settings: LaunchesSettings, client: httpx.AsyncClient) -> dict[str, Tracker]:
    """The trackers that are configured; launches following another one are not synced."""
    found: list[Tracker] = []
    linear, jira = settings.linear, settings.jira
    if linear.api_token:
        found.append(LinearTracker(client, linear.graphql_url, linear.token(), linear.team_ids))
    if jira.configured():
        found.append(JiraTracker(client, jira.api_url, jira.email or "", jira.token(), jira.project_id))
    return {tracker.system: tracker for tracker in found}
