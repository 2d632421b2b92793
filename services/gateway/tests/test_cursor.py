"""The feedback list's cursor and seek condition, without a database: what a cursor carries and refuses, and
which rows each part of a page asks for (the walk over real data is in test_list_indexes.py)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError
from sqlalchemy import and_
from sqlalchemy.dialects import postgresql, sqlite

from services.gateway import queries
from services.gateway.api.models import FeedbackQuery
from services.gateway.domain import FeedbackCursor, decode_cursor, encode_cursor

AT = datetime(2026, 5, 4, 3, 2, 1, 123456, tzinfo=UTC)
ITEM = UUID("12345678-1234-5678-1234-567812345678")


def cursor(**changes: Any) -> FeedbackCursor:
    changes = {"item_id": ITEM} | changes
    return FeedbackCursor.model_validate({"sort": "arr", "order": "desc", "key": 36_000.5, "created_at": AT} | changes)


def raw(**fields: Any) -> str:
    body = {"sort": "arr", "order": "desc", "key": 1.0, "created_at": AT.isoformat(), "item_id": str(ITEM)} | fields
    return base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "made",
    [
        cursor(),
        cursor(key=None),
        cursor(sort="priority", order="asc", key=4),
        cursor(sort="created_at", key=None),
    ],
)
def test_a_cursor_comes_back_as_it_was_made_and_is_url_safe(made: FeedbackCursor) -> None:
    text = encode_cursor(made)
    assert decode_cursor(text) == made
    assert set(text) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not base64!",
        encode_cursor(cursor())[:-3],  # cut short
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
        raw(extra=1),
        raw(key="36000"),  # strict: a string is no number
        raw(key=True),
        raw(created_at="2026-05-04T03:02:01"),  # no offset
        raw(item_id="item-1"),
        raw(sort="votes"),
        raw(sort="priority", key=5),  # no such rank
        raw(sort="priority", key=2.5),
        raw(sort="created_at", key=1.0),  # created_at carries its key in created_at
    ],
)
def test_anything_else_is_refused_with_a_clear_message(text: str) -> None:
    with pytest.raises(ValueError, match="not a cursor of this list"):
        decode_cursor(text)


def test_a_query_takes_only_a_cursor_made_for_its_sort_and_order() -> None:
    made = encode_cursor(cursor(sort="priority", order="asc", key=3))
    assert FeedbackQuery(sort="priority", order="asc", cursor=made).after == decode_cursor(made)
    for sort, order in (("priority", "desc"), ("arr", "asc"), ("created_at", "asc")):
        with pytest.raises(ValidationError, match="the cursor continues sort=priority&order=asc"):
            FeedbackQuery(sort=sort, order=order, cursor=made)


def sql(part: Any, dialect: Any) -> str:
    condition = and_(*part.conditions)
    return str(condition.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


RANK = (
    "CASE feedback_view.priority WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 END"
)


def test_without_a_cursor_the_items_with_a_key_come_first_then_those_without() -> None:
    parts = queries._parts(FeedbackQuery(sort="priority"))
    assert [part.keyless for part in parts] == [False, True]
    assert [sql(part, sqlite.dialect()) for part in parts] == [
        f"{RANK} IS NOT NULL",
        f"{RANK} IS NULL",
    ]
    assert [part.keyless for part in queries._parts(FeedbackQuery())] == [False]  # every item has created_at


@pytest.mark.parametrize(("order", "before", "after", "tie"), [("desc", "<=", "<", ">"), ("asc", ">=", ">", "<")])
def test_after_a_keyed_cursor_a_page_seeks_past_it_then_reads_every_keyless_item(
    order: str, before: str, after: str, tie: str
) -> None:
    made = encode_cursor(cursor(order=order))
    keyed, keyless = queries._parts(FeedbackQuery(sort="arr", order=order, cursor=made))
    row, at = "(feedback_view.customer_arr, feedback_view.created_at)", "(36000.5, '2026-05-04 03:02:01.123456')"
    item = "'12345678123456781234567812345678'"
    assert sql(keyed, sqlite.dialect()) == (
        f"{row} {before} {at} AND ({row} {after} {at} OR feedback_view.item_id {tie} {item})"
    )
    assert sql(keyless, sqlite.dialect()) == "feedback_view.customer_arr IS NULL"


def test_after_a_keyless_cursor_a_page_reads_only_the_keyless_items_past_it() -> None:
    made = encode_cursor(cursor(key=None))
    (keyless,) = queries._parts(FeedbackQuery(sort="arr", cursor=made))
    text = sql(keyless, postgresql.dialect())
    assert keyless.keyless and text.startswith("feedback_view.customer_arr IS NULL AND (feedback_view.created_at) <=")
    assert "OR feedback_view.item_id > '12345678-1234-5678-1234-567812345678'" in text
