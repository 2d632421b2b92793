"""A vendor's value longer than the unified model takes is cut where a cut keeps its sense, never a reason to refuse
the record: a tag keeps its first characters (a link too long for people is left out: base.web_url)."""

from __future__ import annotations

from typing import Any

from libs.schemas.feedback import MAX_TAG_LENGTH, MAX_TAGS
from services.ingest.connectors import REGISTRY
from services.ingest.tests.connectors.vendors import BY_SOURCE


def github_issue(**changes: Any) -> dict[str, Any]:
    issue: dict[str, Any] = BY_SOURCE["github"].feedback["issue"]
    return issue | changes


def test_long_and_many_labels_become_bounded_tags() -> None:
    labels = [{"name": f"{number} area: {'reporting ' * 40}"} for number in range(30)]
    item = REGISTRY["github"]().transform_to_standard(github_issue(labels=labels))
    assert len(item.tags) == MAX_TAGS
    assert all(len(tag) <= MAX_TAG_LENGTH and tag == tag.strip() for tag in item.tags)
    assert item.tags[0].startswith("0 area: reporting reporting")
