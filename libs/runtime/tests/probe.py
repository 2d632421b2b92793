"""The probe service the runtime's tests run on the real broker, what they send it, and a wait on its inbox."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from uuid import uuid4

from libs.runtime import inbox
from libs.runtime.service import ServiceRuntime
from libs.runtime.settings import ServiceSettings
from libs.schemas.events import (
    CustomerMatch,
    EnrichedFeedback,
    FeedbackEnriched,
    FeedbackOverridden,
    TriageOverride,
    utcnow,
)
from libs.schemas.feedback import FeedbackItem


def probe_runtime(kafka_bootstrap: str, data_dir: Path, **other_settings: Any) -> ServiceRuntime:
    """A service of its own name (so its consumer groups are fresh) on the real broker, SQLite in data_dir."""
    settings = ServiceSettings(
        kafka_bootstrap=kafka_bootstrap,
        data_dir=data_dir,
        handler_backoff_seconds=0.01,
        lag_sample_seconds=0.1,
        kafka_session_timeout_ms=2000,
        kafka_heartbeat_interval_ms=500,
        **other_settings,
    )
    migrations = data_dir / "no-migrations-of-its-own"
    migrations.mkdir()
    return ServiceRuntime.create(f"probe-{uuid4().hex[:6]}", settings, migrations)


def overridden(reason: str) -> FeedbackOverridden:
    return FeedbackOverridden(producer="test", payload=TriageOverride(item_id=uuid4(), actor="pm", reason=reason))


def reply_to(event: FeedbackOverridden, producer: str) -> FeedbackEnriched:
    """A reply with an event id of its own: a second handling would publish a different one."""
    now = utcnow()
    item = FeedbackItem(id=event.payload.item_id, title="reply", created_at=now, received_at=now)
    payload = EnrichedFeedback(item=item, match=CustomerMatch(matched_by="none", known=False))
    return FeedbackEnriched.caused_by(event, producer=producer, payload=payload)


async def handled(runtime: ServiceRuntime, event: FeedbackOverridden, timeout: float = 20.0) -> None:
    """Wait until the inbox says the event was handled."""
    async with asyncio.timeout(timeout):
        while True:
            async with runtime.sessions() as session:
                if await inbox.find(session, event.event_id, f"{runtime.name}.{event.TOPIC}"):
                    return
            await asyncio.sleep(0.1)


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 30.0) -> None:
    """Poll `check` until it holds."""
    async with asyncio.timeout(timeout):
        while True:
            if await check():
                return
            await asyncio.sleep(0.1)
