"""Batches keep the per-message guarantees, on the real broker: messages waiting together are handled in
one transaction, a redelivered batch republishes what it stored, a poison message costs only itself."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime import consumer
from libs.runtime.consumer import consume
from libs.runtime.database import after_commit
from libs.runtime.service import ServiceRuntime, service_app
from libs.runtime.testing import collect, publish, running
from libs.runtime.tests.probe import eventually, handled, overridden, reply_to
from libs.schemas.events import (
    DeadLettered,
    FeedbackEnriched,
    FeedbackOverridden,
)

pytestmark = pytest.mark.kafka


async def replies_to(bootstrap: str, causes: list[FeedbackOverridden]) -> dict[UUID, set[UUID]]:
    """Cause -> the event ids of the replies published to it, once every cause has one."""
    wanted = {cause.event_id for cause in causes}
    seen = await collect(bootstrap, FeedbackEnriched, lambda seen: wanted <= {reply.causation_id for reply in seen})
    found: dict[UUID, set[UUID]] = {cause: set() for cause in wanted}
    for reply in seen:
        if reply.causation_id in wanted:
            found[reply.causation_id].add(reply.event_id)
    return found


def count(runtime: ServiceRuntime, outcome: str) -> float:
    labels = {"consumer": f"{runtime.name}.{FeedbackOverridden.TOPIC}", "topic": FeedbackOverridden.TOPIC}
    return runtime.registry.get_sample_value("prodops_messages_handled_total", {**labels, "outcome": outcome}) or 0


async def test_messages_waiting_together_are_handled_in_one_transaction_each_once(
    runtime: ServiceRuntime, kafka_bootstrap: str
) -> None:
    events = [overridden(f"batched {number} {uuid4()}") for number in range(20)]
    mine = {event.event_id for event in events}
    sessions: dict[UUID, AsyncSession] = {}
    calls: Counter[UUID] = Counter()

    async def handler(event: FeedbackOverridden, session: AsyncSession) -> list[FeedbackEnriched]:
        if event.event_id not in mine:
            return []  # what earlier tests left on the topic
        calls[event.event_id] += 1
        sessions[event.event_id] = session
        return [reply_to(event, runtime.name)]

    consume(runtime, FeedbackOverridden, handler)
    await publish(kafka_bootstrap, *events)  # all waiting before the consumer starts
    async with running(service_app(runtime, title="probe")):
        for event in events:
            await handled(runtime, event)
        replies = await replies_to(kafka_bootstrap, events)

    assert len({id(session) for session in sessions.values()}) < len(events), "several messages shared a transaction"
    assert set(calls.values()) == {1}, "each handled once"
    assert all(len(ids) == 1 for ids in replies.values()), "one reply each"


async def test_a_poison_message_in_the_middle_of_a_batch_is_dead_lettered_alone(
    runtime: ServiceRuntime, kafka_bootstrap: str
) -> None:
    marker = uuid4().hex
    before = [overridden(f"{marker} before {number}") for number in range(5)]
    poison = overridden(f"{marker} poison")
    after = [overridden(f"{marker} after {number}") for number in range(5)]
    attempts: Counter[UUID] = Counter()
    committed: Counter[UUID] = Counter()

    async def handler(event: FeedbackOverridden, session: AsyncSession) -> list[FeedbackEnriched]:
        if marker not in (event.payload.reason or ""):
            return []
        attempts[event.event_id] += 1
        after_commit(session, lambda: committed.update([event.event_id]))
        if event.event_id == poison.event_id:
            raise ValueError("override names a field that does not exist")
        return [reply_to(event, runtime.name)]

    consume(runtime, FeedbackOverridden, handler)
    await publish(kafka_bootstrap, *before, poison, *after)
    async with running(service_app(runtime, title="probe")):
        for event in (*before, *after):
            await handled(runtime, event)
        letters = await collect(
            kafka_bootstrap, DeadLettered, lambda seen: any(str(poison.event_id) in d.payload.body for d in seen)
        )
        replies = await replies_to(kafka_bootstrap, [*before, *after])

    [letter] = [letter for letter in letters if marker in letter.payload.body]
    assert str(poison.event_id) in letter.payload.body
    assert letter.payload.reason == "ValueError: override names a field that does not exist"
    assert attempts[poison.event_id] == letter.payload.attempts == runtime.settings.handler_attempts
    # The rolled-back batch published nothing: the replies are those of the one handling that committed.
    assert all(len(ids) == 1 for ids in replies.values()), "one reply each, from the handling that committed"
    # Work redone after the batch rolled back runs its after-commit actions (counters) once, the poison's never.
    assert committed == Counter(event.event_id for event in (*before, *after))


async def test_a_batch_redelivered_after_its_work_republishes_its_stored_replies_and_does_no_work_twice(
    runtime: ServiceRuntime, kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = [overridden(f"crash {number} {uuid4()}") for number in range(10)]
    mine = {event.event_id for event in events}
    calls: Counter[UUID] = Counter()
    crashed: list[str] = []

    async def handler(event: FeedbackOverridden, session: AsyncSession) -> list[FeedbackEnriched]:
        if event.event_id not in mine:
            return []
        calls[event.event_id] += 1
        return [reply_to(event, runtime.name)]

    deliver = consumer._deliver

    async def die_once_before_the_commit(runtime_: ServiceRuntime, name: str, *args: Any, **kwargs: Any) -> None:
        await deliver(runtime_, name, *args, **kwargs)
        # Work stored and replies published; the offset commit never happens, as if the process died.
        if not crashed and mine <= set(calls):
            crashed.append(name)
            raise RuntimeError("killed before the offset commit")

    monkeypatch.setattr(consumer, "_deliver", die_once_before_the_commit)
    consume(runtime, FeedbackOverridden, handler)
    await publish(kafka_bootstrap, *events)
    async with running(service_app(runtime, title="probe")):

        async def redelivered() -> bool:
            return bool(crashed) and count(runtime, "redelivered") >= 1

        await eventually(redelivered)
        replies = await replies_to(kafka_bootstrap, events)

    assert set(calls.values()) == {1}, "no work done twice"
    assert all(len(ids) == 1 for ids in replies.values()), "the redelivery republished the stored reply, not a new one"


async def test_a_batch_is_prepared_at_once_and_handled_even_when_its_preparation_fails(
    runtime: ServiceRuntime, kafka_bootstrap: str
) -> None:
    events = [overridden(f"prepared {number} {uuid4()}") for number in range(10)]
    mine = {event.event_id for event in events}
    prepared: list[set[UUID]] = []
    calls: Counter[UUID] = Counter()

    async def prepare(batch: Sequence[FeedbackOverridden]) -> None:
        prepared.append({event.event_id for event in batch} & mine)
        if len(prepared) == 1:
            raise ConnectionError("the model server is away")

    async def handler(event: FeedbackOverridden, session: AsyncSession) -> list[FeedbackEnriched]:
        calls[event.event_id] += 1
        return []

    consume(runtime, FeedbackOverridden, handler, prepare=prepare)
    await publish(kafka_bootstrap, *events)
    async with running(service_app(runtime, title="probe")):
        for event in events:
            await handled(runtime, event)

    assert set().union(*prepared) == mine, "every new message prepared"
    assert max(len(batch) for batch in prepared) > 1, "several at once"
    assert all(calls[event_id] == 1 for event_id in mine), "handled once each, the failed preparation's too"


async def test_a_batch_concludes_once_after_its_handlers_and_a_failed_conclusion_commits_nothing(
    runtime: ServiceRuntime, kafka_bootstrap: str
) -> None:
    events = [overridden(f"concluded {number} {uuid4()}") for number in range(10)]
    mine = {event.event_id for event in events}
    pending: set[UUID] = set()  # handled since the last conclusion: what a vector index holds unflushed
    concluded: list[set[UUID]] = []
    committed: Counter[UUID] = Counter()

    async def handler(event: FeedbackOverridden, session: AsyncSession) -> list[FeedbackEnriched]:
        if event.event_id in mine:
            pending.add(event.event_id)
            after_commit(session, lambda: committed.update([event.event_id]))
        return []

    async def conclude() -> None:
        batch = set(pending)
        pending.clear()
        concluded.append(batch)
        if len(concluded) == 1 and batch:
            raise OSError("disk full while flushing")

    consume(runtime, FeedbackOverridden, handler, conclude=conclude)
    await publish(kafka_bootstrap, *events)
    async with running(service_app(runtime, title="probe")):
        for event in events:
            await handled(runtime, event)

    first, *later = [batch for batch in concluded if batch]
    assert len(first) > 1, "the first conclusion came once for a whole batch, after its handlers"
    assert set().union(*later) == mine, "after the failed conclusion every message was handled and concluded again"
    assert committed == Counter(mine), "nothing committed by the batch whose conclusion failed; each message once since"
