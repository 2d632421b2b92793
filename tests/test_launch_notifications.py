"""End to end: customers ask, a PM links their request to a launch and ships it, and each customer
hears exactly once per channel (a real SMTP server, the in-app inbox), whatever is shipped or replayed again."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import timedelta
from email.message import Message
from typing import Any

import pytest

from libs.runtime.broker import publish
from libs.runtime.testing import collect
from libs.schemas.events import LaunchShipped, utcnow
from libs.testing.smtp import Mailbox, smtp_server
from prodops.hub import Hub
from tests.conftest import HubClient, start_hub

pytestmark = [pytest.mark.e2e, pytest.mark.kafka]

# (email, title, description): Pied Piper asks first; Northwind asks again in other words (a
# duplicate); Hooli asks too; someone else asks for something unrelated.
FIRST = ("richard@piedpiper.com", "Please add SAML SSO with Okta", "Our security team requires SSO for every vendor.")
AGAIN = ("ops@northwind.ai", "We need SSO through Okta (SAML)", "Okta SAML single sign-on is required by our IT team.")
HOOLI = ("gavin@hooli.xyz", "Single sign-on with Okta, please", "Our admins want to manage access in Okta.")
OTHER = ("cto@northwind.ai", "Typo on the pricing page", "It says 'tokns' instead of 'tokens'.")
ASKED = sorted(email for email, _, _ in (FIRST, AGAIN, HOOLI))


async def until(probe: Callable[[], Awaitable[Any]], what: str, timeout: float = 90.0) -> Any:
    """Wait until `probe` returns something truthy, and return it."""
    deadline = time.monotonic() + timeout
    while not (result := await probe()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.25)
    return result


@pytest.fixture(scope="module")
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    with smtp_server() as running:
        yield running


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], scope="module")
async def hub(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, mailbox: tuple[Mailbox, int]
) -> AsyncIterator[Hub]:
    database_url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    smtp = {
        "PRODOPS_SMTP_HOST": "127.0.0.1",
        "PRODOPS_SMTP_PORT": str(mailbox[1]),
        "PRODOPS_SMTP_FROM": "launches@prodops.test",
        "PRODOPS_DELIVERY_POLL_SECONDS": "0.2",
    }
    running = await start_hub(tmp_path_factory.mktemp(f"launch-hub-{request.param}"), database_url, smtp)
    try:
        yield running
    finally:
        running.stop()


async def test_every_customer_who_asked_hears_once_per_channel(client: HubClient, mailbox: tuple[Mailbox, int]) -> None:
    inbox, _ = mailbox
    # The SMTP server serves both hubs of the module (SQLite, PostgreSQL): count only this test's mail.
    earlier = len(inbox.messages)

    def received() -> list[Message]:
        return inbox.messages[earlier:]

    gateway, editor = client.hub.gateway_url, client.editor

    async def submit(email: str, title: str, description: str) -> str:
        return await client.submit({"title": title, "description": description, "customer": {"email": email}})

    # Dedupe flags an item as a duplicate of an earlier one: the first request goes in first.
    first = await submit(*FIRST)
    await client.processed([first])
    again, hooli, other = [await submit(*request) for request in (AGAIN, HOOLI, OTHER)]
    items = await client.processed([again, hooli, other])
    assert items[again]["duplicate_of"] == first, "the repeat request is a duplicate of the first"

    async def get(path: str, **params: Any) -> Any:
        response = await client.http.get(f"{gateway}{path}", params=params, headers=client.viewer)
        return response.json() if response.status_code == 200 else None

    target = (utcnow() + timedelta(days=60)).date()
    created = await client.http.post(
        f"{gateway}/api/v1/launches",
        json={"name": "Okta SSO", "type": "enterprise_feature", "team": "engineering", "target_date": str(target)},
        headers=editor,
    )
    assert created.status_code == 202, created.text
    launch_id = created.json()["id"]
    launch = await until(lambda: get(f"/api/v1/launches/{launch_id}"), "the launch in the read model")
    assert (launch["status"], launch["complexity"], launch["readiness"]) == ("in_dev", "high", 0.0)

    # The PM links the first and Hooli's request; the duplicate comes along through dedupe.
    linked = await client.http.post(
        f"{gateway}/api/v1/launches/{launch_id}/links", json={"feedback_ids": [first, hooli]}, headers=editor
    )
    assert linked.status_code == 202, linked.text
    ticked = await client.http.patch(
        f"{gateway}/api/v1/launches/{launch_id}/checklist/engineering.tests", json={"done": True}, headers=editor
    )
    assert ticked.status_code == 202, ticked.text

    async def ticked_and_linked() -> Any:
        checklist = await get(f"/api/v1/launches/{launch_id}/checklist")
        launch = await get(f"/api/v1/launches/{launch_id}")
        tests = next(item for item in checklist["items"] if item["id"] == "engineering.tests")
        return tests["done"] and len(launch["feedback_ids"]) == 2 and (checklist, tests)

    checklist, tests = await until(ticked_and_linked, "the tick and the links in the read model")
    assert tests["done_by"] == "e2e" and tests["done_at"] is not None
    assert 0 < checklist["readiness"]["overall"] < 1 and checklist["readiness"]["by_team"]["engineering"] > 0

    shipped = await client.http.patch(
        f"{gateway}/api/v1/launches/{launch_id}", json={"status": "shipped"}, headers=editor
    )
    assert shipped.status_code == 202, shipped.text

    async def notified() -> Any:
        body = await get("/api/v1/notifications", launch_id=launch_id, limit=200)
        sent = body and [n for n in body["items"] if n["status"] == "sent"]
        return len(sent) == 2 * len(ASKED) and len(received()) >= len(ASKED) and body

    notifications = await until(notified, "a notification per customer and channel")
    assert sorted((n["channel"], n["customer_email"]) for n in notifications["items"]) == sorted(
        [("in_app", email) for email in ASKED] + [("email", email) for email in ASKED]
    )
    in_app = await get("/api/v1/notifications", launch_id=launch_id, channel="in_app")
    assert sorted(n["customer_email"] for n in in_app["items"]) == ASKED
    assert all(n["feedback_ids"] and "Okta SSO" in n["message"] for n in in_app["items"])
    assert sorted(message["To"] for message in received()) == ASKED, "one email per customer, nobody else"
    to_pied_piper = next(message for message in received() if message["To"] == FIRST[0])
    assert to_pied_piper["Subject"] == "Okta SSO has shipped" and FIRST[1] in to_pied_piper.get_payload()

    # Shipping again (also after a reopening), and replaying the launch.shipped event, tell nobody anything more.
    for status in ("shipped", "beta", "shipped"):
        response = await client.http.patch(
            f"{gateway}/api/v1/launches/{launch_id}", json={"status": status}, headers=editor
        )
        assert response.status_code == 202

        async def shown(status: str = status) -> bool:
            return (await get(f"/api/v1/launches/{launch_id}"))["status"] == status

        await until(shown, f"the launch shown {status}")
    assert client.hub.kafka_bootstrap is not None
    [announcement] = [
        event
        for event in await collect(
            client.hub.kafka_bootstrap,
            LaunchShipped,
            lambda seen: any(str(e.payload.launch.id) == launch_id for e in seen),
        )
        if str(event.payload.launch.id) == launch_id
    ]
    replayed = LaunchShipped(producer="replay", payload=announcement.payload)
    await publish(client.hub.kafka_bootstrap, announcement, replayed)
    await asyncio.sleep(5)  # time for a double to arrive, were there one
    assert sorted(message["To"] for message in received()) == ASKED
    final = await get("/api/v1/notifications", launch_id=launch_id, limit=200)
    assert final["total"] == 2 * len(ASKED)


# (email, title, description): three customers ask for an audit log export, Umbrella twice; MiniLM puts
# any two of these 0.85 to 0.93 apart (themes form at 0.6), so dedupe finds the theme and marks all but one
# as duplicates. Another customer asks for something unrelated (at most 0.3 from any text here).
THEMED = [
    ("sec@umbrella.io", "Export the audit log as CSV", "Our auditors need the audit log exported as CSV every month."),
    ("it@initrode.com", "Audit log export to CSV", "We need to export the audit log as a CSV file for compliance."),
    ("sec@umbrella.io", "Export audit logs to CSV, please", "Let us export the audit log as CSV for our auditors."),
    ("admin@vandelay.com", "Audit log export", "Our security team wants to export the audit log as CSV."),
]
UNTHEMED = ("ceo@vandelay.com", "Invoices in euros", "Please bill us in EUR.")


async def test_a_launch_linked_to_a_theme_the_hub_found_tells_each_customer_behind_it_once(
    client: HubClient, mailbox: tuple[Mailbox, int]
) -> None:
    inbox, _ = mailbox
    earlier = len(inbox.messages)
    gateway, editor = client.hub.gateway_url, client.editor
    assert client.hub.kafka_bootstrap is not None

    async def submit(email: str, title: str, description: str) -> str:
        return await client.submit({"title": title, "description": description, "customer": {"email": email}})

    async def get(path: str, **params: Any) -> Any:
        response = await client.http.get(f"{gateway}{path}", params=params, headers=client.viewer)
        return response.json() if response.status_code == 200 else None

    async def theme_of(item_id: str) -> str | None:
        theme = (await get(f"/api/v1/feedback/{item_id}"))["theme"]
        return theme and theme["id"]

    themed = [await submit(*request) for request in THEMED]
    unthemed = await submit(*UNTHEMED)
    items = await client.processed([*themed, unthemed])
    # Items go to partitions by id, so dedupe may see them in any order: all but the first it saw are duplicates.
    duplicates = [item for item in themed if items[item]["duplicate_of"]]
    assert len(duplicates) == len(themed) - 1, f"all requests but one are duplicates, got {duplicates}"

    async def all_themed() -> list[str | None] | None:
        themes = [await theme_of(item) for item in themed]
        return None if None in themes else themes

    themes = await until(all_themed, "dedupe to put the requests in a theme")
    assert len(set(themes)) == 1, f"one theme for one request, got {themes}"
    theme_id = themes[0]

    target = (utcnow() + timedelta(days=30)).date()
    body = {"name": "Audit log export", "type": "enterprise_feature", "team": "product", "target_date": str(target)}
    created = await client.http.post(f"{gateway}/api/v1/launches", json=body, headers=editor)
    assert created.status_code == 202, created.text
    launch_id = created.json()["id"]
    await until(lambda: get(f"/api/v1/launches/{launch_id}"), "the launch in the read model")
    linked = await client.http.post(
        f"{gateway}/api/v1/launches/{launch_id}/links", json={"theme_ids": [theme_id]}, headers=editor
    )
    assert linked.status_code == 202, linked.text

    async def theme_linked() -> bool:
        return (await get(f"/api/v1/launches/{launch_id}"))["theme_ids"] == [theme_id]

    await until(theme_linked, "the theme linked in the read model")
    shipped = await client.http.patch(
        f"{gateway}/api/v1/launches/{launch_id}", json={"status": "shipped"}, headers=editor
    )
    assert shipped.status_code == 202, shipped.text

    asked = sorted({email for email, _, _ in THEMED})

    async def notified() -> Any:
        found = await get("/api/v1/notifications", launch_id=launch_id, limit=200)
        sent = found and [n for n in found["items"] if n["status"] == "sent"]
        return len(sent) == 2 * len(asked) and len(inbox.messages) - earlier >= len(asked) and found

    notifications = await until(notified, "a notification per customer of the theme and channel")
    assert sorted((n["channel"], n["customer_email"]) for n in notifications["items"]) == sorted(
        [("in_app", email) for email in asked] + [("email", email) for email in asked]
    )
    twice = next(n for n in notifications["items"] if n["customer_email"] == THEMED[0][0] and n["channel"] == "email")
    assert len(twice["feedback_ids"]) == 2, "who asked twice hears once, about both requests"

    # Shipping again, and replaying the launch.shipped event, tell nobody anything more.
    again = await client.http.patch(
        f"{gateway}/api/v1/launches/{launch_id}", json={"status": "shipped"}, headers=editor
    )
    assert again.status_code == 202, again.text
    [announcement] = [
        event
        for event in await collect(
            client.hub.kafka_bootstrap,
            LaunchShipped,
            lambda seen: any(str(e.payload.launch.id) == launch_id for e in seen),
        )
        if str(event.payload.launch.id) == launch_id
    ]
    await publish(client.hub.kafka_bootstrap, LaunchShipped(producer="replay", payload=announcement.payload))
    await asyncio.sleep(5)  # time for a double to arrive, were there one
    assert sorted(message["To"] for message in inbox.messages[earlier:]) == asked, "nobody twice, nobody else"
    final = await get("/api/v1/notifications", launch_id=launch_id, limit=200)
    assert final["total"] == 2 * len(asked)
    assert await theme_of(unthemed) is None, "the unrelated request stays out of the theme"
