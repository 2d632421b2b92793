"""Themes: incremental clustering of item vectors, and names from the items' keywords. Pure, no I/O.

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
    """The distinct words of a title that can name a theme: lower case, 3+ letters, no stop words."""
    return {word for word in _WORD.findall(title.lower()) if len(word) >= 3 and word not in STOPWORDS}


def keywords(titles: Sequence[str], document_frequency: Mapping[str, int], documents: int, limit: int = 3) -> list[str]:
    """The words that set these titles apart: how many titles use a word, times its rarity across all items.

    `document_frequency` counts, for each word, the items whose title uses it, out of `documents`.
    """
    in_titles = Counter(term for title in titles for term in terms(title))

    def weight(term: str) -> float:
        rarity = math.log((1 + documents) / (1 + document_frequency.get(term, 0))) + 1
        return in_titles[term] * rarity

    ranked = sorted(in_titles, key=lambda term: (-weight(term), term))
    return ranked[:limit]


def keyword_name(words: Sequence[str]) -> str:
    """A readable name from keywords: 'Slack, webhooks, delayed'."""
    if not words:
        return "Untitled theme"
    text = ", ".join(words)
    return text[0].upper() + text[1:]
