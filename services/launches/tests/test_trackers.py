"""The Linear and Jira status mapping, on payloads in their documented shapes."""

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from libs.schemas.launches import LaunchStatus
from services.launches.trackers import (
    JiraVersion,
    LinearProject,
    StatusMapping,
    jira_changes,
    jira_status,
    linear_changes,
    linear_status,
)

TODAY = date(2026, 11, 27)
DEFAULT = StatusMapping()
# The connector research's example payloads, read where they lie (beside the repository), never copied.
PAYLOADS = Path(__file__).resolve().parents[4] / "shared" / "connectors" / "payloads"


def project(status_type: str = "started", status_name: str = "In Progress", **fields: Any) -> LinearProject:
    """A project as Linear's GraphQL `projects { nodes { ... } }` returns it, with a field we do not use."""
    body = {
        "id": "0f6b7c4e-1d6a-4d5e-9a51-3f1b1c2d3e4f",
        "name": "Okta SSO",
        "url": "https://linear.app/acme/project/okta-sso-3f1b1c2d3e4f",
        "status": {"id": "a1", "name": status_name, "type": status_type, "color": "#f2c94c"},
        "health": "onTrack",
        "startDate": "2026-10-01",
        "targetDate": "2026-12-15",
        "labels": {"nodes": []},
        "progress": 0.4,
    }
    return LinearProject.model_validate(body | fields)


def version(**fields: Any) -> JiraVersion:
    """A fix version as GET /rest/api/3/project/{key}/versions returns it."""
    body = {
        "self": "https://acme.atlassian.net/rest/api/3/version/10020",
        "id": "10020",
        "name": "2026.12",
        "archived": False,
        "released": False,
        "overdue": False,
        "startDate": "2026-10-01",
        "releaseDate": "2026-12-15",
        "projectId": 10000,
    }
    return JiraVersion.model_validate(body | fields)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (project("completed", "Completed"), LaunchStatus.SHIPPED),
        (project("completed", "Completed", health="offTrack"), LaunchStatus.SHIPPED),
        (project("started"), LaunchStatus.IN_DEV),
        (project("planned", "Planned"), LaunchStatus.IN_DEV),
        (project("backlog", "Backlog", targetDate=None), LaunchStatus.IN_DEV),
        (project("paused", "Paused"), LaunchStatus.IN_DEV),
        (project("started", health="atRisk"), LaunchStatus.AT_RISK),
        (project("started", health="offTrack"), LaunchStatus.AT_RISK),
        (project("started", targetDate="2026-11-26"), LaunchStatus.AT_RISK),
        (project("started", "Public Beta"), LaunchStatus.BETA),
        (project("started", labels={"nodes": [{"name": "BETA"}]}), LaunchStatus.BETA),
        (project("canceled", "Canceled"), None),
    ],
)
def test_linear_project_status(payload: LinearProject, expected: LaunchStatus | None) -> None:
    assert linear_status(payload, DEFAULT, TODAY) == expected


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (version(released=True, releaseDate="2026-11-20"), LaunchStatus.SHIPPED),
        (version(released=True, overdue=True), LaunchStatus.SHIPPED),
        (version(), LaunchStatus.IN_DEV),
        (version(overdue=True), LaunchStatus.AT_RISK),
        (version(releaseDate="2026-11-01"), LaunchStatus.AT_RISK),
        (version(name="2026.12 beta"), LaunchStatus.BETA),
        (version(archived=True), None),
    ],
)
def test_jira_fix_version_status(payload: JiraVersion, expected: LaunchStatus | None) -> None:
    assert jira_status(payload, DEFAULT, TODAY) == expected


def test_the_mapping_is_configurable() -> None:
    strict = StatusMapping(beta_markers=["preview"], overdue_is_at_risk=False, linear_at_risk_health=["offTrack"])
    assert linear_status(project(health="atRisk", targetDate="2026-01-01"), strict, TODAY) == LaunchStatus.IN_DEV
    assert linear_status(project(status_name="Preview"), strict, TODAY) == LaunchStatus.BETA
    assert linear_status(project(status_name="Beta"), strict, TODAY) == LaunchStatus.IN_DEV
    assert jira_status(version(overdue=True), strict, TODAY) == LaunchStatus.IN_DEV
    assert StatusMapping.model_validate_json('{"beta_markers": ["rc"]}').is_beta("v2 RC1")


def test_a_launch_takes_status_dates_and_the_link_from_the_tracker() -> None:
    changes = linear_changes(project(health="atRisk"), DEFAULT, TODAY).model_dump(mode="json")
    assert changes == {
        "status": "at_risk",
        "start_date": "2026-10-01",
        "target_date": "2026-12-15",
        "tracker": {
            "system": "linear",
            "id": "0f6b7c4e-1d6a-4d5e-9a51-3f1b1c2d3e4f",
            "url": "https://linear.app/acme/project/okta-sso-3f1b1c2d3e4f",
        },
    }
    undated = jira_changes(version(archived=True, startDate=None, releaseDate=None), DEFAULT, TODAY)
    assert undated.model_dump(mode="json") == {
        "tracker": {"system": "jira", "id": "10020", "url": "https://acme.atlassian.net/rest/api/3/version/10020"}
    }, "a canceled or undated tracker leaves the launch's own status and dates alone"


def test_the_documented_jira_versions_example_maps() -> None:
    path = PAYLOADS / "jira" / "rest.project_versions.response.json"
    if not path.exists():
        pytest.skip(f"no {path}")
    released, upcoming = (JiraVersion.model_validate(body) for body in json.loads(path.read_text()))
    assert (released.release_date, released.overdue) == (date(2010, 7, 6), True)
    assert jira_status(released, DEFAULT, TODAY) == LaunchStatus.SHIPPED, "released wins over overdue"
    assert jira_status(upcoming, DEFAULT, TODAY) == LaunchStatus.IN_DEV
    assert jira_changes(upcoming, DEFAULT, TODAY).model_dump(mode="json") == {
        "status": "in_dev",
        "tracker": {
            "system": "jira",
            "id": "10010",
            "url": "https://your-domain.atlassian.net/rest/api/3/version/10010",
        },
    }
