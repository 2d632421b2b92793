"""Incremental clustering and keyword names (themes.py), without fixtures."""

import math
from uuid import UUID, uuid4

import pytest

from libs.ml.embeddings import E5_SMALL, MINILM
from services.dedupe.settings import THEME_SIMILARITIES, DedupeSettings
from services.dedupe.themes import (
    Centroid,
    Neighbour,
    Placement,
    ThemeCandidate,
    founded_theme_id,
    keyword_name,
    keywords,
    place,
    terms,
)

MODEL = "m"


def unit(*values: float) -> list[float]:
    norm = math.sqrt(sum(v * v for v in values))
    return [v / norm for v in values]


def theme(*vectors: list[float], model: str = MODEL) -> ThemeCandidate:
    return ThemeCandidate(uuid4(), Centroid.of(vectors, model))


def placed(vector: list[float], themes: list[ThemeCandidate], neighbours: list[Neighbour]) -> Placement:
    return place(vector, themes, neighbours, join_similarity=0.8, seed_similarity=0.9, model=MODEL)


def test_an_item_joins_the_most_similar_theme_above_the_threshold() -> None:
    near, nearer = theme(unit(1, 0.5)), theme(unit(1, 0.1))
    placement = placed(unit(1, 0), [near, nearer], [])
    assert placement.theme_id == nearer.theme_id
    assert placement.score == pytest.approx(unit(1, 0.1)[0])


def test_below_the_threshold_an_item_founds_a_theme_with_its_closest_unthemed_neighbour() -> None:
    far = theme(unit(0, 1))
    close, closer, themed = (
        Neighbour(uuid4(), 0.91, None),
        Neighbour(uuid4(), 0.95, None),
        Neighbour(uuid4(), 0.99, uuid4()),
    )
    placement = placed(unit(1, 0), [far], [close, closer, themed])
    assert (placement.theme_id, placement.founded_with, placement.score) == (None, closer.item_id, 0.95)


def test_an_item_with_no_near_neighbour_waits_without_a_theme() -> None:
    placement = placed(unit(1, 0), [theme(unit(0, 1))], [Neighbour(uuid4(), 0.89, None)])
    assert (placement.theme_id, placement.founded_with) == (None, None)


def test_a_centroid_of_another_model_is_never_compared() -> None:
    stale = theme(unit(1, 0), model="old")
    assert placed(unit(1, 0), [stale], []).theme_id is None


def test_ties_are_broken_the_same_way_every_time() -> None:
    a, b = (
        ThemeCandidate(UUID(int=2), Centroid.of([unit(1, 0)], MODEL)),
        ThemeCandidate(UUID(int=1), Centroid.of([unit(1, 0)], MODEL)),
    )
    assert placed(unit(1, 0), [a, b], []).theme_id == UUID(int=1)
    assert placed(unit(1, 0), [b, a], []).theme_id == UUID(int=1)


def test_the_running_mean_equals_the_mean_of_all_members_and_removal_undoes_a_join() -> None:
    first, second, third = unit(1, 0, 0), unit(0, 1, 0), unit(1, 1, 1)
    running = Centroid.of([first], MODEL).joined([second]).joined([third])
    at_once = Centroid.of([first, second, third], MODEL)
    assert running.count == 3
    assert running.mean == pytest.approx(at_once.mean)
    assert running.without([third]).mean == pytest.approx(Centroid.of([first, second], MODEL).mean)
    combined = Centroid.of([first], MODEL).combined(Centroid.of([second, third], MODEL))
    assert combined.mean == pytest.approx(at_once.mean)
    emptied = running.without([first, second, third])
    assert emptied.count == 0
    assert emptied.joined([second]).mean == pytest.approx(second)


def test_centroids_of_two_models_are_never_mixed() -> None:
    with pytest.raises(ValueError, match="two models"):
        Centroid.of([unit(1, 0)], "a").combined(Centroid.of([unit(0, 1)], "b"))


def test_a_founded_theme_id_depends_only_on_the_founding_item() -> None:
    item = uuid4()
    assert founded_theme_id(item) == founded_theme_id(UUID(str(item)))
    assert founded_theme_id(item) != founded_theme_id(uuid4())


def test_terms_drop_stop_words_short_words_and_case() -> None:
    assert terms("Please add an Export to CSV, it's needed!") == {"add", "export", "csv", "needed"}


def test_keywords_prefer_words_shared_by_the_theme_and_rare_elsewhere() -> None:
    titles = ["Slack webhook delayed", "Slack alerts delayed by hours", "Webhook to Slack is slow"]
    # "delayed" is in two titles but common across the hub: "alerts", in one but rare, outranks it.
    frequency = {"slack": 5, "webhook": 4, "delayed": 400, "alerts": 3, "hours": 50, "slow": 80}
    words = keywords(titles, frequency, documents=1000)
    assert words == ["slack", "webhook", "alerts"]
    assert keywords(titles, {}, documents=1000, limit=4) == ["slack", "delayed", "webhook", "alerts"]
    assert keyword_name(words) == "Slack, webhook, alerts"
    assert keyword_name([]) == "Untitled theme"


def test_theme_similarities_follow_the_embedding_model_unless_set() -> None:
    assert (DedupeSettings().theme_similarity, DedupeSettings().theme_seed_similarity) == THEME_SIMILARITIES[MINILM]
    e5 = DedupeSettings(embedding_model=E5_SMALL)
    assert (e5.theme_similarity, e5.theme_seed_similarity) == THEME_SIMILARITIES[E5_SMALL]
    assert DedupeSettings(embedding_model=E5_SMALL, theme_similarity=0.9).theme_similarity == 0.9
