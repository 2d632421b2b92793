"""`prodops dlq list|replay` on the real broker: a poison message is listed with its reason and replayed once."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import event as sa_event
from sqlmodel.ext.asyncio.session import AsyncSession
from typer.testing import CliRunner

from libs.runtime.consumer import consume
from libs.runtime.service import ServiceRuntime, service_app
from libs.runtime.testing import publish, running
from libs.runtime.tests.probe import eventually, handled, overridden, probe_runtime
from libs.schemas.events import Envelope, FeedbackOverridden
from prodops.cli import app

pytestmark = pytest.mark.kafka


async def prodops(*arguments: str, env: dict[str, str] | None = None) -> str:
    """Run the `prodops` command (in a thread: it runs its own event loop); its output."""
    result = await asyncio.to_thread(CliRunner().invoke, app, list(arguments), env=env)
    assert result.exit_code == 0, f"prodops {' '.join(arguments)}: {result.output}"
    return result.stdout


async def redelivered(runtime: ServiceRuntime, event: FeedbackOverridden, at_least: int) -> None:
    """Wait until the consumer has skipped the event by its inbox `at_least` times."""
    labels = {"consumer": f"{runtime.name}.{event.TOPIC}", "topic": event.TOPIC, "outcome": "redelivered"}

    async def skipped() -> bool:
        return (runtime.registry.get_sample_value("prodops_messages_handled_total", labels) or 0) >= at_least

    await eventually(skipped)


async def test_a_poison_message_is_listed_with_its_reason_and_replayed_once_it_can_be_handled(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    runtime = probe_runtime(kafka_bootstrap, tmp_path)
    fixed = False
    handled_ids: list[UUID] = []
    poison, fine = overridden("names a field this version lacks"), overridden("fine")

    async def handler(event: FeedbackOverridden, session: AsyncSession) -> list[Envelope]:
        if event.payload.reason == poison.payload.reason and not fixed:
            raise ValueError("unknown field 'severity'")
        # Counted when committed: a batch that failed on the poison is rolled back and redone one by one.
        sa_event.listen(session.sync_session, "after_commit", lambda _: handled_ids.append(event.event_id), once=True)
        return []

    consume(runtime, FeedbackOverridden, handler)
    group = f"{runtime.name}.{FeedbackOverridden.TOPIC}"
    async with running(service_app(runtime, title="probe")):
        await publish(kafka_bootstrap, poison, fine)
        await handled(runtime, fine)  # the stream went on past the poison

        # The broker's address from the environment, as every service reads it.
        environment = {"PRODOPS_KAFKA_BOOTSTRAP": kafka_bootstrap}
        rows: list[dict[str, Any]] = []

        async def listed() -> bool:  # the letter is published after the last retry
            # The topic is the session broker's: a group reads it from the start, other tests' poison included.
            letters = json.loads(await prodops("dlq", "list", "--json", "--group", group, env=environment))
            rows[:] = [row for row in letters if row["message_id"] == str(poison.event_id)]
            return bool(rows)

        await eventually(listed)
        [letter] = rows
        assert letter["message_id"] == str(poison.event_id)
        assert letter["reason"] == "ValueError: unknown field 'severity'"
        assert (letter["topic"], letter["consumer_group"]) == (FeedbackOverridden.TOPIC, group)
        assert letter["attempts"] == runtime.settings.handler_attempts

        fixed = True  # the cause is fixed (a deploy, a dependency back): replay it
        output = await prodops("dlq", "replay", letter["id"], "--bootstrap", kafka_bootstrap)
        assert f"replayed {letter['id']} to {FeedbackOverridden.TOPIC}" in output
        await handled(runtime, poison)

        # A second replay (by the message's own id this time) reaches the consumer, whose inbox skips it.
        await prodops("dlq", "replay", str(poison.event_id), "--bootstrap", kafka_bootstrap)
        await redelivered(runtime, poison, at_least=1)
    assert handled_ids.count(poison.event_id) == 1, "handled once, however often it is replayed"
    assert handled_ids.count(fine.event_id) == 1


async def test_replay_without_a_letter_or_all_is_refused() -> None:
    result = await asyncio.to_thread(CliRunner().invoke, app, ["dlq", "replay"])
    assert result.exit_code != 0
    assert "give one EVENT_ID or --all" in result.output
