"""The shapes the hand-written texts take: a template with {slots}, and a cluster of near-duplicates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from libs.schemas.feedback import Source

Kind = Literal["bug", "feature", "improvement", "question", "complaint", "praise"]
# Which accounts may plausibly have written a text: a churn note only fits a paying account at risk.
Audience = Literal["any", "free", "pro", "paid", "enterprise", "at_risk"]


@dataclass(frozen=True)
class Template:
    """One feedback text; `where` is the repo, team, project or board, depending on the source."""

    kind: Kind
    title: str
    body: str
    tags: tuple[str, ...] = ()
    who: Audience = "any"
    where: str = ""


@dataclass(frozen=True)
class Cluster:
    """Different customers asking for the same thing in their own words; the dedupe ground truth."""

    name: str
    members: tuple[tuple[Source, Template], ...]
    window: tuple[date, date] | None = None
    hours: tuple[int, int] = (7, 20)


def bug(title: str, body: str, *tags: str, who: Audience = "any", where: str = "") -> Template:
    """Something is broken."""
    return Template("bug", title, body, tags, who, where)


def feature(title: str, body: str, *tags: str, who: Audience = "any", where: str = "") -> Template:
    """Something new is wanted."""
    return Template("feature", title, body, tags, who, where)


def improvement(title: str, body: str, *tags: str, who: Audience = "any", where: str = "") -> Template:
    """Something that exists should work better."""
    return Template("improvement", title, body, tags, who, where)


def question(title: str, body: str, *tags: str, who: Audience = "any", where: str = "") -> Template:
    """Someone wants to know something."""
    return Template("question", title, body, tags, who, where)


def complaint(title: str, body: str, *tags: str, who: Audience = "any", where: str = "") -> Template:
    """Someone is unhappy."""
    return Template("complaint", title, body, tags, who, where)


def praise(title: str, body: str, *tags: str, who: Audience = "any", where: str = "") -> Template:
    """Someone is happy."""
    return Template("praise", title, body, tags, who, where)


def cluster(
    name: str,
    *members: tuple[Source, Template],
    window: tuple[date, date] | None = None,
    hours: tuple[int, int] = (7, 20),
) -> Cluster:
    """A cluster of near-duplicates, each member on its own channel; an incident keeps to a few hours of one day."""
    return Cluster(name, members, window, hours)
