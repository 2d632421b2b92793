"""The delivery guarantees every service inherits, on the real broker."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel.ext.asyncio.session import AsyncSession
from structlog.testing import capture_logs

from libs.runtime.consumer import consume
from libs.runtime.service import ServiceRuntime, service_app
from libs.runtime.testing import collect, publish, running
from libs.runtime.tests.probe import handled, overridden
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
