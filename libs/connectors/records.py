"""Reading vendors' JSON: paths through nested objects and timestamps in any of the vendors' spellings."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import AwareDatetime, ValidationError

JSON = dict[str, Any]
Stamp = str | int | float | None
"""A vendor's timestamp as it sends it (ISO-8601, or Unix seconds or milliseconds); read with `when`."""


def dig(value: Any, *path: str) -> Any:
    """The value at a path through nested JSON objects, or None where the path breaks off."""
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def text_at(value: Any, *path: str) -> str | None:
    """The string at a path through nested JSON objects, or None."""
    found = dig(value, *path)
    return found if isinstance(found, str) else None


def objects(value: Any) -> list[JSON]:
    """The JSON objects in a list; anything else in it, or a value that is no list, gives nothing."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def moment(value: str | int | float | None) -> datetime | None:
    """A vendor's timestamp: Unix seconds or milliseconds, or ISO-8601; None when unreadable."""
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = None
    try:
        if number is not None:
            return datetime.fromtimestamp(number / 1000 if number > 1e11 else number, UTC)
        parsed = datetime.fromisoformat(str(value).strip())
    except (ValueError, OverflowError, OSError):
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def when(value: Any) -> AwareDatetime | None:
    """A vendor's creation or change time, or None when it has none we can read."""
    return moment(value) if isinstance(value, str | int | float) else None


def filled(person: JSON, found: JSON) -> JSON:
    """A person as a record names them, with the blanks filled from a second look-up."""
    known = {key: value for key, value in person.items() if value}
    return {key: value for key, value in found.items() if value} | known


def problem_of(error: ValueError) -> str:
    """Why a record is refused, in one line: each bad field with what is wrong with it."""
    if isinstance(error, ValidationError):
        return "; ".join(
            f"{error.title}.{'.'.join(str(part) for part in detail['loc']) or '(root)'}: {detail['msg']}"
            for detail in error.errors()
        )
    return str(error)
