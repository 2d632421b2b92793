"""The notify service on the in-memory broker (SQLite and PostgreSQL), with a real SMTP server and local
Intercom and Slack servers: everyone who asked hears once per channel, whatever is replayed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TypeVar
from uuid import UUID, uuid4

from fastapi import FastAPI

from libs.connectors.settings import IntercomSettings, SlackSettings
from libs.runtime.testing import UNUSED_BOOTSTRAP, InMemoryBus, in_memory, quick_settings
from libs.schemas.commands import OptOut
from libs.schemas.events import (
    CustomerMatch,
    DedupeResult,
    EnrichedFeedback,
    Envelope,
    FeedbackDeduped,
    FeedbackEnriched,
    FeedbackThemed,
    LaunchChanged,
    LaunchPayload,
    LaunchShipped,
    NotificationSent,
    SetNotificationOptOut,
    ShippedLaunch,
    Theme,
    ThemeChanged,
    ThemeMembership,
    utcnow,
)
from libs.schemas.feedback import Customer, FeedbackItem
from libs.schemas.launches import Launch, LaunchStatus, LaunchType, Team
from libs.testing.smtp import smtp_server
from services.notify import storage
from services.notify.app import create_app
from services.notify.settings import NotifySettings
from services.notify.storage import NotificationRecord
from services.notify.tests.servers import vendor_server

T = TypeVar("T")


async def until(probe: Callable[[], Awaitable[T]], what: str, timeout: float = 30.0) -> T:
    """Wait until `probe` returns something truthy (the delivery job works on its own time), and return it."""
    deadline = time.monotonic() + timeout
    while not (result := await probe()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)
    return result


def published(
    bus: InMemoryBus, until_seen: Callable[[list[NotificationSent]], bool]
) -> Callable[[], Awaitable[list[NotificationSent]]]:
    """Every notification.sent published, once `until_seen` holds of them."""

    async def probe() -> list[NotificationSent]:
        seen = bus.published(NotificationSent)
        return seen if until_seen(seen) else []

    return probe


async def messages_of(app: FastAPI, launch_id: UUID) -> Sequence[NotificationRecord]:
    async with app.state.runtime.sessions() as session:
        return await storage.of_launch(session, launch_id)


def all_announced(app: FastAPI, launch_id: UUID) -> Callable[[], Awaitable[Sequence[NotificationRecord]]]:
    """The launch's messages, once every outcome is announced (notification.sent goes out before the mark)."""

    async def probe() -> Sequence[NotificationRecord]:
        rows = await messages_of(app, launch_id)
        return rows if rows and all(row.announced for row in rows) else []

    return probe


def enriched(customer: Customer, title: str, description: str) -> FeedbackEnriched:
    now = utcnow()
    item = FeedbackItem(
        id=uuid4(), title=title, description=description, customer=customer, created_at=now, received_at=now
    )
    payload = EnrichedFeedback(item=item, match=CustomerMatch(matched_by="email", known=True))
    return FeedbackEnriched(producer="test", payload=payload)


def deduped(item: FeedbackEnriched, duplicate_of: FeedbackEnriched) -> FeedbackDeduped:
    result = DedupeResult(
        item_id=item.payload.item.id,
        similar_items=[],
        duplicate_of=duplicate_of.payload.item.id,
        duplicate_score=0.9,
        threshold=0.5,
        window_days=30,
        embedding_model="test",
    )
    return FeedbackDeduped(producer="test", payload=result)


