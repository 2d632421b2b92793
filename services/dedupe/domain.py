"""Is this item a duplicate of an earlier one? Pure functions, no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from libs.schemas.events import DedupeResult
from libs.schemas.feedback import SimilarItem


@dataclass(frozen=True)
class TimeWindow:
    """The creation times, both ends included, that a duplicate parent may have."""

    start: datetime
    end: datetime

    @classmethod
    def around(cls, moment: datetime, days: int) -> TimeWindow:
        """`days` either side of `moment`: a backfill may process a later item before an earlier one."""
        span = timedelta(days=days)
        return cls(moment - span, moment + span)

    def __contains__(self, moment: datetime) -> bool:
        return self.start <= moment <= self.end


@dataclass(frozen=True)
class Candidate:
    """An item already in the index, with its cosine similarity to the item being deduped."""

    item_id: UUID
    title: str
    created_at: datetime
    score: float


@dataclass(frozen=True)
class Decision:
    """Whether an item duplicates an earlier one, with the rule's parameters that decided it."""

    duplicate_of: UUID | None
    # The best similarity within the window, whether or not it reached the threshold: the audit trail.
    score: float | None
    threshold: float
    window_days: int
    model: str

    @property
    def duplicate_score(self) -> float | None:
        return self.score if self.duplicate_of is not None else None


def decide(
    candidates: Sequence[Candidate], *, created_at: datetime, threshold: float, window_days: int, model: str
) -> Decision:
    """Link to the most similar candidate created within the window, if it reaches the threshold."""
    window = TimeWindow.around(created_at, window_days)
    in_window = [candidate for candidate in candidates if candidate.created_at in window]
    best = max(in_window, key=lambda candidate: candidate.score, default=None)
    parent = best if best is not None and best.score >= threshold else None
    return Decision(
        duplicate_of=parent.item_id if parent else None,
        score=best.score if best else None,
        threshold=threshold,
        window_days=window_days,
        model=model,
    )


def dedupe_result(item_id: UUID, similar: Sequence[Candidate], decision: Decision) -> DedupeResult:
    """The event payload: the similar items, best first, and the decision."""
    ranked = sorted(similar, key=lambda candidate: candidate.score, reverse=True)
    return DedupeResult(
        item_id=item_id,
        similar_items=[
            SimilarItem(id=candidate.item_id, score=_cosine(candidate.score), title=candidate.title)
            for candidate in ranked
        ],
        duplicate_of=decision.duplicate_of,
        duplicate_score=decision.duplicate_score,
        threshold=decision.threshold,
        window_days=decision.window_days,
        embedding_model=decision.model,
    )


def _cosine(score: float) -> float:
    # Float rounding can put two identical texts a hair above 1, which SimilarItem refuses.
    return min(1.0, max(-1.0, score))


def f1_at(scores: Sequence[float], labels: Sequence[bool], threshold: float) -> float:
    """F1 of flagging every pair whose score is at or above `threshold` as a duplicate."""
    _check_pairs(scores, labels)
    true_pos = sum(1 for score, label in zip(scores, labels, strict=True) if label and score >= threshold)
    flagged = sum(1 for score in scores if score >= threshold)
    return 2 * true_pos / (flagged + sum(labels)) if true_pos else 0.0


def best_threshold(scores: Sequence[float], labels: Sequence[bool]) -> tuple[float, float]:
    """The threshold with the best F1 on labelled pairs (flagging score >= threshold), and that F1."""
    _check_pairs(scores, labels)
    positives = sum(labels)
    pairs = sorted(zip(scores, labels, strict=True), key=lambda pair: pair[0], reverse=True)
    best = (pairs[0][0], 0.0)
    true_pos = 0
    for flagged, (score, label) in enumerate(pairs, start=1):
        true_pos += label
        if flagged < len(pairs) and pairs[flagged][0] == score:
            continue  # equal scores are flagged together: no threshold splits them
        f1 = 2 * true_pos / (flagged + positives)
        # Strictly better only: on a tie the higher threshold wins, it flags fewer items wrongly.
        if f1 > best[1]:
            best = (score, f1)
    return best


def _check_pairs(scores: Sequence[float], labels: Sequence[bool]) -> None:
    if len(scores) != len(labels):
        raise ValueError(f"{len(scores)} scores but {len(labels)} labels")
    if not any(labels):
        raise ValueError("no duplicate pairs among the labels: nothing to measure")
