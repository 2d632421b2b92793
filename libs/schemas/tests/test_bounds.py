"""Every field of the unified model is bounded, so that no item's event can outgrow a broker message."""

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from pydantic import BaseModel, ValidationError

from libs.runtime.settings import MAX_MESSAGE_BYTES
from libs.schemas.events import (
    FeedbackReceived,
    FeedbackUpdate,
    FeedbackUpdated,
    Notification,
    RetriageRequest,
    TriageOverride,
)
from libs.schemas.feedback import (
    MAX_REASON_LENGTH,
    AITriage,
    Customer,
    FeedbackInput,
    FeedbackItem,
    FieldConfidence,
)

NOW = datetime(2026, 11, 27, tzinfo=UTC)
# The costliest character on the wire: JSON writes a control character as \u0001, six bytes.
COSTLIEST = "\x01"


def full(length: int) -> str:
    return COSTLIEST * length


def triage(**fields: Any) -> AITriage:
    return AITriage.model_validate(
        {
            "category": "bug",
            "sentiment_score": -0.5,
            "sentiment_label": "negative",
            "priority": "high",
            "priority_score": 9,
            "priority_reasoning": "Tier 3 x 3",
            "confidence": {"category": 0.9, "sentiment": 0.9, "priority": 0.6},
            "model_version": "local-1",
            "processed_at": NOW,
        }
        | fields
    )


@pytest.mark.parametrize(
    ("model", "fields", "where"),
    [
        (FeedbackInput, {"title": "t", "tags": ["x" * 101]}, "tags.0"),
        (Customer, {"id": "c" * 101}, "id"),
        (FeedbackInput, {"title": "t", "url": "https://example.com/" + "a" * 2_100}, "url"),
        (AITriage, {"tags": ["x" * 101]}, "tags.0"),
        (AITriage, {"product_area": "a" * 101}, "product_area"),
        (AITriage, {"similar_issues": ["s"] * 21}, "similar_issues"),
        (AITriage, {"similar_issues": ["s" * 201]}, "similar_issues.0"),
        (AITriage, {"priority_reasoning": "r" * 2_001}, "priority_reasoning"),
        (AITriage, {"model_version": "m" * 201}, "model_version"),
        (TriageOverride, {"item_id": uuid4(), "actor": "pm", "tags": ["x" * 101]}, "tags.0"),
        (TriageOverride, {"item_id": uuid4(), "actor": "pm", "reason": "r" * 1_001}, "reason"),
        (RetriageRequest, {"requested_by": "pm", "item_ids": [uuid4()] * 10_001}, "item_ids"),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else None,
)
def test_a_value_over_its_bound_is_refused(model: type[BaseModel], fields: dict[str, Any], where: str) -> None:
    if model is AITriage:
        with pytest.raises(ValidationError) as refused:
            triage(**fields)
    else:
        with pytest.raises(ValidationError) as refused:
            model.model_validate(fields)
    assert [".".join(map(str, error["loc"])) for error in refused.value.errors()] == [where]


def test_a_value_at_its_bound_is_taken() -> None:
    item = FeedbackInput(title="t", tags=["x" * 100] * 20, customer=Customer(id="c" * 100))
    assert len(item.tags) == 20 and item.customer.id == "c" * 100


def test_a_reason_our_code_words_is_cut_never_refused() -> None:
    error_text = "Mistral answered 502: " + "<html>" * 2_000
    verdict = triage(degraded=True, degraded_reason=error_text)
    assert verdict.degraded_reason is not None and len(verdict.degraded_reason) == MAX_REASON_LENGTH
    assert verdict.degraded_reason.startswith("Mistral answered 502: ") and verdict.degraded_reason.endswith("…")
    failed = Notification.model_validate(
        {
            "id": uuid4(),
            "launch_id": uuid4(),
            "launch_name": "SSO",
            "channel": "email",
            "status": "failed",
            "reason": error_text,
            "customer_email": "a@b.io",
            "customer_company": None,
            "feedback_ids": [],
            "message": "shipped",
            "sent_at": NOW,
        }
    )
    assert failed.reason is not None and len(failed.reason) == MAX_REASON_LENGTH


def test_the_largest_item_the_bounds_allow_fits_in_half_a_message() -> None:
    """A guard on the bounds themselves: raise one, and this says whether items still fit (with room for replies)."""
    verdict = triage(
        priority_reasoning=full(2_000),
        tags=[full(100)] * 5,
        product_area=full(100),
        similar_issues=[full(200)] * 20,
        model_version=full(200),
        degraded_reason=full(MAX_REASON_LENGTH),
        confidence=FieldConfidence(category=1, sentiment=1, priority=1),
    )
    item = FeedbackItem(
        id=uuid4(),
        source_id=full(200),
        title=full(500),
        description=full(50_000),
        customer=Customer(id=full(100), email=full(320), name=full(200), company=full(200)),
        tags=[full(100)] * 20,
        product_area=full(100),
        url="https://example.com/" + full(2_000),
        created_at=NOW,
        received_at=NOW,
        ai_triage=verdict,
    )
    received = FeedbackReceived(producer="ingest", payload=item)
    updated = FeedbackUpdated(
        producer="ingest",
        payload=FeedbackUpdate(item_id=item.id, changed=["title", "description"], item=item, updated_at=NOW),
    )
    for event in (received, updated):
        assert len(event.model_dump_json().encode()) < MAX_MESSAGE_BYTES // 2
