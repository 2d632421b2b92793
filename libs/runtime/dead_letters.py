"""The dead-letter topic read back, and its messages replayed to where they came from.

A consumer dead-letters what it could not handle (libs/runtime/consumer.py) with the message whole.
Replaying publishes that body again to its original topic: the consumer that failed handles it
anew, and every consumer that had handled it already skips it by its inbox, so a replay (or two)
is never a second handling.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import BaseModel, ValidationError

from libs.runtime.broker import durable_producer
from libs.schemas.events import DeadLettered

REPLAY_HEADER = "replay-of"


class _Identified(BaseModel):
    """Just the event id of a message (Envelope would make one up when it is missing)."""

    event_id: UUID


async def read_all(bootstrap: str, timeout_ms: int = 10_000) -> list[DeadLettered]:
    """Every dead letter on the topic, oldest first, read without joining (or committing for) a group."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, request_timeout_ms=timeout_ms
    )
    await consumer.start()
    try:
        await consumer.topics()  # fills the metadata cache that partitions_for_topic reads
        numbers = consumer.partitions_for_topic(DeadLettered.TOPIC) or set()
        partitions = [TopicPartition(DeadLettered.TOPIC, number) for number in sorted(numbers)]
        if not partitions:
            return []
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        letters: list[DeadLettered] = []
        while [partition for partition, end in ends.items() if await consumer.position(partition) < end]:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    try:
                        letters.append(DeadLettered.model_validate_json(record.value))
                    except ValidationError:
                        continue  # not a letter of ours; nothing to replay
    finally:
        await consumer.stop()
    return sorted(letters, key=lambda letter: letter.payload.failed_at)


def select(letters: Sequence[DeadLettered], event_id: UUID | None, group: str | None) -> list[DeadLettered]:
    """The letters to replay: the one with that id (a letter's id or its message's), or all; of one group if given."""
    chosen = [letter for letter in letters if group is None or letter.payload.consumer_group == group]
    if event_id is not None:
        chosen = [letter for letter in chosen if event_id in (letter.event_id, message_id(letter))]
    return chosen


def message_id(letter: DeadLettered) -> UUID | None:
    """The event id of the dead message, when its body is an event at all."""
    try:
        return _Identified.model_validate_json(letter.payload.body).event_id
    except ValidationError:
        return None


async def replay(bootstrap: str, letters: Sequence[DeadLettered]) -> list[DeadLettered]:
    """Publish each dead message again to its original topic, once per message; the letters replayed."""
    producer = durable_producer(bootstrap)
    await producer.start()
    replayed: list[DeadLettered] = []
    sent: set[tuple[str, str]] = set()
    try:
        for letter in letters:
            record = letter.payload
            # Two groups may have dead-lettered the same message: one publish reaches both again.
            if (record.topic, record.body) in sent:
                continue
            await producer.send_and_wait(
                record.topic,
                record.body.encode(),
                key=record.key.encode() if record.key is not None else None,
                headers=[("content-type", b"application/json"), (REPLAY_HEADER, str(letter.event_id).encode())],
            )
            sent.add((record.topic, record.body))
            replayed.append(letter)
    finally:
        await producer.stop()
    return replayed
