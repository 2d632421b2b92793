"""Themes: incremental clustering of item vectors, and names, keywords and summaries from the items' titles.
Pure, no I/O.

An arriving item joins the theme whose centroid is most similar, when that similarity reaches
`join_similarity`; the candidate themes are those of its nearest neighbours in the index, so the
cost does not grow with the number of themes. Otherwise, if one of its neighbours is as close as
`seed_similarity` and has no theme yet, the two found a new theme. Otherwise the item waits,
without a theme, for a near neighbour to arrive: no theme ever holds a single item by clustering.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from uuid import NAMESPACE_URL, UUID, uuid5

Vector = Sequence[float]


@dataclass(frozen=True)
class Centroid:
    """The running mean of a theme's member vectors, in the vector space of one embedding model."""

    mean: tuple[float, ...]
    count: int
    model: str

    @classmethod
    def of(cls, vectors: Sequence[Vector], model: str) -> Centroid:
        """The mean of `vectors` (at least one)."""
        if not vectors:
            raise ValueError("a centroid needs at least one vector")
        return cls(
            tuple(math.fsum(column) / len(vectors) for column in zip(*vectors, strict=True)), len(vectors), model
        )

    def similarity(self, vector: Vector) -> float:
        """Cosine similarity of a unit vector to the centroid's direction."""
        norm = math.sqrt(math.fsum(value * value for value in self.mean))
        return _dot(self.mean, vector) / norm if norm else 0.0

    def joined(self, vectors: Sequence[Vector]) -> Centroid:
        """The centroid once `vectors` have joined: a running mean, no member re-read."""
        if not vectors:
            return self
        return self.combined(Centroid.of(vectors, self.model))

    def combined(self, other: Centroid) -> Centroid:
        """The centroid of both themes' members together."""
        if other.model != self.model:
            raise ValueError(f"centroids of two models cannot be combined: {self.model} and {other.model}")
        if other.count == 0:
            return self
        if self.count == 0:
            return other
        total = self.count + other.count
        mean = tuple(
            (mine * self.count + theirs * other.count) / total
            for mine, theirs in zip(self.mean, other.mean, strict=True)
        )
        return Centroid(mean, total, self.model)

    def without(self, vectors: Sequence[Vector]) -> Centroid:
        """The centroid once `vectors` (members of it) have left; a centroid left with none keeps its direction."""
        remaining = self.count - len(vectors)
        if not vectors or remaining <= 0:
            return Centroid(self.mean, max(remaining, 0), self.model)
        removed = [math.fsum(column) for column in zip(*vectors, strict=True)]
        mean = tuple((mine * self.count - gone) / remaining for mine, gone in zip(self.mean, removed, strict=True))
        return Centroid(mean, remaining, self.model)


@dataclass(frozen=True)
class ThemeCandidate:
    theme_id: UUID
    centroid: Centroid


@dataclass(frozen=True)
class Neighbour:
    """A near item in the index: its similarity to the arriving item, and its own theme, if it has one."""

    item_id: UUID
    score: float
    theme_id: UUID | None


@dataclass(frozen=True)
class Placement:
    """Where clustering puts an arriving item: into a theme, into a new one with a neighbour, or nowhere yet."""

    theme_id: UUID | None = None
    score: float | None = None
    founded_with: UUID | None = None


def place(
    vector: Vector,
    themes: Sequence[ThemeCandidate],
    neighbours: Sequence[Neighbour],
    *,
    join_similarity: float,
    seed_similarity: float,
    model: str,
) -> Placement:
    """Where an arriving item goes; ties go to the smaller id, so the same inputs always place it alike."""
    # A centroid of another model lives in another vector space: it waits for recompute_centroids.
    scored = [(theme.centroid.similarity(vector), theme.theme_id) for theme in themes if theme.centroid.model == model]
    best = min(scored, key=lambda pair: (-pair[0], str(pair[1])), default=None)
    if best is not None and best[0] >= join_similarity:
        return Placement(theme_id=best[1], score=best[0])
    waiting = [n for n in neighbours if n.theme_id is None and n.score >= seed_similarity]
    partner = min(waiting, key=lambda n: (-n.score, str(n.item_id)), default=None)
    if partner is not None:
        return Placement(founded_with=partner.item_id, score=partner.score)
    return Placement()


def founded_theme_id(item_id: UUID) -> UUID:
    """The id of the theme an item founds: the same on every replay, even into an empty database."""
    return uuid5(NAMESPACE_URL, f"prodops:dedupe/theme/{item_id}")


def _dot(a: Vector, b: Vector) -> float:
    return math.fsum(x * y for x, y in zip(a, b, strict=True))


