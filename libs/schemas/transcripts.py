"""How a call transcript is written into a feedback item's description, and read back. Pure.

Ingest writes a sales call (Gong, Chorus) as one turn per line, `Speaker [customer]: words` or
`Speaker [internal]: words`, so people read it as a dialogue and triage knows whose words are the
customer's. Triage also reads transcripts that came without roles (`Speaker: words`, from any
source); then nobody is known to be the customer.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class SpeakerRole(StrEnum):
    CUSTOMER = "customer"
    INTERNAL = "internal"
    UNKNOWN = "unknown"


class Turn(BaseModel):
    """What one speaker said before another spoke."""

    model_config = ConfigDict(frozen=True)

    speaker: str = Field(min_length=1, max_length=80)
    role: SpeakerRole = SpeakerRole.UNKNOWN
    text: str


# A speaker label is a short name (up to 6 words, no sentence punctuation), then the role, then ':'.
_TURN = re.compile(
    r"^(?P<speaker>[^\s:\[\]][^:\[\]\n.!?]{0,79}?)"
    r"(?:\s\[(?P<role>customer|internal|unknown)\])?:\s+(?P<text>\S.*)$"
)
_MAX_SPEAKER_WORDS = 6


def _speaker_name(name: str) -> str:
    """One line per turn: a name never carries line breaks, brackets or colons into the label."""
    cleaned = re.sub(r"[\s:\[\]]+", " ", name).strip()
    return cleaned[:80] or "Unknown speaker"


def render(turns: Iterable[Turn]) -> str:
    """The transcript as text: one turn per line, consecutive words of one speaker joined."""
    merged: list[Turn] = []
    for turn in turns:
        text = " ".join(turn.text.split())
        if not text:
            continue
        if merged and merged[-1].speaker == turn.speaker and merged[-1].role == turn.role:
            merged[-1] = merged[-1].model_copy(update={"text": f"{merged[-1].text} {text}"})
        else:
            merged.append(Turn(speaker=_speaker_name(turn.speaker), role=turn.role, text=text))
    return "\n".join(f"{turn.speaker} [{turn.role.value}]: {turn.text}" for turn in merged)


def parse(text: str) -> list[Turn]:
    """The turns of a transcript; a line that names no speaker continues the turn before it."""
    turns: list[Turn] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        match = _TURN.match(line)
        if match and len(match["speaker"].split()) <= _MAX_SPEAKER_WORDS:
            role = SpeakerRole(match["role"]) if match["role"] else SpeakerRole.UNKNOWN
            turns.append(Turn(speaker=match["speaker"].strip(), role=role, text=match["text"].strip()))
        elif turns:
            turns[-1] = turns[-1].model_copy(update={"text": f"{turns[-1].text} {line}"})
    return turns


def is_transcript(text: str, min_chars: int) -> bool:
    """A dialogue worth splitting: long enough, with two speakers who each speak at least twice.

    (A bug template's `Steps: ... Expected: ... Actual: ...` names each label once: not a dialogue.)
    """
    if len(text) < min_chars:
        return False
    turns = Counter(turn.speaker for turn in parse(text))
    return sum(1 for count in turns.values() if count >= 2) >= 2
