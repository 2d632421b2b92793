from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest
import yaml
from pydantic import ValidationError

from libs.schemas.commands import (
    CreateLaunch,
    LinkLaunch,
    ReassessLaunch,
    RecordTrackerRef,
    TickChecklistItem,
    UpdateLaunch,
)
from libs.schemas.launches import (
    ChecklistTeam,
    Complexity,
    Launch,
    LaunchChanges,
    LaunchStatus,
    LaunchType,
    Team,
    TrackerLink,
    TrackerRef,
)
from services.launches.domain import (
    Context,
    LaunchState,
    Rejected,
    RetryPolicy,
    RiskRules,
    Templates,
    apply,
    assess,
    checklist_lines,
    linear_project_id,
    needs_reassessment,
    ships_now,
    tracker_attempt_failed,
    tracker_due,
    tracker_linked,
    tracker_update,
)
from services.launches.settings import TEMPLATES_FILE

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
TODAY = NOW.date()
RULES = RiskRules(days_before_target=14, min_readiness=0.8)
TEMPLATES = Templates.model_validate(
    {
        "complexity": {
            "major_model_release": "high",
            "enterprise_feature": "high",
            "api_platform_update": "medium",
            "experimental_beta": "medium",
            "bug_fix_hotfix": "low",
            "documentation": "low",
        },
        "teams": {
            "engineering": [
                {"key": "tests", "title": "Tests"},
                {"key": "monitoring", "title": "Monitoring", "min_complexity": "medium"},
                {
                    "key": "rollback_plan",
                    "title": "Rollback",
                    "min_complexity": "high",
                    "for_types": ["bug_fix_hotfix"],
                },
            ],
            "legal": [{"key": "tos", "title": "ToS", "min_complexity": "high"}],
        },
    }
)
CONTEXT = Context(now=NOW, templates=TEMPLATES, rules=RULES)
ACTOR = "pm@hub"


def created(launch_type: LaunchType = LaunchType.ENTERPRISE_FEATURE, **fields: object) -> LaunchState:
    launch = Launch.model_validate(
        {"id": uuid4(), "name": "SSO", "type": launch_type, "team": Team.ENGINEERING, "target_date": date(2027, 3, 1)}
        | fields
    )
    return apply(None, CreateLaunch(actor=ACTOR, launch=launch), CONTEXT)


def update(state: LaunchState, at: datetime = NOW, **changes: object) -> LaunchState:
    command = UpdateLaunch(launch_id=state.launch.id, actor=ACTOR, changes=LaunchChanges.model_validate(changes))
    return apply(state, command, Context(now=at, templates=TEMPLATES, rules=RULES))


def tick(state: LaunchState, item_id: str, done: bool = True, by: str = ACTOR) -> LaunchState:
    return apply(state, TickChecklistItem(launch_id=state.launch.id, actor=by, item_id=item_id, done=done), CONTEXT)


def ids(state: LaunchState) -> list[str]:
    return [item.id for item in state.checklist.items]


def test_the_shipped_templates_give_complex_types_more_items_and_every_seed_team() -> None:
    templates = Templates.model_validate(yaml.safe_load(TEMPLATES_FILE.read_text()))
    count = {launch_type: len(checklist_lines(launch_type, templates)) for launch_type in LaunchType}
    assert (
        count[LaunchType.MAJOR_MODEL_RELEASE] > count[LaunchType.API_PLATFORM_UPDATE] > count[LaunchType.DOCUMENTATION]
    )
    assert templates.complexity[LaunchType.MAJOR_MODEL_RELEASE] == Complexity.HIGH
    assert templates.complexity[LaunchType.DOCUMENTATION] == Complexity.LOW
    high = {line.id for line in checklist_lines(LaunchType.MAJOR_MODEL_RELEASE, templates)}
    assert {"engineering.rollback_plan", "marketing.landing_page", "sales.battlecards", "legal.privacy"} <= high
    assert {line.team for line in checklist_lines(LaunchType.MAJOR_MODEL_RELEASE, templates)} == set(ChecklistTeam)
    hotfix = {line.id for line in checklist_lines(LaunchType.BUG_FIX_HOTFIX, templates)}
    assert "engineering.rollback_plan" in hotfix and "marketing.blog" not in hotfix


