"""Every connector's parsers and signature checks against random and mutated vendor payloads.

The contract the webhook endpoint and the sync rely on: a parser returns a valid model or raises
ValueError (pydantic's ValidationError and PayloadError are ValueErrors: a 422, recorded), never
KeyError, TypeError or AttributeError (a 500, and the delivery half-handled). A signature check
answers None or a reason, and never raises.
PRODOPS_FUZZ_EXAMPLES raises the number of examples for a deeper run (docs/testing.md).
"""

from __future__ import annotations

import contextlib
import html
import json
import re
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st
from pydantic import SecretStr

from libs.connectors.http import ApiResponse
from libs.connectors.paging import Cursor, PageContent
from libs.schemas.feedback import MAX_VOTES, FeedbackInput
from libs.testing.fuzz import fuzz_settings
from services.ingest.connectors import REGISTRY, Connector
from services.ingest.connectors.requests import WebhookEvent, WebhookRequest
from services.ingest.connectors.signatures import Refusal
from services.ingest.connectors.text import adf_to_text, html_to_text, markdown_to_text
from services.ingest.tests.connectors.mutations import (
    NOW,
    example_payloads,
    forged_headers,
    header_values,
    json_values,
    mutated,
    unicode_text,
)
from services.ingest.tests.connectors.vendors import VENDORS, Vendor

fuzz = fuzz_settings(20)

# The event headers a published example arrives with (the others say what they are in the body).
EVENT_HEADERS = {
    "issues.opened.json": {"x-github-event": "issues"},
    "issues.edited.json": {"x-github-event": "issues"},
    "issues.labeled.json": {"x-github-event": "issues"},
    "issues.reopened.json": {"x-github-event": "issues"},
    "issue_comment.created.json": {"x-github-event": "issue_comment"},
    "webhook.convo.created.conversation_object.json": {"x-helpscout-event": "convo.created"},
}
PUBLISHED = [(source, name, payload) for source, name, payload in example_payloads() if source in REGISTRY]
needs_examples = pytest.mark.skipif(not PUBLISHED, reason="../shared/connectors/payloads is not here")


def connector(source: str, secret: str | None = None) -> Connector:
    cls = REGISTRY[source]
    return cls(cls.settings_type(webhook_secret=SecretStr(secret) if secret else None))


def request_of(
    body: bytes, headers: dict[str, str] | None = None, query: dict[str, str] | None = None
) -> WebhookRequest:
    return WebhookRequest("POST", "http://ingest.test/webhooks/x", body, headers or {}, query or {})


def parse_everything(source: str, payload: Any, headers: dict[str, str]) -> None:
    """Every parser of the source on the payload: as a webhook body, a REST page, and a record."""
    parser = connector(source)
    attempts: list[Callable[[], object]] = [
        lambda: parser.read_webhook(request_of(json.dumps(payload).encode(), headers)),
        lambda: parser.read_page(Cursor(), ApiResponse("http://api.test/x", 200, {}, payload)),
        lambda: parser.transform_to_standard(payload),
    ]
    # The records a REST page holds (tickets, engagements, conversations...) map one by one too.
    if isinstance(payload, dict):
        for value in payload.values():
            if isinstance(value, list):
                attempts += [partial(parser.transform_to_standard, record) for record in value[:3]]
    for attempt in attempts:
        try:
            result = attempt()
        except ValueError:  # the one clear error: answered 422 and recorded
            continue
        assert_valid(result)


def assert_valid(result: Any) -> None:
    if isinstance(result, WebhookEvent):
        assert result.name and result.delivery_id
        for piece in [*result.feedback, *result.edits]:
            assert_valid(piece.item)
    elif isinstance(result, PageContent):
        assert isinstance(result.records, list)
    else:
        assert isinstance(result, FeedbackInput)
        # The model's own rules hold (a parser may not build it around them).
        FeedbackInput.model_validate(result.model_dump())
        assert result.title.strip() and len(result.title) <= 500


# --- mutated payloads: the small documented shapes, and the vendors' published examples ----------


@pytest.mark.parametrize("vendor", VENDORS, ids=[v.source for v in VENDORS])
@fuzz
@given(data=st.data())
def test_mutated_vendor_payloads_map_or_fail_clearly(vendor: Vendor, data: st.DataObject) -> None:
    payload = vendor.feedback if vendor.feedback is not None else vendor.ignored
    headers = {key.lower(): value for key, value in vendor.feedback_headers.items()}
    parse_everything(vendor.source, data.draw(mutated(payload)), headers)


@needs_examples
@pytest.mark.parametrize(("source", "name", "payload"), PUBLISHED, ids=[f"{s}/{n}" for s, n, _ in PUBLISHED])
@fuzz
@given(data=st.data())
def test_mutated_published_examples_map_or_fail_clearly(
    source: str, name: str, payload: Any, data: st.DataObject
) -> None:
    parse_everything(source, data.draw(mutated(payload)), EVENT_HEADERS.get(name, {}))


