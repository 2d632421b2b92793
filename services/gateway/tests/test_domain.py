from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta, timezone
from itertools import permutations
from typing import Any, Literal
from uuid import UUID, uuid4

from libs.schemas.events import (
    CustomerHistory,
    FeedbackDeduped,
    FeedbackEnriched,
    FeedbackOverridden,
    FeedbackReceived,
    FeedbackTriaged,
)
from libs.schemas.feedback import Category, Customer, SimilarItem, Tier
from libs.schemas.launches import LaunchStatus
from services.gateway.domain import (
    Columns,
    FeedbackEvent,
    LaunchEvent,
    ThemeStats,
    WeekCount,
    fold_feedback,
    fold_launch,
    fold_theme,
    is_newer,
    rank_themes,
    top_product_areas,
    trend_change,
    week_bounds,
    weekly,
)
from services.gateway.tests import factories

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ITEM_ID = uuid4()
OTHER_ID = uuid4()
ACME = Customer(id="acc-1", email="cto@acme.io", company="Acme", tier=Tier.ENTERPRISE, arr=480_000, health_score=35)


def at(minute: int) -> datetime:
    return T0 + timedelta(minutes=minute)


def received(minute: int, **changes: Any) -> FeedbackReceived:
    return factories.received(ITEM_ID, at(minute), created_at=T0, received_at=T0, **changes)


def triaged(minute: int, category: Category = Category.BUG, tags: list[str] | None = None) -> FeedbackTriaged:
    return factories.triaged(ITEM_ID, at(minute), category=category, tags=tags)


def deduped(minute: int) -> FeedbackDeduped:
    similar = [SimilarItem(id=OTHER_ID, score=0.93, title="Raise the rate limit")]
    return factories.deduped(ITEM_ID, at(minute), similar, duplicate_of=OTHER_ID)


def overridden(minute: int, **fields: Any) -> FeedbackOverridden:
    return factories.overridden(ITEM_ID, at(minute), **fields)


def acme_enriched(minute: int) -> FeedbackEnriched:
    return factories.enriched(ITEM_ID, at(minute), ACME, created_at=T0, received_at=T0)


def fold_all(events: Iterable[FeedbackEvent]) -> Columns:
    """The row the events fold into; like a table's NULL, a column never set or set to None is absent."""
    row: Columns = {}
    for event in events:
        row |= fold_feedback(row, event)
    return {name: value for name, value in row.items() if value is not None}


def test_a_replay_is_not_newer() -> None:
    assert is_newer(at(1), None)
    assert is_newer(at(2), at(1))
    assert not is_newer(at(1), at(1))
    assert not is_newer(at(0), at(1))


def test_any_arrival_order_of_the_same_events_folds_to_the_same_row() -> None:
    events: list[FeedbackEvent] = [
        received(0),
        acme_enriched(1),
        triaged(2),
        deduped(3),
        overridden(4, category="complaint"),
        overridden(5, not_duplicate=True),
    ]
    in_order = fold_all(events)
    assert all(fold_all(shuffled) == in_order for shuffled in permutations(events))
    assert (in_order["title"], in_order["customer_company"], in_order["category"]) == (
        "Rate limits too low",
        "Acme",
        "complaint",
    )
    assert "duplicate_of" not in in_order
    assert in_order["updated_at"] == at(5)


def test_folding_an_event_again_changes_nothing() -> None:
    events: list[FeedbackEvent] = [received(0), acme_enriched(1), triaged(2), deduped(3), overridden(4, priority="low")]
    row = fold_all(events)
    assert [fold_feedback(row, event) for event in events] == [{}] * len(events)


def test_an_older_event_of_a_kind_does_not_overwrite_a_newer_one() -> None:
    newer, older = triaged(5, Category.BUG), triaged(2, Category.QUESTION)
    assert fold_all([newer, older])["category"] == fold_all([older, newer])["category"] == "bug"
    assert fold_all([newer, older])["triaged_at"] == at(5)


def test_only_the_columns_an_event_owns_change() -> None:
    row = fold_all([received(0), triaged(2)])
    assert set(fold_feedback(row, deduped(3))) == {
        "deduped_at",
        "similar_items",
        "suggested_duplicate_of",
        "duplicate_score",
        "duplicate_of",
        "duplicate_state",
        "updated_at",
    }


def test_a_row_without_its_item_has_no_base_until_the_item_arrives() -> None:
    early = fold_all([triaged(2), deduped(3)])
    assert "title" not in early and early["category"] == "bug"
    assert fold_all([triaged(2), deduped(3), received(0)])["title"] == "Rate limits too low"


def test_enriched_fills_the_base_when_received_is_late_and_its_customer_stays() -> None:
    row = fold_all([acme_enriched(1), received(0, title="Rate limits too low (stale)")])
    assert row["title"] == "Rate limits too low", "the base comes from the newest of received and enriched"
    assert (row["customer_id"], row["customer_tier"], row["customer_arr"], row["customer_known"]) == (
        "acc-1",
        "enterprise",
        480_000,
        True,
    )
    assert row["received_event_at"] == at(0), "received is still recorded as folded"


