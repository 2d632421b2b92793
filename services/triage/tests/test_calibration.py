"""Calibration: a temperature fitted on held-out rows, the calibration error, the auto-apply threshold, and
whether a verdict needs a person's look. Pure functions, no model."""

from __future__ import annotations

import numpy as np
import pytest

from libs.schemas.feedback import Category, ReviewedField, ReviewState, SentimentLabel
from services.triage import calibration, training
from services.triage.calibration import Calibration, FieldCalibration
from services.triage.domain import AutoThresholds, Reading, reading_from, review_of
from services.triage.evaluation import LabelledRow
from services.triage.settings import AutoPrecision, TriageSettings


def softmax(logits: np.ndarray) -> np.ndarray:
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


def test_the_fitted_temperature_undoes_overconfidence() -> None:
    generator = np.random.default_rng(0)
    logits = generator.normal(scale=2.0, size=(4000, 4))
    truth = np.array([generator.choice(4, p=row) for row in softmax(logits)])
    overconfident = softmax(logits * 2)  # what a model sure of itself twice over would say
    temperature = calibration.fit_temperature(overconfident, truth)
    assert temperature == pytest.approx(2.0, rel=0.1)
    calibrated = calibration.tempered(overconfident, temperature)
    assert np.allclose(calibrated.sum(axis=1), 1)
    assert (calibrated.argmax(axis=1) == overconfident.argmax(axis=1)).all(), "the order of the answers is kept"

    def error(probabilities: np.ndarray) -> float:
        confidence = probabilities.max(axis=1)
        return calibration.expected_calibration_error(confidence, probabilities.argmax(axis=1) == truth)

    assert error(overconfident) > 0.1 > 0.02 > error(calibrated)


def test_a_temperature_of_one_changes_nothing() -> None:
    probabilities = {"bug": 0.7, "question": 0.2, "praise": 0.1}
    assert FieldCalibration().scaled(probabilities) == probabilities
    cooler = FieldCalibration(temperature=2.0).scaled(probabilities)
    assert cooler["bug"] < 0.7 and cooler["praise"] > 0.1 and sum(cooler.values()) == pytest.approx(1)


def test_the_calibration_error_weighs_each_bin_by_its_rows() -> None:
    right = np.array([True] * 8 + [False] * 2)
    assert calibration.expected_calibration_error(np.full(10, 0.8), right) == pytest.approx(0)
    assert calibration.expected_calibration_error(np.full(10, 0.95), right) == pytest.approx(0.15)
    # Two bins: 10 rows at 0.95, 8 right (gap 0.15); 30 at 0.55, 15 right (gap 0.05).
    confidence = np.concatenate([np.full(10, 0.95), np.full(30, 0.55)])
    correct = np.concatenate([right, np.array([True, False] * 15)])
    assert calibration.expected_calibration_error(confidence, correct) == pytest.approx((10 * 0.15 + 30 * 0.05) / 40)


