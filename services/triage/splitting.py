"""Splitting a call transcript into the requests the customer voiced: the local extractor. Pure.

The customer's turns are cut into sentences; a sentence is kept when the heads read it as a
request, bug, complaint or improvement with enough confidence, or when it is phrased as one
("we need", "it would be great if", "keeps failing"). Kept sentences next to each other that are
about the same thing become one request, titled from its first sentence. Every request fits the
event's bounds: a longer monologue goes on in requests of its own, a longer sentence is cut at words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import annotated_types
from pydantic import BaseModel, ConfigDict

from libs.schemas import transcripts
from libs.schemas.events import VoicedRequest
from libs.schemas.feedback import Category
from libs.schemas.transcripts import SpeakerRole, Turn
from services.triage import domain
from services.triage.domain import Reading

Kind = Literal["request", "complaint", "bug", "praise", "question"]
TITLE_LENGTH = 120


def _max_length(model: type[BaseModel], field: str) -> int:
    """A field's length bound as its schema declares it: what is built here always fits the event."""
    rules = model.model_fields[field].metadata
    return next(rule.max_length for rule in rules if isinstance(rule, annotated_types.MaxLen))


_SAID = "{speaker} said on the call: {quote}"
# The most one request quotes: the description repeats the quote after the speaker's name (at most
# a turn's), and both stay within the event's bounds.
QUOTE_BUDGET = min(
    _max_length(VoicedRequest, "quote"),
    _max_length(VoicedRequest, "description") - len(_SAID.format(speaker="", quote="")) - _max_length(Turn, "speaker"),
)

KIND_OF: dict[Category, Kind] = {
    Category.FEATURE_REQUEST: "request",
    Category.IMPROVEMENT: "request",
    Category.BUG: "bug",
    Category.COMPLAINT: "complaint",
    Category.PRAISE: "praise",
    Category.QUESTION: "question",
}
# What the heads must read in a sentence, with enough confidence, for it to count on its own.
KEPT_CATEGORIES = {Category.FEATURE_REQUEST, Category.IMPROVEMENT, Category.BUG, Category.COMPLAINT}

