"""`prodops triage train` then `eval`: a team calibrates the engine on its own labelled rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from prodops.cli import app

pytestmark = pytest.mark.model

ROWS = [
    {"text": "Checkout crashes with error 500 when I pay", "category": "bug", "sentiment_label": "negative"},
    {"text": "The app crashes whenever I open settings", "category": "bug", "sentiment_label": "negative"},
    {"text": "Sync fails with a timeout error every night", "category": "bug", "priority": "high"},
    {"text": "Please add an export to CSV", "category": "feature_request", "sentiment_label": "neutral"},
    {"text": "Would love support for SAML single sign-on", "category": "feature_request", "priority": "medium"},
    {"text": "Please add a dark theme to the editor", "category": "feature_request", "sentiment_label": "positive"},
    {"text": "Thank you, this release is fantastic", "category": "praise", "sentiment_label": "positive"},
    {"text": "Love the new dashboard, great work", "category": "praise", "sentiment_label": "positive"},
    {"text": "Typo on the pricing page", "priority": "low", "sentiment_label": "neutral"},
]


# --epochs 0: the heads alone on the bundled encoder; by default the encoder is fine-tuned, saved with the version.
@pytest.mark.timeout(900)
@pytest.mark.parametrize("epochs", [0, None])
def test_train_writes_a_version_that_eval_then_scores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, epochs: int | None
) -> None:
    monkeypatch.setenv("PRODOPS_DATA_DIR", str(tmp_path))
    data = tmp_path / "labelled.jsonl"
    data.write_text("\n".join(json.dumps(row) for row in ROWS))
    runner = CliRunner()

    before = runner.invoke(app, ["triage", "eval", "--data", str(data), "--json"])
    assert before.exit_code == 0, before.output
    assert json.loads(before.stdout)["model_version"] == "local-seed-1"

    epochs_option = [] if epochs is None else ["--epochs", str(epochs)]
    trained = runner.invoke(app, ["triage", "train", "--data", str(data), *epochs_option])
    assert trained.exit_code == 0, trained.output
    models = tmp_path / "triage-models"
    version = (models / "current").read_text()
    assert (models / version / "encoder").is_dir() == (epochs is None)

    after = runner.invoke(app, ["triage", "eval", "--data", str(data), "--json"])
    report = json.loads(after.stdout)
    assert report["model_version"] == version
    assert report["n"] == len(ROWS)
    for key in ("category_accuracy", "sentiment_accuracy", "sentiment_direction_accuracy", "priority_accuracy"):
        assert report[key] is not None and 0 <= report[key] <= 1, key
    assert report["category_accuracy"] >= 0.85, "rows it was trained on are read back"
    assert set(report["per_class"]) == {"category", "sentiment_label", "priority"}
    assert report["confusion"]["category"]["bug"]["bug"] >= 2


def test_eval_says_null_for_a_label_the_rows_do_not_have(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRODOPS_DATA_DIR", str(tmp_path))
    data = tmp_path / "categories.jsonl"
    data.write_text(json.dumps({"text": "How do I rotate my API key?", "category": "question"}))
    report = json.loads(CliRunner().invoke(app, ["triage", "eval", "--data", str(data), "--json"]).stdout)
    assert report["sentiment_accuracy"] is None and report["priority_accuracy"] is None
    assert report["sentiment_direction_accuracy"] is None
