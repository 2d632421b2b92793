"""Subscribers: thin, decode (done by the runtime), embed once, search, decide, store, reply.

Received items are decided, linked and placed in a theme; commands on dedupe.commands.v1 merge,
unmerge and unlink items, and rename, merge and split themes. A command that can never apply
(an item merged into itself or into its own duplicate, an unknown theme) is dead-lettered with
its reason and changes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from prometheus_client import Counter
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.ml.embeddings import Embedder
from libs.runtime.consumer import Ahead, PoisonMessage, consume
from libs.runtime.database import after_commit
from libs.runtime.service import ServiceRuntime
from libs.schemas.commands import MarkNotDuplicate, MergeItems, MergeThemes, RenameTheme, SplitTheme, UnmergeItem
from libs.schemas.events import DedupeCommand, Envelope, FeedbackDeduped, FeedbackReceived, utcnow
from services.dedupe import domain, storage
from services.dedupe.adapters import IndexedItem, VectorIndex
from services.dedupe.changes import Changes, ThemeRules
from services.dedupe.settings import DedupeSettings


class Engines:
    """The embedder and the vector index: set when the service starts, never at import."""

    embedder: Embedder
    index: VectorIndex

    def __init__(self) -> None:
        # The vectors of the batch being handled, embedded in one call, by (model, text).
        self.ahead: Ahead[tuple[str, str], list[float]] = Ahead()

    async def embed_ahead(self, texts: list[str]) -> None:
        """Embed a batch's texts at once (far cheaper per text than one by one), for `embed` to find."""
        embedder = self.embedder
        vectors = await asyncio.to_thread(embedder.embed, texts)
        self.ahead.keep({(embedder.model_name, text): vector for text, vector in zip(texts, vectors, strict=True)})

    async def embed(self, text: str) -> list[float]:
        """The text's vector: embedded ahead with its batch, or now, off the event loop."""
        embedder = self.embedder
        if (vector := self.ahead.get((embedder.model_name, text))) is not None:
            return vector
        [vector] = await asyncio.to_thread(embedder.embed, [text])
        return vector


# A person's command on items, as the decision it records.
PERSON_OUTCOMES = {MergeItems: "merged", UnmergeItem: "unmerged", MarkNotDuplicate: "not_duplicate"}