def test_templates_must_name_every_type_and_keys_once() -> None:
    incomplete = TEMPLATES.model_dump(mode="json")
    del incomplete["complexity"]["documentation"]
    with pytest.raises(ValidationError, match="no complexity"):
        Templates.model_validate(incomplete)
    twice = TEMPLATES.model_dump(mode="json")
    twice["teams"]["legal"].append({"key": "tos", "title": "again"})
    with pytest.raises(ValidationError, match="appears twice"):
        Templates.model_validate(twice)


def test_a_checklist_is_generated_by_type_when_a_launch_is_created() -> None:
    assert ids(created(LaunchType.ENTERPRISE_FEATURE)) == [
        "engineering.tests",
        "engineering.monitoring",
        "engineering.rollback_plan",
        "legal.tos",
    ]
    assert ids(created(LaunchType.API_PLATFORM_UPDATE)) == ["engineering.tests", "engineering.monitoring"]
    assert ids(created(LaunchType.BUG_FIX_HOTFIX)) == ["engineering.tests", "engineering.rollback_plan"]
    assert ids(created(LaunchType.DOCUMENTATION)) == ["engineering.tests"]
    assert created(LaunchType.DOCUMENTATION).launch.complexity == Complexity.LOW


def test_readiness_per_team_and_overall_with_who_ticked_and_when() -> None:
    state = tick(tick(created(), "engineering.tests"), "engineering.monitoring", by="sre@hub")
    readiness = state.checklist.readiness
    assert readiness.overall == 0.5
    assert readiness.by_team == {ChecklistTeam.ENGINEERING: 2 / 3, ChecklistTeam.LEGAL: 0.0}
    monitoring = next(item for item in state.checklist.items if item.id == "engineering.monitoring")
    assert (monitoring.done, monitoring.done_by, monitoring.done_at) == (True, "sre@hub", NOW)
    unticked = tick(state, "engineering.monitoring", done=False, by="qa@hub")
    monitoring = next(item for item in unticked.checklist.items if item.id == "engineering.monitoring")
    assert (monitoring.done, monitoring.done_by) == (False, "qa@hub")
    assert unticked.checklist.readiness.overall == 0.25


def test_a_type_change_regenerates_the_checklist_and_keeps_every_tick() -> None:
    state = tick(tick(created(LaunchType.ENTERPRISE_FEATURE), "engineering.tests"), "legal.tos")
    simpler = update(state, type=LaunchType.API_PLATFORM_UPDATE)
    assert ids(simpler) == ["engineering.tests", "engineering.monitoring"]
    assert [item.done for item in simpler.checklist.items] == [True, False], "the tick follows its key"
    assert simpler.launch.complexity == Complexity.MEDIUM
    back = update(simpler, type=LaunchType.ENTERPRISE_FEATURE)
    assert [item.done for item in back.checklist.items] == [True, False, False, True], "a dropped item's tick is kept"


def test_an_item_the_checklist_does_not_have_cannot_be_ticked() -> None:
    with pytest.raises(Rejected, match="no checklist item legal.tos"):
        tick(created(LaunchType.DOCUMENTATION), "legal.tos")


def test_commands_on_a_missing_launch_or_a_second_create_are_rejected() -> None:
    state = created()
    with pytest.raises(Rejected, match="exists already"):
        apply(state, CreateLaunch(actor=ACTOR, launch=state.launch), CONTEXT)
    with pytest.raises(Rejected, match="no launch"):
        apply(None, ReassessLaunch(launch_id=uuid4(), actor=ACTOR), CONTEXT)


def test_an_update_changes_only_the_fields_sent_and_null_clears_an_optional_one() -> None:
    state = created(owner="Aiko", start_date=date(2027, 1, 4))
    changed = update(state, name="Okta SSO", start_date=None)
    assert (changed.launch.name, changed.launch.owner, changed.launch.start_date) == ("Okta SSO", "Aiko", None)
    assert changed.launch.target_date == state.launch.target_date
    with pytest.raises(ValidationError):
        update(state, name=None)