@pytest.mark.parametrize("source", sorted(REGISTRY))
@fuzz
@given(payload=json_values, body=st.binary(max_size=200))
def test_random_json_and_bytes_map_or_fail_clearly(source: str, payload: Any, body: bytes) -> None:
    parse_everything(source, payload, {})
    with contextlib.suppress(ValueError):
        assert_valid(connector(source).read_webhook(request_of(body)))


def test_a_zendesk_page_with_a_list_for_an_id_still_reads() -> None:
    # Found by a deep run: an unhashable requester or user id raised TypeError while side-loading people.
    page = {"tickets": [{"id": 7, "subject": "Printer", "requester_id": []}], "users": [{"id": ["u"]}]}
    content = connector("zendesk").read_page(Cursor(), ApiResponse("http://api.test/x", 200, {}, page))
    assert [record["id"] for record in content.records] == [7]
    parse_everything("zendesk", page, {})


def test_a_vote_count_no_database_holds_is_capped() -> None:
    # Found by the API fuzz: an unbounded count went through ingest and poisoned the read models downstream.
    github = next(vendor for vendor in VENDORS if vendor.source == "github")
    issue = {**github.feedback["issue"], "reactions": {"+1": 10**20}}
    request = request_of(json.dumps({**github.feedback, "issue": issue}).encode(), {"x-github-event": "issues"})
    (piece,) = connector("github").read_webhook(request).feedback
    assert piece.item.votes == MAX_VOTES


# --- signatures: a forgery is a reason, never an exception -------------------------------------


@pytest.mark.parametrize("source", sorted(REGISTRY))
@fuzz
@given(
    body=st.binary(max_size=300),
    headers=forged_headers(header_values | unicode_text),
    key=unicode_text,
    secret=st.text(min_size=1, max_size=40),
)
def test_forged_deliveries_are_refused_with_a_reason(
    source: str, body: bytes, headers: dict[str, str], key: str, secret: str
) -> None:
    problem = connector(source, secret).verify(request_of(body, headers, {"key": key}), NOW)
    assert problem is None or (isinstance(problem, Refusal) and problem.reason)


@pytest.mark.parametrize("vendor", VENDORS, ids=[v.source for v in VENDORS])
@fuzz
@given(data=st.data())
def test_a_signed_delivery_passes_and_any_change_to_its_body_fails(vendor: Vendor, data: st.DataObject) -> None:
    secret = data.draw(st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=40))
    assume(secret.strip())  # a blank secret is no secret: refused, as its own test says
    payload = data.draw(mutated(vendor.feedback or vendor.ignored))
    assume(vendor.stamp_body is None or isinstance(payload, dict))  # Linear dates the body itself
    delivery = vendor.deliver(secret, payload, NOW, base_url="http://ingest.test")
    headers = {key.lower(): value for key, value in delivery.headers.items()}
    request = WebhookRequest("POST", delivery.url.split("?")[0], delivery.body, headers, delivery.query)
    checker = connector(vendor.source, secret)
    assert checker.verify(request, NOW) is None
    if vendor.body_signed:
        tampered = WebhookRequest(request.method, request.url, delivery.body + b" ", headers, delivery.query)
        assert checker.verify(tampered, NOW)


# --- text cleaning ------------------------------------------------------------------------------

plain_words = st.text(st.characters(categories=("L", "N", "P", "S"), exclude_characters="\\`*_#<>&[]!|~"), max_size=60)


def assert_tidy(text: str) -> None:
    assert text == text.strip() and "\r" not in text and "\n\n\n" not in text
    assert not re.search(r"[ \t\u00a0]{2,}", text)


@fuzz
@given(
    markup=st.text(max_size=300)
    | st.lists(
        st.sampled_from(
            [
                "<p>",
                "</p>",
                "<li>",
                "<pre>",
                "</pre>",
                "<script>",
                "</script>",
                "<!--",
                "-->",
                "&amp;",
                "&#x",
                "\n",
                " ",
                "a",
                "<br/>",
                "<b x='>'>",
            ]
        ),
        max_size=40,
    ).map("".join)
)
def test_html_and_markdown_become_tidy_text(markup: str) -> None:
    for clean in (html_to_text, markdown_to_text):
        text = clean(markup)
        assert_tidy(text)
        assert "<script>" not in text or "<script>" in html.unescape(markup)


@fuzz
@given(words=plain_words)
def test_escaped_text_comes_back_as_itself(words: str) -> None:
    assert html_to_text(html.escape(words)) == re.sub(r" +", " ", words).strip()


@fuzz
@given(hidden=st.from_regex(r"[a-z]{12}", fullmatch=True), visible=plain_words)
def test_scripts_and_styles_never_show(hidden: str, visible: str) -> None:
    page = f"<div>{html.escape(visible)}<script>var {hidden};</script><style>.{hidden}{{}}</style></div>"
    assert hidden not in html_to_text(page) or hidden in visible


@fuzz
@given(document=json_values)
# Found by this test: a node whose "type" is a list or an object raised TypeError (unhashable), a 500.
@example(document={"type": "doc", "content": [{"type": ["paragraph"], "content": [{"type": "text", "text": "a"}]}]})
def test_any_atlassian_document_becomes_tidy_text(document: Any) -> None:
    assert_tidy(adf_to_text(document))
