"""Applying link and theme changes to the service's tables, and the events that announce them.

A `Changes` lives for one message: deduping.py (an item received) or a person's command asks it to
link, place, move, merge, rename; it stores each change
in the message's transaction and, at the end, gives the replies: DuplicateLinkChanged per changed
link, FeedbackThemed per item whose theme changed, ThemeChanged per theme touched (with its count).

Where an item counts: in the home theme of its vote root (the item its votes count towards), or in
its own home when that root has none. An item with no home that comes to count in a theme (it
follows a parent there) makes that theme its home, so an unmerge leaves it there.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.schemas.commands import (
    DedupeCommandPayload,
    MarkNotDuplicate,
    MergeItems,
    MergeThemes,
    RenameTheme,
    SplitTheme,
    UnmergeItem,
)
from libs.schemas.events import DuplicateLinkChanged, Envelope, FeedbackThemed, ThemeChanged, ThemeMembership
from services.dedupe import storage, themes
from services.dedupe.adapters import VectorIndex
from services.dedupe.domain import (
    Candidate,
    ItemLink,
    Rejected,
    marked_not_duplicate,
    merged,
    unmerged,
    without_cycle,
)
from services.dedupe.storage import ThemeItemRecord, ThemeRecord

log = structlog.get_logger()

# Names, keywords and summaries are drawn from the latest titles of a theme: enough, and bounded as it grows.
KEYWORD_TITLES = 200
KEYWORDS = 5
# Items whose vectors are fetched from the index at once.
VECTOR_BATCH = 256


@dataclass(frozen=True)
class ThemeRules:
    join_similarity: float
    seed_similarity: float


@dataclass
class _Move:
    previous: UUID | None
    theme_id: UUID | None


@dataclass
class Changes:
    """What one message changes, stored as it goes, announced at the end."""

    session: AsyncSession
    index: VectorIndex
    producer: str
    cause: Envelope
    actor: str
    now: datetime
    known_vectors: dict[UUID, list[float]] = field(default_factory=dict)
    links: dict[UUID, ItemLink] = field(default_factory=dict)
    moves: dict[UUID, _Move] = field(default_factory=dict)
    touched: set[UUID] = field(default_factory=set)
    # Items whose link changed and whose theme has not followed yet: settled once, before the replies.
    unsettled: set[UUID] = field(default_factory=set)
    # Every theme this message has read: the session holds rows by weak reference, and a theme read
    # again (to place, to move, to announce) should come from it, not from another query.
    themes_read: dict[UUID, ThemeRecord] = field(default_factory=dict)

    # --- links ------------------------------------------------------------------------------------

    async def set_link(self, link: ItemLink, *, announce: bool = True, reason: str | None = None) -> None:
        """Store an item's new link; its votes and its theme (and its duplicates') follow before the replies."""
        await storage.save_link(self.session, link, cause=self.cause.event_id, reason=reason)
        if announce:
            self.links[link.item_id] = link
        self.unsettled.add(link.item_id)

    async def merge_items(self, item_id: UUID, into_id: UUID, reason: str | None) -> None:
        """A person's merge: into the root of the item named, never into the item itself or its own duplicate."""
        existing = await storage.get_link(self.session, item_id)
        into_root = await storage.vote_root(self.session, into_id)
        new = merged(item_id, existing, into_id=into_id, into_root=into_root, actor=self.actor, now=self.now)
        if new is not None:
            await self.set_link(new, reason=reason)

    async def unmerge_item(self, item_id: UUID, reason: str | None) -> None:
        """Back to the link before the current one, unless its parent has come to count as this item's duplicate."""
        existing = await storage.get_link(self.session, item_id)
        if (new := unmerged(existing, actor=self.actor, now=self.now)) is None:
            return
        parent = new.current.duplicate_of
        new = without_cycle(new, await storage.vote_root(self.session, parent) if parent else None)
        await self.set_link(new, reason=reason)

    async def mark_not_duplicate(self, item_id: UUID, reason: str | None) -> None:
        """Break the item's link, and remember the pair so that the model never links the two again."""
        existing = await storage.get_link(self.session, item_id)
        broken = marked_not_duplicate(existing, item_id, actor=self.actor, now=self.now)
        if broken is None:
            return
        new, parent = broken
        await storage.reject_pair(self.session, item_id, parent, self.actor)
        await self.set_link(new, reason=reason)

    # --- themes -----------------------------------------------------------------------------------

    async def place(
        self,
        item_id: UUID,
        title: str,
        vector: list[float],
        similar: Sequence[Candidate],
        rules: ThemeRules,
        model: str,
    ) -> None:
        """Cluster an item seen for the first time; an item placed before keeps its place."""
        if await storage.get_placement(self.session, item_id) is not None:
            return
        self.known_vectors[item_id] = vector
        near = await storage.placements(self.session, [candidate.item_id for candidate in similar])
        homes = {record.home_theme_id for record in near.values() if record.home_theme_id is not None}
        candidates = [
            themes.ThemeCandidate(theme.id, theme.centroid_of)
            for theme in await self._themes(homes)
            if theme.merged_into is None
        ]
        neighbours = [
            themes.Neighbour(candidate.item_id, candidate.score, near[candidate.item_id].home_theme_id)
            for candidate in similar
            if candidate.item_id in near
        ]
        placement = themes.place(
            vector,
            candidates,
            neighbours,
            join_similarity=rules.join_similarity,
            seed_similarity=rules.seed_similarity,
            model=model,
        )
        record = ThemeItemRecord(item_id=item_id, title=title[:500], score=placement.score)
        self.session.add(record)
        await storage.count_terms(self.session, themes.terms(title))
        if placement.theme_id is not None:
            await self._add_homes(await self._theme(placement.theme_id), [record])
        elif placement.founded_with is not None:
            partner = near[placement.founded_with]
            theme = await self._new_theme(themes.founded_theme_id(item_id), model=model)
            await self._add_homes(theme, [record, partner])
            # Both founders are equally close to the centroid between them.
            record.score = partner.score = theme.centroid_of.similarity(vector)
        # Written now: the queries that follow read these rows back.
        await self.session.flush()
        await self.reconcile([item_id, *([placement.founded_with] if placement.founded_with else [])])

    async def _new_theme(self, theme_id: UUID, *, model: str, name: str | None = None) -> ThemeRecord:
        theme = ThemeRecord(
            id=theme_id,
            name=name or themes.UNTITLED,
            name_source="person" if name else "keywords",
            centroid_model=model,
            created_at=self.now,
            changed_at=self.now,
            changed_by=self.actor,
        )
        self.session.add(theme)
        await self.session.flush()
        self.themes_read[theme.id] = theme
        return theme

    async def _add_homes(self, theme: ThemeRecord, records: Sequence[ThemeItemRecord]) -> None:
        """Make a theme the home of these items: their vectors leave their old homes' centroids for its."""
        vectors = await self.vectors([record.item_id for record in records])
        leaving: dict[UUID, list[list[float]]] = defaultdict(list)
        for record in records:
            if record.home_theme_id is not None and record.home_theme_id != theme.id:
                leaving[record.home_theme_id].append(vectors[record.item_id])
        for old_id, gone in leaving.items():
            old = await self._theme(old_id)
            old.set_centroid(old.centroid_of.without(gone))
            self.session.add(old)
        arriving = [vectors[r.item_id] for r in records if r.home_theme_id != theme.id]
        theme.set_centroid(theme.centroid_of.joined(arriving))
        self.session.add(theme)
        for record in records:
            record.home_theme_id = theme.id
            self.session.add(record)
        self.touched.update([theme.id, *leaving])

    async def _theme(self, theme_id: UUID) -> ThemeRecord:
        theme = await storage.get_theme(self.session, theme_id)
        if theme is None:
            raise Rejected(f"unknown theme {theme_id}")
        self.themes_read[theme.id] = theme
        return theme

    async def _themes(self, theme_ids: Collection[UUID]) -> list[ThemeRecord]:
        found = await storage.themes_by_id(self.session, theme_ids)
        self.themes_read |= {theme.id: theme for theme in found}
        return found

    async def vectors(self, item_ids: Collection[UUID]) -> dict[UUID, list[float]]:
        """The items' vectors: the one in hand, else the index's; an item the index lacks is an error."""
        wanted = [item_id for item_id in item_ids if item_id not in self.known_vectors]
        for start in range(0, len(wanted), VECTOR_BATCH):
            batch = wanted[start : start + VECTOR_BATCH]
            self.known_vectors |= await asyncio.to_thread(self.index.vectors, batch)
        missing = [str(item_id) for item_id in item_ids if item_id not in self.known_vectors]
        if missing:
            raise LookupError(f"the vector index lacks items {', '.join(missing)}")
        return {item_id: self.known_vectors[item_id] for item_id in item_ids}

    async def reconcile(self, item_ids: Collection[UUID]) -> None:
        """Put these items, and every item linked below them, in the theme they count in now."""
        for item_id in item_ids:
            self.unsettled.discard(item_id)
            root = await storage.vote_root(self.session, item_id)
            root_placement = await storage.get_placement(self.session, root)
            root_home = root_placement.home_theme_id if root_placement else None
            subtree, frontier = [item_id], [item_id]
            while frontier := [c for c in await storage.linked_children(self.session, frontier) if c not in subtree]:
                subtree += frontier
            records = await storage.placements(self.session, subtree)
            homeless = [r for r in records.values() if r.home_theme_id is None]
            if root_home is not None and homeless:
                await self._add_homes(await self._theme(root_home), homeless)
            for record in records.values():
                self._count_in(record, root_home or record.home_theme_id)

    def _count_in(self, record: ThemeItemRecord, theme_id: UUID | None) -> None:
        if record.theme_id == theme_id:
            return
        move = self.moves.setdefault(record.item_id, _Move(previous=record.theme_id, theme_id=None))
        move.theme_id = theme_id
        self.touched.update(t for t in (record.theme_id, theme_id) if t is not None)
        record.theme_id = theme_id
        self.session.add(record)

    # --- people's commands ------------------------------------------------------------------------

    async def apply(self, command: DedupeCommandPayload) -> None:
        """A person's merge, unmerge or unlinking of items, or renaming, merging or splitting of themes;
        raises Rejected for one that can never apply."""
        match command:
            case MergeItems():
                await self.merge_items(command.item_id, command.into_id, command.reason)
            case UnmergeItem():
                await self.unmerge_item(command.item_id, command.reason)
            case MarkNotDuplicate():
                await self.mark_not_duplicate(command.item_id, command.reason)
            case RenameTheme():
                await self.rename_theme(command.theme_id, command.name)
            case MergeThemes():
                await self.merge_themes(command.theme_id, command.into_id)
            case SplitTheme():
                await self.split_theme(command.theme_id, command.item_ids, command.new_theme_id, command.name)

    async def rename_theme(self, theme_id: UUID, name: str) -> None:
        theme = await self._live_theme(theme_id, "rename")
        if (theme.name, theme.name_source) == (name, "person"):
            return
        theme.name, theme.name_source = name, "person"
        self.session.add(theme)
        self.touched.add(theme.id)

    async def merge_themes(self, theme_id: UUID, into_id: UUID) -> None:
        if theme_id == into_id:
            raise Rejected(f"cannot merge theme {theme_id} into itself")
        source = await self._theme(theme_id)
        target = await storage.merged_root(self.session, await self._theme(into_id))
        if source.merged_into is not None:
            if (await storage.merged_root(self.session, source)).id == target.id:
                return
            raise Rejected(f"theme {theme_id} was merged into {source.merged_into} already")
        if target.id == source.id:
            raise Rejected(f"cannot merge theme {theme_id} into {into_id}: {into_id} was merged into {theme_id}")
        members = await storage.homed_in(self.session, source.id)
        if source.centroid_model == target.centroid_model:
            target.set_centroid(target.centroid_of.combined(source.centroid_of))
        for record in members:
            record.home_theme_id = target.id
            self.session.add(record)
        source.merged_into = target.id
        source.set_centroid(themes.Centroid(source.centroid_of.mean, 0, source.centroid_model))
        self.session.add_all([source, target])
        self.touched.update([source.id, target.id])
        await self.reconcile([record.item_id for record in members])

    async def split_theme(self, theme_id: UUID, item_ids: Sequence[UUID], new_theme_id: UUID, name: str | None) -> None:
        theme = await self._live_theme(theme_id, "split")
        listed = set(item_ids)
        records = await storage.placements(self.session, listed)
        existing = await storage.get_theme(self.session, new_theme_id)
        if existing is not None:
            if all(record.home_theme_id == new_theme_id for record in records.values()) and len(records) == len(listed):
                return  # this split was made already
            raise Rejected(f"theme id {new_theme_id} is taken: a split names a new theme")
        for item_id in sorted(listed, key=str):
            record = records.get(item_id)
            if record is None or record.theme_id != theme.id:
                raise Rejected(f"item {item_id} is not in theme {theme.id}")
            root = await storage.vote_root(self.session, item_id)
            if root not in listed:
                raise Rejected(
                    f"item {item_id} counts as a duplicate of {root}, which stays in the theme: "
                    "split them together, or unmerge it first"
                )
        new_theme = await self._new_theme(new_theme_id, model=theme.centroid_model, name=name)
        await self._add_homes(new_theme, [records[item_id] for item_id in sorted(listed, key=str)])
        await self.reconcile(listed)
        if (await storage.item_counts(self.session, [theme.id]))[theme.id] == 0:
            raise Rejected(f"the split would leave theme {theme.id} empty: rename it instead")
        self.touched.add(theme.id)

    async def _live_theme(self, theme_id: UUID, verb: str) -> ThemeRecord:
        theme = await self._theme(theme_id)
        if theme.merged_into is not None:
            raise Rejected(f"cannot {verb} theme {theme_id}: it was merged into {theme.merged_into}")
        return theme

    # --- the replies ------------------------------------------------------------------------------

    async def replies(self) -> list[Envelope]:
        """The events announcing every change, once each theme's count and keywords are up to date."""
        await self.reconcile(sorted(self.unsettled, key=str))
        replies: list[Envelope] = [
            DuplicateLinkChanged.caused_by(self.cause, producer=self.producer, payload=link.as_event())
            for link in self.links.values()
        ]
        moved = {item_id: move for item_id, move in self.moves.items() if move.theme_id != move.previous}
        records = await storage.placements(self.session, moved)
        for item_id, move in moved.items():
            # An item that counted in a theme has a home (the module's docstring): it never counts nowhere again.
            assert move.theme_id is not None, f"item {item_id} left every theme"
            record = records[item_id]
            membership = ThemeMembership(
                item_id=item_id,
                theme_id=move.theme_id,
                previous_theme_id=move.previous,
                score=record.score if record.home_theme_id == move.theme_id else None,
            )
            replies.append(FeedbackThemed.caused_by(self.cause, producer=self.producer, payload=membership))
        touched = await self._themes(self.touched)
        counts = await storage.item_counts(self.session, self.touched)
        for theme in sorted(touched, key=lambda theme: str(theme.id)):
            if theme.merged_into is None:
                await self._describe(theme, counts[theme.id])
            theme.changed_at, theme.changed_by = self.now, self.actor
            self.session.add(theme)
            payload = theme.as_theme(counts[theme.id])
            replies.append(ThemeChanged.caused_by(self.cause, producer=self.producer, payload=payload))
        return replies

    async def _describe(self, theme: ThemeRecord, items: int) -> None:
        """Keywords and summary from the theme's titles as they are now; its name too, unless it was given."""
        titles = await storage.titles(self.session, theme.id, KEYWORD_TITLES)
        if not titles:
            return
        words = {word for title in titles for word in themes.terms(title)}
        frequency, documents = await storage.term_frequencies(self.session, words)
        # Only a name made here is remade: a person's (or a model's) is kept.
        kept_name = theme.name if theme.name_source != "keywords" else None
        description = themes.describe(
            titles, frequency, documents, items=items, keyword_limit=KEYWORDS, kept_name=kept_name
        )
        theme.name, theme.keywords, theme.summary = description.name, description.keywords, description.summary


