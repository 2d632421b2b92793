"""Incremental clustering, and names, keywords and summaries (themes.py), without fixtures."""

import math
from uuid import UUID, uuid4

import pytest

from libs.ml.embeddings import E5_SMALL, MINILM
from services.dedupe.settings import THEME_SIMILARITIES, DedupeSettings
from services.dedupe.themes import (
    NAME_LENGTH,
    SUMMARY_LENGTH,
    Centroid,
    Neighbour,
    Placement,
    ThemeCandidate,
    as_written,
    clean_title,
    describe,
    founded_theme_id,
    keyword_name,
    keywords,
    place,
    representative_titles,
    summary,
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
    assert terms(f"Crash on {'a' * 101} and {'b' * 100}") == {"crash", "b" * 100}, "no term longer than its column"


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


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Feature request: Please add SAML SSO!!", "Add SAML SSO"),
        ("[Bug] Re: CSV export fails for bob@acme.io", "CSV export fails"),
        ("Usage page is blank (ticket #48213, id 9f8e7d6c5b4a)", "Usage page is blank (ticket, id)"),
        ("Acme Corp call: throughput limits blocking the rollout", "Throughput limits blocking the rollout"),
        ("Kinetica Retail renewal: pushback on price", "Pushback on price"),
        ("URGENT: webhook retries 4f3a9c2e1b7d", "Webhook retries"),
        ("dark theme please", "Dark theme"),
        ("EXPORT FAILS ON LARGE FILES", "Export fails on large files"),
        ("HIPAA: customer needs a signed BAA", "HIPAA: customer needs a signed BAA"),
        ("What's the context window for aster-small-2?", "What's the context window for aster-small-2"),
        ("Vercel Edge runtime: module not found 'fs'", "Vercel Edge runtime: module not found fs"),
    ],
)
def test_a_title_is_cleaned_into_a_name(title: str, name: str) -> None:
    assert clean_title(title) == name


def test_a_long_title_is_cut_at_a_word_without_a_dangling_little_word() -> None:
    title = "Slack messages from CRM webhooks come in hours after the deal changed, every single day"
    name = clean_title(title)
    assert name == "Slack messages from CRM webhooks come in hours", "'after the' led into what was cut"
    assert len(name) <= NAME_LENGTH and title.startswith(name)
    assert clean_title("Exportingallofourusagedataeverymonthisslowsowewantanapiforitnowplease") == (
        "Exportingallofourusagedataeverymonthisslowsowewantanapiforit"
    ), "one word longer than a name is cut through"


def test_the_representative_title_shares_most_of_the_themes_words() -> None:
    titles = [
        "Higher rate limits on the Pro plan",
        "Can we get our rate limit raised?",
        "Rate limits: 429s every evening at peak",
        "Thanks for the quick reply yesterday",
    ]
    # Every item's title counts in the frequencies, these four too.
    frequency = {"rate": 40, "limits": 30, "limit": 30, "pro": 50, "plan": 60, "raised": 10, "higher": 25}
    frequency |= {"429s": 8, "evening": 12, "peak": 9, "quick": 40, "reply": 35, "yesterday": 30}
    ranked = representative_titles(titles, frequency, documents=1000)
    assert ranked[0] == "Rate limits: 429s every evening at peak", "the most of the shared words, per word"
    assert ranked[-1] == "Thanks for the quick reply yesterday", "a title sharing nothing comes last"


def test_a_title_that_fits_whole_is_preferred_to_one_cut_short() -> None:
    long = "CRM webhooks reach Slack hours late, every deal, every day, for every team we have"
    short = "CRM webhooks reach Slack late"
    assert representative_titles([long, short], {}, documents=10) == [
        short,
        clean_title(long),
    ]


def test_keywords_are_written_as_the_titles_write_them() -> None:
    titles = ["Our CRM webhooks reach Slack late", "Webhooks from crm lag", "HIPAA BAA", "Queued jobs stuck"]
    assert as_written(["crm", "slack", "webhooks", "hipaa", "queued", "nowhere"], titles) == [
        "CRM",
        "Slack",
        "webhooks",
        "HIPAA",
        "queued",
        "nowhere",
    ], "a capital that starts a title is the sentence's, not the word's"


def test_a_summary_counts_the_requests_and_quotes_others_within_its_length() -> None:
    assert summary(1, []) == "1 request"
    assert summary(3, ["Raise the RPM cap", "Bigger limits"]) == (
        "3 requests; also asked as \u201cRaise the RPM cap\u201d, \u201cBigger limits\u201d"
    )
    long = ["x" * 60, "y" * 60, "z" * 60]
    assert summary(9, long) == f"9 requests; also asked as \u201c{long[0]}\u201d, \u201c{long[1]}\u201d"
    assert len(summary(9, long)) <= SUMMARY_LENGTH
    assert summary(9, ["w" * 200]) == "9 requests", "a quote that cannot fit is left out"


def test_a_theme_named_by_a_person_keeps_its_name_while_its_keywords_and_summary_follow() -> None:
    titles = ["Export usage to CSV", "CSV export of token usage per project", "Feature request: usage export"]
    named = describe(titles, {}, documents=100, items=3, keyword_limit=5, kept_name="Usage exports")
    automatic = describe(titles, {}, documents=100, items=3, keyword_limit=5)
    assert (named.name, automatic.name) == ("Usage exports", "Export usage to CSV")
    assert named.keywords == automatic.keywords == ["export", "usage", "CSV", "feature", "per"]
    assert automatic.summary == (
        "3 requests; also asked as \u201cCSV export of token usage per project\u201d, \u201cUsage export\u201d"
    )
    assert named.summary == (
        "3 requests; also asked as \u201cExport usage to CSV\u201d, \u201cCSV export of token usage per project\u201d"
    )
    assert describe(["Thanks!"], {}, documents=1, items=1, keyword_limit=3).name == "Untitled theme"
