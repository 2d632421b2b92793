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
    # Too few rows to hold any out for a threshold: every verdict is reviewed.
    assert report["auto_apply"] == {
        "category": {"threshold": None, "coverage": 0.0, "accuracy": None},
        "sentiment_direction": {"threshold": None, "coverage": 0.0, "accuracy": None},
    }
    assert set(report["calibration"]) == {"category_ece", "sentiment_ece"}
    assert all(0 <= error <= 1 for error in report["calibration"].values())


# Three kinds of item in words of their own, each kind with its own sentiment: a model reads them surely and rightly.
KINDS = [
    ("bug", "negative", "The {} crashes with an error every time"),
    ("feature_request", "neutral", "Please add an option to export the {}"),
    ("praise", "positive", "Thank you, the new {} is wonderful"),
]
THINGS = [
    "dashboard", "editor", "invoice page", "search bar", "settings panel", "report builder", "calendar",
    "inbox", "upload form", "billing screen", "chart view", "team directory", "audit log", "sidebar",
    "login page", "profile page", "api console", "webhook list", "notes view", "task board",
    "file browser", "timeline", "status page", "help center", "admin panel", "sync screen", "map view",
    "playground", "checkout", "onboarding flow", "dark theme", "mobile app", "desktop app", "command palette",
    "import wizard", "share dialog", "comment thread", "activity feed", "data table", "alert center",
]  # fmt: skip


def test_train_chooses_thresholds_on_held_out_folds_and_eval_reports_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRODOPS_DATA_DIR", str(tmp_path))
    data = tmp_path / "labelled.jsonl"
    rows = [
        {"text": template.format(thing), "category": category, "sentiment_label": sentiment}
        for category, sentiment, template in KINDS
        for thing in THINGS
    ]
    data.write_text("\n".join(json.dumps(row) for row in rows))
    runner = CliRunner()

    trained = runner.invoke(app, ["triage", "train", "--data", str(data), "--epochs", "0"])
    assert trained.exit_code == 0, trained.output
    assert "applied without review from confidence" in trained.stdout
    models = tmp_path / "triage-models"
    info = json.loads((models / (models / "current").read_text() / "info.json").read_text())
    stored = info["calibration"]
    assert stored["folds"] == 5 and stored["category"]["held_out_rows"] == len(rows)
    assert stored["sentiment"]["held_out_rows"] == 2 * len(THINGS), "direction: positive and negative rows only"

    report = json.loads(runner.invoke(app, ["triage", "eval", "--data", str(data), "--json"]).stdout)
    for field, chosen in (("category", stored["category"]), ("sentiment_direction", stored["sentiment"])):
        applied = report["auto_apply"][field]
        assert applied["threshold"] == chosen["threshold"] is not None, "eval keeps the stored threshold"
        assert 0.9 <= applied["coverage"] <= 1 and applied["accuracy"] == 1.0, applied
    assert 0 <= report["calibration"]["category_ece"] <= 0.2


def test_eval_says_null_for_a_label_the_rows_do_not_have(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRODOPS_DATA_DIR", str(tmp_path))
    data = tmp_path / "categories.jsonl"
    data.write_text(json.dumps({"text": "How do I rotate my API key?", "category": "question"}))
    report = json.loads(CliRunner().invoke(app, ["triage", "eval", "--data", str(data), "--json"]).stdout)
    assert report["sentiment_accuracy"] is None and report["priority_accuracy"] is None
    assert report["sentiment_direction_accuracy"] is None
