"""feedback.updated in the read model: an edit at the source replaces the item's content, in any arrival order."""

from datetime import UTC, datetime, timedelta
from itertools import permutations
from typing import Any
from uuid import uuid4

from libs.schemas.events import FeedbackUpdate, FeedbackUpdated
from libs.schemas.feedback import Category, Customer, Tier
from services.gateway.domain import Columns, FeedbackEvent, fold_feedback
from services.gateway.tests import factories

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ITEM_ID = uuid4()
ACME = Customer(id="acc-1", email="cto@acme.io", company="Acme", tier=Tier.ENTERPRISE, arr=480_000)


def at(minute: int) -> datetime:
    return T0 + timedelta(minutes=minute)


def updated(minute: int, **changes: Any) -> FeedbackUpdated:
    item = factories.feedback_item(ITEM_ID, T0, **changes)
    payload = FeedbackUpdate(item_id=ITEM_ID, changed=list(changes), item=item, updated_at=at(minute))
    return FeedbackUpdated(producer="test", occurred_at=at(minute), payload=payload)


def fold_all(events: list[FeedbackEvent]) -> Columns:
    row: Columns = {}
    for event in events:
        row |= fold_feedback(row, event)
    return row


def test_an_edit_replaces_title_description_votes_and_tags_and_keeps_the_rest() -> None:
    events: list[FeedbackEvent] = [
        factories.received(ITEM_ID, at(0), created_at=T0, received_at=T0),
        factories.enriched(ITEM_ID, at(1), ACME, created_at=T0, received_at=T0),
        factories.triaged(ITEM_ID, at(2), category=Category.BUG),
        updated(5, title="Rate limits too low for bulk imports", description="Every import.", votes=7, tags=["api"]),
    ]
    row = fold_all(events)
    assert (row["title"], row["description"], row["votes"]) == (
        "Rate limits too low for bulk imports",
        "Every import.",
        7,
    )
    assert row["submitted_tags"] == ["api"] and row["category"] == Category.BUG.value, "the triage stays"
    assert row["customer_company"] == "Acme" and row["created_at"] == T0, "enrich's customer and the times stay"


def test_any_arrival_order_folds_to_the_same_row_and_a_redelivery_changes_nothing() -> None:
    events: list[FeedbackEvent] = [
        factories.received(ITEM_ID, at(0), created_at=T0, received_at=T0),
        factories.enriched(ITEM_ID, at(1), ACME, created_at=T0, received_at=T0),
        updated(5, title="Rate limits too low for bulk imports"),
        updated(9, title="Bulk imports hit the rate limit", votes=3),
    ]
    rows = [fold_all(list(order)) for order in permutations(events)]
    comparable = [{key: value for key, value in row.items() if key != "updated_at"} for row in rows]
    assert all(row == comparable[0] for row in comparable)
    assert comparable[0]["title"] == "Bulk imports hit the rate limit" and comparable[0]["votes"] == 3
    assert fold_feedback(rows[0], events[3]) == {}, "the same update again"
