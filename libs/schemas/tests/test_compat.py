"""The v1 contracts: the committed JSON Schemas in docs/schemas are what consumers rely on."""

import json
from pathlib import Path
from typing import Any

import pytest

from libs.schemas.compat import breaking_changes, event_schema, schema_filename
from libs.schemas.events import EVENT_TYPES, Envelope

DOCS = Path(__file__).resolve().parents[3] / "docs" / "schemas"


@pytest.mark.parametrize("event_type", EVENT_TYPES, ids=lambda event: event.TOPIC)
def test_v1_schema_is_still_compatible_with_the_published_one(event_type: type[Envelope]) -> None:
    published = json.loads((DOCS / schema_filename(event_type)).read_text())
    problems = breaking_changes(published, event_schema(event_type))
    assert not problems, f"{event_type.TOPIC} changed incompatibly (make a v2 topic instead): {problems}"


def test_every_event_has_a_published_schema() -> None:
    published = {path.name for path in DOCS.glob("*.schema.json")}
    assert {schema_filename(event_type) for event_type in EVENT_TYPES} <= published


BASE = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "score": {"type": "number"},
        "kind": {"$ref": "#/$defs/Kind"},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["id", "score"],
    "$defs": {"Kind": {"enum": ["bug", "praise"], "type": "string"}},
}


def changed(**edits: object) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(json.dumps(BASE))
    for path, value in edits.items():
        *parents, leaf = path.split("__")
        node = schema
        for parent in parents:
            node = node[parent]
        if value is None:
            del node[leaf]
        else:
            node[leaf] = value
    return schema


def test_a_new_optional_field_is_compatible() -> None:
    assert breaking_changes(BASE, changed(properties__extra={"type": "string"})) == []


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        ({"properties__score": None}, "$.score: removed"),
        ({"properties__score": {"type": "string"}}, "$.score: type changed"),
        ({"required": ["id", "score", "kind"]}, "$.kind: newly required"),
        ({"$defs__Kind": {"enum": ["bug"], "type": "string"}}, "$.kind: type changed"),
        ({"$defs__Kind": {"enum": ["bug", "praise", "rant"], "type": "string"}}, "$.kind: type changed"),
        ({"properties__tags": {"type": "array", "items": {"type": "integer"}}}, "$.tags[]: type changed"),
    ],
)
def test_breaking_changes_are_named(edit: dict[str, object], expected: str) -> None:
    problems = breaking_changes(BASE, changed(**edit))
    assert any(problem.startswith(expected) for problem in problems), problems
