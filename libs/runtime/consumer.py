"""At-least-once consumption done once, for every service.

A handler is a plain coroutine `(event, session) -> replies`. This module decodes the messages,
skips what the inbox has seen (republishing its stored replies), runs the handler in one
transaction with the inbox row, retries transient failures with backoff, publishes the replies,
and only then lets FastStream commit the offset. What still fails goes to the dead-letter topic
with its reason; a down dependency is never dead-lettered but retried until it is back. A message
whose reply the broker refuses for good (too large...) is dead-lettered too: redelivered, it would
only be refused again.

Messages come in batches (what the consumer has fetched, up to `consumer_batch_size`): the batch's
work and inbox rows commit in one transaction, its replies are published with one wait, and its
offsets are committed once; a `conclude` hook finishes the batch's work elsewhere (a vector index's
flush) before that commit. If that transaction fails, the batch is handled again one message at
a time, with the retries and dead letters above, so a poison message costs only itself.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeAlias, TypeVar
from uuid import NAMESPACE_URL, UUID, uuid5

import stamina
import structlog
from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.subscriber.usecase import LogicSubscriber
from opentelemetry.trace import SpanKind
from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime import inbox
from libs.runtime.database import is_transient
from libs.runtime.inbox import OutgoingMessage
from libs.runtime.publishing import describe, publish_each, too_large
from libs.runtime.service import ServiceRuntime
from libs.runtime.telemetry import within_trace
from libs.schemas.events import CommandRejected, DeadLettered, DeadLetterRecord, Envelope, utcnow

E = TypeVar("E", bound=Envelope)
Handler = Callable[[E, AsyncSession], Awaitable[Sequence[Envelope]]]
# Work done for a whole batch before its handlers run (one model pass for many texts); the handlers
# must not depend on it: when it fails, or a message is handled alone, they do the work themselves.
Prepare = Callable[[Sequence[E]], Awaitable[None]]
# Work done once for a batch after its handlers, before its transaction commits: what they wrote
# outside the database (a vector index) made durable before the inbox says they ran.
Conclude = Callable[[], Awaitable[None]]
Record: TypeAlias = ConsumerRecord[Any, Any]
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

log = structlog.get_logger()


class PoisonMessage(Exception):
    """A message this consumer can never handle; the reason goes with it to the dead-letter topic."""


class Refused(PoisonMessage):
    """A command its owner refuses as a business rule: what its handler did is rolled back, and `rejection` is
    published (and kept in the inbox as the command's outcome) in place of a dead letter."""

    def __init__(self, rejection: CommandRejected) -> None:
        super().__init__(rejection.payload.reason)
        self.rejection = rejection


def group_of(service: str, event_type: type[Envelope]) -> str:
    """The consumer group (and inbox consumer) of `service` for `event_type`'s topic.

    A consumer group per service and topic: a service reading many topics rebalances one at a time.
    """
    return f"{service}.{event_type.TOPIC}"


def consume(
    runtime: ServiceRuntime,
    event_type: type[E],
    handler: Handler[E],
    prepare: Prepare[E] | None = None,
    conclude: Conclude | None = None,
) -> None:
    """Subscribe `handler` to the topic of `event_type` with the hub's delivery guarantees.

    `prepare`, if given, runs on the new messages of each batch before `handler` runs on each;
    `conclude` after the last of them, inside their transaction (for a message handled alone too).
    """
    name = group_of(runtime.name, event_type)
    settings = runtime.settings
    batched = settings.consumer_batch_size > 1

    subscriber: LogicSubscriber[Any] = runtime.broker.subscriber(
        event_type.TOPIC,
        group_id=name,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
        title=name,
        description=(handler.__doc__ or "").strip() or None,
        batch=batched,
        # Batches only: getmany returns as soon as records are there; the wait bounds only an idle poll.
        max_records=settings.consumer_batch_size,
        batch_timeout_ms=settings.consumer_batch_wait_ms,
    )
    runtime.subscribers[name] = subscriber  # its consumer's lag is sampled for /metrics

    @subscriber
    async def on_message(message: KafkaMessage) -> None:
        records = message.raw_message if batched else (message.raw_message,)
        await _deliver(runtime, name, event_type, handler, records, prepare, conclude)


class Ahead(Generic[K, V]):
    """What a `prepare` hook worked out for its batch, for the handlers to take one message at a time.

    A handler that finds nothing (a message handled alone, a preparation that failed) works it out itself.
    """

    def __init__(self) -> None:
        self._results: dict[K, V] = {}

    def keep(self, results: dict[K, V]) -> None:
        """This batch's results, in place of the last batch's."""
        self._results = results

    def get(self, key: K) -> V | None:
        return self._results.get(key)


@dataclass(frozen=True)
class _Delivery(Generic[E]):
    record: Record
    event: E


class _BatchFailed(Exception):
    """The batch's transaction failed; `culprit` is the message whose handler raised, if one did."""

    def __init__(self, error: BaseException, culprit: UUID | None) -> None:
        super().__init__(str(error))
        self.error = error
        self.culprit = culprit


async def _deliver(
    runtime: ServiceRuntime,
    name: str,
    event_type: type[E],
    handler: Handler[E],
    records: Sequence[Record],
    prepare: Prepare[E] | None = None,
    conclude: Conclude | None = None,
) -> None:
    topic = event_type.TOPIC
    metrics = runtime.metrics
    deliveries: list[_Delivery[E]] = []
    for record in records:
        try:
            deliveries.append(_Delivery(record, event_type.model_validate_json(record.value)))
        except ValidationError as error:
            await _dead_letter(runtime, name, record, f"invalid {event_type.__name__}: {describe(error)}", error, 1)
    if not deliveries:
        return

    started = time.perf_counter()
    runtime.in_flight[name] = _earliest_offsets(records)
    try:
        try:
            # A database that is down already fails the inbox lookup, and is waited for.
            async with runtime.sessions() as session:
                stored = await inbox.find_many(session, [d.event.event_id for d in deliveries], name)
        except Exception as error:
            if is_transient(error):
                await _wait_for_dependency(runtime, name, topic, error)
            raise
        # Each new message once (a copy in the same batch is a redelivery of it).
        fresh: dict[UUID, _Delivery[E]] = {}
        for delivery in deliveries:
            if delivery.event.event_id not in stored:
                fresh.setdefault(delivery.event.event_id, delivery)
        handled: dict[UUID, list[OutgoingMessage]] = {}
        if fresh:
            if prepare is not None:
                await _prepare(prepare, [delivery.event for delivery in fresh.values()])
            try:
                handled = await _handle_together(runtime, name, handler, list(fresh.values()), conclude)
            except _BatchFailed as failure:
                handled = await _handle_one_by_one(runtime, name, handler, list(fresh.values()), failure, conclude)

        # Replies in the order their causes came; seen before: its stored replies again (their
        # publish may be what failed last time). A second copy within the batch shares one publish.
        replies: list[tuple[_Delivery[E], list[OutgoingMessage]]] = []
        redelivered = 0
        done: list[Envelope] = []
        done_ids: set[UUID] = set()
        for delivery in deliveries:
            event_id = delivery.event.event_id
            if (entry := stored.get(event_id)) is not None:
                replies.append((delivery, entry.outgoing))
                redelivered += 1
            elif event_id in handled:
                if event_id in done_ids:
                    redelivered += 1
                else:
                    replies.append((delivery, handled[event_id]))
                    done.append(delivery.event)
                    done_ids.add(event_id)
        published = await publish_each(runtime.publish_all, replies)
        for refusal in published.refused:
            reason = f"the broker refuses its reply: {describe(refusal.error)}"
            await _dead_letter(runtime, name, refusal.subject.record, reason, refusal.error, 1)
        if published.error is not None:
            raise published.error  # the broker's: the batch is redelivered, and its stored replies published then
    finally:
        runtime.in_flight.pop(name, None)

    if redelivered:
        metrics.handled.labels(name, topic, "redelivered").inc(redelivered)
    dead = {refusal.subject.event.event_id for refusal in published.refused}
    done = [event for event in done if event.event_id not in dead]
    if not done:
        return
    share = (time.perf_counter() - started) / len(deliveries)
    for event in done:
        metrics.handled.labels(name, topic, "handled").inc()
        metrics.handle_seconds.labels(name, topic).observe(share)
        metrics.handled_event_of(name, topic, event.occurred_at)


async def _handle_together(
    runtime: ServiceRuntime, name: str, handler: Handler[E], fresh: list[_Delivery[E]], conclude: Conclude | None
) -> dict[UUID, list[OutgoingMessage]]:
    """Every message's work and its inbox row in one transaction."""
    results: dict[UUID, list[OutgoingMessage]] = {}
    culprit: UUID | None = None
    try:
        async with runtime.sessions() as session, session.begin():
            for delivery in fresh:
                culprit = delivery.event.event_id
                with _handling(runtime, name, delivery):
                    replies = await handler(delivery.event, session)
                    await session.flush()  # a failing write is this message's, not the next one's
                    results[culprit] = [OutgoingMessage.of(reply) for reply in replies]
            culprit = None
            if conclude is not None:
                await conclude()
            await inbox.record_many(
                session, name, [(d.event.event_id, d.event.TOPIC, results[d.event.event_id]) for d in fresh]
            )
    except Exception as error:
        raise _BatchFailed(error, culprit) from error
    return results


async def _handle_one_by_one(
    runtime: ServiceRuntime,
    name: str,
    handler: Handler[E],
    fresh: list[_Delivery[E]],
    failure: _BatchFailed,
    conclude: Conclude | None,
) -> dict[UUID, list[OutgoingMessage]]:
    """The batch again, a message at a time: the bad one is retried and dead-lettered alone."""
    if len(fresh) > 1:
        log.warning("batch failed; handling its messages one by one", size=len(fresh), error=describe(failure.error))
    results: dict[UUID, list[OutgoingMessage]] = {}
    settings = runtime.settings
    for delivery in fresh:
        event = delivery.event
        # The culprit has had its first attempt in the batch.
        failed_once = failure.error if event.event_id == failure.culprit else None
        with _handling(runtime, name, delivery):
            try:
                results[event.event_id] = await handle_with_retries(
                    runtime,
                    name,
                    event,
                    handler,
                    failed_once,
                    conclude,
                )
            except PoisonMessage as error:
                await _dead_letter(runtime, name, delivery.record, str(error), error, 1)
            except Exception as error:
                if is_transient(error):
                    await _wait_for_dependency(runtime, name, event.TOPIC, error)
                    raise
                await _dead_letter(runtime, name, delivery.record, describe(error), error, settings.handler_attempts)
    return results


async def handle_with_retries(
    runtime: ServiceRuntime,
    name: str,
    event: E,
    handler: Handler[E],
    failed_once: BaseException | None = None,
    conclude: Conclude | None = None,
) -> list[OutgoingMessage]:
    """Run `handler` and record the inbox row of consumer `name` in one transaction, retrying what may pass.

    `failed_once`: the error of a first attempt already made (in a batch); it counts as one of the attempts.
    """
    settings = runtime.settings
    attempts = settings.handler_attempts - (failed_once is not None)
    if isinstance(failed_once, Refused):
        return await _refused(runtime, name, event, failed_once)
    if failed_once is not None and (isinstance(failed_once, PoisonMessage) or attempts < 1):
        raise failed_once

    async def attempt() -> list[OutgoingMessage]:
        try:
            async with runtime.sessions() as session, session.begin():
                replies = await handler(event, session)
                if conclude is not None:
                    await conclude()
                outgoing = [OutgoingMessage.of(reply) for reply in replies]
                await inbox.record_many(session, name, [(event.event_id, event.TOPIC, outgoing)])
        except Refused as refusal:  # its transaction is rolled back: the refusal is all that is kept
            return await _refused(runtime, name, event, refusal)
        return outgoing

    retrying = stamina.retry_context(
        on=lambda error: not isinstance(error, PoisonMessage),
        attempts=attempts,
        wait_initial=settings.handler_backoff_seconds,
        wait_max=settings.handler_backoff_seconds * 10,
    )
    async for attempt_ in retrying:
        with attempt_:
            if attempt_.num > 1 or failed_once is not None:
                runtime.metrics.handled.labels(name, event.TOPIC, "retried").inc()
            return await attempt()
    raise AssertionError("unreachable: stamina raises after the last attempt")


async def _refused(runtime: ServiceRuntime, name: str, event: Envelope, refusal: Refused) -> list[OutgoingMessage]:
    """A refused command's outcome: its refusal, recorded in the inbox in a transaction of its own."""
    outgoing = [OutgoingMessage.of(refusal.rejection)]
    async with runtime.sessions() as session, session.begin():
        await inbox.record_many(session, name, [(event.event_id, event.TOPIC, outgoing)])
    log.info("command refused", consumer=name, command_id=str(event.event_id), reason=str(refusal))
    return outgoing


async def _prepare(prepare: Prepare[E], events: list[E]) -> None:
    try:
        await prepare(events)
    except Exception as error:  # the handlers do the work themselves, and meet the error there if it lasts
        log.info("batch preparation failed; each message does its own work", error=describe(error))


async def _wait_for_dependency(runtime: ServiceRuntime, name: str, topic: str, error: BaseException) -> None:
    """Back off before the batch is redelivered (the caller re-raises: no offset is committed)."""
    log.warning("dependency down; message will be redelivered", error=describe(error))
    runtime.metrics.handled.labels(name, topic, "dependency_down").inc()
    await asyncio.sleep(runtime.settings.handler_backoff_seconds * 4)


@contextmanager
def _handling(runtime: ServiceRuntime, name: str, delivery: _Delivery[E]) -> Iterator[None]:
    """A message's own span, in the trace its producer started (not the batch's), and its log context; the replies
    made inside continue that trace."""
    headers = delivery.record.headers or ()
    carrier = {key: value.decode() for key, value in headers if key in ("traceparent", "tracestate")}
    tracer = runtime.tracing.get_tracer(__name__)
    with (
        within_trace(carrier),
        tracer.start_as_current_span(f"{name} handle", kind=SpanKind.CONSUMER),
        structlog.contextvars.bound_contextvars(**_log_context(delivery.event)),
    ):
        yield


def _log_context(event: Envelope) -> dict[str, str]:
    return {"event_id": str(event.event_id), "correlation_id": str(event.correlation_id)}


def _earliest_offsets(records: Sequence[Record]) -> dict[tuple[str, int], int]:
    earliest: dict[tuple[str, int], int] = {}
    for record in records:
        key = (record.topic, record.partition)
        earliest[key] = min(earliest.get(key, record.offset), record.offset)
    return earliest


async def _dead_letter(
    runtime: ServiceRuntime, name: str, raw: Record, reason: str, error: BaseException, attempts: int
) -> None:
    record = DeadLetterRecord(
        consumer_group=name,
        topic=raw.topic,
        partition=raw.partition,
        offset=raw.offset,
        key=raw.key.decode(errors="replace") if raw.key else None,
        body=(raw.value or b"").decode(errors="replace"),
        reason=reason,
        error_type=type(error).__name__,
        attempts=attempts,
        failed_at=utcnow(),
    )
    # The same failed offset always yields the same event id, so a redelivery is no second letter.
    letter = _fitted(
        DeadLettered(
            event_id=uuid5(NAMESPACE_URL, f"prodops:{name}/{raw.topic}/{raw.partition}/{raw.offset}"),
            producer=name,
            payload=record,
        )
    )
    log.error("dead-lettered", reason=reason, topic=raw.topic, offset=raw.offset)
    runtime.metrics.dead_letters.labels(name, raw.topic, type(error).__name__).inc()
    runtime.metrics.handled.labels(name, raw.topic, "dead_lettered").inc()
    await runtime.publish_all([OutgoingMessage.of(letter)])


def _fitted(letter: DeadLettered) -> DeadLettered:
    """The letter, with the message it holds cut (and its reason saying so) when the whole would not fit in a message:
    a letter the broker refuses would leave the message to be redelivered forever."""
    whole = letter.payload
    while too_large(letter.model_dump_json()):
        body = letter.payload.body[: len(letter.payload.body) * 9 // 10]
        reason = f"{whole.reason} (the message is cut to fit here: {len(body):,} of {len(whole.body):,} characters)"
        letter = letter.model_copy(update={"payload": whole.model_copy(update={"body": body, "reason": reason})})
    return letter
