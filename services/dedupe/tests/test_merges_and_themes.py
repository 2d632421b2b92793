"""Merges and themes on the in-memory broker, on SQLite and on PostgreSQL, with the real MiniLM model.

Each message is handled before its publish returns, and what it produced is read from the
service's inbox: exactly the replies it published, in order.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar
from uuid import UUID, uuid4

import pytest
from fastapi import FastAPI

from libs.runtime import inbox
from libs.runtime.service import ServiceRuntime
from libs.runtime.testing import UNUSED_BOOTSTRAP, InMemoryBus, in_memory, quick_settings
from libs.schemas.commands import (
    DedupeCommandPayload,
    MarkNotDuplicate,
    MergeItems,
    MergeThemes,
    RenameTheme,
    SplitTheme,
    UnmergeItem,
)
from libs.schemas.events import (
    CommandRejected,
    DeadLettered,
    DedupeCommand,
    DuplicateLink,
    DuplicateLinkChanged,
    Envelope,
    FeedbackDeduped,
    FeedbackReceived,
    FeedbackThemed,
    Theme,
    ThemeChanged,
    utcnow,
)
from libs.schemas.feedback import FeedbackItem
from services.dedupe import storage
from services.dedupe.app import create_app
from services.dedupe.settings import DedupeSettings
from services.dedupe.themes import founded_theme_id

pytestmark = pytest.mark.model

E = TypeVar("E", bound=Envelope)
PM = "pm@example.com"
REPLY_TYPES: dict[str, type[Envelope]] = {
    t.TOPIC: t for t in (FeedbackDeduped, DuplicateLinkChanged, FeedbackThemed, ThemeChanged, CommandRejected)
}

# The three CRM texts are near each other (MiniLM cosine about 0.8-0.9), so are the two Gantt texts,
# and the groups are far apart (below 0.2): each pair founds a theme, the third CRM text joins its.
CRM_LATE = (
    "Our CRM webhooks reach the Slack workspace many hours late",
    "A deal closed at nine shows up in the Slack channel after lunch.",
)
CRM_SLOW = (
    "Slack messages from CRM webhooks come in hours after the deal changed",
    "The sales channel hears about closed deals long after they closed.",
)
CRM_LAG = (
    "CRM webhook alerts in Slack lag hours behind the deal updates",
    "By the time Slack tells us about a deal, the rep already knows.",
)
GANTT_DRAG = (
    "Gantt bars cannot be dragged to move a milestone",
    "Rescheduling a milestone on the Gantt view by dragging it does nothing.",
)
GANTT_DATES = (
    "Dragging milestones on the Gantt timeline does not change their dates",
    "We edit every milestone date by hand because drag and drop on the Gantt chart is broken.",
)
PASSKEYS = ("Support passkeys for signing in to the mobile app", "Passwords on phones are painful for our field staff.")


def received(text: tuple[str, str], item_id: UUID | None = None) -> FeedbackReceived:
    now = utcnow()
    title, description = text
    item = FeedbackItem(id=item_id or uuid4(), title=title, description=description, created_at=now, received_at=now)
    return FeedbackReceived(producer="test", payload=item)


def replay(event: FeedbackReceived) -> FeedbackReceived:
    """The same item received again in a new event (a re-import, a re-processing)."""
    return FeedbackReceived(producer="test", payload=event.payload)


class Replies(list[Envelope]):
    def of(self, event_type: type[E]) -> list[E]:
        return [reply for reply in self if isinstance(reply, event_type)]

    @property
    def links(self) -> dict[UUID, DuplicateLink]:
        return {e.payload.item_id: e.payload for e in self.of(DuplicateLinkChanged)}

    @property
    def moves(self) -> dict[UUID, tuple[UUID | None, UUID]]:
        return {e.payload.item_id: (e.payload.previous_theme_id, e.payload.theme_id) for e in self.of(FeedbackThemed)}

    @property
    def themes(self) -> dict[UUID, Theme]:
        return {e.payload.id: e.payload for e in self.of(ThemeChanged)}


class Service:
    """The running app on the in-memory broker: send one message, get what it replied."""

    def __init__(self, app: FastAPI, bus: InMemoryBus) -> None:
        self.runtime: ServiceRuntime = app.state.runtime
        self.bus = bus

    async def send(self, event: FeedbackReceived | DedupeCommand) -> Replies:
        await self.bus.publish(event)
        async with self.runtime.sessions() as session:
            entry = await inbox.find(session, event.event_id, f"dedupe.{event.TOPIC}")
        assert entry is not None, f"{event.event_id} was not handled"
        return Replies(REPLY_TYPES[m.topic].model_validate_json(m.body) for m in entry.outgoing)

    async def command(self, payload: DedupeCommandPayload) -> Replies:
        return await self.send(DedupeCommand(producer="gateway", payload=payload))

    async def rejected(self, payload: DedupeCommandPayload) -> str:
        """The reason dedupe refused a command for: its one reply is command.rejected, and no dead letter."""
        sent = DedupeCommand(producer="gateway", payload=payload)
        replies = await self.send(sent)
        [refusal] = [reply for reply in replies if isinstance(reply, CommandRejected)]
        assert list(replies) == [refusal], "a refused command changes nothing"
        assert [r for r in self.bus.published(CommandRejected) if r.payload.command_id == sent.event_id] == [refusal]
        assert not [d for d in self.bus.published(DeadLettered) if str(sent.event_id) in d.payload.body]
        rejection = refusal.payload
        assert (rejection.command_type, rejection.service, rejection.actor) == ("dedupe.command", "dedupe", PM)
        assert refusal.causation_id == sent.event_id and refusal.key == sent.key
        return rejection.reason

    async def theme_of(self, item_id: UUID) -> UUID | None:
        async with self.runtime.sessions() as session:
            placement = await storage.get_placement(session, item_id)
        assert placement is not None, f"item {item_id} was never placed"
        return placement.theme_id


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> DedupeSettings:
    return quick_settings(DedupeSettings, UNUSED_BOOTSTRAP, tmp_path, database_url)


async def test_a_merge_then_an_unmerge_restores_the_links_and_the_themes(settings: DedupeSettings) -> None:
    late, slow, drag, dates = received(CRM_LATE), received(CRM_SLOW), received(GANTT_DRAG), received(GANTT_DATES)
    app = create_app(settings)
    async with in_memory(app) as bus:
        service = Service(app, bus)
        await service.send(late)
        first = await service.send(slow)
        await service.send(drag)
        await service.send(dates)
        crm, gantt = founded_theme_id(slow.payload.id), founded_theme_id(dates.payload.id)

        # The model's suggestion is announced with the result, and the pair founds a theme.
        suggestion = first.links[slow.payload.id]
        assert (suggestion.duplicate_of, suggestion.state, suggestion.actor) == (late.payload.id, "suggested", "dedupe")
        assert suggestion.score is not None and suggestion.score >= settings.duplicate_threshold
        assert first.of(FeedbackDeduped)[0].payload.duplicate_of == late.payload.id
        assert first.moves == {late.payload.id: (None, crm), slow.payload.id: (None, crm)}
        assert first.themes[crm].items == 2 and first.themes[crm].name_source == "keywords"

        # Merging into a duplicate follows it to its root; the item's own duplicate moves along.
        merge = await service.command(MergeItems(item_id=drag.payload.id, into_id=slow.payload.id, actor=PM))
        merged = merge.links[drag.payload.id]
        assert (merged.duplicate_of, merged.state, merged.actor) == (late.payload.id, "merged", PM)
        assert merge.moves == {drag.payload.id: (gantt, crm), dates.payload.id: (gantt, crm)}
        assert {theme_id: theme.items for theme_id, theme in merge.themes.items()} == {crm: 4, gantt: 0}

        unmerge = await service.command(UnmergeItem(item_id=drag.payload.id, actor=PM))
        restored = unmerge.links[drag.payload.id]
        assert (restored.duplicate_of, restored.state, restored.actor) == (None, "standalone", PM)
        assert unmerge.moves == {drag.payload.id: (crm, gantt), dates.payload.id: (crm, gantt)}
        assert {theme_id: theme.items for theme_id, theme in unmerge.themes.items()} == {crm: 2, gantt: 2}

        # A person's merge elsewhere, undone, brings the model's suggestion back as it was.
        before = await service.theme_of(dates.payload.id)
        await service.command(MergeItems(item_id=dates.payload.id, into_id=late.payload.id, actor=PM))
        back = (await service.command(UnmergeItem(item_id=dates.payload.id, actor=PM))).links[dates.payload.id]
        async with service.runtime.sessions() as session:
            model = (await storage.get_decision(session, dates.payload.id)) or pytest.fail("no decision")
            history = [(h.state, h.actor) for h in await storage.link_history(session, dates.payload.id)]
        assert (back.duplicate_of, back.state, back.score) == (drag.payload.id, "suggested", model.score)
        assert await service.theme_of(dates.payload.id) == before == gantt
        assert history == [("suggested", "dedupe"), ("merged", PM), ("suggested", PM)]

        # Nothing changes for a command that can never apply: dedupe refuses it with its reason.
        assert "into itself" in await service.rejected(
            MergeItems(item_id=late.payload.id, into_id=late.payload.id, actor=PM)
        )
        cycle = await service.rejected(MergeItems(item_id=late.payload.id, into_id=slow.payload.id, actor=PM))
        assert "already counts as its duplicate" in cycle
        async with service.runtime.sessions() as session:
            assert await storage.vote_root(session, slow.payload.id) == late.payload.id
            assert await storage.vote_root(session, late.payload.id) == late.payload.id


async def test_a_false_duplicate_is_never_suggested_again(settings: DedupeSettings) -> None:
    late, slow, lag = received(CRM_LATE), received(CRM_SLOW), received(CRM_LAG)
    app = create_app(settings)
    async with in_memory(app) as bus:
        service = Service(app, bus)
        await service.send(late)
        await service.send(slow)
        broken = await service.command(MarkNotDuplicate(item_id=slow.payload.id, actor=PM, reason="different CRM"))
        assert broken.links[slow.payload.id].state == "not_duplicate"
        assert broken.links[slow.payload.id].duplicate_of is None
        # The item keeps its theme: it was placed there for its own words, not for its parent.
        assert broken.moves == {}

        for again in (replay(slow), replay(slow)):
            replies = await service.send(again)
            assert [type(reply) for reply in replies] == [FeedbackDeduped]
            assert replies.of(FeedbackDeduped)[0].payload.duplicate_of is None

        # Marked not duplicate before dedupe saw it (a person was quicker): the model never decides that pair.
        await service.command(MergeItems(item_id=lag.payload.id, into_id=late.payload.id, actor=PM))
        await service.command(MarkNotDuplicate(item_id=lag.payload.id, actor=PM))
        arrived = await service.send(lag)
        async with service.runtime.sessions() as session:
            decision = await storage.get_decision(session, lag.payload.id)
            link = await storage.get_link(session, lag.payload.id)
        assert decision is not None and decision.duplicate_of not in (None, late.payload.id)
        assert arrived.of(FeedbackDeduped)[0].payload.duplicate_of is None
        assert link is not None and link.current.state == "not_duplicate"
        assert arrived.links == {}
        # Marking an item that is linked to nothing holds already: no change, no event.
        assert await service.command(MarkNotDuplicate(item_id=late.payload.id, actor=PM)) == []


async def test_an_item_keeps_its_theme_however_often_it_is_processed(settings: DedupeSettings) -> None:
    late, slow, lag, passkeys = received(CRM_LATE), received(CRM_SLOW), received(CRM_LAG), received(PASSKEYS)
    app = create_app(settings)
    async with in_memory(app) as bus:
        service = Service(app, bus)
        await service.send(late)
        await service.send(slow)
        crm = founded_theme_id(slow.payload.id)
        alone = await service.send(passkeys)
        # No near neighbour: the item waits for one, and no one-item theme is made.
        assert alone.moves == {} and alone.themes == {}

        for again in (replay(slow), replay(late), replay(slow), replay(passkeys), replay(late)):
            replies = await service.send(again)
            assert [type(reply) for reply in replies] == [FeedbackDeduped]
        joined = await service.send(lag)
        assert joined.moves == {lag.payload.id: (None, crm)}
        assert joined.themes[crm].items == 3
        assert [await service.theme_of(e.payload.id) for e in (late, slow, lag, passkeys)] == [crm, crm, crm, None]


async def test_a_theme_is_named_by_its_most_representative_title_and_summarised(settings: DedupeSettings) -> None:
    # Words no other test uses: the terms table is shared by the tests on PostgreSQL.
    export = received(
        (
            "Feature request: export Zorblax invoices to Quickbooks!",
            "Our accountant re-types every Zorblax invoice into Quickbooks by hand each month.",
        )
    )
    sync = received(
        (
            "Sync Zorblax invoices with Quickbooks automatically - please",
            "Finance wants the Zorblax invoices in Quickbooks without copying them over.",
        )
    )
    names = {"Export Zorblax invoices to Quickbooks", "Sync Zorblax invoices with Quickbooks automatically"}
    app = create_app(settings)
    async with in_memory(app) as bus:
        service = Service(app, bus)
        await service.send(export)
        theme_id = founded_theme_id(sync.payload.id)
        founded = (await service.send(sync)).themes[theme_id]
        assert founded.name in names and founded.name_source == "keywords", "a member's title, cleaned"
        [other] = names - {founded.name}
        assert founded.summary == f"2 requests; also asked as \u201c{other}\u201d"
        assert set(founded.keywords[:3]) == {"Zorblax", "invoices", "Quickbooks"}, "as the titles write them"
        assert len(founded.keywords) == 5

        grown = (await service.send(received(("Zorblax invoices should land in Quickbooks", "")))).themes[theme_id]
        assert grown.items == 3 and grown.summary is not None and grown.summary.startswith("3 requests;")


async def test_themes_are_renamed_merged_and_split(settings: DedupeSettings) -> None:
    late, slow, lag = received(CRM_LATE), received(CRM_SLOW), received(CRM_LAG)
    drag, dates = received(GANTT_DRAG), received(GANTT_DATES)
    app = create_app(settings)
    async with in_memory(app) as bus:
        service = Service(app, bus)
        for event in (late, slow, drag):
            await service.send(event)
        founded = await service.send(dates)
        crm, gantt = founded_theme_id(slow.payload.id), founded_theme_id(dates.payload.id)
        assert "Gantt" in founded.themes[gantt].keywords

        name = "CRM deal alerts reach Slack late"
        renamed = (await service.command(RenameTheme(theme_id=crm, name=name, actor=PM))).themes[crm]
        assert (renamed.name, renamed.name_source, renamed.changed_by, renamed.items) == (name, "person", PM, 2)
        # An item joining later changes the count, never a person's name.
        joined = (await service.send(lag)).themes[crm]
        assert (joined.name, joined.name_source, joined.items) == (name, "person", 3)
        assert joined.summary is not None and joined.summary.startswith("3 requests;"), "only the name is kept"

        merge = await service.command(MergeThemes(theme_id=gantt, into_id=crm, actor=PM))
        assert merge.moves == {drag.payload.id: (gantt, crm), dates.payload.id: (gantt, crm)}
        assert (merge.themes[gantt].merged_into, merge.themes[gantt].items, merge.themes[crm].items) == (crm, 0, 5)

        split_id = uuid4()
        split = await service.command(
            SplitTheme(theme_id=crm, item_ids=[drag.payload.id, dates.payload.id], new_theme_id=split_id, actor=PM)
        )
        assert split.moves == {drag.payload.id: (crm, split_id), dates.payload.id: (crm, split_id)}
        new = split.themes[split_id]
        assert (new.items, new.name_source, split.themes[crm].items) == (2, "keywords", 3)
        assert "Gantt" in new.keywords

        # Commands that cannot apply are refused with their reason, and change nothing (the split that would
        # empty its theme had moved items before it was refused: the move is rolled back).
        assert "was merged into" in await service.rejected(RenameTheme(theme_id=gantt, name="Gantt", actor=PM))
        lone_child = SplitTheme(theme_id=split_id, item_ids=[dates.payload.id], new_theme_id=uuid4(), actor=PM)
        assert "counts as a duplicate of" in await service.rejected(lone_child)
        assert "is not in theme" in await service.rejected(
            SplitTheme(theme_id=split_id, item_ids=[late.payload.id], new_theme_id=uuid4(), actor=PM)
        )
        assert "empty" in await service.rejected(
            SplitTheme(theme_id=split_id, item_ids=[drag.payload.id, dates.payload.id], new_theme_id=uuid4(), actor=PM)
        )
        assert [await service.theme_of(e.payload.id) for e in (late, drag, dates)] == [crm, split_id, split_id]
