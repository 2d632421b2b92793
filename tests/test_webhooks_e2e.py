"""End to end: vendors' signed webhooks, posted to ingest, come out of the gateway mapped."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from libs.cli.hub import Hub
from libs.schemas.events import utcnow
from services.ingest.tests.connectors.vendors import BY_SOURCE, EXAMPLES, WITH_FEEDBACK, Vendor
from tests.conftest import HubClient, start_hub

pytestmark = [pytest.mark.e2e, pytest.mark.kafka]
SECRET = "e2e-webhook-secret-0123456789"
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
