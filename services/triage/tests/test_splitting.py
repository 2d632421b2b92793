"""The local extractor: a call transcript into the requests the customer voiced."""

from __future__ import annotations

import pytest

from libs.ml.embeddings import MiniLMEmbedder
from libs.schemas.events import VoicedRequest
from services.triage.engines import LocalEngine
from services.triage.splitting import (
    Sentence,
    SplitPolicy,
    customer_sentences,
    phrased_kind,
    same_subject,
    title_from,
    unquoted,
)

POLICY = SplitPolicy(min_confidence=0.45, max_requests=25)

# Written for these tests: a rep and a customer, four things raised, small talk around them.
CALL = """Sam Rivera [internal]: Thanks for joining, Dana. How has the rollout been going?
Dana Lee [customer]: Pretty well overall, the team loves the new dashboard. But honestly the CSV export keeps failing \
on anything over ten thousand rows. It times out after a minute and we lose the whole file.
Sam Rivera [internal]: Sorry to hear that, I'll raise it with engineering. We need to fix that.
Dana Lee [customer]: Thanks. The other big one is single sign-on. We need SAML SSO with Okta before we can roll this \
out to the whole company.
Sam Rivera [internal]: Understood. Anything else?
Dana Lee [customer]: It would be great if the API had a bulk endpoint for tags. Also the pricing page is confusing, \
nobody here could tell which plan includes audit logs.
Sam Rivera [internal]: Got it, I'll send notes after the call.
Dana Lee [customer]: Sounds good, talk next week."""

# A transcript as another tool exports it: no roles, so every turn is read.
UNLABELLED = """Priya: Hi, thanks for making time today, we have a couple of topics.
Marco: Sure, go ahead, I have the whole hour.
Priya: Our data team exports reports every morning. Can you add scheduled exports to Google Drive?
Marco: Let me check the roadmap for that and come back to you.
Priya: And the mobile app crashes every time we open a report with more than fifty charts.
Marco: Thanks, that one goes straight to the bug queue."""


def test_only_the_customers_sentences_are_read() -> None:
    sentences = customer_sentences(CALL)
    assert {sentence.speaker for sentence in sentences} == {"Dana Lee"}
    assert "We need to fix that." not in [sentence.text for sentence in sentences], "the rep's words are not requests"
    assert "Thanks." not in [sentence.text for sentence in sentences], "too short to say anything"


def test_request_phrasing_is_recognised() -> None:
    assert phrased_kind("It would be great if the API had a bulk endpoint.") == "request"
    assert phrased_kind("Can you add an export to Drive?") == "request"
    assert phrased_kind("The nightly sync keeps failing for us.") == "bug"
    assert phrased_kind("Honestly the setup is frustrating for new hires.") == "complaint"
    assert phrased_kind("We had a great offsite last week.") is None


def test_a_following_sentence_about_the_same_thing_belongs_to_it() -> None:
    first = Sentence(1, "Dana", "The CSV export keeps failing on big files.")
    assert same_subject(first, Sentence(1, "Dana", "It times out after a minute."))
    assert same_subject(first, Sentence(1, "Dana", "Big files are our daily reports."))
    assert not same_subject(first, Sentence(1, "Dana", "Our budget review is next month."))
    assert not same_subject(first, Sentence(3, "Dana", "It times out after a minute.")), "another turn"


def test_titles_are_the_sentence_without_fillers() -> None:
    assert title_from("But honestly the CSV export keeps failing.") == "The CSV export keeps failing"
    long = title_from("so " + "we need a much better audit log for every workspace " * 4)
    assert len(long) <= 120 and long.endswith("…") and long.startswith("We need")


def test_a_quote_must_be_words_that_were_said() -> None:
    said = VoicedRequest(title="SSO", quote="We need SAML SSO … whole company", speaker="Dana Lee", kind="request")
    invented = VoicedRequest(title="SSO", quote="SSO is our top priority", speaker="Dana Lee", kind="request")
    assert unquoted([said, invented], CALL) == ["SSO is our top priority"]


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> LocalEngine:
    return LocalEngine.load(MiniLMEmbedder.load(), tmp_path_factory.mktemp("no-trained-models"))


@pytest.mark.model
def test_a_call_becomes_one_request_per_thing_raised(local: LocalEngine) -> None:
    split = local.split_now(CALL, POLICY)
    assert [(request.kind, request.title) for request in split.requests] == [
        ("bug", "The CSV export keeps failing on anything over ten thousand rows"),
        ("request", "We need SAML SSO with Okta before we can roll this out to the whole company"),
        ("request", "It would be great if the API had a bulk endpoint for tags"),
        ("complaint", "The pricing page is confusing, nobody here could tell which plan includes audit logs"),
    ]
    export = split.requests[0]
    assert export.quote.endswith("It times out after a minute and we lose the whole file."), "merged with its detail"
    assert all(request.speaker == "Dana Lee" for request in split.requests)
    assert unquoted(split.requests, CALL) == [], "every quote is the customer's own words"
    assert split.model_version == f"{local.version}+split"


@pytest.mark.model
def test_an_unlabelled_transcript_is_split_too(local: LocalEngine) -> None:
    requests = local.split_now(UNLABELLED, POLICY).requests
    titles = [request.title for request in requests]
    assert "Can you add scheduled exports to Google Drive?" in titles
    assert any("mobile app crashes" in title for title in titles)
    assert not any("thanks for making time" in title.lower() for title in titles)


@pytest.mark.model
def test_small_talk_and_a_cap_give_few_or_no_requests(local: LocalEngine) -> None:
    chat = "\n".join(
        ["Sam [internal]: How was your weekend, did you get out?", "Dana [customer]: It was lovely, we went hiking."]
        * 3
    )
    assert local.split_now(chat, POLICY).requests == []
    assert len(local.split_now(CALL, SplitPolicy(min_confidence=0.45, max_requests=2)).requests) == 2
