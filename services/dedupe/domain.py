"""Is this item a duplicate of an earlier one? Pure functions, no I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict

from libs.schemas.events import DedupeResult, DuplicateLink
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


@dataclass(frozen=True)
class Detection:
    """How well flagging pairs at a threshold finds the labelled duplicates."""

    precision: float
    recall: float
    f1: float


def detection_at(scores: Sequence[float], labels: Sequence[bool], threshold: float) -> Detection:
    """Precision, recall and F1 of flagging every pair whose score is at or above `threshold` as a duplicate."""
    _check_pairs(scores, labels)
    true_pos = sum(1 for score, label in zip(scores, labels, strict=True) if label and score >= threshold)
    flagged = sum(1 for score in scores if score >= threshold)
    return Detection(
        precision=true_pos / flagged if flagged else 0.0,
        recall=true_pos / sum(labels),
        f1=2 * true_pos / (flagged + sum(labels)),
    )


def f1_at(scores: Sequence[float], labels: Sequence[bool], threshold: float) -> float:
    """F1 of flagging every pair whose score is at or above `threshold` as a duplicate."""
    return detection_at(scores, labels, threshold).f1


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


# --- duplicate links --------------------------------------------------------------------------
#
# Every item the service has seen has one link: standalone, suggested (the model's decision),
# merged (a person's), or not_duplicate (a person broke a link). The states a link replaced are
# kept, newest first, so that an unmerge goes back to exactly what was there before the merge.

LinkStateName = Literal["suggested", "merged", "not_duplicate", "standalone"]
# The states in which an item's votes count towards its parent's.
LINKED_STATES: tuple[LinkStateName, ...] = ("suggested", "merged")
MODEL_ACTOR = "dedupe"


class Rejected(Exception):
    """A command that can never apply as asked; its reason goes to the sender in command.rejected."""


class LinkState(BaseModel):
    """One state of an item's duplicate link."""

    model_config = ConfigDict(frozen=True)

    duplicate_of: UUID | None = None
    state: LinkStateName = "standalone"
    score: float | None = None
    actor: str = MODEL_ACTOR
    changed_at: AwareDatetime

    @property
    def linked(self) -> bool:
        """Whether this item's votes count towards another item's."""
        return self.state in LINKED_STATES


class ItemLink(BaseModel):
    """An item's link now, and the states it replaced, newest first: what an unmerge goes back to."""

    model_config = ConfigDict(frozen=True)

    item_id: UUID
    current: LinkState
    before: tuple[LinkState, ...] = ()

    def replaced_by(self, state: LinkState) -> ItemLink:
        return ItemLink(item_id=self.item_id, current=state, before=(self.current, *self.before))

    def as_event(self) -> DuplicateLink:
        state = self.current
        return DuplicateLink(
            item_id=self.item_id,
            duplicate_of=state.duplicate_of,
            state=state.state,
            score=state.score,
            actor=state.actor,
            changed_at=state.changed_at,
        )


def vote_root(item_id: UUID, parent_of: Mapping[UUID, UUID]) -> UUID:
    """The item whose votes this one's count towards: follow the links up to an item that has none."""
    seen = {item_id}
    root = item_id
    while (parent := parent_of.get(root)) is not None:
        if parent in seen:
            raise ValueError(f"duplicate links form a cycle through {parent}")
        seen.add(parent)
        root = parent
    return root


def suggested(
    item_id: UUID, existing: ItemLink | None, decision: Decision, *, parent_root: UUID | None, now: datetime
) -> ItemLink | None:
    """The model's link for an item seen for the first time; None when it has one (a replay, or a person came first)."""
    if existing is not None:
        return None
    standalone = ItemLink(item_id=item_id, current=LinkState(changed_at=now))
    # The parent may, through a person's earlier merge, already count as a duplicate of this very item.
    if decision.duplicate_of is None or parent_root == item_id:
        return standalone
    suggestion = LinkState(duplicate_of=decision.duplicate_of, state="suggested", score=decision.score, changed_at=now)
    return ItemLink(item_id=item_id, current=suggestion)


def merged(
    item_id: UUID, existing: ItemLink | None, *, into_id: UUID, into_root: UUID, actor: str, now: datetime
) -> ItemLink | None:
    """A person's merge of an item into another's root; None when it is merged there already."""
    if into_id == item_id:
        raise Rejected(f"cannot merge item {item_id} into itself")
    if into_root == item_id:
        raise Rejected(f"cannot merge item {item_id} into {into_id}: {into_id} already counts as its duplicate")
    # An item not seen yet (the service may lag behind the person) starts from standalone.
    link = existing or ItemLink(item_id=item_id, current=LinkState(actor=actor, changed_at=now))
    current = link.current
    if current.state == "merged" and current.duplicate_of == into_root:
        return None
    # Confirming the model's suggestion keeps its similarity score.
    score = current.score if current.linked and current.duplicate_of == into_root else None
    return link.replaced_by(LinkState(duplicate_of=into_root, state="merged", score=score, actor=actor, changed_at=now))


def marked_not_duplicate(
    existing: ItemLink | None, item_id: UUID, *, actor: str, now: datetime
) -> tuple[ItemLink, UUID] | None:
    """Break an item's duplicate link: the new link, and the parent never to suggest again.

    None when the item is linked to nothing (never linked, unmerged, broken already): what the
    person asks for holds already.
    """
    if existing is None or existing.current.duplicate_of is None or not existing.current.linked:
        return None
    broken = LinkState(state="not_duplicate", actor=actor, changed_at=now)
    return existing.replaced_by(broken), existing.current.duplicate_of


def unmerged(existing: ItemLink | None, *, actor: str, now: datetime) -> ItemLink | None:
    """Undo the link an item has now: back to the state before it; None when it is not linked.

    The state restored never links to the parent just left: undoing a person's confirmation of the
    model's suggestion leaves the item standalone, not suggested again. Undoing a merge into another
    parent than the model suggested brings the suggestion back, as it was before the merge.
    """
    if existing is None or not existing.current.linked:
        return None
    parent = existing.current.duplicate_of
    earlier = existing.before
    while earlier and earlier[0].linked and earlier[0].duplicate_of == parent:
        earlier = earlier[1:]
    if not earlier:
        return ItemLink(item_id=existing.item_id, current=LinkState(actor=actor, changed_at=now))
    restored, *older = earlier
    return ItemLink(
        item_id=existing.item_id,
        current=restored.model_copy(update={"actor": actor, "changed_at": now}),
        before=tuple(older),
    )


def without_cycle(link: ItemLink, parent_root: UUID | None) -> ItemLink:
    """A restored link whose parent has since come to count as this item's duplicate stands alone instead."""
    if not link.current.linked or parent_root != link.item_id:
        return link
    alone = LinkState(actor=link.current.actor, changed_at=link.current.changed_at)
    return ItemLink(item_id=link.item_id, current=alone)


def standing(decision: Decision, link: LinkState) -> Decision:
    """The decision as the item stands now: a person's merge or unlinking overrides the model's parent."""
    if not link.linked:
        return replace(decision, duplicate_of=None)
    if link.duplicate_of == decision.duplicate_of:
        return decision
    return replace(decision, duplicate_of=link.duplicate_of, score=link.score)
