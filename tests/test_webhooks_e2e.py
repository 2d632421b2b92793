"""End to end: vendors' signed webhooks, posted to ingest, come out of the gateway mapped."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import pytest

from libs.schemas.events import utcnow
from prodops.hub import Hub
from services.ingest.splits import child_id
from services.ingest.tests.connectors.fake_vendors import FakeVendor, serving
from services.ingest.tests.connectors.vendors import BY_SOURCE, EXAMPLES, WITH_FEEDBACK, Vendor
from services.ingest.tests.test_cli_sync import prodops
from tests.conftest import HubClient, start_hub

pytestmark = [pytest.mark.e2e, pytest.mark.kafka]
SECRET = "e2e-webhook-secret-0123456789"
JIRA_ISSUE = "jira/rest.issue.get.response.json"
CHORUS_LIST = "chorus/rest.v3_engagements.get.response.json"
LINEAR_ISSUE = {
    "id": "9b1f5c3e-0000-4000-8000-00000000e2e1",
    "identifier": "FEED-77",
    "title": "Saved filters on the inbox",
    "description": "We rebuild the **same** filter every morning.",
    "createdAt": "2026-11-20T10:00:00.000Z",
    "creator": {"name": "Grace Hopper", "email": "grace@navy.mil"},
    "url": "https://linear.app/acme/issue/FEED-77/saved-filters-on-the-inbox",
}


@pytest.fixture(scope="module")
async def hub(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Hub]:
    """The hub with every source's webhook secret set (conftest's `client` talks to it)."""
    secrets = {f"PRODOPS_{vendor.source.upper()}_WEBHOOK_SECRET": SECRET for vendor in WITH_FEEDBACK}
    running = await start_hub(tmp_path_factory.mktemp("hub-webhooks"), None, secrets)
    try:
        yield running
    finally:
        running.stop()


def example(path: str) -> Any:
    return json.loads((EXAMPLES / path).read_text())


async def deliver(client: HubClient, vendor: Vendor, payload: Any, headers: dict[str, str] | None = None) -> str:
    delivery = vendor.deliver(SECRET, payload, utcnow(), headers or vendor.feedback_headers, client.hub.ingest_url)
    response = await client.http.post(delivery.url, content=delivery.body, headers=delivery.headers)
    assert response.status_code == 202, response.text
    (item_id,) = response.json()["ids"]
    return str(item_id)


@pytest.mark.skipif(not EXAMPLES.exists(), reason="../shared/connectors/payloads is not here")
async def test_published_vendor_examples_come_out_of_the_gateway_mapped(client: HubClient) -> None:
    linear = example("linear/webhook.Issue.create.envelope.json")
    gong_call = {"metaData": example("gong/webhook.automation_rule.callData.metaData_EXCERPT.json")["metaData"]}
    chorus_meeting = example(CHORUS_LIST)["engagements"][0]
    # vendors.py's Gong call and Chorus meeting reuse the published ids: these keep apart (or they would be edits).
    gong_call["metaData"]["id"] += "-published"
    chorus_meeting["engagement_id"] += "-published"
    sent = {
        "github": await deliver(client, BY_SOURCE["github"], example("github/issues.opened.json")),
        "intercom": await deliver(
            client, BY_SOURCE["intercom"], example("intercom/webhook.conversation.user.created.json")
        ),
        "helpscout": await deliver(
            client, BY_SOURCE["helpscout"], example("helpscout/webhook.convo.created.conversation_object.json")
        ),
        "zendesk": await deliver(client, BY_SOURCE["zendesk"], example("zendesk/rest.ticket.show.response.json")),
        # The published Linear envelope has a stub for `data`: the issue is in Linear's documented shape.
        "linear": await deliver(client, BY_SOURCE["linear"], {**linear, "data": LINEAR_ISSUE}),
        # Published REST records and an excerpt, in the envelopes the vendors' webhooks carry them.
        "gong": await deliver(client, BY_SOURCE["gong"], {"callData": gong_call, "isTest": False}),
        "jira": await deliver(
            client, BY_SOURCE["jira"], {"webhookEvent": "jira:issue_created", "issue": example(JIRA_ISSUE)}
        ),
        "chorus": await deliver(client, BY_SOURCE["chorus"], chorus_meeting),
    }
    items = await client.processed(list(sent.values()))

    github = items[sent["github"]]
    assert github["title"] == "Spelling error in the README file"
    assert github["description"] == "It looks like you accidently spelled 'commit' with two 't's."
    assert github["customer"]["name"] == "Codertocat"
    assert github["url"] == "https://github.com/Codertocat/Hello-World/issues/1"
    assert github["submitted"]["tags"] == ["bug"]

    intercom = items[sent["intercom"]]
    assert (intercom["title"], intercom["description"]) == ("An important message", "An important message")
    assert intercom["customer"]["email"] == "bill@bill.bill" and intercom["customer"]["name"] == "Kill Bill"
    assert intercom["url"] == "https://app.intercom.io/a/apps/aaaaaa/inbox/all/conversations/123456789"

    helpscout = items[sent["helpscout"]]
    assert (helpscout["title"], helpscout["description"]) == ("Need Help", "I'm having a hard time resolving this")
    assert helpscout["customer"]["email"] == "bear@acme.com"
    assert helpscout["url"] == "https://secure.helpscout.net/conversation/123/15473/"

    zendesk = items[sent["zendesk"]]
    assert (zendesk["title"], zendesk["description"]) == ("This is a question?", "Indeed it is!")
    assert zendesk["url"] == "https://zendeskapi.zd-staging.com/agent/tickets/8867"

    linear_item = items[sent["linear"]]
    assert linear_item["title"] == "Saved filters on the inbox"
    assert linear_item["description"] == "We rebuild the same filter every morning."
    assert linear_item["customer"]["email"] == "grace@navy.mil"
    assert linear_item["url"] == LINEAR_ISSUE["url"]

    gong = items[sent["gong"]]  # the excerpt holds the call's metaData only: no parties, no brief
    assert (
        gong["title"] == "Ron/Speedman" and gong["url"] == "http://local.gong-it.net:8080/call?id=5599332235511222771"
    )

    jira = items[sent["jira"]]
    assert (jira["title"], jira["description"]) == ("Main order flow broken", "Main order flow broken")
    assert jira["url"] == "https://your-domain.atlassian.net/browse/ED-1"

    chorus = items[sent["chorus"]]  # the published meeting has only the rep among its participants
    assert chorus["title"] == "Unscheduled Meeting" and chorus["url"].startswith("https://chorus.ai/meeting/")
    assert chorus["customer"]["company"] == "Mike Gorman Meetings"


async def test_every_source_with_feedback_reaches_the_gateway(client: HubClient) -> None:
    sent = {vendor.source: await deliver(client, vendor, vendor.feedback) for vendor in WITH_FEEDBACK}
    items = await client.processed(list(sent.values()))
    for vendor in WITH_FEEDBACK:
        item = items[sent[vendor.source]]
        assert item["source"] == vendor.source
        assert item["title"] == vendor.expected["title"]
        for path in ("customer.email", "customer.name", "url"):
            if path in vendor.expected:
                section, _, key = path.partition(".")
                assert (item[section][key] if key else item[section]) == vendor.expected[path], (vendor.source, path)


async def test_a_replayed_or_forged_delivery_changes_nothing_in_the_hub(client: HubClient) -> None:
    github = BY_SOURCE["github"]
    delivery = github.deliver(SECRET, github.ignored, utcnow(), github.ignored_headers, client.hub.ingest_url)
    first = await client.http.post(delivery.url, content=delivery.body, headers=delivery.headers)
    again = await client.http.post(delivery.url, content=delivery.body, headers=delivery.headers)
    assert (first.status_code, again.status_code, again.json()["duplicate"]) == (200, 200, True)
    forged = github.deliver("guess", github.feedback, utcnow(), github.feedback_headers, client.hub.ingest_url)
    refused = await client.http.post(forged.url, content=forged.body, headers=forged.headers)
    assert refused.status_code == 401


async def test_a_synced_gong_call_becomes_one_item_per_request_voiced(client: HubClient) -> None:
    """`prodops sync gong` fetches a call and its transcript; triage splits it; the gateway shows each request."""
    vendor = FakeVendor("gong")
    vendor.add(1)
    call = vendor.records[0]
    call["parties"] = [
        {"speakerId": "1", "name": "Sam Rivera", "emailAddress": "sam@hub.example", "affiliation": "Internal"},
        {"speakerId": "2", "name": "Richard", "emailAddress": "richard@piedpiper.com", "affiliation": "External"},
    ]
    said = [
        ("1", "Thanks for joining, Richard. Anything on your list today?"),
        ("2", "We need SAML SSO with Okta before we can roll this out to the whole company."),
        ("1", "Understood, I will pass that on to the product team."),
        ("2", "Also the CSV export keeps failing on anything over ten thousand rows."),
    ]
    vendor.transcripts[call["metaData"]["id"]] = [
        {"speakerId": speaker, "sentences": [{"start": 0, "end": 1, "text": text}]} for speaker, text in said
    ]
    async with serving(vendor) as base:
        env = {
            **client.hub.environment(),
            "PRODOPS_GONG_API_URL": base,
            "PRODOPS_GONG_ACCESS_KEY": "ak",
            "PRODOPS_GONG_API_TOKEN": "gong-secret",
        }
        code, output = await prodops("sync", "gong", env=env)
    assert code == 0 and "1 new items" in output, output
    parent = str(uuid5(NAMESPACE_URL, f"prodops:gong/{call['metaData']['id']}"))
    children = [str(child_id(UUID(parent), index)) for index in range(2)]
    items = await client.processed([parent, *children], timeout=180)
    assert items[parent]["status"] == "closed" and "Richard [customer]:" in items[parent]["description"]
    assert "SAML SSO" in items[children[0]]["title"] and "CSV export" in items[children[1]]["description"]
    assert {items[child]["customer"]["email"] for child in children} == {"richard@piedpiper.com"}
    assert {items[child]["source_id"] for child in children} == {
        f"{call['metaData']['id']}#1",
        f"{call['metaData']['id']}#2",
    }


async def test_an_edit_at_the_source_reaches_the_gateway_as_the_same_item(client: HubClient) -> None:
    github = BY_SOURCE["github"]
    issue = {**github.feedback["issue"], "id": 424242, "number": 4242}
    item_id = await deliver(client, github, {**github.feedback, "issue": issue})
    await client.processed([item_id])
    edited = {**github.feedback, "action": "edited", "issue": {**issue, "title": "Export to CSV drops every emoji"}}
    delivery = github.deliver(SECRET, edited, utcnow(), github.feedback_headers, client.hub.ingest_url)
    response = await client.http.post(delivery.url, content=delivery.body, headers=delivery.headers)
    assert response.status_code == 202 and response.json()["updated"] == [item_id]
    deadline = time.monotonic() + 60
    while (await client.item(item_id)).json()["title"] != "Export to CSV drops every emoji":
        assert time.monotonic() < deadline, "the edit did not reach the gateway"
        await asyncio.sleep(0.25)
