"""Vendor payloads to unified feedback: which events are feedback, how fields map, what bad input does."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from services.ingest.connectors import REGISTRY
from services.ingest.connectors.base import title_of, web_url
from services.ingest.connectors.requests import WebhookRequest
from services.ingest.connectors.text import adf_to_text, html_to_text, markdown_to_text
from services.ingest.tests.connectors.vendors import EXAMPLES, VENDORS, WITH_FEEDBACK, Vendor, field_of

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def read(vendor: Vendor, payload: Any, headers: dict[str, str]) -> Any:
    connector = REGISTRY[vendor.source]()
    request = WebhookRequest(
        "POST", "http://x", json.dumps(payload).encode(), {key.lower(): value for key, value in headers.items()}
    )
    return connector.read_webhook(request)


@pytest.mark.parametrize("vendor", WITH_FEEDBACK, ids=[v.source for v in WITH_FEEDBACK])
def test_a_feedback_event_maps_to_the_unified_model(vendor: Vendor) -> None:
    event = read(vendor, vendor.feedback, vendor.feedback_headers)
    assert len(event.feedback) == 1
    item = event.feedback[0].item
    assert item.source.value == vendor.source and item.source_id
    assert item.created_at is not None and item.created_at.tzinfo is not None
    for path, expected in vendor.expected.items():
        assert field_of(item, path) == expected, path


@pytest.mark.parametrize("vendor", VENDORS, ids=[v.source for v in VENDORS])
def test_an_event_without_feedback_is_recognised_as_such(vendor: Vendor) -> None:
    event = read(vendor, vendor.ignored, vendor.ignored_headers)
    assert event.feedback == [] and event.name and event.delivery_id


@pytest.mark.parametrize("vendor", WITH_FEEDBACK, ids=[v.source for v in WITH_FEEDBACK])
def test_the_same_vendor_record_always_has_the_same_source_id(vendor: Vendor) -> None:
    first = read(vendor, vendor.feedback, vendor.feedback_headers).feedback[0]
    again = REGISTRY[vendor.source]().transform_to_standard(first.record)
    assert again.source_id == first.item.source_id and again.title == first.item.title


def test_github_pull_requests_and_labels_are_not_feedback() -> None:
    github = next(v for v in VENDORS if v.source == "github")
    pull = {**github.feedback, "issue": {**github.feedback["issue"], "pull_request": {"url": "x"}}}
    assert read(github, pull, github.feedback_headers).feedback == []
    labeled = {**github.feedback, "action": "labeled"}
    assert read(github, labeled, github.feedback_headers).feedback == []


def test_a_record_with_neither_title_nor_text_is_a_clear_error() -> None:
    github = next(v for v in VENDORS if v.source == "github")
    empty = {**github.feedback, "issue": {**github.feedback["issue"], "title": " ", "body": None}}
    with pytest.raises(ValueError, match="neither a title nor any text"):
        read(github, empty, github.feedback_headers)


def test_html_becomes_clean_text() -> None:
    html = "<p>Hello &amp; <b>welcome</b></p><script>x()</script><ul><li>one</li><li>two</li></ul><!-- c -->"
    assert html_to_text(html) == "Hello & welcome\n\n- one\n- two"


def test_markdown_becomes_clean_text() -> None:
    markdown = "# Export\n\nIt **fails** with `utf-8`\nsince Monday.\n\n* a\n* b\n\n<!-- template -->"
    assert markdown_to_text(markdown) == "Export\n\nIt fails with utf-8 since Monday.\n\n- a\n- b"


def test_atlassian_documents_become_clean_text() -> None:
    document = {
        "type": "doc",
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "First"}, {"type": "hardBreak"}]},
            {"type": "bulletList", "content": [{"type": "listItem", "content": [{"type": "text", "text": "x"}]}]},
        ],
    }
    assert adf_to_text(document) == "First\n\n- x"


def test_a_long_first_line_becomes_a_short_title() -> None:
    assert title_of(None, "\n  " + "word " * 60).endswith("…")
    assert len(title_of(None, "word " * 60)) == 120
    assert web_url("javascript:alert(1)") is None and web_url("https://a.io/x") == "https://a.io/x"


# --- the vendors' own published examples (../shared/connectors/payloads), when present ------------

SPELLING = ("Spelling error in the README file", "Codertocat", "https://github.com/Codertocat/Hello-World/issues/1")
TYPO = "It looks like you accidently spelled 'commit' with two 't's."
INTERCOM_URL = "https://app.intercom.io/a/apps/aaaaaa/inbox/all/conversations/123456789"
EXAMPLE_CASES = [
    ("github", "github/issues.opened.json", {"X-GitHub-Event": "issues"}, *SPELLING, TYPO),
    ("github", "github/issues.edited.json", {"X-GitHub-Event": "issues"}, *SPELLING, TYPO),
    ("github", "github/issues.reopened.json", {"X-GitHub-Event": "issues"}, *SPELLING, ""),
    (
        "intercom",
        "intercom/webhook.conversation.user.created.json",
        {},
        "An important message",
        "bill@bill.bill",
        INTERCOM_URL,
        "An important message",
    ),
    (
        "zendesk",
        "zendesk/rest.ticket.show.response.json",
        {},
        "This is a question?",
        None,
        "https://zendeskapi.zd-staging.com/agent/tickets/8867",
        "Indeed it is!",
    ),
    (
        "helpscout",
        "helpscout/webhook.convo.created.conversation_object.json",
        {"X-HelpScout-Event": "convo.created"},
        "Need Help",
        "bear@acme.com",
        "https://secure.helpscout.net/conversation/123/15473/",
        "I'm having a hard time resolving this",
    ),
]
IGNORED_EXAMPLES = [
    ("github", "github/issues.labeled.json", {"X-GitHub-Event": "issues"}),
    ("github", "github/issue_comment.created.json", {"X-GitHub-Event": "issue_comment"}),
    ("intercom", "intercom/webhook.signed_request.user.created.json", {}),
    ("zendesk", "zendesk/webhook.event_envelope.user.active_changed.json", {}),
    ("linear", "linear/webhook.Comment.create.json", {}),
]
needs_examples = pytest.mark.skipif(not EXAMPLES.exists(), reason="../shared/connectors/payloads is not here")


def _example(path: str) -> bytes:
    return (EXAMPLES / path).read_bytes()


@needs_examples
@pytest.mark.parametrize(("source", "path", "headers", "title", "author", "url", "description"), EXAMPLE_CASES)
def test_published_examples_map_title_body_author_and_url(
    source: str, path: str, headers: dict[str, str], title: str, author: str | None, url: str, description: str
) -> None:
    request = WebhookRequest("POST", "http://x", _example(path), {key.lower(): value for key, value in headers.items()})
    event = REGISTRY[source]().read_webhook(request)
    item = event.feedback[0].item
    assert (item.title, str(item.url), item.description) == (title, url, description)
    assert author in (None, item.customer.email, item.customer.name)


@needs_examples
@pytest.mark.parametrize(("source", "path", "headers"), IGNORED_EXAMPLES)
def test_published_examples_without_feedback_are_ignored(source: str, path: str, headers: dict[str, str]) -> None:
    request = WebhookRequest("POST", "http://x", _example(path), {key.lower(): value for key, value in headers.items()})
    assert REGISTRY[source]().read_webhook(request).feedback == []


@needs_examples
def test_published_rest_records_map_too() -> None:
    def load(path: str) -> Any:
        return json.loads(_example(path))

    intercom = REGISTRY["intercom"]().transform_to_standard(load("intercom/rest.conversation.get.response.json"))
    assert (intercom.title, intercom.tags, intercom.customer.email) == ("this is the message body", ["Test tag"], None)
    jira = REGISTRY["jira"]().transform_to_standard(load("jira/rest.issue.get.response.json"))
    assert (jira.title, str(jira.url)) == ("Main order flow broken", "https://your-domain.atlassian.net/browse/ED-1")
    zendesk = load("zendesk/rest.incremental_tickets_time_based.sample.response.json")["tickets"][0]
    assert REGISTRY["zendesk"]().transform_to_standard(zendesk).title == "Help, my printer is on fire!"
    chorus = load("chorus/rest.v3_engagements.get.response.json")["engagements"][0]
    assert str(REGISTRY["chorus"]().transform_to_standard(chorus).url).startswith("https://chorus.ai/meeting/")
    gong = REGISTRY["gong"]().transform_to_standard(
        {"metaData": load("gong/webhook.automation_rule.callData.metaData_EXCERPT.json")["metaData"]}
    )
    assert gong.title == "Ron/Speedman"
    linear_stub = json.loads(_example("linear/webhook.Issue.create.envelope.json"))
    with pytest.raises(ValueError):  # the example's data is a stub: a clear validation error
        REGISTRY["linear"]().read_webhook(WebhookRequest("POST", "http://x", json.dumps(linear_stub).encode()))


# Random and mutated payloads against every parser: test_fuzz.py.


def test_a_linear_customer_request_is_feedback_with_its_customer() -> None:
    linear = next(v for v in VENDORS if v.source == "linear")
    need = {
        "action": "create",
        "type": "CustomerNeed",
        "data": {"id": "need-1", "body": "Needs **SCIM** provisioning", "customer": {"name": "Initech"}},
        "url": "https://linear.app/acme/issue/FEED-9",
        "webhookTimestamp": 0,
    }
    (piece,) = read(linear, need, {}).feedback
    assert (piece.item.title, piece.item.customer.company) == ("Needs SCIM provisioning", "Initech")
    empty = {**need, "data": {"id": "need-2", "body": None}}
    with pytest.raises(ValueError, match="neither a title nor any text"):
        read(linear, empty, {})
