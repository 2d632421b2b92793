from datetime import UTC, datetime
from uuid import uuid4

import pytest

from libs.schemas.feedback import Category, Customer, FeedbackItem, Priority, SentimentLabel, Tier
from services.triage.domain import (
    PriorityBands,
    priority_of,
    read_category,
    read_sentiment,
    read_severity,
    revenue_points,
    triage,
)

BANDS = PriorityBands(critical_from=17, high_from=13, medium_from=9, at_risk_boost=2)
NOW = datetime(2026, 11, 27, tzinfo=UTC)
BIG = Customer(company="Acme", tier=Tier.ENTERPRISE, arr=480_000, health_score=80)
SMALL = Customer(company="Solo", tier=Tier.FREE, arr=0)


def item(title: str, description: str = "", customer: Customer = SMALL) -> FeedbackItem:
    return FeedbackItem(
        id=uuid4(), title=title, description=description, customer=customer, created_at=NOW, received_at=NOW
    )


@pytest.mark.parametrize(("arr", "points"), [(None, 0), (0, 0), (9_999, 1), (10_000, 2), (99_999, 2), (100_000, 3)])
def test_revenue_points_step_at_10k_and_100k(arr: float | None, points: int) -> None:
    assert revenue_points(arr) == points


def test_priority_follows_the_seed_formula_and_names_its_factors() -> None:
    priority, score, reasoning = priority_of(BIG, severity=4, bands=BANDS)
    assert score == 3 * 3 + 4 * 2 + 3
    assert priority == Priority.CRITICAL
    assert "enterprise" in reasoning and "blocking" in reasoning and "$480,000 ARR" in reasoning


def test_the_same_words_weigh_less_from_a_free_user() -> None:
    assert priority_of(SMALL, severity=4, bands=BANDS)[0] == Priority.MEDIUM
    assert priority_of(SMALL, severity=1, bands=BANDS)[0] == Priority.LOW


def test_an_at_risk_customer_is_boosted_and_told_why() -> None:
    at_risk = BIG.model_copy(update={"tier": Tier.PRO, "arr": 40_000, "health_score": 22, "at_risk": True})
    calm = at_risk.model_copy(update={"at_risk": False})
    boosted, boosted_score, reasoning = priority_of(at_risk, severity=3, bands=BANDS)
    assert boosted_score == priority_of(calm, severity=3, bands=BANDS)[1] + 2
    assert "at risk" in reasoning and boosted == Priority.HIGH


def test_severity_is_read_from_the_language() -> None:
    assert read_severity("Production is down, all requests fail") == 4
    assert read_severity("Export fails with a 500 error") == 3
    assert read_severity("Minor typo on the pricing page") == 1
    assert read_severity("Could the sidebar be collapsible") == 2


def test_sarcasm_is_not_praise() -> None:
    score, _ = read_sentiment("Great, another outage this week.")
    assert score <= -0.3


def test_sentiment_direction() -> None:
    assert read_sentiment("Love the new playground, thank you, amazing work")[0] >= 0.5
    assert read_sentiment("The dashboard is broken and slow, very frustrating")[0] <= -0.3


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Batch endpoint returns 500 error since Tuesday", Category.BUG),
        ("Please add support for SAML SSO", Category.FEATURE_REQUEST),
        ("How do I rotate an API key?", Category.QUESTION),
        ("Thank you for the fantastic docs", Category.PRAISE),
        ("Pricing is ridiculous, we are switching to another vendor", Category.COMPLAINT),
        ("Make the usage page load faster", Category.IMPROVEMENT),
    ],
)
def test_category_cues(title: str, expected: Category) -> None:
    sentiment, _ = read_sentiment(title)
    assert read_category(title, title, sentiment)[0] == expected


def test_triage_fills_the_whole_block() -> None:
    verdict = triage(item("Fine-tuning job crashes with an error", customer=BIG), BANDS, "test", NOW)
    assert verdict.category == Category.BUG
    assert verdict.product_area == "Fine-tuning"
    assert verdict.sentiment_label == SentimentLabel.NEGATIVE
    assert verdict.priority in (Priority.CRITICAL, Priority.HIGH)
    assert len(verdict.tags) <= 5 and "fine-tuning" in verdict.tags
    assert verdict.model_version == "test" and verdict.processed_at == NOW
