"""Turning submitted feedback into received items: ids, timestamps, bulk rows. No I/O."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails

from libs.schemas.events import ContentField, FeedbackReceived, FeedbackUpdate, FeedbackUpdated
from libs.schemas.feedback import FeedbackInput, FeedbackItem

PRODUCER = "ingest"


class FeedbackCreate(FeedbackInput):
    """The body of POST /api/v1/feedback: the unified fields, and nothing unknown."""

    model_config = ConfigDict(extra="forbid")


class RowError(BaseModel):
    row: int
    errors: list[str]


def item_id(submitted: FeedbackInput) -> UUID:
    """A source's own id maps to one hub id forever, so a resent item is the same item."""
    if submitted.source_id:
        return uuid5(NAMESPACE_URL, f"prodops:{submitted.source.value}/{submitted.source_id}")
    return uuid4()


def received_item(submitted: FeedbackInput, now: datetime) -> FeedbackItem:
    return FeedbackItem(
        **submitted.model_dump(exclude={"created_at"}),
        id=item_id(submitted),
        created_at=submitted.created_at or now,
        received_at=now,
    )


def received_event(item: FeedbackItem) -> FeedbackReceived:
    return FeedbackReceived(producer=PRODUCER, correlation_id=item.id, payload=item)


CONTENT: tuple[ContentField, ...] = ("title", "description", "votes", "tags", "status")


def changed_content(announced: FeedbackItem, incoming: FeedbackItem) -> list[ContentField]:
    """What the source changed since the version last announced; [] for a redelivery of the same."""
    return [name for name in CONTENT if getattr(announced, name) != getattr(incoming, name)]


def overtaken(incoming: datetime | None, held: datetime | None) -> bool:
    """Whether a record is older than the version held, by the vendor's own updated-at: a replayed or late delivery,
    whose content must not roll the item back. A record or a held version without a date is never taken for older."""
    return incoming is not None and held is not None and incoming < held


def updated_event(
    announced: FeedbackItem, incoming: FeedbackItem, changed: list[ContentField], now: datetime
) -> FeedbackUpdated:
    """feedback.updated for an item edited at its source: the new version, with the item's own times."""
    item = incoming.model_copy(update={"created_at": announced.created_at, "received_at": announced.received_at})
    update = FeedbackUpdate(item_id=item.id, changed=changed, item=item, updated_at=now)
    return FeedbackUpdated(producer=PRODUCER, correlation_id=item.id, payload=update)


def parse_bulk(body: bytes, content_type: str) -> tuple[list[FeedbackCreate], list[RowError]]:
    """Rows of a JSON array, JSON lines or CSV file; every bad row is named with its reasons."""
    text = body.decode("utf-8-sig")
    if "csv" in content_type:
        raw_rows = [_csv_row(row) for row in csv.DictReader(io.StringIO(text))]
    elif text.lstrip().startswith("["):
        raw_rows = json.loads(text)
        if not all(isinstance(row, dict) for row in raw_rows):
            raise ValueError("a JSON import must be an array of objects")
    else:
        raw_rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    rows: list[FeedbackCreate] = []
    errors: list[RowError] = []
    for number, raw in enumerate(raw_rows, start=1):
        try:
            rows.append(FeedbackCreate.model_validate(raw))
        except ValidationError as error:
            errors.append(RowError(row=number, errors=[_describe(detail) for detail in error.errors()]))
    return rows, errors


def _csv_row(row: dict[str, str]) -> dict[str, object]:
    """CSV is flat: customer_* columns become the customer, tags are ';'-separated, blanks are absent."""
    flat = {key.strip(): value for key, value in row.items() if key and value not in (None, "")}
    customer = {key.removeprefix("customer_"): flat.pop(key) for key in list(flat) if key.startswith("customer_")}
    shaped: dict[str, object] = dict(flat)
    if customer:
        shaped["customer"] = customer
    if "tags" in flat:
        shaped["tags"] = [tag.strip() for tag in flat["tags"].split(";") if tag.strip()]
    return shaped


def _describe(error: ErrorDetails) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "row"
    return f"{where}: {error['msg']}"
