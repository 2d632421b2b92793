"""The Linear and Jira clients against a local server that answers as their APIs do."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from uuid import uuid4

import httpx
import pytest
from pydantic import ValidationError

from libs.connectors.settings import JiraSettings, LinearSettings
from libs.schemas.launches import Launch, LaunchType, Team
from services.launches import domain
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
    with pytest.raises(TrackerError, match="Linear answered: Entity not found: Project"):
        await LinearTracker(client, f"{fake.url}/linear/graphql", "lin_api_123").fetch("gone")


async def test_a_jira_fix_version_is_read_with_basic_auth(fake: Trackers, client: httpx.AsyncClient) -> None:
    version = await JiraTracker(client, f"{fake.url}/jira/", "pm@acme.io", "token-9").fetch("10020")
    assert (version.overdue, str(version.release_date), version.self_url) == (True, "2026-11-01", VERSION["self"])
    _, headers, _ = fake.requests[-1]
    assert headers["authorization"] == "Basic " + base64.b64encode(b"pm@acme.io:token-9").decode()
    with pytest.raises(TrackerError, match="Jira answered 404"):
        await JiraTracker(client, f"{fake.url}/jira", "pm@acme.io", "token-9").fetch("404")


@pytest.mark.parametrize("tracker_id", ["../issue/SEC-1", "10020/../../myself", "１０", ""])
async def test_a_jira_id_that_is_not_a_version_id_never_reaches_a_path(
    fake: Trackers, client: httpx.AsyncClient, tracker_id: str
) -> None:
    sent = len(fake.requests)
    with pytest.raises(TrackerError, match="is not a Jira version id"):
        await JiraTracker(client, f"{fake.url}/jira", "pm@acme.io", "token-9").fetch(tracker_id)
    assert len(fake.requests) == sent, "nothing sent"


async def test_an_unreachable_tracker_is_a_tracker_error(client: httpx.AsyncClient) -> None:
    with pytest.raises(TrackerError, match="Linear unreachable"):
        await LinearTracker(client, "http://127.0.0.1:9/graphql", "key").fetch("proj-1")


JIRA = JiraSettings(api_url="https://acme.atlassian.net", email="pm@acme.io", api_token="t")


def test_a_tracker_is_synced_only_when_configured() -> None:
    http = httpx.AsyncClient()
    assert trackers(LaunchesSettings(), http) == {}
    configured = LaunchesSettings(linear=LinearSettings(api_token="k"), jira=JIRA)
    assert sorted(trackers(configured, http)) == ["jira", "linear"]
    assert list(trackers(LaunchesSettings(jira=JiraSettings(api_url="https://acme.atlassian.net")), http)) == []


LAUNCH = Launch(
    id=uuid4(),
    name="Okta SSO",
    description="Sign in with Okta. " * 30,
    type=LaunchType.ENTERPRISE_FEATURE,
    team=Team.ENGINEERING,
    start_date=date(2026, 10, 1),
    target_date=date(2026, 12, 15),
)
REQUESTED = datetime(2026, 11, 27, tzinfo=UTC)


async def test_a_linear_project_is_created_once_under_the_id_chosen_for_the_launch(
    fake: Trackers, client: httpx.AsyncClient
) -> None:
    linear = LinearTracker(client, f"{fake.url}/linear/graphql", "lin_api_123", ["team-eng"])
    ref = domain.tracker_request(LAUNCH.id, "linear", REQUESTED)
    project = await linear.find_or_create(LAUNCH, ref)
    assert project.id == ref.id == domain.linear_project_id(LAUNCH.id)
    assert (project.name, project.status.type, str(project.target_date)) == ("Okta SSO", "backlog", "2026-12-15")
    [created] = fake.created("projectCreate")
    given = created["variables"]["input"]
    assert given["teamIds"] == ["team-eng"] and (given["startDate"], given["targetDate"]) == (
        "2026-10-01",
        "2026-12-15",
    )
    assert len(given["description"]) == 255 and given["content"] == LAUNCH.description
    # Asked again (a retry after the report was lost): the project is found, not made twice.
    again = await linear.find_or_create(LAUNCH, ref)
    assert again.id == project.id and len(fake.created("projectCreate")) == 1


async def test_linear_failures_say_whether_a_retry_may_pass(fake: Trackers, client: httpx.AsyncClient) -> None:
    ref = domain.tracker_request(LAUNCH.id, "linear", REQUESTED)
    fake.unavailable = 1
    with pytest.raises(TrackerError, match="Linear answered 503") as down:
        await LinearTracker(client, f"{fake.url}/linear/graphql", "k", ["team-eng"]).find_or_create(LAUNCH, ref)
    assert down.value.retryable
    with pytest.raises(TrackerError, match="Argument Validation Error") as refused:
        await LinearTracker(client, f"{fake.url}/linear/graphql", "k", []).find_or_create(LAUNCH, ref)
    assert not refused.value.retryable


async def test_a_jira_version_is_created_once_and_found_by_its_name(fake: Trackers, client: httpx.AsyncClient) -> None:
    jira = JiraTracker(client, f"{fake.url}/jira", "pm@acme.io", "token-9", project_id=10000)
    # Names that contain the launch's name, on more than one page of Jira's answer, are not it.
    for n in range(60):
        fake.jira_versions[f"9{n:03}"] = {"id": f"9{n:03}", "name": f"Okta SSO phase {n}", "projectId": 10000}
    ref = domain.tracker_request(LAUNCH.id, "jira", REQUESTED)
    version = await jira.find_or_create(LAUNCH, ref)
    assert (version.name, str(version.release_date), str(version.start_date)) == (
        "Okta SSO",
        "2026-12-15",
        "2026-10-01",
    )
    [created] = fake.created("/jira/rest/api/3/version")
    assert created["projectId"] == 10000 and created["description"] == LAUNCH.description
    assert version.self_url == f"{fake.url}/jira/rest/api/3/version/{version.id}"
    again = await jira.find_or_create(LAUNCH, ref)
    assert again.id == version.id and len(fake.created("/jira/rest/api/3/version")) == 1
    listed = [body for path, _, body in fake.requests if path == "/jira/rest/api/3/project/10000/version"]
    assert listed[-1] is not None and listed[-1]["startAt"] == "50", "the second page was read"


def test_a_launch_creates_its_object_in_one_tracker_set_up_with_its_credentials() -> None:
    assert LaunchesSettings().creates_in is None
    linear = LinearSettings(api_token="k", team_ids=["team-eng"])
    assert LaunchesSettings(linear=linear).creates_in == "linear"
    jira = JIRA.model_copy(update={"project_id": 10000})
    assert LaunchesSettings(jira=jira).creates_in == "jira"
    with pytest.raises(ValidationError, match="not both"):
        LaunchesSettings(linear=linear, jira=jira)
    with pytest.raises(ValidationError, match="PRODOPS_LINEAR_TEAM_IDS needs PRODOPS_LINEAR_API_TOKEN"):
        LaunchesSettings(linear=LinearSettings(team_ids=["team-eng"]))
    with pytest.raises(ValidationError, match="PRODOPS_JIRA_PROJECT_ID needs"):
        LaunchesSettings(jira=JiraSettings(project_id=10000))