def register(runtime: ServiceRuntime, settings: DedupeSettings, engines: Engines) -> None:
    rules = ThemeRules(join_similarity=settings.theme_similarity, seed_similarity=settings.theme_seed_similarity)
    decisions = Counter(
        "prodops_dedupe_decisions_total",
        "Duplicate decisions: the model's on each new item (duplicate, unique), people's (merged, unmerged, "
        "not_duplicate).",
        ["decided_by", "outcome"],
        registry=runtime.registry,
    )

    async def on_received(event: FeedbackReceived, session: AsyncSession) -> list[Envelope]:
        """List the items most similar to a received one, link it to a likely duplicate, and place it in a theme."""
        item = event.payload
        embedder, index = engines.embedder, engines.index
        # Embedding is the costliest step of the pipeline: once per item, off the event loop. Never
        # another model's vector in its place: Mistral down raises MistralUnavailable, a ConnectionError,
        # so the consumer waits and redelivers (nothing dead-lettered, nothing lost).
        vector = await engines.embed(item.text)
        similar = await asyncio.to_thread(index.search, vector, limit=settings.top_k, exclude=item.id)
        # A replayed item keeps its first decision, even though later items are in the index now.
        decision = await storage.get_decision(session, item.id)
        if decision is None:
            window = domain.TimeWindow.around(item.created_at, settings.window_days)
            in_window = await asyncio.to_thread(
                index.search, vector, limit=settings.top_k, exclude=item.id, window=window
            )
            # A pair a person called no duplicate is never suggested again, whichever item comes first.
            rejected = await storage.rejected_partners(session, item.id)
            decision = domain.decide(
                [candidate for candidate in in_window if candidate.item_id not in rejected],
                created_at=item.created_at,
                threshold=settings.duplicate_threshold,
                window_days=settings.window_days,
                model=embedder.model_name,
            )
            storage.add_decision(session, item.id, decision)
            after_commit(session, decisions.labels("model", "duplicate" if decision.duplicate_of else "unique").inc)
        indexed = IndexedItem(
            item_id=item.id, title=item.title, created_at=item.created_at, model=embedder.model_name, text=item.text
        )
        await asyncio.to_thread(index.upsert, indexed, vector)  # durable once the batch concludes

        changes = Changes(session, index, runtime.name, event, actor=domain.MODEL_ACTOR, now=utcnow())
        link = await storage.get_link(session, item.id)
        parent_root = await storage.vote_root(session, decision.duplicate_of) if decision.duplicate_of else None
        if (new := domain.suggested(item.id, link, decision, parent_root=parent_root, now=changes.now)) is not None:
            # A standalone item is no news: only a suggestion is announced.
            await changes.set_link(new, announce=new.current.linked)
            link = new
        await changes.place(item.id, item.title, vector, similar, rules, embedder.model_name)
        standing = domain.standing(decision, link.current) if link else decision
        result = domain.dedupe_result(item.id, similar, standing)
        return [FeedbackDeduped.caused_by(event, producer=runtime.name, payload=result), *await changes.replies()]

    async def on_command(command: DedupeCommand, session: AsyncSession) -> list[Envelope]:
        """Apply a person's merge, unmerge or unlinking of items, or renaming, merging or splitting of themes."""
        payload = command.payload
        # The command's own time: a change is recorded when the person made it, not when it was handled.
        changes = Changes(session, engines.index, runtime.name, command, actor=payload.actor, now=command.occurred_at)
        try:
            match payload:
                case MergeItems():
                    await merge_items(session, changes, payload)
                case UnmergeItem():
                    await unmerge_item(session, changes, payload)
                case MarkNotDuplicate():
                    await mark_not_duplicate(session, changes, payload)
                case RenameTheme():
                    await changes.rename_theme(payload.theme_id, payload.name)
                case MergeThemes():
                    await changes.merge_themes(payload.theme_id, payload.into_id)
                case SplitTheme():
                    await changes.split_theme(payload.theme_id, payload.item_ids, payload.new_theme_id, payload.name)
        except domain.Rejected as error:
            raise PoisonMessage(str(error)) from error
        if (outcome := PERSON_OUTCOMES.get(type(payload))) is not None:
            after_commit(session, decisions.labels("person", outcome).inc)
        return await changes.replies()

    async def embed_received(events: Sequence[FeedbackReceived]) -> None:
        await engines.embed_ahead([event.payload.text for event in events])

    async def flush_index() -> None:
        await asyncio.to_thread(engines.index.flush)

    # The batch's vectors reach the disk once, before its decisions commit.
    consume(runtime, FeedbackReceived, on_received, prepare=embed_received, conclude=flush_index)
    consume(runtime, DedupeCommand, on_command)


async def merge_items(session: AsyncSession, changes: Changes, command: MergeItems) -> None:
    """A person's merge: into the root of the item named, never into the item itself or its own duplicate."""
    existing = await storage.get_link(session, command.item_id)
    into_root = await storage.vote_root(session, command.into_id)
    new = domain.merged(
        command.item_id, existing, into_id=command.into_id, into_root=into_root, actor=command.actor, now=changes.now
    )
    if new is not None:
        await changes.set_link(new, reason=command.reason)


async def unmerge_item(session: AsyncSession, changes: Changes, command: UnmergeItem) -> None:
    """Back to the link before the current one, unless its parent has come to count as this item's duplicate."""
    existing = await storage.get_link(session, command.item_id)
    if (new := domain.unmerged(existing, actor=command.actor, now=changes.now)) is None:
        return
    parent = new.current.duplicate_of
    new = domain.without_cycle(new, await storage.vote_root(session, parent) if parent else None)
    await changes.set_link(new, reason=command.reason)


async def mark_not_duplicate(session: AsyncSession, changes: Changes, command: MarkNotDuplicate) -> None:
    """Break the item's link, and remember the pair so that the model never links the two again."""
    existing = await storage.get_link(session, command.item_id)
    broken = domain.marked_not_duplicate(existing, command.item_id, actor=command.actor, now=changes.now)
    if broken is None:
        return
    new, parent = broken
    await storage.reject_pair(session, command.item_id, parent, command.actor)
    await changes.set_link(new, reason=command.reason)