def test_a_newer_resend_of_the_item_updates_the_base_but_not_the_enriched_customer() -> None:
    row = fold_all([received(0), acme_enriched(1), received(9, votes=12)])
    assert row["votes"] == 12
    assert row["customer_company"] == "Acme"


def test_a_person_beats_the_ai_which_beats_what_was_submitted() -> None:
    submitted = fold_all([received(0)])
    assert (submitted["category"], submitted["product_area"], submitted["tags"]) == (
        "feature_request",
        "api",
        ["rate-limits"],
    )
    by_ai = fold_all([received(0), triaged(2)])
    assert (by_ai["category"], by_ai["priority"], by_ai["product_area"], by_ai["tags"]) == (
        "bug",
        "high",
        "platform",
        ["quota"],
    )
    correction = overridden(3, category="complaint", priority="critical", tags=[], product_area="billing")
    by_person = fold_all([received(0), triaged(2), correction])
    assert (by_person["category"], by_person["priority"], by_person["product_area"], by_person["tags"]) == (
        "complaint",
        "critical",
        "billing",
        [],
    ), "an override may clear the tags"
    assert by_person["triage"]["category"] == "bug", "the AI's own verdict is kept"


def test_a_shadow_verdict_is_kept_beside_the_human_triage_but_not_shown_as_truth() -> None:
    shadowed = fold_all([received(0), factories.triaged(ITEM_ID, at(2), category=Category.BUG, shadow=True)])
    assert shadowed["category"] == "feature_request", "what the source's people said stays the truth"
    assert shadowed["triage"]["category"] == "bug" and shadowed["triage"]["shadow"] is True


def test_the_newest_override_of_a_field_wins_and_every_override_is_kept_in_time_order() -> None:
    row = fold_all(
        [received(0), overridden(7, priority="critical"), overridden(3, priority="low", category="question")]
    )
    assert (row["priority"], row["category"]) == ("critical", "question")
    assert [entry["priority"] for entry in row["overrides"]] == ["low", "critical"]


def test_not_duplicate_clears_the_duplicate_and_a_later_override_restores_it() -> None:
    assert fold_all([received(0), deduped(3)])["duplicate_of"] == OTHER_ID
    cleared = fold_all([overridden(4, not_duplicate=True), received(0), deduped(3)])
    assert "duplicate_of" not in cleared and cleared["suggested_duplicate_of"] == OTHER_ID
    restored = fold_all(
        [received(0), deduped(3), overridden(4, not_duplicate=True), overridden(6, not_duplicate=False)]
    )
    assert restored["duplicate_of"] == OTHER_ID


def test_sentiment_falls_back_to_the_submitted_score_with_the_contract_labels() -> None:
    assert fold_all([received(0)])["sentiment_label"] == "negative"
    assert "sentiment_label" not in fold_all([received(0, sentiment_score=None)])
    assert fold_all([received(0), triaged(2)])["sentiment_label"] == "positive"


def test_an_ai_that_found_no_tags_does_not_hide_the_submitted_ones() -> None:
    assert fold_all([received(0), triaged(2, tags=[])])["tags"] == ["rate-limits"]


def test_a_late_launch_change_does_not_undo_its_shipment() -> None:
    target = date(2026, 4, 1)
    change = factories.launch_changed(ITEM_ID, at(1), LaunchStatus.BETA, target)
    shipped = factories.launch_shipped(ITEM_ID, at(5), target)
    rows = []
    orders: list[list[LaunchEvent]] = [[change, shipped], [shipped, change]]
    for events in orders:
        row: Columns = {}
        for event in events:
            row |= fold_launch(row, event)
        rows.append(row)
    assert rows[0] == rows[1]
    assert (rows[0]["status"], rows[0]["shipped_at"], rows[0]["launch"]["status"]) == ("shipped", at(5), "shipped")
    assert fold_launch(rows[0], shipped) == {}


# --- duplicates and themes ----------------------------------------------------------------------

LinkState = Literal["suggested", "merged", "not_duplicate", "standalone"]
PARENT_ID = uuid4()
THEME_ID, OTHER_THEME_ID = uuid4(), uuid4()


def linked(minute: int, duplicate_of: UUID | None, state: LinkState = "merged", actor: str = "pm@hub") -> FeedbackEvent:
    return factories.linked(ITEM_ID, at(minute), duplicate_of, state, actor)


def test_dedupes_link_beats_the_suggestion_in_any_order() -> None:
    events: list[FeedbackEvent] = [
        received(0),
        deduped(1),
        linked(2, PARENT_ID),
        linked(1, OTHER_ID, "suggested", "dedupe"),
    ]
    rows = [fold_all(order) for order in permutations(events)]
    assert all(row == rows[0] for row in rows)
    assert (rows[0]["duplicate_of"], rows[0]["duplicate_state"]) == (PARENT_ID, "merged")
    assert rows[0]["duplicate_link"]["actor"] == "pm@hub" and rows[0]["linked_at"] == at(2)
    assert rows[0]["suggested_duplicate_of"] == OTHER_ID, "the model's suggestion is kept"


