"""The rules of duplicate links (domain.py): suggest, merge, unmerge, mark not duplicate, vote roots."""

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from services.dedupe.domain import (
    Decision,
    ItemLink,
    LinkState,
    Rejected,
    marked_not_duplicate,
    merged,
    standing,
    suggested,
    unmerged,
    vote_root,
    without_cycle,
)

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
PM = "pm@example.com"


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def decision(parent: UUID | None, score: float = 0.8) -> Decision:
    return Decision(duplicate_of=parent, score=score, threshold=0.5, window_days=30, model="m")


def suggestion(item: UUID, parent: UUID, score: float = 0.8) -> ItemLink:
    link = suggested(item, None, decision(parent, score), parent_root=parent, now=T0)
    assert link is not None
    return link


def merge(link: ItemLink | None, item: UUID, into: UUID, minutes: int = 1, into_root: UUID | None = None) -> ItemLink:
    new = merged(item, link, into_id=into, into_root=into_root or into, actor=PM, now=at(minutes))
    assert new is not None
    return new


def unmerge(link: ItemLink | None, minutes: int = 2) -> ItemLink:
    new = unmerged(link, actor=PM, now=at(minutes))
    assert new is not None
    return new


def state(link: ItemLink) -> tuple[UUID | None, str]:
    return link.current.duplicate_of, link.current.state


def test_the_model_suggests_its_parent_with_its_score_and_a_standalone_item_stands_alone() -> None:
    item, parent = uuid4(), uuid4()
    link = suggestion(item, parent, 0.81)
    assert (*state(link), link.current.score, link.current.actor) == (parent, "suggested", 0.81, "dedupe")
    alone = suggested(item, None, decision(None), parent_root=None, now=T0)
    assert alone is not None and state(alone) == (None, "standalone")


def test_the_model_never_overrides_a_link_that_exists() -> None:
    item, parent, other = uuid4(), uuid4(), uuid4()
    by_person = merge(None, item, other)
    assert suggested(item, by_person, decision(parent), parent_root=parent, now=T0) is None


def test_the_model_does_not_suggest_a_parent_that_already_counts_as_this_items_duplicate() -> None:
    item, parent = uuid4(), uuid4()
    link = suggested(item, None, decision(parent), parent_root=item, now=T0)
    assert link is not None and state(link) == (None, "standalone")


def test_a_merge_into_itself_or_into_its_own_duplicate_is_rejected() -> None:
    item, child = uuid4(), uuid4()
    with pytest.raises(Rejected, match="into itself"):
        merged(item, None, into_id=item, into_root=item, actor=PM, now=T0)
    with pytest.raises(Rejected, match="already counts as its duplicate"):
        merged(item, None, into_id=child, into_root=item, actor=PM, now=T0)


def test_a_merge_links_to_the_root_and_a_second_identical_merge_changes_nothing() -> None:
    item, parent, root = uuid4(), uuid4(), uuid4()
    link = merge(None, item, parent, into_root=root)
    assert (*state(link), link.current.actor, link.current.changed_at) == (root, "merged", PM, at(1))
    assert merged(item, link, into_id=parent, into_root=root, actor=PM, now=at(5)) is None


def test_confirming_the_suggestion_keeps_its_score_and_unmerging_then_leaves_the_item_alone() -> None:
    item, parent = uuid4(), uuid4()
    confirmed = merge(suggestion(item, parent, 0.77), item, parent)
    assert (*state(confirmed), confirmed.current.score) == (parent, "merged", 0.77)
    # The person retracts the link they confirmed: votes go back, the suggestion does not return.
    assert state(unmerge(confirmed)) == (None, "standalone")


def test_unmerging_a_merge_elsewhere_restores_the_models_suggestion_exactly() -> None:
    item, suggested_parent, other = uuid4(), uuid4(), uuid4()
    before = suggestion(item, suggested_parent, 0.66)
    restored = unmerge(merge(before, item, other))
    assert (*state(restored), restored.current.score) == (suggested_parent, "suggested", 0.66)
    assert (restored.current.actor, restored.current.changed_at) == (PM, at(2))
    assert restored.before == before.before
    # Unmerging again undoes the suggestion too.
    assert state(unmerge(restored, 3)) == (None, "standalone")


def test_an_unmerge_goes_back_one_merge_at_a_time() -> None:
    item, first, second = uuid4(), uuid4(), uuid4()
    twice = merge(merge(None, item, first), item, second, minutes=2)
    assert state(unmerge(twice, 3)) == (first, "merged")
    assert state(unmerge(unmerge(twice, 3), 4)) == (None, "standalone")


def test_unmerging_an_item_that_is_not_linked_changes_nothing() -> None:
    item, parent = uuid4(), uuid4()
    assert unmerged(None, actor=PM, now=T0) is None
    broken = marked_not_duplicate(suggestion(item, parent), item, actor=PM, now=at(1))
    assert broken is not None
    assert unmerged(broken[0], actor=PM, now=at(2)) is None


def test_marking_not_duplicate_breaks_the_link_and_names_the_parent_to_remember() -> None:
    item, parent = uuid4(), uuid4()
    broken = marked_not_duplicate(suggestion(item, parent), item, actor=PM, now=at(1))
    assert broken is not None
    link, remembered = broken
    assert (state(link), remembered, link.current.actor) == ((None, "not_duplicate"), parent, PM)
    # Nothing linked, nothing to break: what the person asks for holds already.
    assert marked_not_duplicate(link, item, actor=PM, now=at(2)) is None
    assert marked_not_duplicate(None, item, actor=PM, now=T0) is None
    assert marked_not_duplicate(unmerge(merge(None, item, parent)), item, actor=PM, now=at(3)) is None


def test_a_merge_after_marking_not_duplicate_unmerges_back_to_not_duplicate() -> None:
    item, parent, other = uuid4(), uuid4(), uuid4()
    broken = marked_not_duplicate(suggestion(item, parent), item, actor=PM, now=at(1))
    assert broken is not None
    assert state(unmerge(merge(broken[0], item, other, minutes=2), 3)) == (None, "not_duplicate")


def test_a_restored_link_whose_parent_now_counts_as_this_items_duplicate_stands_alone() -> None:
    item, parent = uuid4(), uuid4()
    restored = unmerge(merge(suggestion(item, parent), item, uuid4()))
    assert without_cycle(restored, parent_root=parent) == restored
    assert state(without_cycle(restored, parent_root=item)) == (None, "standalone")


def test_votes_count_towards_the_root_of_the_chain_once() -> None:
    root, parent, child, alone = uuid4(), uuid4(), uuid4(), uuid4()
    parent_of = {child: parent, parent: root}
    assert [vote_root(item, parent_of) for item in (child, parent, root, alone)] == [root, root, root, alone]
    with pytest.raises(ValueError, match="cycle"):
        vote_root(child, {child: parent, parent: child})


def test_the_deduped_result_states_where_the_item_stands_now() -> None:
    item, parent, other = uuid4(), uuid4(), uuid4()
    model = decision(parent, 0.7)
    assert standing(model, suggestion(item, parent, 0.7).current) == model
    assert standing(model, LinkState(state="not_duplicate", actor=PM, changed_at=T0)).duplicate_of is None
    elsewhere = standing(model, merge(None, item, other).current)
    assert (elsewhere.duplicate_of, elsewhere.duplicate_score) == (other, None)
