"""Duplicates and themes in the gateway, on the in-memory broker, on SQLite and PostgreSQL.

The events are published here as dedupe and enrich would publish them, out of order, with a stale
link delivered last; writes are checked by the commands they put on dedupe.commands.v1. Every
scenario has its own themes and product areas (named with a marker).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI

from libs.runtime.auth import Role, create_token
from libs.runtime.testing import DATABASES, UNUSED_BOOTSTRAP, InMemoryBus, database_for, in_memory, quick_settings
from libs.schemas.commands import MarkNotDuplicate, MergeItems, MergeThemes, RenameTheme, SplitTheme, UnmergeItem
from libs.schemas.events import CustomerHistory, DedupeCommand, Envelope, OverrideTriage, utcnow
from libs.schemas.feedback import Customer, Tier
from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from services.gateway.tests import factories
from services.gateway.tests.test_api import _all_folded, publish, shuffled


@dataclass
class Scenario:
    app: FastAPI
    client: httpx.AsyncClient
    editor: dict[str, str]
    bus: InMemoryBus
    marker: str
    now: datetime
    # a (3 votes) <- b (2, merged by a person) <- c (1, suggested by the model): a chain with a at the top.
    a: UUID = field(default_factory=uuid4)
    b: UUID = field(default_factory=uuid4)
    c: UUID = field(default_factory=uuid4)
    d: UUID = field(default_factory=uuid4)  # 5 votes, same customer as a, a week old
    e: UUID = field(default_factory=uuid4)  # 1 vote, a customer not in the CRM
    limits: UUID = field(default_factory=uuid4)  # theme of a and d (so of b and c, through a)
    sso: UUID = field(default_factory=uuid4)  # theme of e, and b's stale own theme
    gone: UUID = field(default_factory=uuid4)  # merged into limits

    @property
    def rate_area(self) -> str:
        return f"rl-{self.marker}"

    @property
    def sso_area(self) -> str:
        return f"sso-{self.marker}"


@pytest.fixture(scope="module", params=DATABASES)
async def scenario(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Scenario]:
    data_dir = tmp_path_factory.mktemp(f"gateway-themes-{request.param}")
    app = create_app(quick_settings(GatewaySettings, UNUSED_BOOTSTRAP, data_dir, database_for(request)))
    async with in_memory(app) as bus:
        key = app.state.signing_key
        viewer = {"Authorization": f"Bearer {create_token(key, Role.VIEWER, 'sales@hub')}"}
        editor = {"Authorization": f"Bearer {create_token(key, Role.EDITOR, 'pm@hub')}"}
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway", headers=viewer
        ) as client:
            s = Scenario(app, client, editor, bus, f"mk{uuid4().hex[:10]}", utcnow())
            await _fold_scenario(s)
            yield s


async def _fold_scenario(s: Scenario) -> None:
    now, m = s.now, s.marker

    def t(seconds: int) -> datetime:
        return now + timedelta(seconds=seconds)

    acme = Customer(id=f"acme-{m}", company="Acme", tier=Tier.ENTERPRISE, arr=480_000, health_score=35, at_risk=True)
    globex = Customer(id=f"globex-{m}", company="Globex", tier=Tier.PRO, arr=36_000, health_score=80)
    hooli = Customer(id=f"hooli-{m}", company="Hooli", tier=Tier.FREE, arr=0, health_score=90)
    stranger = Customer(email=f"someone-{m}@gmail.com")
    week_ago = now - timedelta(days=7)
    history = CustomerHistory(
        previous_items=2,
        previous_item_ids=[s.d, uuid4()],
        negative_items_recent=1,
        churn_signals=["health score 35 is low"],
    )

    def item(item_id: UUID, title: str, customer: Customer, votes: int, area: str, created: datetime) -> Envelope:
        fields = {"title": f"{m} {title}", "votes": votes, "product_area": area, "created_at": created}
        known = history if item_id == s.a else None
        return factories.enriched(item_id, t(1), customer, known, received_at=created, **fields)

    events: list[Envelope] = [
        item(s.a, "Raise the rate limit", acme, 3, s.rate_area, now),
        item(s.b, "429s all day", globex, 2, s.sso_area, now),
        item(s.c, "Rate limit too low", hooli, 1, s.rate_area, now),
        item(s.d, "Burst quota please", acme, 5, s.rate_area, week_ago),
        item(s.e, "Okta SSO", stranger, 1, s.sso_area, now),
        factories.linked(s.b, t(3), s.a, "merged", "pm@hub"),
        factories.linked(s.c, t(3), s.b, "suggested", "dedupe", score=0.91),
        factories.themed(s.a, t(2), s.limits),
        factories.themed(s.b, t(2), s.sso),
        factories.themed(s.d, t(2), s.limits),
        factories.themed(s.e, t(2), s.sso),
        factories.theme_changed(s.limits, t(2), f"Rate limits {m}", summary=f"3 requests about rate limits {m}"),
        factories.theme_changed(s.sso, t(2), f"Single sign-on {m}"),
        factories.theme_changed(s.gone, t(4), f"Quotas {m}", merged_into=s.limits, by="pm@hub"),
    ]
    stale = factories.linked(s.b, t(-5), None, "standalone", "dedupe")
    await publish(s.bus, *shuffled(events, seed=7), stale)
    assert await _all_folded(s.app, [*events, stale])


async def get(s: Scenario, path: str, **params: Any) -> Any:
    response = await s.client.get(f"/api/v1{path}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def sent(s: Scenario, response: httpx.Response, command_type: type[Envelope] = DedupeCommand) -> Any:
    """The command an accepted write published."""
    assert response.status_code == 202, response.text
    command_id = UUID(response.json()["command_id"])
    return next(c for c in s.bus.published(command_type) if c.event_id == command_id).payload


async def test_votes_move_up_the_chain_and_count_once(scenario: Scenario) -> None:
    s = scenario
    a = await get(s, f"/feedback/{s.a}")
    assert (a["votes"], a["vote_total"]) == (3, 6), "its own 3, and 2 + 1 merged into it through b"
    assert [(d["id"], d["votes"], d["state"]) for d in a["duplicates"]] == [
        (str(s.b), 2, "merged"),
        (str(s.c), 1, "suggested"),
    ]
    assert a["duplicates"][1]["duplicate_of"] == str(s.b) and a["duplicates"][1]["link"]["score"] == 0.91
    assert a["theme"] == {"id": str(s.limits), "name": f"Rate limits {s.marker}"}

    b = await get(s, f"/feedback/{s.b}")
    assert (b["duplicate_of"], b["duplicate_root"], b["duplicate_state"]) == (str(s.a), str(s.a), "merged")
    assert b["vote_total"] is None and b["duplicates"] == [], "a merged item is not a request of its own"
    assert (b["duplicate_link"]["actor"], b["duplicate_link"]["state"]) == ("pm@hub", "merged"), "the stale link lost"
    c = await get(s, f"/feedback/{s.c}")
    assert (c["duplicate_of"], c["duplicate_root"]) == (str(s.b), str(s.a))

    listed = await get(s, "/feedback", q=s.marker, limit=10)
    totals = {item["id"]: (item["vote_total"], item["duplicate_of"]) for item in listed["items"]}
    assert totals[str(s.a)] == (6, None) and totals[str(s.b)] == (None, str(s.a)) and totals[str(s.d)] == (5, None)


async def test_the_detail_shows_the_customers_history(scenario: Scenario) -> None:
    s = scenario
    history = (await get(s, f"/feedback/{s.a}"))["customer_history"]
    assert (history["previous_items"], history["negative_items_recent"]) == (2, 1)
    assert history["churn_signals"] == ["health score 35 is low"]
    known, unknown = history["items"]
    assert (known["id"], known["title"]) == (str(s.d), f"{s.marker} Burst quota please")
    assert unknown["title"] is None, "an item the gateway has not folded is listed by id"
    assert (await get(s, f"/feedback/{s.e}"))["customer_history"] is None


async def test_a_themes_numbers_come_from_its_items(scenario: Scenario) -> None:
    s = scenario
    theme = await get(s, f"/themes/{s.limits}")
    assert (theme["name"], theme["name_source"], theme["merged_into"]) == (f"Rate limits {s.marker}", "keywords", None)
    assert (theme["items"], theme["mentions"], theme["votes"]) == (2, 4, 11), "a, d requests; b, c through a"
    assert (theme["customers"], theme["arr"], theme["at_risk_customers"]) == (3, 516_000.0, 1), "Acme counted once"
    assert theme["top_product_areas"] == [
        {"product_area": s.rate_area, "count": 3},
        {"product_area": s.sso_area, "count": 1},
    ]
    assert len(theme["trend"]) == 8 and [w["count"] for w in theme["trend"][-2:]] == [1, 3]
    assert all(w["count"] == 0 for w in theme["trend"][:-2])
    assert (theme["trend_sample"], theme["trend_change"]) == (4, 4)
    assert [(r["id"], r["vote_total"], r["merged"]) for r in theme["requests"]] == [
        (str(s.a), 6, 2),
        (str(s.d), 5, 0),
    ]
    assert theme["requests_total"] == 2
    sso = await get(s, f"/themes/{s.sso}", weeks=4)
    assert (sso["items"], sso["votes"], sso["customers"], sso["arr"]) == (1, 1, 1, 0.0), "b counts in its root's theme"
    assert len(sso["trend"]) == 4
    gone = await get(s, f"/themes/{s.gone}")
    assert (gone["merged_into"], gone["items"], gone["changed_by"]) == (str(s.limits), 0, "pm@hub")
    assert (await s.client.get(f"/api/v1/themes/{uuid4()}")).status_code == 404


async def test_themes_list_sorts_filters_and_pages(scenario: Scenario) -> None:
    s = scenario

    async def ids(**params: Any) -> list[str]:
        return [theme["id"] for theme in (await get(s, "/themes", **params))["items"]]

    mine = {"product_area": [s.rate_area, s.sso_area]}
    assert await ids(**mine) == [str(s.limits), str(s.sso)], "by ARR; the merged theme is not listed"
    assert await ids(product_area=s.rate_area) == [str(s.limits)]
    assert await ids(**mine, min_items=2) == [str(s.limits)]
    assert await ids(**mine, sort="votes") == [str(s.limits), str(s.sso)]
    assert await ids(**mine, sort="trend") == [str(s.limits), str(s.sso)]
    page = await get(s, "/themes", **mine, limit=1, offset=1)
    assert ([theme["id"] for theme in page["items"]], page["total"]) == ([str(s.sso)], 2)
    for bad in ({"sort": "name"}, {"limit": 0}, {"min_items": -1}, {"weeks": 1}, {"sortt": "arr"}):
        assert (await s.client.get("/api/v1/themes", params=bad)).status_code == 422, bad

    everything = await get(s, "/themes", limit=200)
    assert [theme["arr"] for theme in everything["items"]] == sorted(
        (theme["arr"] for theme in everything["items"]), reverse=True
    )
    overview = await get(s, "/overview")
    top = [theme["id"] for theme in overview["top_themes"]]
    assert top == [theme["id"] for theme in (await get(s, "/themes", limit=5))["items"]]


async def test_the_themes_list_carries_each_themes_name_summary_and_keywords(scenario: Scenario) -> None:
    s = scenario
    listed = (await get(s, "/themes", product_area=[s.rate_area, s.sso_area]))["items"]
    described = {theme["id"]: (theme["name"], theme["summary"], theme["keywords"]) for theme in listed}
    assert described == {
        str(s.limits): (
            f"Rate limits {s.marker}",
            f"3 requests about rate limits {s.marker}",
            ["rate", "limits", s.marker],
        ),
        str(s.sso): (f"Single sign-on {s.marker}", None, ["single", "sign-on", s.marker]),
    }, "a theme dedupe has not summarised yet has none"


async def test_the_feedback_list_filters_by_theme(scenario: Scenario) -> None:
    s = scenario
    listed = await get(s, "/feedback", theme=str(s.limits))
    assert {item["id"] for item in listed["items"]} == {str(s.a), str(s.d)} and listed["total"] == 2
    both = await get(s, "/feedback", theme=[str(s.limits), str(s.sso)])
    assert {item["id"] for item in both["items"]} == {str(s.a), str(s.b), str(s.d), str(s.e)}
    assert (await s.client.get("/api/v1/feedback", params={"theme": "nope"})).status_code == 422


async def test_an_unmerge_restores_the_votes(scenario: Scenario) -> None:
    s = scenario
    parent, child, grandchild, theme = uuid4(), uuid4(), uuid4(), uuid4()
    customer = Customer(id=f"solo-{s.marker}", arr=1_000)
    now = utcnow()
    base = [
        factories.enriched(i, now, customer, title=f"{s.marker} unmerge {n}", votes=n)
        for i, n in ((parent, 4), (child, 2), (grandchild, 1))
    ]
    links = [
        factories.linked(child, now, parent),
        factories.linked(grandchild, now, child),
        factories.themed(parent, now, theme),
        factories.themed(child, now, theme),
    ]
    await publish(s.bus, *base, *links)
    assert await _all_folded(s.app, [*base, *links])
    assert (await get(s, f"/feedback/{parent}"))["vote_total"] == 7
    assert ((await get(s, f"/themes/{theme}"))["items"], (await get(s, f"/themes/{theme}"))["votes"]) == (1, 7)

    unmerged = factories.linked(child, now + timedelta(seconds=1), None, "standalone", "pm@hub")
    await publish(s.bus, unmerged)
    assert await _all_folded(s.app, [unmerged])
    assert (await get(s, f"/feedback/{parent}"))["vote_total"] == 4
    restored = await get(s, f"/feedback/{child}")
    assert (restored["vote_total"], restored["duplicate_state"], restored["duplicate_root"]) == (3, "standalone", None)
    assert (await get(s, f"/feedback/{grandchild}"))["duplicate_root"] == str(child), "what hung below it follows"
    after = await get(s, f"/themes/{theme}")
    assert (after["items"], after["votes"]) == (2, 7), "two requests now, the votes still counted once"


async def test_merge_and_unmerge_are_commands_to_dedupe(scenario: Scenario) -> None:
    s = scenario
    post = s.client.post
    merge = await sent(s, await post(f"/api/v1/feedback/{s.e}/merge", json={"into_id": str(s.d)}, headers=s.editor))
    assert isinstance(merge, MergeItems)
    assert (merge.item_id, merge.into_id, merge.actor, merge.reason) == (s.e, s.d, "pm@hub", None)
    unmerge = await sent(s, await post(f"/api/v1/feedback/{s.b}/unmerge", json={"reason": "no"}, headers=s.editor))
    assert isinstance(unmerge, UnmergeItem) and (unmerge.item_id, unmerge.reason) == (s.b, "no")

    refusals = [
        (f"/feedback/{s.e}/merge", {"into_id": str(s.e)}, 422),  # into itself
        (f"/feedback/{s.a}/merge", {"into_id": str(s.c)}, 422),  # under its own duplicate: a loop
        (f"/feedback/{s.e}/merge", {"into_id": str(uuid4())}, 404),
        (f"/feedback/{uuid4()}/merge", {"into_id": str(s.a)}, 404),
        (f"/feedback/{s.e}/merge", {}, 422),
        (f"/feedback/{s.a}/unmerge", {}, 409),  # not merged into anything
    ]
    for path, body, expected in refusals:
        response = await post(f"/api/v1{path}", json=body, headers=s.editor)
        assert response.status_code == expected, (path, body, response.text)
    assert (await post(f"/api/v1/feedback/{s.e}/merge", json={"into_id": str(s.d)})).status_code == 403


async def test_not_a_duplicate_reaches_dedupe_and_stays_training_data_for_triage(scenario: Scenario) -> None:
    s = scenario
    response = await s.client.post(f"/api/v1/feedback/{s.c}/not-duplicate", json={"reason": "other"}, headers=s.editor)
    marked = await sent(s, response)
    assert isinstance(marked, MarkNotDuplicate) and (marked.item_id, marked.actor, marked.reason) == (
        s.c,
        "pm@hub",
        "other",
    )
    overrides = [o for o in s.bus.published(OverrideTriage) if o.payload.item_id == s.c and o.payload.not_duplicate]
    assert any(o.payload.actor == "pm@hub" for o in overrides if o.payload.item_id == s.c)

    # The override route sends both too: the correction to triage (its answer), the link to dedupe.
    override = await s.client.post(f"/api/v1/feedback/{s.b}/overrides", json={"not_duplicate": True}, headers=s.editor)
    assert (await sent(s, override, OverrideTriage)).not_duplicate is True
    commands = s.bus.published(DedupeCommand)
    assert any(isinstance(c.payload, MarkNotDuplicate) and c.payload.item_id == s.b for c in commands)
    assert (await s.client.post(f"/api/v1/feedback/{s.c}/not-duplicate")).status_code == 403


async def test_theme_edits_are_commands_to_dedupe(scenario: Scenario) -> None:
    s = scenario
    post = s.client.post
    rename = await sent(s, await post(f"/api/v1/themes/{s.sso}/rename", json={"name": "SSO"}, headers=s.editor))
    assert isinstance(rename, RenameTheme) and (rename.theme_id, rename.name, rename.actor) == (s.sso, "SSO", "pm@hub")
    merged = await sent(
        s, await post(f"/api/v1/themes/{s.sso}/merge", json={"into_id": str(s.limits)}, headers=s.editor)
    )
    assert isinstance(merged, MergeThemes) and (merged.theme_id, merged.into_id) == (s.sso, s.limits)
    response = await post(
        f"/api/v1/themes/{s.limits}/split", json={"item_ids": [str(s.d)], "name": "Bursts"}, headers=s.editor
    )
    split = await sent(s, response)
    assert isinstance(split, SplitTheme)
    assert (split.theme_id, split.item_ids, split.name) == (s.limits, [s.d], "Bursts")
    assert split.new_theme_id == UUID(response.json()["theme_id"]) and split.new_theme_id not in (s.limits, s.sso)

    refusals = [
        (f"/themes/{uuid4()}/rename", {"name": "x"}, 404),
        (f"/themes/{s.sso}/rename", {"name": ""}, 422),
        (f"/themes/{s.sso}/merge", {"into_id": str(s.sso)}, 422),
        (f"/themes/{s.sso}/merge", {"into_id": str(uuid4())}, 404),
        (f"/themes/{s.limits}/split", {"item_ids": [str(s.e)]}, 422),  # e is not in this theme
        (f"/themes/{s.limits}/split", {"item_ids": []}, 422),
    ]
    for path, body, expected in refusals:
        refused = await post(f"/api/v1{path}", json=body, headers=s.editor)
        assert refused.status_code == expected, (path, body, refused.text)
    assert (
        str(s.e)
        in (await post(f"/api/v1/themes/{s.limits}/split", json={"item_ids": [str(s.e)]}, headers=s.editor)).json()[
            "detail"
        ]
    )
    assert (await post(f"/api/v1/themes/{s.sso}/rename", json={"name": "x"})).status_code == 403


async def test_the_openapi_document_names_the_new_routes(scenario: Scenario) -> None:
    paths = (await scenario.client.get("/openapi.json")).json()["paths"]
    for path in (
        "/api/v1/themes",
        "/api/v1/themes/{theme_id}",
        "/api/v1/themes/{theme_id}/rename",
        "/api/v1/themes/{theme_id}/merge",
        "/api/v1/themes/{theme_id}/split",
        "/api/v1/feedback/{item_id}/merge",
        "/api/v1/feedback/{item_id}/unmerge",
        "/api/v1/feedback/{item_id}/not-duplicate",
    ):
        assert path in paths, path
    assert "503" in paths["/api/v1/feedback/{item_id}/merge"]["post"]["responses"]
