"""Theme names on the demo data set: the keywords of before against rules that pick a representative title.

    nice .venv/bin/python -m bench.theme_names [--json]

Builds the themes as dedupe does (MiniLM vectors of title and description, each item placed in
import order by `themes.place` among its top-5 earlier neighbours, the model's thresholds), then
names every theme of two items or more by each rule. The measure: the share of themes, among those
holding a planted cluster (prodops/demo/data/duplicate_clusters.json), whose name is drawn from a
request of that cluster rather than from an intruder; and the names themselves, to read.
"""

from __future__ import annotations

import argparse
import json
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from uuid import UUID, uuid4

import numpy as np

from libs.ml.embeddings import MINILM, MiniLMEmbedder
from prodops import demo
from services.dedupe import themes
from services.dedupe.changes import KEYWORDS
from services.dedupe.settings import THEME_SIMILARITIES

TOP_K = 5


@dataclass(frozen=True)
class Member:
    title: str
    vector: np.ndarray
    cluster: str | None


def clustered(members: Sequence[Member]) -> dict[UUID, list[int]]:
    """The themes dedupe would build, as lists of member positions, placing the items in order."""
    join, seed = THEME_SIMILARITIES[MINILM]
    home: dict[int, UUID] = {}
    centroids: dict[UUID, themes.Centroid] = {}
    matrix = np.stack([member.vector for member in members])
    for position, member in enumerate(members):
        scores = matrix[:position] @ member.vector
        nearest = np.argsort(-scores)[:TOP_K]
        neighbours = [themes.Neighbour(uuid4(), float(scores[n]), home.get(int(n))) for n in nearest]
        by_id = {neighbour.item_id: int(n) for neighbour, n in zip(neighbours, nearest, strict=True)}
        candidates = [themes.ThemeCandidate(t, centroids[t]) for t in {n.theme_id for n in neighbours} if t]
        vector = member.vector.tolist()
        placement = themes.place(
            vector, candidates, neighbours, join_similarity=join, seed_similarity=seed, model=MINILM
        )
        if placement.theme_id is not None:
            home[position] = placement.theme_id
            centroids[placement.theme_id] = centroids[placement.theme_id].joined([vector])
        elif placement.founded_with is not None:
            partner = by_id[placement.founded_with]
            theme_id = uuid4()
            home[position] = home[partner] = theme_id
            centroids[theme_id] = themes.Centroid.of([vector, members[partner].vector.tolist()], MINILM)
    grouped: dict[UUID, list[int]] = defaultdict(list)
    for position, theme_id in sorted(home.items()):
        grouped[theme_id].append(position)
    return grouped


@dataclass(frozen=True)
class NamedTheme:
    """A theme of the demo: its size, the planted cluster most of it holds, its name before, and after by each rule."""

    items: int
    planted: str | None
    before: str
    after: themes.Description
    rules: dict[str, str]


@dataclass(frozen=True)
class Corpus:
    """Every item's title words: the rarity that weighs a word."""

    frequency: Counter[str]
    documents: int


Rule = Callable[[Sequence[Member], Corpus], int]


def by_title_weight(norm: Callable[[int], float]) -> Rule:
    """The title with the most weight of the theme's words (a word's own use counted too), per `norm` of its words."""

    def pick(members: Sequence[Member], corpus: Corpus) -> int:
        weights = themes.term_weights([m.title for m in members], corpus.frequency, corpus.documents)

        def score(index: int) -> float:
            words = themes.terms(members[index].title)
            return math.fsum(weights.get(w, 0.0) for w in words) / norm(len(words)) if words else 0.0

        return min(range(len(members)), key=lambda i: (-score(i), len(members[i].title)))

    return pick


def by_centroid(members: Sequence[Member], corpus: Corpus) -> int:
    centre = np.mean([member.vector for member in members], axis=0)
    return int(np.argmax([member.vector @ centre for member in members]))


def shipped(members: Sequence[Member], corpus: Corpus) -> int:
    """themes.representative_titles: as "weight/sqrt", on titles without their labels, whole titles first."""
    best = themes.representative_titles([m.title for m in members], corpus.frequency, corpus.documents)[0]
    return next(i for i, member in enumerate(members) if themes.clean_title(member.title) == best)


RULES: dict[str, Rule] = {
    "shipped": shipped,
    "centroid": by_centroid,
    "weight sum": by_title_weight(lambda n: 1.0),
    "weight mean": by_title_weight(lambda n: float(n)),
    "weight/sqrt": by_title_weight(math.sqrt),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    arguments = parser.parse_args()
    items = demo.feedback()
    planted = {source_id: name for name, ids in demo.duplicate_clusters().items() for source_id in ids}
    vectors = MiniLMEmbedder.load().embed([f"{item.title}\n\n{item.description}".strip() for item in items])
    members = [
        Member(item.title, np.array(vector), planted.get(item.source_id or ""))
        for item, vector in zip(items, vectors, strict=True)
    ]
    corpus = Corpus(Counter(term for member in members for term in themes.terms(member.title)), len(members))
    hits: Counter[str] = Counter()
    judged = 0
    rows: list[NamedTheme] = []
    for positions in sorted(clustered(members).values(), key=len, reverse=True):
        group = [members[p] for p in positions]
        titles = [member.title for member in group]
        dominant = Counter(member.cluster for member in group).most_common(1)[0][0]
        names: dict[str, str] = {}
        for rule, pick in RULES.items():
            chosen = pick(group, corpus)
            names[rule] = themes.clean_title(group[chosen].title)
            if dominant is not None:
                hits[rule] += group[chosen].cluster == dominant
        judged += dominant is not None
        described = themes.describe(
            titles, corpus.frequency, corpus.documents, items=len(group), keyword_limit=KEYWORDS
        )
        before = themes.keyword_name(themes.keywords(titles, corpus.frequency, corpus.documents))
        rows.append(NamedTheme(len(group), dominant, before, described, names))
    shares = {rule: round(hits[rule] / judged, 3) if judged else None for rule in RULES}
    if arguments.json:
        report = {
            "themes": [asdict(row) for row in rows],
            "planted_themes": judged,
            "name_from_planted_cluster": shares,
        }
        print(json.dumps(report, indent=2))
        return
    for row in rows:
        print(f"{row.items:3d}  {row.planted or '-':28s} {row.before!r:40s} -> {row.after.name!r}")
        print(f"     {row.after.summary}  [{', '.join(row.after.keywords)}]")
        for rule, name in row.rules.items():
            print(f"       {rule:12s} {name}")
    print(f"themes holding a planted cluster: {judged}; name drawn from that cluster: {shares}")


if __name__ == "__main__":
    main()