def test_links_add_to_those_already_there_once_each() -> None:
    first, second, theme = uuid4(), uuid4(), uuid4()
    state = created()
    linked = apply(state, LinkLaunch(launch_id=state.launch.id, actor=ACTOR, feedback_ids=[first]), CONTEXT)
    linked = apply(
        linked,
        LinkLaunch(launch_id=state.launch.id, actor=ACTOR, feedback_ids=[second, first], theme_ids=[theme]),
        CONTEXT,
    )
    assert (linked.launch.feedback_ids, linked.launch.theme_ids) == ([first, second], [theme])


def test_a_launch_ships_once_and_keeps_its_first_shipping_date() -> None:
    state = created()
    shipped = update(state, status=LaunchStatus.SHIPPED)
    assert shipped.launch.status == LaunchStatus.SHIPPED and shipped.shipped_at == NOW
    assert ships_now(state, shipped)
    reopened = update(shipped, NOW + timedelta(days=1), status=LaunchStatus.BETA)
    again = update(reopened, NOW + timedelta(days=2), status=LaunchStatus.SHIPPED)
    assert again.shipped_at == NOW
    assert not ships_now(reopened, again)
    assert ships_now(None, created(status=LaunchStatus.SHIPPED)), "created shipped, it ships at once"


def test_at_risk_when_the_target_nears_and_the_checklist_lags() -> None:
    target = TODAY + timedelta(days=14)
    assert assess(LaunchStatus.IN_DEV, None, target, 0.79, TODAY, RULES)[0] == LaunchStatus.AT_RISK
    assert assess(LaunchStatus.BETA, None, target, 0.8, TODAY, RULES) == (LaunchStatus.BETA, None)
    assert assess(LaunchStatus.IN_DEV, None, target + timedelta(days=1), 0.0, TODAY, RULES)[0] == LaunchStatus.IN_DEV
    status, reason = assess(LaunchStatus.BETA, None, target, 0.5, TODAY, RULES)
    assert (
        status == LaunchStatus.AT_RISK
        and reason == "14 days to the target date and the checklist is 50% done (below 80%)"
    )


def test_overdue_is_at_risk_and_shipped_never_is() -> None:
    yesterday = TODAY - timedelta(days=1)
    assert assess(LaunchStatus.IN_DEV, None, yesterday, 1.0, TODAY, RULES)[0] == LaunchStatus.AT_RISK
    assert assess(LaunchStatus.SHIPPED, None, yesterday, 0.0, TODAY, RULES) == (LaunchStatus.SHIPPED, None)
    assert assess(LaunchStatus.AT_RISK, "sync:linear", date(2030, 1, 1), 1.0, TODAY, RULES) == (
        LaunchStatus.AT_RISK,
        "marked at risk by sync:linear",
    )


def test_the_status_shown_follows_the_checklist_and_the_declared_one_is_kept() -> None:
    state = created(target_date=TODAY + timedelta(days=10), status=LaunchStatus.BETA)
    assert state.launch.status == LaunchStatus.AT_RISK and state.declared_status == LaunchStatus.BETA
    for item_id in ids(state):
        state = tick(state, item_id)
    assert (state.launch.status, state.launch.risk_reason) == (LaunchStatus.BETA, None)


def test_time_alone_can_call_for_a_reassessment() -> None:
    state = created(target_date=TODAY + timedelta(days=30))
    assert not needs_reassessment(state, TODAY, RULES)
    assert needs_reassessment(state, TODAY + timedelta(days=20), RULES)
    later = Context(now=NOW + timedelta(days=20), templates=TEMPLATES, rules=RULES)
    reassessed = apply(state, ReassessLaunch(launch_id=state.launch.id, actor="launches:risk-review"), later)
    assert reassessed.launch.status == LaunchStatus.AT_RISK
    assert not needs_reassessment(reassessed, TODAY + timedelta(days=20), RULES)


def test_a_tracker_update_keeps_only_what_differs_from_the_launch() -> None:
    state = created(target_date=date(2027, 3, 1))
    link = TrackerLink(system="linear", id="proj-1")
    said = LaunchChanges(status="in_dev", start_date=date(2027, 1, 4), target_date=date(2027, 3, 1), tracker=link)
    update = tracker_update(state, said)
    assert update is not None
    assert update.model_dump(mode="json") == {
        "start_date": "2027-01-04",
        "tracker": {"system": "linear", "id": "proj-1", "url": None},
    }
    synced = apply(state, UpdateLaunch(launch_id=state.launch.id, actor="sync:linear", changes=update), CONTEXT)
    assert tracker_update(synced, said) is None, "nothing new: no command"
    at_risk = LaunchChanges(status="at_risk", tracker=link)
    assert tracker_update(synced, at_risk) == LaunchChanges(status="at_risk")


