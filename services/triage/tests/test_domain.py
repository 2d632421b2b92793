from datetime import UTC, datetime
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from libs.schemas.feedback import Category, Customer, FeedbackItem, Priority, SentimentLabel, Tier, sentiment_label
from services.triage.domain import (
    PriorityBands,
    Reading,
    apply_rules,
    priority_of,
    read_severity,
    revenue_points,
    sentiment_score,
    severity_from,
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


def reading(category: Category, sentiment: SentimentLabel, positive: float = 0.1, negative: float = 0.1) -> Reading:
    return Reading(category, 0.8, sentiment, 0.8, positive, negative)


def test_sarcasm_is_a_negative_complaint_not_praise() -> None:
    read = apply_rules("Great, another outage this week.", reading(Category.PRAISE, SentimentLabel.POSITIVE, 0.9, 0.0))
    assert (read.category, read.sentiment) == (Category.COMPLAINT, SentimentLabel.NEGATIVE)


def test_a_defect_asked_as_a_question_is_a_bug() -> None:
    text = "Why does the export crash with a 500 error?\nIt worked yesterday."
    assert apply_rules(text, reading(Category.QUESTION, SentimentLabel.NEUTRAL)).category == Category.BUG
    plain = "How do I rotate an API key?"
    assert apply_rules(plain, reading(Category.QUESTION, SentimentLabel.NEUTRAL)).category == Category.QUESTION


@given(
    sentiment=st.sampled_from(list(SentimentLabel)),
    positive=st.floats(0, 1),
    negative=st.floats(0, 1),
)
def test_the_score_always_carries_the_predicted_label(
    sentiment: SentimentLabel, positive: float, negative: float
) -> None:
    score = sentiment_score(reading(Category.BUG, sentiment, positive, negative))
    assert -1 <= score <= 1
    assert sentiment_label(score) == sentiment


def test_priority_band_edges() -> None:
    exactly_critical = Customer(tier=Tier.ENTERPRISE, arr=100_000)  # 9 + 2*3 + 3 = 18 at severity 3
    assert priority_of(exactly_critical, severity=3, bands=BANDS)[1] == 18
    edge = PriorityBands(critical_from=18, high_from=13, medium_from=9, at_risk_boost=2)
    assert priority_of(exactly_critical, severity=3, bands=edge)[0] == Priority.CRITICAL
    assert priority_of(exactly_critical.model_copy(update={"arr": 99_999}), severity=3, bands=edge)[0] == Priority.HIGH


def test_an_unknown_customer_counts_as_the_lowest_tier_with_no_revenue() -> None:
    priority, score, reasoning = priority_of(Customer(), severity=4, bands=BANDS)
    assert score == 1 * 3 + 4 * 2 + 0 and priority == Priority.MEDIUM
    assert "tier unknown" in reasoning and "no known ARR" in reasoning


def test_a_learned_priority_sets_the_severity_else_the_language_does() -> None:
    assert severity_from("typo in the docs", Priority.CRITICAL) == 4
    assert severity_from("typo in the docs", None) == 1


def test_triage_fills_the_whole_block() -> None:
    text_item = item("Fine-tuning job crashes with an error", customer=BIG)
    verdict = triage(text_item, reading(Category.BUG, SentimentLabel.NEGATIVE, 0.0, 0.9), 3, BANDS, "test", NOW)
    assert verdict.category == Category.BUG
    assert verdict.product_area == "Fine-tuning"
    assert verdict.sentiment_label == SentimentLabel.NEGATIVE and verdict.sentiment_score <= -0.3
    assert verdict.priority == Priority.CRITICAL, "enterprise, $480k, major: 9 + 6 + 3 = 18"
    assert len(verdict.tags) <= 5 and "fine-tuning" in verdict.tags
    assert verdict.model_version == "test" and verdict.processed_at == NOW
