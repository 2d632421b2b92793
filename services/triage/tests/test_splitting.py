"""The local extractor: a call transcript into the requests the customer voiced."""

from __future__ import annotations

import pytest

from libs.ml.embeddings import MiniLMEmbedder
from libs.schemas.events import VoicedRequest
from libs.schemas.feedback import Category, SentimentLabel
from services.triage.domain import Reading
from services.triage.engines import LocalEngine
from services.triage.splitting import (
    ProposedRequest,
    Sentence,
    SplitPolicy,
    customer_sentences,
    extract,
    fitted,
    phrased_kind,
    same_subject,
    title_from,
    unquoted,
    word_pieces,
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


# The event's bounds (libs/schemas VoicedRequest): a request over them cannot be published.
QUOTE_MAX = DESCRIPTION_MAX = 5_000
# One long monologue on one thing: every sentence shares a word with the one before it.
EXPORT_TROUBLE = (
    "The CSV export keeps failing on anything over ten thousand rows. "
    "The export times out after a minute and we lose the whole file. "
    "Our finance team needs that export every morning before the board call. "
    "When the export fails they rebuild the report by hand from the raw tables. "
)


def read_as_requests(sentences: list[str]) -> list[Reading]:
    """The heads' reading without the heads: every sentence a confident feature request."""
    request = Reading(Category.FEATURE_REQUEST, 0.9, SentimentLabel.NEUTRAL, 0.9, 0.0, 0.0)
    return [request] * len(sentences)


def assert_within_the_event(requests: list[VoicedRequest]) -> None:
    assert all(len(r.quote) <= QUOTE_MAX and len(r.description) <= DESCRIPTION_MAX for r in requests)


def test_a_50_kb_monologue_is_cut_into_requests_that_fit_the_event() -> None:
    monologue = (EXPORT_TROUBLE * (50_000 // len(EXPORT_TROUBLE) + 1)).strip()
    requests = extract(f"Dana Lee [customer]: {monologue}", read_as_requests, POLICY)
    assert_within_the_event(requests)
    assert len(requests) >= 10 and {request.kind for request in requests} == {"request"}
    assert " ".join(request.quote for request in requests) == monologue, "nothing lost, nothing added"
    assert all(request.quote.endswith(".") for request in requests), "cut between sentences"


def test_a_50_kb_sentence_without_punctuation_is_cut_at_words() -> None:
    sentence = " ".join(["the nightly export fails whenever the board report is bigger than usual"] * 700)
    requests = extract(f"Dana Lee [customer]: {sentence}\nSam [internal]: I see.", read_as_requests, POLICY)
    assert_within_the_event(requests)
    assert len(requests) >= 10
    assert " ".join(request.quote for request in requests) == sentence, "every cut falls between two words"


def test_a_word_longer_than_a_piece_is_cut_inside_it() -> None:
    assert [len(piece) for piece in word_pieces("x" * 12_000, 5_000)] == [5_000, 5_000, 2_000]
    assert word_pieces("we need SAML SSO", 8) == ["we need", "SAML SSO"]


def test_a_models_over_long_texts_are_shortened_and_a_request_without_a_quote_dropped() -> None:
    monologue = (EXPORT_TROUBLE * 100).strip()
    transcript = f"Dana Lee [customer]: {monologue}"
    proposed = [
        ProposedRequest(
            title="Exports " * 60, description="d " * 4_000, quote=monologue, speaker="Dana Lee", kind="bug"
        ),
        ProposedRequest(title="SSO", quote="  ", speaker="Dana Lee", kind="request"),
    ]
    [request] = fitted(proposed)
    assert_within_the_event([request])
    assert len(request.title) <= 200
    assert request.quote.endswith("…") and monologue.startswith(request.quote.removesuffix("…"))
    assert unquoted([request], transcript) == [], "still the customer's own words"


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