async def test_everyone_who_asked_hears_once_per_channel_and_a_replay_sends_nothing(
    database_url: str | None, tmp_path: Path
) -> None:
    marker = uuid4().hex[:8]
    acme = Customer(id=f"acme-{marker}", email=f"cto-{marker}@acme.io", company="Acme")
    acme_ops = acme.model_copy(update={"email": f"ops-{marker}@acme.io"})
    initech = Customer(id=f"initech-{marker}", email=f"dev-{marker}@initech.com", company="Initech")
    globex = Customer(id=f"globex-{marker}", email=f"it-{marker}@globex.com", company="Globex")
    sso = enriched(acme, "Please add SSO", "Okta is required by our IT team.")
    sso_again = enriched(acme, "SAML sign-in", "Our auditors ask for SAML.")
    ops = enriched(acme_ops, "Okta login", "We need Okta SSO for 40 people.")
    dev = enriched(initech, "Single sign-on", "SSO through Okta, please.")
    unrelated = enriched(globex, "Dark mode", "The console is too bright.")
    duplicates = [deduped(ops, sso), deduped(dev, ops)]
    opt_out = SetNotificationOptOut(
        producer="test", payload=OptOut(customer=acme_ops.email or "", channel="email", actor="pm@hub")
    )
    launch = Launch(
        id=uuid4(),
        name=f"Okta SSO {marker}",
        type=LaunchType.ENTERPRISE_FEATURE,
        status=LaunchStatus.SHIPPED,
        team=Team.ENGINEERING,
        target_date=date(2026, 12, 1),
        feedback_ids=[sso.payload.item.id, sso_again.payload.item.id],
    )
    shipped = LaunchShipped(producer="test", payload=ShippedLaunch(launch=launch, shipped_at=utcnow()))
    replay = LaunchShipped(producer="test", payload=shipped.payload)

    with smtp_server() as (mailbox, smtp_port), vendor_server() as vendors:
        vendors.intercom_contacts = {acme.email or "": "c-1", initech.email or "": "c-2"}
        vendors.slack_errors = {"#initech": "channel_not_found"}
        settings = quick_settings(
            NotifySettings,
            UNUSED_BOOTSTRAP,
            tmp_path,
            database_url,
            smtp_host="127.0.0.1",
            smtp_port=smtp_port,
            intercom=IntercomSettings(api_token="tok", admin_id="814860", api_url=f"{vendors.url}/intercom"),
            slack=SlackSettings(
                api_token="xoxb",
                api_url=f"{vendors.url}/slack",
                account_channels={acme.id or "": "#acme", initech.id or "": "#initech"},
            ),
            delivery_backoff_seconds=0.01,
            delivery_poll_seconds=0.1,
        )
        app = create_app(settings)
        async with in_memory(app) as bus:
            for event in [sso, sso_again, ops, dev, unrelated, *duplicates, opt_out]:
                await bus.publish(event)
            await bus.publish(shipped)
            sent = await until(
                published(
                    bus, lambda seen: len({n.payload.id for n in seen if n.payload.launch_id == launch.id}) == 10
                ),
                "every message to be announced",
            )
            for event in (replay, shipped):
                await bus.publish(event)
            # Whatever a replay planned again would be sent before its outcome is announced.
            rows = await until(all_announced(app, launch.id), "every outcome to be marked announced")
            after_replay = bus.published(NotificationSent)
            globex_before_link = len(mailbox.to(globex.email or ""))
            # Linked after it shipped: Globex hears too, and nobody else again.
            relinked = launch.model_copy(update={"feedback_ids": [*launch.feedback_ids, unrelated.payload.item.id]})
            await bus.publish(LaunchChanged(producer="test", payload=LaunchPayload(launch=relinked)))
            late = await until(
                published(
                    bus, lambda seen: len({n.payload.id for n in seen if n.payload.customer_email == globex.email}) == 3
                ),
                "Globex's messages to be announced",
            )
            rows_after_link = await messages_of(app, launch.id)

    mine = {n.payload.id: n.payload for n in sent if n.payload.launch_id == launch.id}
    outcomes = sorted((n.channel, n.customer_email or n.customer_id, n.status) for n in mine.values())
    assert outcomes == sorted(
        [
            ("in_app", acme.email, "sent"),
            ("in_app", acme_ops.email, "sent"),
            ("in_app", initech.email, "sent"),
            ("email", acme.email, "sent"),
            ("email", initech.email, "sent"),
            ("intercom", acme.email, "sent"),
            ("intercom", acme_ops.email, "failed"),
            ("intercom", initech.email, "sent"),
            ("slack", acme.id, "sent"),
            ("slack", initech.id, "failed"),
        ]
    ), "ops opted out of email; Globex did not ask"
    failed = {n.channel: n for n in mine.values() if n.status == "failed"}
    assert failed["intercom"].reason == f"no Intercom contact with the email {acme_ops.email}"
    assert failed["slack"].reason == "Slack answered channel_not_found" and failed["slack"].attempts == 1

    assert len(mailbox.to(acme.email or "")) == 1 and len(mailbox.to(initech.email or "")) == 1
    assert mailbox.to(acme_ops.email or "") == [] and globex_before_link == 0
    [to_cto] = mailbox.to(acme.email or "")
    assert to_cto["Subject"] == f"{launch.name} has shipped"
    body = to_cto.get_payload()
    assert '"Please add SSO: Okta is required by our IT team."' in body and '"SAML sign-in' in body
    assert len(vendors.received("/intercom/messages")) == 2
    assert sorted(post["channel"] for post in vendors.received("/slack/chat.postMessage")) == ["#acme", "#initech"]

    assert len(rows) == 10 and {row.status for row in rows} == {"sent", "failed"} and all(row.announced for row in rows)
    to_globex = sorted((n.payload.channel, n.payload.status) for n in late if n.payload.customer_email == globex.email)
    assert to_globex == [("email", "sent"), ("in_app", "sent"), ("intercom", "failed")]
    assert len(rows_after_link) == 13 and len(mailbox.to(globex.email or "")) == 1
    announced = [n for n in after_replay if n.payload.launch_id == launch.id]
    assert len(announced) == 10, "the replays announced nothing new"
    slack_acme = next(n for n in mine.values() if n.channel == "slack" and n.status == "sent")
    assert set(slack_acme.feedback_ids) == {sso.payload.item.id, sso_again.payload.item.id, ops.payload.item.id}

    registry = app.state.runtime.registry
    sent_per_channel = {
        channel: registry.get_sample_value("prodops_notifications_sent_total", {"channel": channel})
        for channel in ("in_app", "email", "intercom", "slack")
    }
    assert sent_per_channel == {"in_app": 4, "email": 3, "intercom": 2, "slack": 1}, "counted once, replays not"
    failed_per_channel = {
        channel: registry.get_sample_value("prodops_notifications_failed_total", {"channel": channel, "reason": reason})
        for channel, reason in (("intercom", "refused"), ("slack", "refused"), ("email", "unavailable"))
    }
    assert failed_per_channel == {"intercom": 2, "slack": 1, "email": None}


