from datetime import UTC, datetime
from uuid import uuid4

from libs.schemas.events import CustomerMatch, EnrichedFeedback, FeedbackEnriched, FeedbackReceived
from libs.schemas.feedback import (
    AITriage,
    Answer,
    FeedbackItem,
    FieldReview,
    Review,
    ReviewedField,
    ReviewState,
    SentimentLabel,
    sentiment_label,
)

NOW = datetime(2026, 11, 27, tzinfo=UTC)


def received() -> FeedbackReceived:
    item = FeedbackItem(id=uuid4(), title="Webhooks retry forever", created_at=NOW, received_at=NOW)
    return FeedbackReceived(producer="test", payload=item)


def test_an_event_survives_the_wire_unchanged() -> None:
    event = received()
    assert FeedbackReceived.model_validate_json(event.model_dump_json()) == event


def test_a_reply_carries_the_correlation_and_names_its_cause() -> None:
    cause = received()
    reply = FeedbackEnriched.caused_by(
        cause,
        producer="enrich",
        payload=EnrichedFeedback(item=cause.payload, match=CustomerMatch(matched_by="none", known=False)),
    )
    assert reply.correlation_id == cause.correlation_id and reply.causation_id == cause.event_id
    assert reply.key == str(cause.payload.id).encode(), "every event about an item shares its partition"


def test_readers_ignore_fields_they_do_not_know_yet() -> None:
    event = received()
    body = event.model_dump(mode="json") | {"added_in_a_later_minor": True}
    assert FeedbackReceived.model_validate(body) == event


def test_sentiment_labels_follow_the_contract_thresholds() -> None:
    assert sentiment_label(0.5) == SentimentLabel.POSITIVE
    assert sentiment_label(0.49) == SentimentLabel.NEUTRAL
    assert sentiment_label(-0.3) == SentimentLabel.NEGATIVE
    assert sentiment_label(-0.29) == SentimentLabel.NEUTRAL


def test_a_verdict_given_before_reviews_existed_still_decodes() -> None:
    verdict = {
        "category": "bug",
        "sentiment_score": -0.6,
        "sentiment_label": "negative",
        "priority": "high",
        "priority_score": 13,
        "priority_reasoning": "high: score 13",
        "confidence": {"category": 0.7, "sentiment": 0.8, "priority": 0.6},
        "model_version": "local-1",
        "processed_at": NOW.isoformat(),
    }
    assert AITriage.model_validate(verdict).review is None
    needs_look = Review(
        state=ReviewState.NEEDS_REVIEW,
        fields=[FieldReview(field=ReviewedField.CATEGORY, answers=[Answer(label="bug", probability=0.6)])],
    )
    with_review = AITriage.model_validate(verdict | {"review": needs_look.model_dump(mode="json")})
    assert with_review.review == needs_look
