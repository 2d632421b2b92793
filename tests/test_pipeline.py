"""End to end: feedback posted to ingest comes out of the gateway fully processed."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.conftest import HubClient

pytestmark = [pytest.mark.e2e, pytest.mark.kafka]

REQUESTS = [
    ("cto@northwind.ai", "Production is down: every chat completion returns 500", "Since 09:00 UTC all requests fail."),
    ("richard@piedpiper.com", "Please add SAML SSO with Okta", "Our security team requires SSO for every vendor."),
    ("gavin@hooli.xyz", "Love the new playground, thank you", "The streaming view is fantastic."),
    ("someone@gmail.com", "How do I rotate an API key?", "I could not find it in the docs."),
    ("ops@northwind.ai", "We need SSO through Okta (SAML)", "Okta SAML single sign-on is required by our IT team."),
    ("dev@piedpiper.com", "Typo on the pricing page", "It says 'tokns' instead of 'tokens'."),
]


async def test_posted_items_come_out_fully_processed(client: HubClient) -> None:
    async def submit(email: str, title: str, text: str) -> str:
        return await client.submit({"title": title, "description": text, "source": "api", "customer": {"email": email}})

    started = time.monotonic()
    # Items on different partitions may be handled in any order; the repeat request comes later.
    ids = [await submit(*request) for request in REQUESTS[:4]]
    items = await client.processed(ids)
    print(f"\n{len(ids)} items through the pipeline in {time.monotonic() - started:.2f}s")
    later = [await submit(*request) for request in REQUESTS[4:]]
    items |= await client.processed(later)
    ids += later

    outage = items[ids[0]]
    assert outage["customer"]["company"] == "Northwind Labs" and outage["customer"]["tier"] == "enterprise"
    assert outage["ai_triage"]["category"] == "bug"
    assert outage["ai_triage"]["priority"] == "critical"
    assert "enterprise" in outage["ai_triage"]["priority_reasoning"]

    assert items[ids[1]]["customer"]["at_risk"] is True, "Pied Piper's health is 28"
    assert items[ids[3]]["customer"]["tier"] is None, "an unknown author is kept, not dropped"

    okta_again = items[ids[4]]
    assert okta_again["customer"]["company"] == "Northwind Labs", "matched by the email's domain"
    assert any(similar["id"] == ids[1] for similar in okta_again["similar_items"])
    assert okta_again["duplicate_of"] == ids[1]
    for item_id, item in items.items():
        assert all(similar["id"] != item_id for similar in item["similar_items"])


async def test_the_list_filters_by_what_the_pipeline_decided(client: HubClient) -> None:
    item_id = await client.submit(
        {
            "title": "Invoice charged twice this month",
            "description": "We were billed two times.",
            "source": "zendesk",
            "source_id": f"zd-{time.time_ns()}",
            "customer": {"email": "cto@northwind.ai"},
        }
    )
    triaged = (await client.processed([item_id]))[item_id]["ai_triage"]
    response = await client.http.get(
        f"{client.hub.gateway_url}/api/v1/feedback",
        params={"source": "zendesk", "tier": "enterprise", "category": triaged["category"], "limit": 200},
        headers=client.viewer,
    )
    assert response.status_code == 200
    assert item_id in {item["id"] for item in response.json()["items"]}
    assert response.json()["total"] >= 1
    unauthorized = await client.http.get(f"{client.hub.gateway_url}/api/v1/feedback")
    assert unauthorized.status_code == 401


async def test_every_service_answers_its_probes(client: HubClient) -> None:
    for name, service in client.hub.processes.items():
        for probe in ("/healthz", "/readyz"):
            response = await client.http.get(f"{service.url}{probe}")
            assert response.status_code == 200, f"{name}{probe}: {response.text}"
        metrics = await client.http.get(f"{service.url}/metrics")
        assert metrics.status_code == 200 and "prodops_" in metrics.text, name


async def test_a_correction_made_through_the_gateway_comes_back_folded(client: HubClient) -> None:
    item_id = await client.submit({"title": "Love the new usage charts", "customer": {"email": "gavin@hooli.xyz"}})
    await client.processed([item_id])
    overrides = f"{client.hub.gateway_url}/api/v1/feedback/{item_id}/overrides"
    refused = await client.http.post(overrides, json={"category": "improvement"}, headers=client.viewer)
    assert refused.status_code == 403, "a viewer cannot correct the AI"
    empty = await client.http.post(overrides, json={}, headers=client.editor)
    assert empty.status_code == 422

    accepted = await client.http.post(
        overrides,
        json={"category": "improvement", "priority": "high", "reason": "asks for more"},
        headers=client.editor,
    )
    assert accepted.status_code == 202, accepted.text
    deadline = time.monotonic() + 30
    while True:
        item = (await client.item(item_id)).json()
        if item["overrides"]:
            break
        assert time.monotonic() < deadline, "the override never came back as feedback.overridden"
        await asyncio.sleep(0.2)
    assert (item["category"], item["priority"]) == ("improvement", "high")
    assert item["overrides"][0]["actor"] == "e2e", "who corrected it is kept"
    assert item["ai_triage"] is not None, "the AI's own verdict stays beside the correction"