def ranked(*groups: tuple[float, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Rows as (confidence, how many, how many of them right) groups."""
    confidence = np.concatenate([np.full(count, value) for value, count, _ in groups])
    correct = np.concatenate([np.arange(count) < hits for _, count, hits in groups])
    return confidence, correct


def test_the_threshold_is_the_lowest_confidence_whose_rows_reach_the_precision() -> None:
    confidence, correct = ranked((0.95, 100, 100), (0.8, 100, 90), (0.6, 100, 50))
    # At 0.8 and above: 190 of 200 right (0.95); down to 0.6: 240 of 300 (0.8).
    assert calibration.auto_threshold(confidence, correct, 0.9, margin=0) == 0.8
    assert calibration.auto_threshold(confidence, correct, 0.95, margin=0) == 0.8
    assert calibration.auto_threshold(confidence, correct, 0.96, margin=0) == 0.95
    assert calibration.auto_threshold(confidence, correct, 0.8, margin=0) == 0.6
    assert calibration.auto_threshold(confidence, correct, 0.95) == 0.95, "0.95 observed is not 0.95 for sure"
    assert calibration.auto_threshold(np.array([0.9, 0.7]), np.array([False, False]), 0.9) is None


def test_a_threshold_needs_enough_rows_above_it() -> None:
    confidence, correct = ranked((0.99, 10, 10), (0.7, 200, 190))
    assert calibration.auto_threshold(confidence, correct, 0.9, min_rows=30, margin=0) == 0.7
    assert calibration.auto_threshold(confidence, correct, 0.99, min_rows=30, margin=0) is None
    assert calibration.auto_threshold(confidence, correct, 0.99, min_rows=10, margin=0) == 0.99


def test_what_a_threshold_applies_and_how_often_rightly() -> None:
    confidence, correct = ranked((0.9, 6, 6), (0.5, 4, 1))
    applied = calibration.auto_applied(confidence, correct, 0.9)
    assert (applied.coverage, applied.accuracy) == (0.6, 1.0)
    nothing = calibration.auto_applied(confidence, correct, None)
    assert (nothing.threshold, nothing.coverage, nothing.accuracy) == (None, 0.0, None)


def reading(category_confidence: float, sentiment_confidence: float) -> Reading:
    return reading_from(
        {"bug": category_confidence, "question": 1 - category_confidence},
        {"negative": sentiment_confidence, "neutral": (1 - sentiment_confidence) * 0.75, "positive": 0.0},
    )


def test_a_verdict_sure_of_every_field_is_applied_without_a_look() -> None:
    review = review_of(reading(0.9, 0.97), AutoThresholds(category=0.8, sentiment=0.95))
    assert review.state == ReviewState.AUTO and review.fields == []


def test_a_field_below_its_threshold_asks_a_person_with_the_two_best_answers() -> None:
    review = review_of(reading(0.9, 0.6), AutoThresholds(category=0.8, sentiment=0.95))
    assert review.state == ReviewState.NEEDS_REVIEW
    [sentiment] = review.fields
    assert (sentiment.field, sentiment.threshold) == (ReviewedField.SENTIMENT, 0.95)
    assert [(answer.label, answer.probability) for answer in sentiment.answers] == [
        ("negative", 0.6),
        ("neutral", pytest.approx(0.3)),
    ]


def test_with_no_thresholds_every_field_is_looked_at() -> None:
    review = review_of(reading(0.99, 0.99), AutoThresholds())
    assert review.state == ReviewState.NEEDS_REVIEW
    assert [field.field for field in review.fields] == [ReviewedField.CATEGORY, ReviewedField.SENTIMENT]
    assert review.fields[0].answers[0].label == Category.BUG and review.fields[0].threshold is None


def test_the_sentiment_threshold_is_chosen_on_rows_labelled_positive_or_negative() -> None:
    """Neutral rows read wrongly, and as surely as the rest, count in sentiment's calibration, not its threshold."""
    rows, categories, sentiments = [], [], []
    for index in range(120):
        label = [SentimentLabel.NEGATIVE, SentimentLabel.POSITIVE, SentimentLabel.NEUTRAL][index % 3]
        rows.append(LabelledRow(text=f"row {index}", category=Category.BUG, sentiment_label=label))
        # A tenth of the categories read wrongly, less surely than the rest.
        categories.append({"bug": 0.9, "question": 0.1} if index % 10 else {"bug": 0.4, "question": 0.6})
        read = label if label != SentimentLabel.NEUTRAL else SentimentLabel.NEGATIVE
        sentiments.append({str(other): 0.95 if other == read else 0.025 for other in SentimentLabel})
    calibrated = training.calibrate(rows, {"category": categories, "sentiment_label": sentiments}, AutoPrecision(), 5)
    sentiment = calibrated.sentiment
    # Two in three right: calibrated, every row reads 0.67 sure, which no precision of 0.95 allows but for direction.
    assert sentiment.ece == pytest.approx(0, abs=0.01) and sentiment.held_out_rows == 80
    assert sentiment.threshold is not None and sentiment.held_out is not None
    assert (sentiment.held_out.coverage, sentiment.held_out.accuracy) == (1.0, 1.0)
    category = calibrated.category
    assert category.held_out_rows == 120 and category.held_out is not None
    assert (category.held_out.coverage, category.held_out.accuracy) == (0.9, 1.0)
    assert calibrated.thresholds() == AutoThresholds(category.threshold, sentiment.threshold)


def test_a_version_saved_before_calibration_reads_as_uncalibrated() -> None:
    info = training.ModelInfo.model_validate(
        {"version": "local-1", "trained_at": "2026-11-27T00:00:00Z", "rows": 7, "heads": [], "sources": []}
    )
    assert info.calibration == Calibration() and info.calibration.thresholds() == AutoThresholds()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, AutoPrecision(category=0.90, sentiment_direction=0.95)),
        ("0.8", AutoPrecision(category=0.8, sentiment_direction=0.8)),
        ('{"category": 0.85}', AutoPrecision(category=0.85, sentiment_direction=0.95)),
    ],
)
def test_the_target_precision_is_one_number_or_one_per_field(
    monkeypatch: pytest.MonkeyPatch, value: str | None, expected: AutoPrecision
) -> None:
    if value is not None:
        monkeypatch.setenv("PRODOPS_TRIAGE_AUTO_PRECISION", value)
    assert TriageSettings().triage_auto_precision == expected
