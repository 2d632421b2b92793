"""Schema evolution rules for a versioned event: what a v1 consumer may rely on never breaks.

Compatible: a new optional field, a new enum value, a looser constraint. Breaking: a field
removed or renamed, its type changed, a new required field, an enum value removed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from libs.schemas.events import EVENT_TYPES, Envelope

Schema = dict[str, Any]


def event_schema(event_type: type[Envelope]) -> Schema:
    return event_type.model_json_schema(mode="serialization")


def schema_filename(event_type: type[Envelope]) -> str:
    return f"{event_type.TOPIC}.schema.json"


def export(directory: Path) -> list[Path]:
    """Write one JSON Schema file per event into directory."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for event_type in EVENT_TYPES:
        path = directory / schema_filename(event_type)
        path.write_text(json.dumps(event_schema(event_type), indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written


def _resolve(node: Schema, root: Schema) -> Schema:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = root.get("$defs", {})[name]
    return node


def _types(node: Schema, root: Schema) -> set[str]:
    node = _resolve(node, root)
    if "anyOf" in node:
        return set().union(*(_types(option, root) for option in node["anyOf"]))
    if "const" in node:
        return {f"const:{node['const']}"}
    if "enum" in node:
        return {f"enum:{value}" for value in node["enum"]}
    if "type" in node:
        return {node["type"]} if isinstance(node["type"], str) else set(node["type"])
    return {"any"}


def breaking_changes(old: Schema, new: Schema) -> list[str]:
    """Every way in which data of one schema could fail a reader of the other.

    Both directions matter: old readers meet new events, and new code replays old events from
    the topics. Only a new optional field is safe (readers ignore fields they do not know).
    """
    problems: list[str] = []
    _compare(old, old, new, new, "$", problems)
    return problems


def _compare(old: Schema, old_root: Schema, new: Schema, new_root: Schema, path: str, out: list[str]) -> None:
    old, new = _resolve(old, old_root), _resolve(new, new_root)
    old_types, new_types = _types(old, old_root), _types(new, new_root)
    if old_types != new_types and "any" not in old_types | new_types:
        out.append(f"{path}: type changed from {sorted(old_types)} to {sorted(new_types)}")
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name, old_prop in old_props.items():
        if name in new_props:
            _compare(old_prop, old_root, new_props[name], new_root, f"{path}.{name}", out)
        else:
            out.append(f"{path}.{name}: removed")
    for name in sorted(set(new.get("required", [])) - set(old.get("required", []))):
        out.append(f"{path}.{name}: newly required")
    if "items" in old and "items" in new:
        _compare(old["items"], old_root, new["items"], new_root, f"{path}[]", out)
    old_options = {o["$ref"]: o for o in old.get("anyOf", []) if "$ref" in o}
    for option in new.get("anyOf", []):
        if option.get("$ref") in old_options:
            _compare(old_options[option["$ref"]], old_root, option, new_root, path, out)
