from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from itertools import permutations
from typing import Any
from uuid import uuid4

from libs.schemas.events import FeedbackDeduped, FeedbackEnriched, FeedbackOverridden, FeedbackReceived, FeedbackTriaged
from libs.schemas.feedback import Category, Customer, SimilarItem, Tier
from libs.schemas.launches import LaunchStatus
from services.gateway.domain import Columns, FeedbackEvent, LaunchEvent, fold_feedback, fold_launch, is_newer
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
