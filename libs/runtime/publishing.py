"""Publishing when the broker may refuse a record for good, not only for a while.

A broker that is down (or a partition leader that moves) refuses everything for a while: the caller tries
again later (an outbox's next run, a consumer's redelivery). A record can also be refused for a reason of its
own that no retry changes: larger than the producer's limit (MAX_MESSAGE_BYTES), not encodable, or an error no
other record meets. Sent again and again, such a record would hold up everything behind it; so it is handed back
with its reason, for the caller to set aside (an outbox) or dead-letter (a consumer), and the rest go on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import structlog
from aiokafka.errors import (
    CorruptRecordException,
    InvalidMessageError,
    KafkaError,
    KafkaTimeoutError,
    KafkaUnavailableError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
)

from libs.runtime.inbox import OutgoingMessage
from libs.runtime.settings import MAX_MESSAGE_BYTES

T = TypeVar("T")
Publish = Callable[[Sequence[OutgoingMessage]], Awaitable[None]]

log = structlog.get_logger()

# What a record carries besides its body: its key, its headers (content type, producer, trace context), its framing.
RECORD_ROOM_BYTES = 4_096
MAX_BODY_BYTES = MAX_MESSAGE_BYTES - RECORD_ROOM_BYTES

# Refusals of the record itself: sent again, it is refused again.
_REFUSED_FOR_GOOD = (
    MessageSizeTooLargeError,
    RecordTooLargeError,
    RecordListTooLargeError,
    CorruptRecordException,
    InvalidMessageError,
    UnicodeError,
)


def too_large(body: str) -> str | None:
    """Why a message body cannot go out as one record, or None when it fits."""
    size = len(body.encode())
    if size <= MAX_BODY_BYTES:
        return None
    return f"the event is {size:,} bytes, over the {MAX_BODY_BYTES:,} a message may carry"


def is_broker_down(error: BaseException) -> bool:
    """A failure of the broker or of the way to it, which passes: everything is refused alike meanwhile."""
    if isinstance(error, KafkaError):
        return bool(error.retriable) or isinstance(error, KafkaTimeoutError | KafkaUnavailableError)
    return isinstance(error, OSError | TimeoutError)


def is_refused_for_good(error: BaseException) -> bool:
    """A refusal of the record itself (too large, not encodable): no retry changes it."""
    return isinstance(error, _REFUSED_FOR_GOOD)


def describe(error: BaseException, limit: int = 500) -> str:
    """An error as a reason a person reads: its type and message, cut to `limit` characters."""
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class Refusal(Generic[T]):
    subject: T
    error: BaseException


@dataclass
class Outcome(Generic[T]):
    """What went out, what the broker refuses for good, and why the rest (if any) did not go out."""

    delivered: list[T] = field(default_factory=list)
    refused: list[Refusal[T]] = field(default_factory=list)
    # The broker's own failure (down, or refusing every record alike): the subjects neither delivered nor refused
    # are to be published again later.
    error: BaseException | None = None


async def publish_each(publish: Publish, groups: Sequence[tuple[T, Sequence[OutgoingMessage]]]) -> Outcome[T]:
    """Publish every group's messages with one wait for them all; if the broker refuses the lot and is not down, a
    group at a time, so that a group it refuses for good does not hold up the others.

    A group is refused for good for an error of its own: too large, not encodable, or an error that other groups,
    published beside it, did not meet. An error every group meets is the broker's, as is a broker that is down:
    nothing is refused for it, and the groups not delivered are to be published later. A group published before the
    lot failed may go out twice: consumers are idempotent on event_id.
    """
    try:
        await publish([message for _, messages in groups for message in messages])
    except Exception as error:
        if is_broker_down(error):
            return Outcome(error=error)
        log.warning("the broker refused a batch; publishing it one group at a time", size=len(groups))
    else:
        return Outcome(delivered=[subject for subject, _ in groups])

    outcome = Outcome[T]()
    failed: list[Refusal[T]] = []
    for subject, messages in groups:
        try:
            await publish(messages)
        except Exception as error:
            if is_broker_down(error):
                outcome.error = error
                break
            failed.append(Refusal(subject, error))
        else:
            outcome.delivered.append(subject)
    for refusal in failed:
        # An error that no other group met is this group's own; met by every group, it is the broker's.
        if is_refused_for_good(refusal.error) or outcome.delivered:
            outcome.refused.append(refusal)
        elif outcome.error is None:
            outcome.error = refusal.error
    return outcome
