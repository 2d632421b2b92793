"""`prodops triage train|eval`: calibrate the local engine on labelled rows, and score it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.database import database_url, make_engine
from libs.schemas.events import utcnow
from libs.schemas.feedback import sentiment_label
from services.triage import calibration, domain, evaluation, storage
from services.triage.finetune import FineTuneOptions
from services.triage.settings import TriageSettings

T = TypeVar("T")
app = typer.Typer(help="The triage engine: calibrate it on your labelled history, and score it.", no_args_is_help=True)
console = Console(stderr=True)

# Fine-tuning is the default: on held-out rows it reads sentiment direction 0.863, the heads on the
# bundled encoder 0.750 there (0.814 in 5 folds with the lexicon; docs/triage.md). It is bounded by
# time as well as by epochs.
FINE_TUNE = FineTuneOptions()

DataFiles = Annotated[
    list[Path], typer.Option("--data", exists=True, dir_okay=False, help="A JSON lines file of labelled rows.")
]


class Prediction(BaseModel):
    category: str
    category_confidence: float
    sentiment_label: str
    sentiment_confidence: float
    priority: str


def predict(texts: list[str], settings: TriageSettings) -> tuple[list[Prediction], str, domain.AutoThresholds]:
    """The current local engine's reading of each text, as `eval` scores it, its version and its stored thresholds."""
    from libs.ml.embeddings import MiniLMEmbedder
    from services.triage.engines import LocalEngine

    engine = LocalEngine.load(MiniLMEmbedder.load(), settings.model_directory())
    predictions = []
    for assessment, text in zip(engine.assess_now(texts), texts, strict=True):
        reading = domain.apply_rules(text, assessment.reading)
        label = sentiment_label(domain.sentiment_score(reading))
        # Rows carry no customer, so their priority is the text's own: its severity band.
        priority = domain.PRIORITY_OF_SEVERITY[assessment.severity]
        predictions.append(
            Prediction(
                category=reading.category.value,
                category_confidence=reading.category_confidence,
                sentiment_label=label.value,
                sentiment_confidence=reading.sentiment_confidence,
                priority=priority.value,
            )
        )
    return predictions, engine.version, engine.calibration.thresholds()


