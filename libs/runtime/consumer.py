"""At-least-once consumption done once, for every service.

A handler is a plain coroutine `(event, session) -> replies`. This module decodes the message,
skips what the inbox has seen (republishing its stored replies), runs the handler in one
transaction with the inbox row, retries transient failures with backoff, publishes the replies,
and only then lets FastStream commit the offset. What still fails goes to the dead-letter topic
with its reason; a down dependency is never dead-lettered but retried until it is back.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar
from uuid import NAMESPACE_URL, uuid5

import stamina
import structlog
from faststream import AckPolicy
from faststream.kafka.annotations import KafkaMessage
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime import inbox
from libs.runtime.inbox import OutgoingMessage
from libs.runtime.service import ServiceRuntime
from libs.schemas.events import DeadLettered, DeadLetterRecord, Envelope, utcnow

E = TypeVar("E", bound=Envelope)
Handler = Callable[[E, AsyncSession], Awaitable[Sequence[Envelope]]]

log = structlog.get_logger()

# A dependency that is down (database, broker): wait for it, never dead-letter the message.
TRANSIENT = (OperationalError, InterfaceError, ConnectionError, OSError, asyncio.TimeoutError)


def is_transient(error: BaseException) -> bool:
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, TRANSIENT)


class PoisonMessage(Exception):
    """A message this consumer can never handle; the reason goes with it to the dead-letter topic."""


def group_of(service: str, event_type: type[Envelope]) -> str:
    """The consumer group (and inbox consumer) of `service` for `event_type`'s topic.

    A consumer group per service and topic: a service reading many topics rebalances one at a time.
    """
    return f"{service}.{event_type.TOPIC}"


def consume(runtime: ServiceRuntime, event_type: type[E], handler: Handler[E]) -> None:
    """Subscribe `handler` to the topic of `event_type` with the hub's delivery guarantees."""
    name = group_of(runtime.name, event_type)
    settings = runtime.settings

    subscriber = runtime.broker.subscriber(
        event_type.TOPIC,
        group_id=name,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
        title=name,
        description=(handler.__doc__ or "").strip() or None,
    )
    runtime.subscribers[name] = subscriber  # its consumer's lag is sampled for /metrics

    @subscriber
    async def on_message(message: KafkaMessage) -> None:
        await _deliver(runtime, name, event_type, handler, message)


async def _deliver(
    runtime: ServiceRuntime, name: str, event_type: type[E], handler: Handler[E], message: KafkaMessage
) -> None:
    topic = event_type.TOPIC
    metrics = runtime.metrics
    try:
        event = event_type.model_validate_json(message.body)
    except ValidationError as error:
        await _dead_letter(runtime, name, message, f"invalid {event_type.__name__}: {_short(error)}", error, 1)
        return

    started = time.perf_counter()
    with structlog.contextvars.bound_contextvars(
        event_id=str(event.event_id), correlation_id=str(event.correlation_id)
    ):
        try:
            # Inside the try: a database that is down already fails the inbox lookup, and is waited for.
            async with runtime.sessions() as session:
                seen = await inbox.find(session, event.event_id, name)
            # Seen before: its stored replies again (their publish may be what failed last time).
            outgoing = seen.outgoing if seen is not None else await handle_with_retries(runtime, name, event, handler)
        except PoisonMessage as error:
            await _dead_letter(runtime, name, message, str(error), error, 1)
            return
        except Exception as error:
            if is_transient(error):
                log.warning("dependency down; message will be redelivered", error=_short(error))
                metrics.handled.labels(name, topic, "dependency_down").inc()
                await asyncio.sleep(runtime.settings.handler_backoff_seconds * 4)
                raise
            await _dead_letter(runtime, name, message, _short(error), error, runtime.settings.handler_attempts)
            return
        await runtime.publish_all(outgoing)
        if seen is not None:
            metrics.handled.labels(name, topic, "redelivered").inc()
            return
        _maybe_crash(runtime, name)
        metrics.handled.labels(name, topic, "handled").inc()
        metrics.handle_seconds.labels(name, topic).observe(time.perf_counter() - started)
        metrics.handled_event_of(name, topic, event.occurred_at)


async def handle_with_retries(
    runtime: ServiceRuntime, name: str, event: E, handler: Handler[E]
) -> list[OutgoingMessage]:
    """Run `handler` and record the inbox row of consumer `name` in one transaction, retrying what may pass."""
    settings = runtime.settings

    async def attempt() -> list[OutgoingMessage]:
        async with runtime.sessions() as session, session.begin():
            replies = await handler(event, session)
            outgoing = [OutgoingMessage.of(reply) for reply in replies]
            inbox.record(session, event.event_id, name, event.TOPIC, outgoing)
        return outgoing

    retrying = stamina.retry_context(
        on=lambda error: not isinstance(error, PoisonMessage),
        attempts=settings.handler_attempts,
        wait_initial=settings.handler_backoff_seconds,
        wait_max=settings.handler_backoff_seconds * 10,
    )
    async for attempt_ in retrying:
        with attempt_:
            if attempt_.num > 1:
                runtime.metrics.handled.labels(name, event.TOPIC, "retried").inc()
            return await attempt()
    raise AssertionError("unreachable: stamina raises after the last attempt")


async def _dead_letter(
    runtime: ServiceRuntime, name: str, message: KafkaMessage, reason: str, error: BaseException, attempts: int
) -> None:
    raw = message.raw_message
    record = DeadLetterRecord(
        consumer_group=name,
        topic=raw.topic,
        partition=raw.partition,
        offset=raw.offset,
        key=raw.key.decode(errors="replace") if raw.key else None,
        body=message.body.decode(errors="replace"),
        reason=reason,
        error_type=type(error).__name__,
        attempts=attempts,
        failed_at=utcnow(),
    )
    # The same failed offset always yields the same event id, so a redelivery is no second letter.
    letter = DeadLettered(
        event_id=uuid5(NAMESPACE_URL, f"prodops:{name}/{raw.topic}/{raw.partition}/{raw.offset}"),
        producer=name,
        payload=record,
    )
    log.error("dead-lettered", reason=reason, topic=raw.topic, offset=raw.offset)
    runtime.metrics.dead_letters.labels(name, raw.topic, type(error).__name__).inc()
    runtime.metrics.handled.labels(name, raw.topic, "dead_lettered").inc()
    await runtime.publish_all([OutgoingMessage.of(letter)])


def _maybe_crash(runtime: ServiceRuntime, name: str) -> None:
    """Die like a killed process would, once, where at-least-once delivery is tested hardest."""
    if runtime.settings.fault_crash_after_work != name:
        return
    marker = runtime.settings.data_dir / f"crashed-{name}"
    if not marker.exists():
        marker.touch()
        log.warning("fault injection: exiting before the offset commit", consumer=name)
        os._exit(70)


def _short(error: BaseException, limit: int = 500) -> str:
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= limit else text[: limit - 3] + "..."
