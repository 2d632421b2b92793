"""The delivery guarantees every service inherits, on the real broker."""

from __future__ import annotations

import asyncio
import json
from uuid import uuid4

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel.ext.asyncio.session import AsyncSession
from structlog.testing import capture_logs

from libs.runtime.consumer import consume
from libs.runtime.publishing import too_large
from libs.runtime.service import ServiceRuntime, service_app
from libs.runtime.settings import MAX_MESSAGE_BYTES
from libs.runtime.testing import collect, publish, publish_raw, running
from libs.runtime.tests.probe import handled, overridden, reply_to
from libs.schemas.events import (
    DeadLettered,
    FeedbackEnriched,
    FeedbackOverridden,
)

pytestmark = pytest.mark.kafka


async def test_a_handler_that_keeps_failing_sends_the_message_to_the_dead_letters_with_its_reason(
    runtime: ServiceRuntime, kafka_bootstrap: str
) -> None:
    attempts: list[str] = []
    poison = overridden("poison")

    async def handler(event: FeedbackOverridden, session: AsyncSession) -> list[FeedbackOverridden]:
        attempts.append(event.payload.reason or "")
        if event.payload.reason == "poison":
            raise ValueError("override names a field that does not exist")
        return []

    consume(runtime, FeedbackOverridden, handler)
    async with running(service_app(runtime, title="probe")):
        await publish(kafka_bootstrap, poison, overridden("fine"))
        letters = await collect(
            kafka_bootstrap, DeadLettered, lambda seen: any(str(poison.event_id) in d.payload.body for d in seen)
        )
    letter = next(d for d in letters if str(poison.event_id) in d.payload.body)
    assert letter.payload.reason == "ValueError: override names a field that does not exist"
    assert letter.payload.attempts == runtime.settings.handler_attempts
    assert attempts.count("poison") == runtime.settings.handler_attempts, "retried with backoff first"
    assert "fine" in attempts, "the stream goes on past the poison"


async def test_a_dependency_that_is_down_for_a_while_is_waited_for_not_dead_lettered(
    runtime: ServiceRuntime, kafka_bootstrap: str
) -> None:
    failures_left = 6  # more than one round of in-process retries: the message is redelivered too
    event = overridden("flaky database")

    async def handler(event: FeedbackOverridden, session: AsyncSession) -> list[FeedbackEnriched]:
        nonlocal failures_left
        if failures_left:
            failures_left -= 1
            raise OperationalError("INSERT ...", {}, ConnectionRefusedError("database is restarting"))
        return []

    consume(runtime, FeedbackOverridden, handler)
    async with running(service_app(runtime, title="probe")):
        await publish(kafka_bootstrap, event)
        await handled(runtime, event)
    assert failures_left == 0
    retried = runtime.registry.get_sample_value(
        "prodops_messages_handled_total",
        {"consumer": f"{runtime.name}.{event.TOPIC}", "topic": event.TOPIC, "outcome": "retried"},
    )
    assert retried is not None and retried >= 1


async def test_a_handler_stuck_on_a_dependency_does_not_keep_the_service_from_stopping(
    runtime: ServiceRuntime, kafka_bootstrap: str
) -> None:
    stuck = overridden("a dependency that never answers")
    entered, answer = asyncio.Event(), asyncio.Event()

    async def handler(event: FeedbackOverridden, session: AsyncSession) -> list[FeedbackEnriched]:
        if event.event_id == stuck.event_id:
            entered.set()
            await answer.wait()
        return []

    quick = ServiceRuntime.create(
        runtime.name, runtime.settings.model_copy(update={"broker_stop_seconds": 0.5}), runtime.migrations
    )
    consume(quick, FeedbackOverridden, handler)
    app = service_app(quick, title="probe")  # before capturing: it configures the logging
    try:
        with capture_logs() as logs:
            async with running(app):
                await publish(kafka_bootstrap, stuck)
                await asyncio.wait_for(entered.wait(), 30)
        # Left to the broker: the uncommitted message goes to the group's next consumer (see the crash tests).
        assert {"event": "the broker connection did not close in time; leaving it", "log_level": "error"}.items() <= (
            logs[-1].items()
        )
    finally:
        answer.set()
        await quick.broker.stop()  # what a process exit does for it


async def test_a_reply_the_broker_refuses_for_good_dead_letters_its_message_and_the_next_is_handled(
    runtime: ServiceRuntime, kafka_bootstrap: str
) -> None:
    huge, fine = overridden("a reply larger than a message"), overridden("a reply that fits")

    async def handler(event: FeedbackOverridden, session: AsyncSession) -> list[FeedbackEnriched]:
        reply = reply_to(event, runtime.name)
        if event.event_id == huge.event_id:
            # Only around the model's bounds (model_copy does not validate) is a reply this large.
            item = reply.payload.item.model_copy(update={"description": "x" * MAX_MESSAGE_BYTES})
            reply = reply.model_copy(update={"payload": reply.payload.model_copy(update={"item": item})})
        return [reply]

    consume(runtime, FeedbackOverridden, handler)
    async with running(service_app(runtime, title="probe")):
        await publish(kafka_bootstrap, huge, fine)
        letters = await collect(
            kafka_bootstrap, DeadLettered, lambda seen: any(str(huge.event_id) in d.payload.body for d in seen)
        )
        replies = await collect(
            kafka_bootstrap, FeedbackEnriched, lambda seen: any(reply.causation_id == fine.event_id for reply in seen)
        )
    letter = next(d for d in letters if str(huge.event_id) in d.payload.body)
    assert letter.payload.reason.startswith("the broker refuses its reply: MessageSizeTooLargeError: ")
    assert letter.payload.consumer_group == f"{runtime.name}.{huge.TOPIC}"
    assert not [reply for reply in replies if reply.causation_id == huge.event_id]


async def test_a_message_too_large_to_be_dead_lettered_whole_is_dead_lettered_cut(
    runtime: ServiceRuntime, kafka_bootstrap: str
) -> None:
    """A letter holds its message escaped once more: one near the limit must be cut, or it is redelivered forever."""
    marker = str(uuid4())
    poison = json.dumps({"marker": marker, "quotes": '"' * 450_000}).encode()  # each quote written \" : 900 KB
    after = overridden("after the poison")

    async def handler(event: FeedbackOverridden, session: AsyncSession) -> list[FeedbackEnriched]:
        return []

    consume(runtime, FeedbackOverridden, handler)
    async with running(service_app(runtime, title="probe")):
        await publish_raw(kafka_bootstrap, after.TOPIC, poison)
        await publish(kafka_bootstrap, after)
        letters = await collect(kafka_bootstrap, DeadLettered, lambda seen: any(marker in d.payload.body for d in seen))
        await handled(runtime, after)
    letter = next(d for d in letters if marker in d.payload.body)
    assert letter.payload.reason.startswith("invalid FeedbackOverridden: ")
    assert f"of {len(poison.decode()):,} characters)" in letter.payload.reason
    assert poison.decode().startswith(letter.payload.body) and too_large(letter.model_dump_json()) is None