# --- names from keywords ------------------------------------------------------------------------

_WORD = re.compile(r"[a-z][a-z0-9]+(?:['-][a-z0-9]+)*")
_WRITTEN = re.compile(r"[A-Za-z][A-Za-z0-9]+(?:['-][A-Za-z0-9]+)*")
# Words that say nothing about what a request is about (English function words and feedback filler).
_STOPWORDS_TEXT = """
    a about above after again all also always am an and any are as at be because been before being below
    between both but by can cannot could did do does doing don't down during each even ever every few for from
    further get gets getting got had has have having he her here hers him his how i i'm if in into is isn't it
    it's its just let me more most much my need needs no nor not now of off often on once only or other our
    out over own please same she should so some still such than thank thanks that the their them then there
    these they this those through to too under until up us very want wants was we were what when where which
    while who why will with won't would you your yet via able already anyone app really one two new use using
    used make makes lot way like cant dont doesnt isnt wont im ive
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


def terms(title: str) -> set[str]:
    """The distinct words of a title that can name a theme: lower case, 3 to 100 letters, no stop words."""
    # 100: the longest term dedupe_terms and a theme's keywords hold.
    return {word for word in _WORD.findall(title.lower()) if 3 <= len(word) <= 100 and word not in STOPWORDS}


def keywords(titles: Sequence[str], document_frequency: Mapping[str, int], documents: int, limit: int = 3) -> list[str]:
    """The words that set these titles apart: how many titles use a word, times its rarity across all items.

    `document_frequency` counts, for each word, the items whose title uses it, out of `documents`.
    """
    weights = term_weights(titles, document_frequency, documents)
    return sorted(weights, key=lambda term: (-weights[term], term))[:limit]


def keyword_name(words: Sequence[str]) -> str:
    """A readable name from keywords: 'Slack, webhooks, delayed'; the fallback when no title names a theme."""
    if not words:
        return UNTITLED
    text = ", ".join(words)
    return text[0].upper() + text[1:]


# --- names and summaries from the theme's own requests --------------------------------------------

UNTITLED = "Untitled theme"
NAME_LENGTH = 60
SUMMARY_LENGTH = 160
# The other titles a summary quotes, at most.
SUMMARY_EXAMPLES = 2

# Labels people put before the request itself: "Feature request: ...", "[Bug] ...", "Re: ...", "Please ...".
_LABEL = re.compile(
    r"^\s*(?:\[[^\]]{1,30}\]\s*|(?:re|fwd?|fw)\s*:\s*"
    r"|(?:feature\s+request|feature|request|idea|suggestion|bug(?:\s+report)?|question|feedback|fr)\s*[:\-\u2013\u2014]\s*"
    r"|(?:please|pls|kindly)\b[\s,]*|(?:urgent|important|asap)\s*[:!\-]+\s*"
    # A seller's note about one account: "Acme Corp call: ...", "Kinetica renewal: ...".
    r"|(?:[\w&'.-]+\s+){0,4}(?:call|meeting|renewal|demo|qbr|sync|check-in)\b[^:]{0,20}:\s*)",
    re.IGNORECASE,
)
# What belongs to one customer, not to the request: addresses, links, ticket numbers, long ids.
_NOISE = re.compile(
    r"\S+@\S+|https?://\S+|#\d+\b|\b[0-9a-f]{8,}\b|\b(?=[a-z_]*\d)(?=\d*[a-z])[a-z0-9_]{12,}\b|\b\d{5,}\b",
    re.IGNORECASE,
)
_TRAILING = " \t.,;:!?-\u2013\u2014([{'\"\u2026"
# A name cut at a word should not end on a word that leads into the part cut off.
_DANGLING = STOPWORDS | {"per", "across", "within", "without", "against"}


def clean_title(title: str) -> str:
    """A title as a theme's name: no labels or customer details, no trailing punctuation, capitalised,
    at most NAME_LENGTH characters cut at a word; empty when nothing is left."""
    text = _cut(_unlabelled(title), NAME_LENGTH)
    # An opening quote whose closing one was cut or stripped.
    text = re.sub("(^|\\s)['\"\u2018\u201c](?=[^'\"\u2019\u201d]*$)", r"\1", text)
    return text[:1].upper() + text[1:]


def _unlabelled(title: str) -> str:
    """The request a title states, without labels, customer details or shouting; not cut."""
    text = _NOISE.sub(" ", title)
    while (stripped := _LABEL.sub("", text, count=1)) != text:
        text = stripped
    text = " ".join(re.sub(r"\(\s*\)|\[\s*\]", " ", text).split())
    text = re.sub(r"([(\[])\s+|\s+([)\],;:])", r"\1\2", text)
    return text.lower() if text.isupper() and len(text) > 4 else text  # shouting, not an acronym


def _cut(text: str, length: int) -> str:
    """`text` cut at the last word that fits in `length`, without a dangling little word or punctuation."""
    words = text.split(" ")
    if len(text) > length:
        words = text[: length + 1].split(" ")
        if len(words) > 1:
            words = words[:-1]  # the last one was cut through, or ends past `length`
    while len(words) > 1 and words[-1].lower().strip(_TRAILING) in _DANGLING:
        words = words[:-1]
    return " ".join(words).strip(_TRAILING)[:length]


def as_written(words: Sequence[str], titles: Sequence[str]) -> list[str]:
    """Each word as the titles most often write it inside a sentence: 'CRM', 'Slack', 'webhooks'."""
    forms: dict[str, dict[str, float]] = {}
    for title in titles:
        for position, form in enumerate(_WRITTEN.findall(title)):
            # A title's first word is capitalised for the sentence, not for the word: it counts only as a last
            # resort, and as lower case unless it has capitals of its own ("HIPAA", "CommonJS").
            if position == 0 and form[1:].islower():
                form = form.lower()
            seen = forms.setdefault(form.lower(), {})
            seen[form] = seen.get(form, 0.0) + (1.0 if position else 0.001)

    def usual(word: str) -> str:
        # Ties go to the form with more capitals: who writes "CRM" means it, "crm" may be haste.
        written = forms.get(word, {word: 1.0})
        return min(written, key=lambda form: (-written[form], -sum(c.isupper() for c in form), form))

    return [usual(word) for word in words]


def term_weights(titles: Sequence[str], document_frequency: Mapping[str, int], documents: int) -> dict[str, float]:
    """Each word of these titles: how many of them use it, times its rarity across all items (as `keywords`)."""
    in_titles = Counter(term for title in titles for term in terms(title))
    return {
        term: count * (math.log((1 + documents) / (1 + document_frequency.get(term, 0))) + 1)
        for term, count in in_titles.items()
    }


def representative_titles(titles: Sequence[str], document_frequency: Mapping[str, int], documents: int) -> list[str]:
    """The titles, cleaned and distinct, best first: a title scores the weight of its words in the theme (as
    `keywords` weighs them: how many titles use a word, times its rarity) per square root of its words, so that
    a long title does not win for its length alone; a title that fits whole goes before one cut short; ties to
    the shorter. (bench/theme_names.py compares this with other rules.)"""
    weights = term_weights(titles, document_frequency, documents)

    def score(title: str) -> float:
        words = terms(_unlabelled(title))
        return math.fsum(weights.get(word, 0.0) for word in words) / math.sqrt(len(words)) if words else 0.0

    best: dict[str, tuple[bool, float]] = {}
    for title in titles:
        name = clean_title(title)
        # A name says what the request is about: two words at least, one of them not a stop word.
        if len(name.split()) >= 2 and terms(name):
            fits = len(_unlabelled(title).strip(_TRAILING)) <= NAME_LENGTH
            best[name] = max(best.get(name, (False, 0.0)), (fits, score(title)))
    return sorted(best, key=lambda name: (not best[name][0], -best[name][1], len(name), name))


def summary(items: int, examples: Sequence[str]) -> str:
    """One line a PM reads at a glance: how many requests, and how else their askers put it."""
    count = f"{items} request{'s' if items != 1 else ''}"
    for shown in range(len(examples), 0, -1):
        quoted = ", ".join(f"\u201c{example}\u201d" for example in examples[:shown])
        if len(line := f"{count}; also asked as {quoted}") <= SUMMARY_LENGTH:
            return line
    return count


@dataclass(frozen=True)
class Description:
    """What a theme says of itself: a name, its top keywords (tags beside the name), one line of summary."""

    name: str
    keywords: list[str]
    summary: str


def describe(
    titles: Sequence[str],
    document_frequency: Mapping[str, int],
    documents: int,
    *,
    items: int,
    keyword_limit: int,
    kept_name: str | None = None,
) -> Description:
    """A theme described from its titles (see `keywords` for the frequencies); `kept_name`, a name a person (or a
    model) gave it, is kept as it is."""
    words = as_written(keywords(titles, document_frequency, documents, limit=keyword_limit), titles)
    ranked = representative_titles(titles, document_frequency, documents)
    # Named by its most representative title; by its keywords when no title can name it.
    name = kept_name if kept_name is not None else ranked[0] if ranked else keyword_name(words)
    examples = [title for title in ranked if title != name][:SUMMARY_EXAMPLES]
    return Description(name, words, summary(items, examples))
