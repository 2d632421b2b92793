"""The Linear and Jira clients against a local server that answers as their APIs do."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from services.launches.adapters import JiraTracker, LinearTracker, TrackerError, trackers
from services.launches.settings import LaunchesSettings
from services.launches.tests.servers import Trackers, tracker_server

PROJECT = {
    "id": "proj-1",
    "name": "Okta SSO",
    "url": "https://linear.app/acme/project/okta-sso",
    "health": "atRisk",
    "startDate": "2026-10-01",
    "targetDate": "2026-12-15",
    "status": {"name": "In Progress", "type": "started"},
    "labels": {"nodes": [{"name": "enterprise"}]},
}
VERSION = {
    "self": "https://acme.atlassian.net/rest/api/3/version/10020",
    "id": "10020",
    "name": "2026.12",
    "archived": False,
    "released": False,
    "overdue": True,
    "releaseDate": "2026-11-01",
    "projectId": 10000,
}


@pytest.fixture
def fake() -> Iterator[Trackers]:
    with tracker_server() as running:
        running.linear_projects["proj-1"] = PROJECT
        running.jira_versions["10020"] = VERSION
        yield running


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0) as http:
        yield http


async def test_a_linear_project_is_read_with_the_api_key(fake: Trackers, client: httpx.AsyncClient) -> None:
    project = await LinearTracker(client, f"{fake.url}/linear/graphql", "lin_api_123").fetch("proj-1")
    assert (project.status.type, project.health, str(project.target_date)) == ("started", "atRisk", "2026-12-15")
    assert [label.name for label in project.labels.nodes] == ["enterprise"]
    _, headers, body = fake.requests[-1]
    assert headers["authorization"] == "lin_api_123"
    assert body is not None and body["variables"] == {"id": "proj-1"} and "targetDate" in body["query"]
    with pytest.raises(TrackerError, match="Linear has no project gone"):
        await LinearTracker(client, f"{fake.url}/linear/graphql", "lin_api_123").fetch("gone")


async def test_a_jira_fix_version_is_read_with_basic_auth(fake: Trackers, client: httpx.AsyncClient) -> None:
    version = await JiraTracker(client, f"{fake.url}/jira/", "pm@acme.io", "token-9").fetch("10020")
    assert (version.overdue, str(version.release_date), version.self_url) == (True, "2026-11-01", VERSION["self"])
    _, headers, _ = fake.requests[-1]
    assert headers["authorization"] == "Basic " + base64.b64encode(b"pm@acme.io:token-9").decode()
    with pytest.raises(TrackerError, match="Jira answered 404"):
        await JiraTracker(client, f"{fake.url}/jira", "pm@acme.io", "token-9").fetch("404")


async def test_an_unreachable_tracker_is_a_tracker_error(client: httpx.AsyncClient) -> None:
    with pytest.raises(TrackerError, match="Linear unreachable"):
        await LinearTracker(client, "http://127.0.0.1:9/graphql", "key").fetch("proj-1")


def test_a_tracker_is_synced_only_when_configured() -> None:
    http = httpx.AsyncClient()
    assert trackers(LaunchesSettings(), http) == {}
    configured = LaunchesSettings(
        linear_api_key="k", jira_base_url="https://acme.atlassian.net", jira_email="pm@acme.io", jira_api_token="t"
    )
    assert sorted(trackers(configured, http)) == ["jira", "linear"]
    assert list(trackers(LaunchesSettings(jira_base_url="https://acme.atlassian.net"), http)) == []
