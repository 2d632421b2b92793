"""Every verdict says whether a person needs to look: at the thresholds stored with the model version."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

import numpy as np
import pytest

from libs.ml.embeddings import MiniLMEmbedder
from libs.runtime.testing import UNUSED_BOOTSTRAP, in_memory, quick_settings
from libs.schemas.events import CustomerMatch, EnrichedFeedback, FeedbackEnriched, FeedbackTriaged, utcnow
from libs.schemas.feedback import AITriage, FeedbackItem, ReviewedField, ReviewState
from services.triage import training
from services.triage.app import create_app
from services.triage.calibration import Calibration, FieldCalibration
from services.triage.evaluation import LabelledRow
from services.triage.settings import TriageSettings

pytestmark = [pytest.mark.model]

ROWS = [
    LabelledRow(text="Checkout crashes with error 500", category="bug", sentiment_label="negative"),
    LabelledRow(text="The app crashes when I open settings", category="bug", sentiment_label="negative"),
    LabelledRow(text="Please add an export to CSV", category="feature_request", sentiment_label="neutral"),
    LabelledRow(text="Please add a dark theme", category="feature_request", sentiment_label="neutral"),
    LabelledRow(text="Thank you, this release is fantastic", category="praise", sentiment_label="positive"),
    LabelledRow(text="Love the new dashboard, great work", category="praise", sentiment_label="positive"),
]


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> TriageSettings:
    return quick_settings(TriageSettings, UNUSED_BOOTSTRAP, tmp_path, database_url)


def enriched(title: str) -> FeedbackEnriched:
    now = utcnow()
    item = FeedbackItem(id=uuid4(), title=title, created_at=now, received_at=now)
    return FeedbackEnriched(
        producer="test", payload=EnrichedFeedback(item=item, match=CustomerMatch(matched_by="email", known=False))
    )


async def verdict_of(settings: TriageSettings, title: str) -> AITriage:
    event = enriched(title)
    async with in_memory(create_app(settings)) as bus:
        await bus.publish(event)
        [triaged] = [reply for reply in bus.published(FeedbackTriaged) if reply.causation_id == event.event_id]
    return triaged.payload.ai_triage


async def test_the_examples_heads_ask_a_person_about_every_field(settings: TriageSettings) -> None:
    verdict = await verdict_of(settings, "The export crashes with error 500")
    review = verdict.review
    assert verdict.model_version == "local-seed-1" and review is not None
    assert review.state == ReviewState.NEEDS_REVIEW, "no thresholds measured for the examples' heads"
    assert [field.field for field in review.fields] == [ReviewedField.CATEGORY, ReviewedField.SENTIMENT]
    category = review.fields[0]
    assert category.threshold is None and len(category.answers) == 2
    assert category.answers[0].label == verdict.category and category.answers[0].probability == pytest.approx(
        verdict.confidence.category, abs=1e-3
    )
    assert category.answers[0].probability >= category.answers[1].probability


async def test_a_version_sure_of_every_field_applies_its_verdict(settings: TriageSettings) -> None:
    texts = [row.text for row in ROWS]
    heads = training.fit_heads(ROWS, np.asarray(MiniLMEmbedder.load().embed(texts)))
    # Thresholds that every confidence clears: as a version trained on rows it reads surely would store them.
    sure = Calibration(category=FieldCalibration(threshold=0.0), sentiment=FieldCalibration(threshold=0.0))
    info = training.ModelInfo(
        version="local-sure", trained_at=utcnow(), rows=len(ROWS), heads=[], sources=[], calibration=sure
    )
    training.save(heads, settings.model_directory(), info)

    verdict = await verdict_of(settings, "The app crashes with error 500 on checkout")
    assert verdict.model_version == "local-sure"
    assert verdict.review is not None and verdict.review.state == ReviewState.AUTO and verdict.review.fields == []