async def rebuild_centroids(sessions: async_sessionmaker[AsyncSession], index: VectorIndex, model: str) -> None:
    """Once a refresh switched to `model`, every theme's centroid in its vector space, in one transaction."""
    async with sessions() as session:
        rebuilt = await recompute_centroids(session, index, model)
        await session.commit()
    log.info("theme centroids rebuilt in the new vector space", themes=rebuilt, model=model)


async def recompute_centroids(session: AsyncSession, index: VectorIndex, model: str) -> int:
    """Rebuild every live theme's centroid from its members' vectors in `index`, made by `model`.

    Call it once the index holds every item's vector of the new model (a refresh switched to it):
    until then clustering ignores the themes whose centroids are of another model. Members missing
    from the index are left out. Returns how many themes were rebuilt.
    """
    result = await session.exec(
        select(ThemeItemRecord.item_id, ThemeItemRecord.home_theme_id).where(
            col(ThemeItemRecord.home_theme_id).is_not(None)
        )
    )
    members: dict[UUID, list[UUID]] = defaultdict(list)
    for item_id, home in result.all():
        if home is not None:
            members[home].append(item_id)
    rebuilt = 0
    for theme in await storage.themes_by_id(session, members):
        if theme.merged_into is not None:
            continue
        ids = members[theme.id]
        vectors: dict[UUID, list[float]] = {}
        for start in range(0, len(ids), VECTOR_BATCH):
            vectors |= await asyncio.to_thread(index.vectors, ids[start : start + VECTOR_BATCH])
        if vectors:
            theme.set_centroid(themes.Centroid.of(list(vectors.values()), model))
        else:
            theme.set_centroid(themes.Centroid(theme.centroid_of.mean, 0, model))
        session.add(theme)
        rebuilt += 1
    return rebuilt
