"""Trace context crosses the broker: a reply continues the trace of what it answers, an outbox row the trace it was
stored in."""

from __future__ import annotations

import secrets
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.consumer import consume
from libs.runtime.inbox import OutgoingMessage
from libs.runtime.service import ServiceRuntime, service_app
from libs.runtime.testing import running
from libs.runtime.tests.probe import overridden
from libs.schemas.events import CustomerMatch, EnrichedFeedback, FeedbackEnriched, FeedbackOverridden, utcnow
from libs.schemas.feedback import FeedbackItem

pytestmark = pytest.mark.kafka


def traceparent() -> tuple[str, str]:
    """A caller's W3C traceparent and its trace id."""
    trace_id = secrets.token_hex(16)
    return f"00-{trace_id}-{secrets.token_hex(8)}-01", trace_id


async def trace_id_of_record(bootstrap: str, topic: str, marker: str) -> str:
    """The trace id in the traceparent header of the first record on `topic` whose body holds `marker`."""
    reader = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=f"trace-{uuid4().hex[:6]}", auto_offset_reset="earliest"
    )
    await reader.start()
    try:
        async for record in reader:
            if marker in record.value.decode():
                headers: dict[str, bytes] = dict(record.headers)
                return headers["traceparent"].decode().split("-")[1]
    finally:
        await reader.stop()
    raise AssertionError("unreachable: the reader only stops on a record")


async def test_a_message_published_later_continues_the_trace_it_was_stored_in(
    runtime: ServiceRuntime, kafka_bootstrap: str
) -> None:
    header, trace_id = traceparent()
    event = overridden("stored in a request, published by the relay")
    message = OutgoingMessage.of(event).model_copy(update={"trace_context": {"traceparent": header}})

    async with running(service_app(runtime, title="probe")):
        await runtime.publish_all([message])

    assert await trace_id_of_record(kafka_bootstrap, event.TOPIC, str(event.event_id)) == trace_id


async def test_a_reply_continues_the_trace_of_the_message_it_answers(
    runtime: ServiceRuntime, kafka_bootstrap: str
) -> None:
    header, trace_id = traceparent()
    cause = overridden("traced")

    async def handler(event: FeedbackOverridden, session: AsyncSession) -> list[FeedbackEnriched]:
        now = utcnow()
        item = FeedbackItem(id=event.payload.item_id, title="traced", created_at=now, received_at=now)
        payload = EnrichedFeedback(item=item, match=CustomerMatch(matched_by="none", known=False))
        return [FeedbackEnriched.caused_by(event, producer=runtime.name, payload=payload)]

    consume(runtime, FeedbackOverridden, handler)
    async with running(service_app(runtime, title="probe")):
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
        await producer.start()
        try:
            body = cause.model_dump_json().encode()
            await producer.send_and_wait(cause.TOPIC, body, headers=[("traceparent", header.encode())])
        finally:
            await producer.stop()
        reply_trace = await trace_id_of_record(
            kafka_bootstrap, FeedbackEnriched.TOPIC, f'"causation_id":"{cause.event_id}"'
        )

    assert reply_trace == trace_id