@app.command("eval")
def evaluate(
    data: DataFiles,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """Score the current engine against labelled rows: accuracy per field, per class, confusion; and, at the
    thresholds stored with the engine's version, how many rows it would apply without a look and how often
    those are right, and how far its confidence is from its accuracy (expected calibration error)."""

    rows = evaluation.read_rows(data)
    predictions, version, thresholds = predict([row.text for row in rows], TriageSettings())
    report: dict[str, object] = {"n": len(rows), "model_version": version, "targets": evaluation.TARGETS}
    per_class: dict[str, object] = {}
    confusion: dict[str, object] = {}
    for field, key in (
        ("category", "category_accuracy"),
        ("sentiment_label", "sentiment_accuracy"),
        ("priority", "priority_accuracy"),
    ):
        pairs = [
            (getattr(row, field).value, getattr(p, field))
            for row, p in zip(rows, predictions, strict=True)
            if getattr(row, field)
        ]
        if not pairs:
            report[key] = None
            continue
        truth, predicted = [t for t, _ in pairs], [p for _, p in pairs]
        field_report = evaluation.field_report(truth, predicted)
        report[key] = field_report.accuracy
        per_class[field] = {label: score.model_dump() for label, score in field_report.per_class.items()}
        confusion[field] = field_report.confusion
        if field == "sentiment_label":
            direction = evaluation.direction_accuracy(truth, predicted)
            report["sentiment_direction_accuracy"] = round(direction, 4) if direction is not None else None
        if field == "priority":
            report["critical_false_negatives"] = [
                row.text[:120]
                for row, p in zip(rows, predictions, strict=True)
                if row.priority and row.priority.value == "critical" and p.priority != "critical"
            ]
    report.setdefault("sentiment_direction_accuracy", None)
    report["per_class"], report["confusion"] = per_class, confusion
    report |= confidence_report(rows, predictions, thresholds)
    if as_json:
        typer.echo(json.dumps(report))
        return
    table = Table(title=f"{len(rows)} rows, engine {version}")
    for column in ("measure", "value", "target"):
        table.add_column(column)
    for key in ("category_accuracy", "sentiment_accuracy", "sentiment_direction_accuracy", "priority_accuracy"):
        value = report.get(key)
        target = evaluation.TARGETS.get(key)
        table.add_row(key, "-" if value is None else f"{value:.3f}", "" if target is None else f"{target:.2f}")
    Console().print(table)
    shown = ("per_class", "confusion", "auto_apply", "calibration")
    Console().print_json(json.dumps({key: report[key] for key in shown}))


def confidence_report(
    rows: list[evaluation.LabelledRow], predictions: list[Prediction], thresholds: domain.AutoThresholds
) -> dict[str, object]:
    """eval's `auto_apply` (per field: the stored threshold, the share of scored rows reaching it, their accuracy)
    and `calibration` (expected calibration error; sentiment's over every row labelled with one)."""
    category = [
        (p.category_confidence, row.category.value == p.category)
        for row, p in zip(rows, predictions, strict=True)
        if row.category
    ]
    sentiment = [
        (p.sentiment_confidence, row.sentiment_label.value == p.sentiment_label)
        for row, p in zip(rows, predictions, strict=True)
        if row.sentiment_label
    ]
    direction = [
        (p.sentiment_confidence, row.sentiment_label.value == p.sentiment_label)
        for row, p in zip(rows, predictions, strict=True)
        if row.sentiment_label and row.sentiment_label.value in evaluation.DIRECTIONAL
    ]

    def error(scored: list[tuple[float, bool]]) -> float | None:
        return round(calibration.expected_calibration_error(*calibration.columns(scored)), 4) if scored else None

    return {
        "auto_apply": {
            "category": calibration.auto_applied(*calibration.columns(category), thresholds.category).model_dump(),
            "sentiment_direction": calibration.auto_applied(
                *calibration.columns(direction), thresholds.sentiment
            ).model_dump(),
        },
        "calibration": {"category_ece": error(category), "sentiment_ece": error(sentiment)},
    }


@app.command()
def train(
    data: DataFiles,
    include_overrides: Annotated[bool, typer.Option(help="Also learn from people's corrections in the hub.")] = True,
    epochs: Annotated[
        int,
        typer.Option(min=0, help="Fine-tune the encoder this many epochs (0: heads alone, bundled encoder)."),
    ] = FINE_TUNE.epochs,
    max_minutes: Annotated[
        float, typer.Option(min=0.1, help="Stop fine-tuning after this many minutes, epochs done or not.")
    ] = FINE_TUNE.max_minutes,
) -> None:
    """Fit the local engine on labelled rows (and the hub's overrides); the service picks the new version up."""
    import numpy as np

    from libs.ml.embeddings import MiniLMEmbedder
    from services.triage import training

    settings = TriageSettings()
    targets = settings.triage_auto_precision
    rows = evaluation.read_rows(data)
    if include_overrides:
        rows += asyncio.run(_override_rows(settings))
    encoder = summary = None
    if epochs:
        with console.status(
            f"Fine-tuning the encoder on {len(rows)} rows ({epochs} epochs, {max_minutes} min at most)..."
        ):
            heads, encoder, summary, calibrated = training.fit_fine_tuned(
                rows, FineTuneOptions(epochs=epochs, max_minutes=max_minutes), targets
            )
    else:
        with console.status(f"Embedding {len(rows)} rows..."):
            embeddings = np.asarray(MiniLMEmbedder.load().embed([row.text for row in rows]))
        with console.status(f"Fitting the heads, and calibrating them on {training.CALIBRATION_FOLDS} folds..."):
            heads, calibrated = training.fit_calibrated(rows, embeddings, targets)
    info = training.ModelInfo(
        version=training.new_version("local"),
        trained_at=utcnow(),
        rows=len(rows),
        heads=sorted(heads.classifiers),
        sources=[str(path) for path in data],
        fine_tuned=summary,
        calibration=calibrated,
    )
    target = training.save(heads, settings.model_directory(), info, encoder)
    tuned = (
        f", encoder fine-tuned for {summary.report.epochs} epochs in {summary.report.seconds:.0f} s" if summary else ""
    )
    typer.echo(f"model {info.version} ({', '.join(info.heads)}{tuned}) trained on {len(rows)} rows: {target}")
    for name, field in (("category", calibrated.category), ("sentiment direction", calibrated.sentiment)):
        typer.echo(f"  {name}: {_auto_apply_line(field)}")


@app.command("shadow-report")
def shadow_report(as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False) -> None:
    """Where the AI and the people who triaged at the source disagree (shadow mode's report)."""
    pairs = asyncio.run(_with_session(TriageSettings(), storage.verdicts_beside_human_triage)) or []
    report: dict[str, object] = {"n": len(pairs)}
    for field in ("category", "priority"):
        compared = [
            (getattr(item.item, field).value, getattr(verdict, field).value, item.item)
            for item, verdict in pairs
            if getattr(item.item, field) is not None
        ]
        if not compared:
            continue
        agreement = evaluation.field_report([human for human, _, _ in compared], [ai for _, ai, _ in compared])
        report[field] = {
            "agreement": agreement.accuracy,
            "confusion": agreement.confusion,
            "disagreements": [
                {"item_id": str(item.id), "title": item.title, "human": human, "ai": ai}
                for human, ai, item in compared
                if human != ai
            ],
        }
    if as_json:
        typer.echo(json.dumps(report))
    else:
        Console().print_json(json.dumps(report))


def _auto_apply_line(field: calibration.FieldCalibration) -> str:
    """What `train` chose for one field, as a person reads it."""
    held_out = field.held_out
    if field.target_precision is None or held_out is None:
        return "every verdict reviewed (not calibrated: too few rows to hold any out)"
    if field.threshold is None or held_out.coverage is None:
        return f"every verdict reviewed (no confidence reached {field.target_precision} on held-out rows)"
    return (
        f"applied without review from confidence {field.threshold:.3f}: on {field.held_out_rows} held-out rows, "
        f"{held_out.coverage:.0%} of them, {held_out.accuracy} right (target {field.target_precision})"
    )


async def _with_session(settings: TriageSettings, query: Callable[[AsyncSession], Awaitable[T]]) -> T | None:
    """Run a query on the triage service's database, or None when the service never ran on it."""
    url = database_url(settings, "triage")
    if url.startswith("sqlite") and not (settings.data_dir / "triage.db").exists():
        return None
    engine = make_engine(url, "triage")
    try:
        async with engine.connect() as connection, AsyncSession(connection) as session:
            return await query(session)
    except (OperationalError, ProgrammingError) as error:  # no tables: the service never ran on this database
        console.print(f"[yellow]Nothing read from the triage database: {type(error).__name__}[/]")
        return None
    finally:
        await engine.dispose()


async def _override_rows(settings: TriageSettings) -> list[evaluation.LabelledRow]:
    """People's corrections stored by the triage service, when its database is there."""
    corrected = await _with_session(settings, storage.training_rows) or []
    return [
        evaluation.LabelledRow(text=text, category=category, priority=priority)
        for text, category, priority in corrected
    ]