def test_a_new_launch_records_its_tracker_request_when_a_tracker_is_set_up() -> None:
    launch = created().launch
    assert launch.tracker_ref is None, "no tracker set up: nothing to create"
    linear_context = Context(now=NOW, templates=TEMPLATES, rules=RULES, creates_in="linear")
    fresh = Launch(id=uuid4(), name="SSO", type="documentation", team="product", target_date=date(2027, 3, 1))
    ref = apply(None, CreateLaunch(actor=ACTOR, launch=fresh), linear_context).launch.tracker_ref
    assert ref is not None and (ref.system, ref.status, ref.attempts, ref.requested_at) == ("linear", "pending", 0, NOW)
    assert ref.id == linear_project_id(fresh.id) and UUID(ref.id).version == 4, "Linear takes ids in UUID v4 format"
    assert linear_project_id(fresh.id) == ref.id and linear_project_id(uuid4()) != ref.id
    jira_context = Context(now=NOW, templates=TEMPLATES, rules=RULES, creates_in="jira")
    jira_ref = apply(None, CreateLaunch(actor=ACTOR, launch=fresh), jira_context).launch.tracker_ref
    assert jira_ref is not None and jira_ref.id is None, "Jira chooses the version's id"
    already = fresh.model_copy(update={"tracker": TrackerLink(system="jira", id="10020")})
    assert apply(None, CreateLaunch(actor=ACTOR, launch=already), linear_context).launch.tracker_ref is None


def test_a_failed_attempt_waits_longer_each_time_then_gives_up() -> None:
    policy = RetryPolicy(attempts=3, backoff_seconds=10)
    ref = TrackerRef(system="jira", status="pending", requested_at=NOW)
    first = tracker_attempt_failed(ref, "Jira answered 503", True, NOW, policy)
    assert (first.status, first.attempts, first.reason, first.retry_at) == (
        "pending",
        1,
        "Jira answered 503",
        NOW + timedelta(seconds=10),
    )
    assert not tracker_due(first, NOW) and tracker_due(first, NOW + timedelta(seconds=10))
    second = tracker_attempt_failed(first, "Jira unreachable", True, NOW, policy)
    assert second.retry_at == NOW + timedelta(seconds=20)
    third = tracker_attempt_failed(second, "Jira answered 502", True, NOW, policy)
    assert (third.status, third.attempts, third.retry_at) == ("failed", 3, None) and not tracker_due(third, NOW)
    refused = tracker_attempt_failed(ref, "Jira answered 403", False, NOW, policy)
    assert (refused.status, refused.reason) == ("failed", "Jira answered 403"), "a refusal is not retried"


def test_a_linked_tracker_object_is_followed_and_a_late_failure_does_not_undo_it() -> None:
    ref = TrackerRef(system="linear", status="pending", id="p-1", requested_at=NOW)
    state = created(tracker_ref=ref)
    failed_once = tracker_attempt_failed(ref, "Linear answered 503", True, NOW, RetryPolicy(5, 1))

    def report(state: LaunchState, ref: TrackerRef) -> LaunchState:
        return apply(state, RecordTrackerRef(launch_id=state.launch.id, actor="sync:linear", ref=ref), CONTEXT)

    pending = report(state, failed_once)
    assert pending.launch.tracker_ref == failed_once and pending.launch.tracker is None
    link = TrackerLink(system="linear", id="p-1", url="https://linear.app/acme/project/p-1")
    linked = report(pending, tracker_linked(failed_once, link))
    assert linked.launch.tracker == link
    assert linked.launch.tracker_ref is not None and (
        linked.launch.tracker_ref.status,
        linked.launch.tracker_ref.attempts,
    ) == (
        "linked",
        2,
    )
    assert report(linked, failed_once) == linked
    by_hand = TrackerLink(system="linear", id="chosen-by-a-person")
    kept = report(update(pending, tracker=by_hand.model_dump()), tracker_linked(failed_once, link))
    assert kept.launch.tracker == by_hand, "a person's link wins"
