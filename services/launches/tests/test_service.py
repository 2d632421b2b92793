"""The launches service on the in-memory broker, on SQLite and on PostgreSQL: commands, trackers, risk review."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TypeVar
from uuid import uuid4

from pydantic import SecretStr

from libs.connectors.settings import JiraSettings, LinearSettings
from libs.runtime.testing import UNUSED_BOOTSTRAP, in_memory, quick_settings
from libs.schemas.commands import CreateLaunch, LinkLaunch, TickChecklistItem, UpdateLaunch
from libs.schemas.events import (
    CommandRejected,
    DeadLettered,
    Envelope,
    LaunchChanged,
    LaunchCommand,
    LaunchShipped,
    utcnow,
)
from libs.schemas.launches import Launch, LaunchChanges, LaunchStatus, LaunchType, Team, TrackerLink
from services.launches.app import create_app
from services.launches.settings import LaunchesSettings
from services.launches.tests.servers import tracker_server

E = TypeVar("E", bound=Envelope)


def settings_for(data_dir: Path, database_url: str | None = None) -> LaunchesSettings:
    return quick_settings(LaunchesSettings, UNUSED_BOOTSTRAP, data_dir, database_url)


def command(payload: object) -> LaunchCommand:
    return LaunchCommand.model_validate({"producer": "test", "payload": payload})


async def test_commands_change_a_launch_and_it_ships_once(database_url: str | None, tmp_path: Path) -> None:
    launch = Launch(
        id=uuid4(),
        name="Okta SSO",
        type=LaunchType.ENTERPRISE_FEATURE,
        team=Team.ENGINEERING,
        target_date=utcnow().date() + timedelta(days=60),
    )
    item = uuid4()
    commands = [
        command(CreateLaunch(actor="pm@hub", launch=launch)),
        command(TickChecklistItem(launch_id=launch.id, actor="sre@hub", item_id="engineering.tests", done=True)),
        command(LinkLaunch(launch_id=launch.id, actor="pm@hub", feedback_ids=[item])),
        command(UpdateLaunch(launch_id=launch.id, actor="pm@hub", changes=LaunchChanges(type="api_platform_update"))),
        command(UpdateLaunch(launch_id=launch.id, actor="pm@hub", changes=LaunchChanges(status="shipped"))),
        command(UpdateLaunch(launch_id=launch.id, actor="pm@hub", changes=LaunchChanges(status="shipped"))),
    ]
    async with in_memory(create_app(settings_for(tmp_path, database_url))) as bus:
        # One after the other: commands about one launch share a partition, so their order holds anyway.
        for each in commands:
            await bus.publish(each)
        wanted = {c.event_id for c in commands[:5]}
        changed = await bus.until(LaunchChanged, lambda s: wanted <= {e.causation_id for e in s})
        shipped = await bus.until(LaunchShipped, lambda s: any(e.payload.launch.id == launch.id for e in s))

    mine = [e for e in changed if e.payload.launch.id == launch.id]
    assert [e.causation_id for e in mine] == [c.event_id for c in commands[:5]], "shipping again changes nothing"
    created, ticked, linked, retyped, last = (e.payload for e in mine)
    assert created.checklist is not None and len(created.checklist.items) > 10
    assert created.launch.complexity == "high"
    assert ticked.checklist is not None and ticked.checklist.items[0].done_by == "sre@hub"
    assert linked.launch.feedback_ids == [item]
    assert retyped.checklist is not None and retyped.launch.complexity == "medium"
    assert len(retyped.checklist.items) < len(created.checklist.items)
    assert next(i for i in retyped.checklist.items if i.id == "engineering.tests").done, "the tick survives"
    assert last.launch.status == LaunchStatus.SHIPPED
    [announced] = [e for e in shipped if e.payload.launch.id == launch.id]
    assert announced.causation_id == commands[4].event_id
    assert announced.payload.launch.feedback_ids == [item]


async def test_a_command_on_an_unknown_launch_or_item_is_rejected_with_its_reason(tmp_path: Path) -> None:
    launch = Launch(
        id=uuid4(),
        name="Passkeys",
        type=LaunchType.ENTERPRISE_FEATURE,
        team=Team.ENGINEERING,
        target_date=utcnow().date() + timedelta(days=60),
    )
    create = command(CreateLaunch(actor="pm@hub", launch=launch))
    unknown = command(TickChecklistItem(launch_id=uuid4(), actor="pm@hub", item_id="engineering.tests", done=True))
    no_item = command(TickChecklistItem(launch_id=launch.id, actor="sre@hub", item_id="no.such.item", done=True))
    async with in_memory(create_app(settings_for(tmp_path))) as bus:
        for each in (create, unknown, no_item, unknown):
            await bus.publish(each)
        wanted = {unknown.event_id, no_item.event_id}
        refusals = await bus.until(CommandRejected, lambda s: wanted <= {e.payload.command_id for e in s})
        changed = bus.published(LaunchChanged)
        letters = bus.published(DeadLettered)

    by_command = {e.payload.command_id: e for e in refusals}
    # A redelivered command's stored refusal is published again, as the same event.
    assert len({e.event_id for e in refusals}) == 2, "a redelivered command is refused once"
    refused = by_command[unknown.event_id]
    assert refused.payload.reason == f"no launch {unknown.payload.launch_id}"
    assert (refused.payload.command_type, refused.payload.service, refused.payload.actor) == (
        "launch.command",
        "launches",
        "pm@hub",
    )
    assert refused.key == unknown.key and refused.causation_id == unknown.event_id
    assert by_command[no_item.event_id].payload.reason == f"launch {launch.id} has no checklist item no.such.item"
    assert [e.causation_id for e in changed] == [create.event_id], "a refused command changes nothing"
    assert not letters, "a business refusal is no dead letter"


async def test_launches_follow_their_trackers_and_the_passing_of_time(tmp_path: Path) -> None:
    today = utcnow().date()
    marker = uuid4().hex[:8]

    def launch(name: str, target: timedelta, tracker: TrackerLink | None = None) -> Launch:
        return Launch(
            id=uuid4(),
            name=f"{name} {marker}",
            type=LaunchType.DOCUMENTATION,
            team=Team.PRODUCT,
            target_date=today + target,
            tracker=tracker,
        )

    from_linear = launch("Okta SSO", timedelta(days=90), TrackerLink(system="linear", id=f"proj-{marker}"))
    jira_id = str(uuid4().int % 10**8)  # Jira version ids are digits
    from_jira = launch("Batch API", timedelta(days=90), TrackerLink(system="jira", id=jira_id))
    stale = launch("Usage export", timedelta(days=5))
    creates = [command(CreateLaunch(actor="pm@hub", launch=item)) for item in (from_linear, from_jira)]
    # Created a month ago, when its target was still far: only the risk review sees it is near now.
    a_month_ago = utcnow() - timedelta(days=30)
    late_create = CreateLaunch(actor="pm@hub", launch=stale)
    creates.append(LaunchCommand(producer="test", occurred_at=a_month_ago, payload=late_create))
    with tracker_server() as fake:
        fake.linear_projects[f"proj-{marker}"] = {
            "id": f"proj-{marker}",
            "name": "Okta SSO",
            "url": "https://linear.app/acme/project/okta-sso",
            "status": {"name": "Completed", "type": "completed"},
            "health": "onTrack",
            "startDate": str(today - timedelta(days=30)),
            "targetDate": str(today),
            "labels": {"nodes": []},
        }
        fake.jira_versions[jira_id] = {"id": jira_id, "name": "2026.12", "released": False, "overdue": True}
        settings = settings_for(tmp_path).model_copy(
            update={
                "linear": LinearSettings(api_token=SecretStr("lin_api_1"), api_url=f"{fake.url}/linear"),
                "jira": JiraSettings(api_url=f"{fake.url}/jira", email="pm@acme.io", api_token=SecretStr("t")),
                "tracker_sync_seconds": 0.5,
                "risk_review_seconds": 0.5,
            }
        )
        async with in_memory(create_app(settings)) as bus:
            for each in creates:
                await bus.publish(each)

            def latest(seen: list[LaunchChanged], launch_id: object) -> Launch | None:
                mine = [e.payload.launch for e in seen if e.payload.launch.id == launch_id]
                return mine[-1] if mine else None

            def settled(seen: list[LaunchChanged]) -> bool:
                linear, jira, late = (latest(seen, item.id) for item in (from_linear, from_jira, stale))
                return (
                    linear is not None
                    and linear.status == LaunchStatus.SHIPPED
                    and jira is not None
                    and jira.status == LaunchStatus.AT_RISK
                    and late is not None
                    and late.status == LaunchStatus.AT_RISK
                )

            changed = await bus.until(LaunchChanged, settled)
            shipped = await bus.until(LaunchShipped, lambda s: any(e.payload.launch.id == from_linear.id for e in s))

    linear, jira, late = (latest(changed, item.id) for item in (from_linear, from_jira, stale))
    assert linear is not None and (linear.start_date, linear.target_date) == (today - timedelta(days=30), today)
    assert linear.tracker is not None and linear.tracker.url == "https://linear.app/acme/project/okta-sso"
    assert any(e.payload.launch.id == from_linear.id for e in shipped), "synced to completed, it ships"
    assert jira is not None and jira.risk_reason == "marked at risk by sync:jira"
    assert late is not None and (late.risk_reason or "").startswith("5 days to the target date")


def tracker_settings(
    data_dir: Path,
    database_url: str | None,
    url: str,
    team_ids: tuple[str, ...] = (),
    project_id: int | None = None,
) -> LaunchesSettings:
    linear = LinearSettings(api_token=SecretStr("lin_api_1"), api_url=f"{url}/linear", team_ids=list(team_ids))
    jira = JiraSettings(api_url=f"{url}/jira", email="pm@acme.io", api_token=SecretStr("t"), project_id=project_id)
    return settings_for(data_dir, database_url).model_copy(
        update={
            "linear": linear,
            "jira": jira,
            "tracker_sync_seconds": 0.5,
            "tracker_link_seconds": 0.2,
            "tracker_link_backoff_seconds": 0.1,
        }
    )


def states_of(seen: list[LaunchChanged], launch_id: object) -> list[Launch]:
    return [e.payload.launch for e in seen if e.payload.launch.id == launch_id]


async def test_a_new_launch_creates_its_linear_project_once_despite_an_outage_and_follows_it(
    database_url: str | None, tmp_path: Path
) -> None:
    launch = Launch(
        id=uuid4(),
        name=f"Okta SSO {uuid4().hex[:8]}",
        type=LaunchType.ENTERPRISE_FEATURE,
        team=Team.ENGINEERING,
        start_date=utcnow().date(),
        target_date=utcnow().date() + timedelta(days=60),
    )
    create = command(CreateLaunch(actor="pm@hub", launch=launch))
    create_again = command(CreateLaunch(actor="pm@hub", launch=launch))
    with tracker_server() as fake:
        fake.unavailable = 1  # Linear is down for the first attempt
        settings = tracker_settings(tmp_path, database_url, fake.url, team_ids=("team-eng",))
        async with in_memory(create_app(settings)) as bus:
            # Redelivered as it is, then sent again under a new id: the launch is made once, its project once.
            for each in (create, create, create_again):
                await bus.publish(each)

            def linked(seen: list[LaunchChanged]) -> bool:
                return any(s.tracker_ref and s.tracker_ref.status == "linked" for s in states_of(seen, launch.id))

            changed = await bus.until(LaunchChanged, linked)
            refusals = await bus.until(
                CommandRejected, lambda s: any(e.payload.command_id == create_again.event_id for e in s)
            )
            # Status flows back: the project is completed in Linear, and the launch ships.
            [project_id] = fake.linear_projects
            fake.linear_projects[project_id]["status"] = {"name": "Completed", "type": "completed"}
            shipped = await bus.until(LaunchShipped, lambda s: any(e.payload.launch.id == launch.id for e in s))

    states = states_of(changed, launch.id)
    first, last = states[0].tracker_ref, states[-1].tracker_ref
    assert first is not None and (first.status, first.attempts) == ("pending", 0), "recorded before any call"
    assert first.id == project_id, "the project's id was chosen before the call"
    retried = [s.tracker_ref for s in states if s.tracker_ref and s.tracker_ref.reason]
    assert retried and retried[0].status == "pending" and (retried[0].reason or "").startswith("Linear answered 503")
    assert last is not None and (last.status, last.id, last.attempts) == ("linked", project_id, 2)
    assert states[-1].tracker == TrackerLink(system="linear", id=project_id, url=last.url)
    assert len(fake.created("projectCreate")) == 1, "one project, whatever was redelivered or retried"
    [created] = fake.created("projectCreate")
    assert created["variables"]["input"]["name"] == launch.name
    assert created["variables"]["input"]["teamIds"] == ["team-eng"]
    assert any(f"launch {launch.id} exists already" == e.payload.reason for e in refusals)
    [announced] = [e for e in shipped if e.payload.launch.id == launch.id]
    assert announced.payload.launch.status == LaunchStatus.SHIPPED


async def test_a_jira_version_left_by_an_earlier_attempt_is_linked_not_made_again(tmp_path: Path) -> None:
    launch = Launch(
        id=uuid4(),
        name=f"Batch API {uuid4().hex[:8]}",
        type=LaunchType.API_PLATFORM_UPDATE,
        team=Team.PRODUCT,
        target_date=utcnow().date() + timedelta(days=30),
    )
    with tracker_server() as fake:
        # The version exists (made by an attempt whose report was lost); Jira names are unique in a project.
        fake.jira_versions["10077"] = {"id": "10077", "name": launch.name, "projectId": 10000, "overdue": False}
        settings = tracker_settings(tmp_path, None, fake.url, project_id=10000)
        async with in_memory(create_app(settings)) as bus:
            await bus.publish(command(CreateLaunch(actor="pm@hub", launch=launch)))

            def linked(seen: list[LaunchChanged]) -> bool:
                return any(s.tracker_ref and s.tracker_ref.status == "linked" for s in states_of(seen, launch.id))

            changed = await bus.until(LaunchChanged, linked)

    last = states_of(changed, launch.id)[-1]
    assert last.tracker_ref is not None and (last.tracker_ref.status, last.tracker_ref.id) == ("linked", "10077")
    assert last.tracker is not None and (last.tracker.system, last.tracker.id) == ("jira", "10077")
    assert fake.created("/jira/rest/api/3/version") == []
