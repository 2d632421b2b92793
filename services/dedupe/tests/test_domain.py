from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from services.dedupe.domain import Candidate, Decision, TimeWindow, best_threshold, decide, dedupe_result, f1_at

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
MODEL = "test-model"


def candidate(score: float, days_ago: float = 1, title: str = "Export times out") -> Candidate:
    return Candidate(item_id=uuid4(), title=title, created_at=NOW - timedelta(days=days_ago), score=score)


def decision_for(*candidates: Candidate, threshold: float = 0.5, window_days: int = 30) -> Decision:
    return decide(candidates, created_at=NOW, threshold=threshold, window_days=window_days, model=MODEL)


def test_the_most_similar_recent_item_above_the_threshold_is_the_parent() -> None:
    close, closer, unrelated = candidate(0.62), candidate(0.81), candidate(0.10)
    decision = decision_for(close, closer, unrelated)
    assert (decision.duplicate_of, decision.score, decision.duplicate_score) == (closer.item_id, 0.81, 0.81)
    assert (decision.threshold, decision.window_days, decision.model) == (0.5, 30, MODEL)


def test_a_score_equal_to_the_threshold_is_a_duplicate() -> None:
    exact = candidate(0.5)
    assert decision_for(exact).duplicate_of == exact.item_id


def test_below_the_threshold_nothing_is_flagged_but_the_best_score_is_kept() -> None:
    decision = decision_for(candidate(0.49), candidate(0.2))
    assert (decision.duplicate_of, decision.score, decision.duplicate_score) == (None, 0.49, None)


def test_a_similar_item_older_than_the_window_is_not_the_parent() -> None:
    old_twin, recent = candidate(0.95, days_ago=31), candidate(0.7, days_ago=29)
    assert decision_for(old_twin, recent).duplicate_of == recent.item_id
    assert decision_for(old_twin) == Decision(None, None, 0.5, 30, MODEL)


def test_an_item_created_after_this_one_within_the_window_counts() -> None:
    later = candidate(0.9, days_ago=-3)
    assert decision_for(later).duplicate_of == later.item_id


def test_the_window_includes_both_ends() -> None:
    window = TimeWindow.around(NOW, 30)
    assert NOW - timedelta(days=30) in window
    assert NOW + timedelta(days=30) in window
    assert NOW - timedelta(days=30, seconds=1) not in window


def test_the_result_lists_similar_items_best_first_with_the_decision() -> None:
    item_id, low, high = uuid4(), candidate(0.3, title="Low"), candidate(0.7, title="High")
    result = dedupe_result(item_id, [low, high], decision_for(high))
    assert [(s.id, s.score, s.title) for s in result.similar_items] == [
        (high.item_id, 0.7, "High"),
        (low.item_id, 0.3, "Low"),
    ]
    assert (result.item_id, result.duplicate_of, result.duplicate_score) == (item_id, high.item_id, 0.7)
    assert (result.threshold, result.window_days, result.embedding_model) == (0.5, 30, MODEL)


def test_float_rounding_above_one_does_not_break_the_result() -> None:
    twin = candidate(1.0000001)
    result = dedupe_result(uuid4(), [twin], decision_for(twin))
    assert result.similar_items[0].score == 1.0


def test_best_threshold_separates_perfectly_separable_pairs() -> None:
    threshold, f1 = best_threshold([0.9, 0.8, 0.4, 0.2], [True, True, False, False])
    assert (threshold, f1) == (0.8, 1.0)


def test_best_threshold_weighs_misses_against_false_flags() -> None:
    scores = [0.9, 0.7, 0.6, 0.5, 0.3]
    labels = [True, False, True, True, False]
    threshold, f1 = best_threshold(scores, labels)
    # At 0.5: 3 of 3 duplicates found, 1 false flag: F1 = 6 / 7, better than any stricter cut.
    assert threshold == 0.5
    assert f1 == pytest.approx(6 / 7)
    assert f1 == pytest.approx(f1_at(scores, labels, threshold))


def test_equal_scores_are_never_split_and_the_stricter_of_equal_thresholds_wins() -> None:
    assert best_threshold([0.8, 0.8, 0.1], [True, False, False]) == (0.8, pytest.approx(2 / 3))
    # Flagging 1 (one hit) or 4 (both hits, two false flags) both give F1 2/3: keep the stricter cut.
    assert best_threshold([0.9, 0.8, 0.7, 0.6], [True, False, False, True]) == (0.9, pytest.approx(2 / 3))


def test_f1_at_counts_scores_equal_to_the_threshold_as_flagged() -> None:
    assert f1_at([0.5, 0.4], [True, False], 0.5) == 1.0
    assert f1_at([0.5, 0.4], [True, False], 0.51) == 0.0


def test_calibration_needs_matching_labels_and_some_duplicates() -> None:
    with pytest.raises(ValueError, match="labels"):
        best_threshold([0.1, 0.2], [True])
    with pytest.raises(ValueError, match="no duplicate pairs"):
        best_threshold([0.1, 0.2], [False, False])