def test_an_unmerge_leaves_the_item_standing_alone_even_with_a_suggestion() -> None:
    row = fold_all([received(0), deduped(1), linked(2, OTHER_ID), linked(3, None, "standalone")])
    assert "duplicate_of" not in row and row["duplicate_state"] == "standalone"


def test_a_persons_not_duplicate_wins_over_older_links_until_a_newer_link() -> None:
    not_duplicate = overridden(4, not_duplicate=True)
    held = fold_all([received(0), linked(2, OTHER_ID, "suggested", "dedupe"), not_duplicate])
    assert "duplicate_of" not in held and held["duplicate_state"] == "not_duplicate"
    merged_later = fold_all([received(0), not_duplicate, linked(6, PARENT_ID)])
    assert (merged_later["duplicate_of"], merged_later["duplicate_state"]) == (PARENT_ID, "merged")
    with_suggestion_only = fold_all([received(0), deduped(1), not_duplicate])
    assert with_suggestion_only["duplicate_state"] == "not_duplicate"


def test_the_newest_theme_membership_wins_and_a_replay_changes_nothing() -> None:
    first, moved = factories.themed(ITEM_ID, at(1), THEME_ID), factories.themed(ITEM_ID, at(5), OTHER_THEME_ID)
    assert fold_all([moved, first])["theme_id"] == fold_all([first, moved])["theme_id"] == OTHER_THEME_ID
    row = fold_all([received(0), first])
    assert fold_feedback(row, first) == {}


def test_the_customers_history_comes_with_enrich() -> None:
    history = CustomerHistory(previous_items=3, previous_item_ids=[OTHER_ID], churn_signals=["a downgrade"])
    row = fold_all([factories.enriched(ITEM_ID, at(1), ACME, history=history, created_at=T0, received_at=T0)])
    assert row["customer_history"]["previous_items"] == 3
    assert row["customer_history"]["previous_item_ids"] == [str(OTHER_ID)]


def test_a_theme_is_as_of_its_newest_change() -> None:
    named = factories.theme_changed(THEME_ID, at(1), "Rate limits")
    renamed = factories.theme_changed(THEME_ID, at(4), "API quotas", by="pm@hub")
    rows = []
    for events in ([named, renamed], [renamed, named]):
        row: Columns = {}
        for event in events:
            row |= fold_theme(row, event)
        rows.append(row)
    assert rows[0] == rows[1]
    assert (rows[0]["name"], rows[0]["name_source"], rows[0]["changed_by"]) == ("API quotas", "person", "pm@hub")
    assert fold_theme(rows[0], renamed) == {}


def test_weeks_are_iso_weeks_from_monday_midnight_utc_with_empty_weeks_as_zero() -> None:
    now = datetime(2027, 1, 3, 23, 0, tzinfo=timezone(timedelta(hours=-5)))  # Monday 04:00 UTC, ISO week 2027-W01
    assert week_bounds(now, 3) == [
        datetime(2026, 12, 21, tzinfo=UTC),
        datetime(2026, 12, 28, tzinfo=UTC),
        datetime(2027, 1, 4, tzinfo=UTC),
    ]
    assert [(week.week, week.start, week.count) for week in weekly(now, 3, {1: 3, 2: 2})] == [
        ("2026-W52", date(2026, 12, 21), 0),
        ("2026-W53", date(2026, 12, 28), 3),
        ("2027-W01", date(2027, 1, 4), 2),
    ]


def test_trend_is_the_newer_half_minus_the_older_half() -> None:
    assert trend_change([1, 2, 3, 4]) == 4
    assert trend_change([5, 0, 9, 1, 1]) == -3, "the middle week sits out"
    assert trend_change([]) == 0


def test_top_product_areas_most_items_first_then_by_name() -> None:
    areas = {"billing": 2, "api": 5, "auth": 2, "ui": 1}
    assert top_product_areas(areas, 3) == [("api", 5), ("auth", 2), ("billing", 2)]


def test_themes_rank_by_the_chosen_measure_with_stable_ties() -> None:
    def stats(number: int, items: int, votes: int, arr: float, weekly: list[int]) -> ThemeStats:
        start = date(2027, 1, 4)
        weeks = [WeekCount(week=f"w{i}", start=start + timedelta(weeks=i), count=c) for i, c in enumerate(weekly)]
        return ThemeStats(theme_id=UUID(int=number), items=items, votes=votes, arr=arr, weekly=weeks)

    big, loud = stats(1, 9, 10, 500.0, [5, 4]), stats(2, 3, 40, 900.0, [3, 3])
    rising, tie = stats(3, 4, 4, 0.0, [0, 6]), stats(4, 9, 10, 500.0, [5, 4])
    themes = [rising, tie, loud, big]
    assert rank_themes(themes, "arr") == [loud, big, tie, rising], "ties by items, then by id"
    assert rank_themes(themes, "votes") == [loud, big, tie, rising]
    assert rank_themes(themes, "items") == [big, tie, rising, loud]
    assert rank_themes(themes, "trend") == [rising, loud, big, tie]
