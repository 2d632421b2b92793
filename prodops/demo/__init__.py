"""The demo data set of a fictional AI platform (Aster Labs): customers, feedback and launches.

`prodops up` loads it on first start and tests use it; `python -m prodops.demo.generate` rewrites the files.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import TypeAdapter

from libs.schemas.feedback import FeedbackInput
from libs.schemas.launches import Launch

DATA_DIR = Path(__file__).parent / "data"


def customers_file() -> Path:
    """The CRM export (CSV: id, company, domain, email, tier, arr, health_score), for the customers import."""
    return DATA_DIR / "customers.csv"


def feedback() -> list[FeedbackInput]:
    """Every feedback item, oldest first, validated."""
    with (DATA_DIR / "feedback.jsonl").open(encoding="utf-8") as handle:
        return [FeedbackInput.model_validate_json(line) for line in handle if line.strip()]


def launches() -> list[Launch]:
    """The roadmap, validated; feedback and themes are linked by the loader, not here."""
    return TypeAdapter(list[Launch]).validate_json((DATA_DIR / "launches.json").read_bytes())


def duplicate_clusters() -> dict[str, list[str]]:
    """Labelled near-duplicates: cluster name to the source_ids of its items (ground truth for dedupe)."""
    return json.loads((DATA_DIR / "duplicate_clusters.json").read_text(encoding="utf-8"))