# Phrasing that voices a request or a problem whatever the heads make of it, and what it voices.
_PHRASES: tuple[tuple[Kind, re.Pattern[str]], ...] = (
    (
        "bug",
        re.compile(
            r"\b(keeps? (failing|crashing|breaking|timing out|dropping)|(is|are|was|were) broken|"
            # Up to the next crash or failure only: scanning to the end from each one is quadratic.
            r"(crash|fail)(es|s|ed)?\b(?:(?!\b(?:crash|fail)(?:es|s|ed)?\b).)*?\b(every|each|whenever|when)|"
            r"throws? an? error|doesn'?t work|"
            r"stopped working|not working)",
            re.IGNORECASE,
        ),
    ),
    (
        "request",
        re.compile(
            r"\b(we(?:'d| would)? (really )?need|we(?:'d| would)? (really )?like|we want|"
            r"it would be (great|nice|helpful|useful) (if|to)|it'?d be (great|nice|helpful|useful)|"
            r"(can|could) you (add|build|support|make|give)|would love|please add|is there (a|any) way|"
            r"(we|i) wish|missing\b|on (our|my) wish ?list|have to have|must have|deal ?breaker)",
            re.IGNORECASE,
        ),
    ),
    (
        "complaint",
        re.compile(
            r"\b(frustrat\w*|annoy\w*|confus\w*|painful|too (slow|expensive|complicated|hard)|nobody (here )?can|"
            r"waste of time|unacceptable|we'?re (unhappy|disappointed)|can'?t (use|rely))",
            re.IGNORECASE,
        ),
    ),
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")
_FILLER = re.compile(
    r"^(?:(?:so|and|but|yeah|yes|well|honestly|also|okay|ok|right|look|um+|uh+|i mean|you know|actually)\b[,\s]*)+",
    re.IGNORECASE,
)
_ANAPHORA = re.compile(r"^(it|that|this|they|these|those|which|then|because|so that|otherwise)\b", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9][a-z0-9'-]{3,}")
_STOPWORDS = frozenset({
    "that", "this", "there", "their", "they", "them", "then", "than", "with", "would", "could", "should", "have",
    "from", "what", "when", "where", "which", "while", "your", "yours", "about", "really", "just", "like",
    "also", "been", "being", "into", "only", "some", "more", "most", "very", "much", "many", "every", "each",
    "because", "going", "want", "need", "know", "think", "sure", "yeah", "okay", "right", "well", "thing",
    "things", "something", "were", "will", "does", "doesn't", "don't", "can't", "it's", "that's", "we're",
    "we've", "we'd", "they're", "it'd"
})  # fmt: skip
_MIN_WORDS = 4
_ELLIPSIS = re.compile(r"\.\.\.|…")


@dataclass(frozen=True)
class SplitPolicy:
    min_confidence: float
    max_requests: int


@dataclass(frozen=True)
class Sentence:
    """A sentence a customer said, with the turn it belongs to (adjacent sentences may merge)."""

    turn: int
    speaker: str
    text: str


def customer_sentences(transcript: str) -> list[Sentence]:
    """The sentences of the customer's turns; with no roles in the transcript, of every turn not ours."""
    turns = transcripts.parse(transcript)
    labelled = any(turn.role == SpeakerRole.CUSTOMER for turn in turns)
    wanted = {SpeakerRole.CUSTOMER} if labelled else {SpeakerRole.CUSTOMER, SpeakerRole.UNKNOWN}
    return [
        Sentence(index, turn.speaker, sentence)
        for index, turn in enumerate(turns)
        if turn.role in wanted
        for sentence in split_sentences(turn.text)
    ]


def split_sentences(text: str) -> list[str]:
    """Sentences long enough to say something (greetings and "yes, exactly" say nothing), each short
    enough to quote: a longer one is cut into pieces at words."""
    sentences = (sentence.strip() for sentence in _SENTENCE_END.split(" ".join(text.split())))
    pieces = (piece for sentence in sentences for piece in word_pieces(sentence, QUOTE_BUDGET))
    return [piece for piece in pieces if len(piece.split()) >= _MIN_WORDS]


def word_pieces(text: str, limit: int) -> list[str]:
    """The text in consecutive pieces of at most `limit` characters, cut at single spaces (inside a
    word only when the word alone is longer)."""
    pieces = []
    start = 0
    while len(text) - start > limit:
        space = text.rfind(" ", start, start + limit + 1)
        end, resume = (space, space + 1) if space > start else (start + limit, start + limit)
        pieces.append(text[start:end])
        start = resume
    pieces.append(text[start:])
    return pieces


def shortened(text: str, limit: int) -> str:
    """The text, or its beginning up to a word and an ellipsis when it is longer than `limit`."""
    if len(text) <= limit:
        return text
    return word_pieces(text, limit - 1)[0].rstrip(",;: ") + "…"


def phrased_kind(sentence: str) -> Kind | None:
    """The kind a sentence's phrasing voices, if it is phrased as a request or a problem."""
    return next((kind for kind, pattern in _PHRASES if pattern.search(sentence)), None)


def kind_of(sentence: str, reading: Reading, min_confidence: float) -> Kind | None:
    """What a sentence voices, or None when it voices nothing to act on."""
    reading = domain.apply_rules(sentence, reading)
    if reading.category in KEPT_CATEGORIES and reading.category_confidence >= min_confidence:
        return KIND_OF[reading.category]
    return phrased_kind(sentence)


def extract(
    transcript: str, read: Callable[[list[str]], Sequence[Reading]], policy: SplitPolicy
) -> list[VoicedRequest]:
    """The requests voiced in a transcript, in order; `read` gives the heads' reading of each sentence."""
    sentences = customer_sentences(transcript)
    if not sentences:
        return []
    readings = read([sentence.text for sentence in sentences])
    groups: list[tuple[Kind, list[Sentence]]] = []
    previous: int | None = None
    for position, (sentence, reading) in enumerate(zip(sentences, readings, strict=True)):
        kind = kind_of(sentence.text, reading, policy.min_confidence)
        last = groups[-1][1][-1] if groups else None
        # A sentence that goes on about what the one before it raised belongs to it, kept or not.
        if last is not None and previous == position - 1 and same_subject(last, sentence):
            if _quote_length(groups[-1][1]) + 1 + len(sentence.text) <= QUOTE_BUDGET:
                groups[-1][1].append(sentence)
            else:  # a monologue on one thing longer than a quote goes on in a request of its own
                groups.append((groups[-1][0], [sentence]))
        elif kind is not None:
            groups.append((kind, [sentence]))
        else:
            continue
        previous = position
    return [_request(kind, group) for kind, group in groups[: policy.max_requests]]


def same_subject(first: Sentence, second: Sentence) -> bool:
    """Whether the next sentence goes on about the same thing: same turn, and it refers back or shares a word."""
    if first.turn != second.turn:
        return False
    refers_back = bool(_ANAPHORA.match(_without_filler(second.text)))
    return refers_back or bool(_content_words(first.text) & _content_words(second.text))


def title_from(sentence: str) -> str:
    """A title from a spoken sentence: fillers off, capitalised, no final stop, at most 120 characters."""
    text = _without_filler(sentence).rstrip(" .!")
    return shortened(text[:1].upper() + text[1:], TITLE_LENGTH)


def _quote_length(group: list[Sentence]) -> int:
    return sum(len(sentence.text) for sentence in group) + len(group) - 1


def _request(kind: Kind, group: list[Sentence]) -> VoicedRequest:
    quote = " ".join(sentence.text for sentence in group)
    return VoicedRequest(
        title=title_from(group[0].text),
        description=_SAID.format(speaker=group[0].speaker, quote=quote),
        quote=quote,
        speaker=group[0].speaker,
        kind=kind,
    )


def _without_filler(sentence: str) -> str:
    return _FILLER.sub("", sentence.strip()).strip() or sentence.strip()


def _content_words(sentence: str) -> set[str]:
    return {word for word in _WORD.findall(sentence.lower()) if word not in _STOPWORDS}


class ProposedRequest(BaseModel):
    """A request as a model proposes it, its lengths not yet checked against the event's."""

    model_config = ConfigDict(extra="ignore")

    title: str
    description: str = ""
    quote: str
    speaker: str
    kind: Kind


def fitted(proposed: Sequence[ProposedRequest]) -> list[VoicedRequest]:
    """A model's requests within the event's bounds: each text shortened to its field's length (a quote
    keeps its first words, and ends with an ellipsis); one without a quote, title or speaker is dropped."""
    return [
        VoicedRequest(
            title=shortened(title, _max_length(VoicedRequest, "title")),
            description=shortened(request.description.strip(), _max_length(VoicedRequest, "description")),
            quote=shortened(quote, _max_length(VoicedRequest, "quote")),
            speaker=shortened(speaker, _max_length(VoicedRequest, "speaker")),
            kind=request.kind,
        )
        for request in proposed
        if (quote := " ".join(request.quote.split()))
        and (title := " ".join(request.title.split()))
        and (speaker := " ".join(request.speaker.split()))
    ]


def unquoted(requests: Sequence[VoicedRequest], transcript: str) -> list[str]:
    """The quotes that are not the transcript's own words (a model that invents a quote is not trusted).

    A quote may leave words out with an ellipsis; each part of it must have been said.
    """
    said = _letters(transcript)
    return [
        request.quote
        for request in requests
        if not all(_letters(part) in said for part in _ELLIPSIS.split(request.quote) if _letters(part))
    ]


def _letters(text: str) -> str:
    """Only letters and digits, lower case: punctuation and spacing may differ in a faithful quote."""
    return re.sub(r"[^a-z0-9]+", "", text.lower())