def themed(item: FeedbackEnriched, theme_id: UUID, at: datetime) -> FeedbackThemed:
    membership = ThemeMembership(item_id=item.payload.item.id, theme_id=theme_id)
    return FeedbackThemed(producer="test", occurred_at=at, payload=membership)


def theme_changed(theme_id: UUID, merged_into: UUID | None, at: datetime) -> ThemeChanged:
    theme = Theme(
        id=theme_id,
        name="Okta SSO",
        name_source="keywords",
        items=1,
        merged_into=merged_into,
        created_at=at,
        changed_at=at,
        changed_by="pm@hub",
    )
    return ThemeChanged(producer="test", payload=theme)


async def test_the_customers_behind_a_launchs_themes_hear_once_following_merges_and_moves(
    database_url: str | None, tmp_path: Path
) -> None:
    marker = uuid4().hex[:8]

    def customer(name: str) -> Customer:
        return Customer(id=f"{name}-{marker}", email=f"{name}-{marker}@example.com", company=name.title())

    linked, in_theme, merged, duplicate, moved_out, other = (
        customer(name) for name in ("linked", "themed", "merged", "duplicate", "moved", "other")
    )
    items = {c.email: enriched(c, f"SSO ({c.company})", "Okta, please.") for c in (linked, in_theme, merged, moved_out)}
    items[duplicate.email] = enriched(duplicate, "Okta SAML", "Same as the others.")
    items[other.email] = enriched(other, "Dark mode", "Too bright.")
    sso, old_sso, split_off, unrelated = uuid4(), uuid4(), uuid4(), uuid4()
    t0 = utcnow() - timedelta(minutes=10)
    theme_events: list[Envelope] = [
        themed(items[in_theme.email], sso, t0),
        # Asked under a theme that a person later merged into the SSO theme: the item moved with it.
        themed(items[merged.email], old_sso, t0),
        themed(items[merged.email], sso, t0 + timedelta(minutes=1)),
        theme_changed(old_sso, sso, t0 + timedelta(minutes=1)),
        # Split off the SSO theme into another one; the older membership replayed after it changes nothing.
        themed(items[moved_out.email], split_off, t0 + timedelta(minutes=2)),
        themed(items[moved_out.email], sso, t0),
        themed(items[other.email], unrelated, t0),
        deduped(items[duplicate.email], items[in_theme.email]),
    ]
    # Linked to the theme that no longer stands (the PM linked it before the merge), and to one item directly.
    launch = Launch(
        id=uuid4(),
        name=f"Okta SSO {marker}",
        type=LaunchType.ENTERPRISE_FEATURE,
        status=LaunchStatus.SHIPPED,
        team=Team.ENGINEERING,
        target_date=date(2026, 12, 1),
        feedback_ids=[items[linked.email].payload.item.id],
        theme_ids=[old_sso],
    )
    shipped = LaunchShipped(producer="test", payload=ShippedLaunch(launch=launch, shipped_at=utcnow()))
    settings = quick_settings(
        NotifySettings,
        UNUSED_BOOTSTRAP,
        tmp_path,
        database_url,
        delivery_backoff_seconds=0.01,
        # Far off: planned messages wake the delivery job, they do not wait for its next poll.
        delivery_poll_seconds=3600,
    )
    app = create_app(settings)
    told = {linked.email, in_theme.email, merged.email, duplicate.email}
    async with in_memory(app) as bus:
        for event in [*items.values(), *theme_events]:
            await bus.publish(event)
        await bus.publish(shipped)
        sent = await until(
            published(
                bus, lambda seen: {n.payload.customer_email for n in seen if n.payload.launch_id == launch.id} >= told
            ),
            "everyone who asked to be told",
        )
        for event in (
            LaunchShipped(producer="test", payload=shipped.payload),
            LaunchChanged(producer="test", payload=LaunchPayload(launch=launch)),
        ):
            await bus.publish(event)
        rows = await messages_of(app, launch.id)

    mine = [n.payload for n in sent if n.payload.launch_id == launch.id]
    assert sorted((n.channel, n.customer_email) for n in mine) == sorted(("in_app", email) for email in told)
    assert len(rows) == len(told), "one in-app message per customer, whatever was replayed"
    to_merged = next(n for n in mine if n.customer_email == merged.email)
    assert to_merged.feedback_ids == [items[merged.email].payload.item.id] and "SSO (Merged)" in to_merged.message
