"""The heads: fitted on labelled rows, versioned on disk, the newest one loaded."""

from pathlib import Path

import numpy as np
import pytest

from services.triage.evaluation import LabelledRow, read_rows
from services.triage.training import ModelInfo, fit_heads, lexicon_sentiment, load_current, new_version, save

ROWS = [
    LabelledRow(text="the app crashes on launch", category="bug", sentiment_label="negative"),
    LabelledRow(text="crash when saving a file", category="bug", sentiment_label="negative"),
    LabelledRow(text="error 500 when I upload", category="bug", sentiment_label="negative"),
    LabelledRow(text="please add dark mode", category="feature_request", sentiment_label="neutral"),
    LabelledRow(text="please add an export to csv", category="feature_request", sentiment_label="neutral"),
    LabelledRow(text="would love a dark theme please add", category="feature_request", sentiment_label="positive"),
    LabelledRow(text="love it, thank you", sentiment_label="positive"),
]


def embeddings(rows: list[LabelledRow]) -> np.ndarray:
    """Stand-in vectors: the heads must work with any embedding, so this test needs no model."""
    generator = np.random.default_rng(0)
    return generator.normal(size=(len(rows), 8))


def test_heads_are_fitted_for_the_labels_the_rows_carry() -> None:
    heads = fit_heads(ROWS, embeddings(ROWS))
    assert sorted(heads.classifiers) == ["category", "sentiment_label"], "no priority labels, no priority head"
    predicted = heads.predict(["it crashes with error 500"], embeddings(ROWS[:1]))
    category = predicted["category"][0]
    assert max(category, key=category.__getitem__) == "bug"
    assert abs(sum(category.values()) - 1) < 1e-6


def test_a_new_version_is_saved_and_becomes_current(tmp_path: Path) -> None:
    assert load_current(tmp_path) is None
    heads = fit_heads(ROWS, embeddings(ROWS))
    for version in ("local-1", "local-2"):
        save(
            heads, tmp_path, ModelInfo(version=version, trained_at="2026-11-27T00:00:00Z", rows=7, heads=[], sources=[])
        )
    loaded = load_current(tmp_path)
    assert loaded is not None and loaded.info.version == "local-2"
    assert loaded.encoder is None, "heads alone: the bundled encoder embeds for them"
    assert new_version("local").startswith("local-")


def test_a_bad_row_names_its_file_and_line(tmp_path: Path) -> None:
    data = tmp_path / "rows.jsonl"
    data.write_text('{"text": "fine", "category": "bug"}\n{"text": "x", "category": "rant"}\n')
    with pytest.raises(ValueError, match=r"rows.jsonl:2"):
        read_rows([data])


def test_the_lexicon_reads_sentiment_in_words_no_row_taught() -> None:
    compound, positive, negative = lexicon_sentiment(
        ["Absolutely delighted with the new editor", "Dreadful, sluggish UI"]
    ).T
    assert compound[0] > 0.5 and positive[0] > negative[0]
    assert compound[1] < -0.3 and negative[1] > positive[1]
    assert lexicon_sentiment([]).shape == (0, 3)


def test_a_version_fitted_before_the_lexicon_reads_as_it_did() -> None:
    heads = fit_heads(ROWS, embeddings(ROWS))
    with_lexicon = heads.featurizer.transform(["love it"], embeddings(ROWS[:1])).shape[1]
    del heads.featurizer.lexicon_weight  # as unpickled from a version saved before the attribute existed
    assert heads.featurizer.transform(["love it"], embeddings(ROWS[:1])).shape[1] == with_lexicon - 3
