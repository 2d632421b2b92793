"""Telling a record the broker refuses for good from a broker that is down: the rules, on a publisher that fails
as it is told (the real broker's refusal of a large record: ingest's outbox test and test_reply_refused.py)."""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka.errors import (
    KafkaConnectionError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    NotLeaderForPartitionError,
    UnknownError,
)

from libs.runtime.inbox import OutgoingMessage
from libs.runtime.publishing import MAX_BODY_BYTES, is_broker_down, is_refused_for_good, publish_each, too_large


def message(body: str) -> OutgoingMessage:
    return OutgoingMessage(topic="feedback.received.v1", key=None, body=body)


class Broker:
    """Takes every message but those it is told to fail, each with its error (and everything while down)."""

    def __init__(self, failing: dict[str, Exception], down: Exception | None = None) -> None:
        self.failing, self.down = failing, down
        self.taken: list[str] = []

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        if self.down is not None:
            raise self.down
        for each in messages:
            if each.body in self.failing:
                raise self.failing[each.body]
        self.taken += [each.body for each in messages]


def groups(*bodies: str) -> list[tuple[str, list[OutgoingMessage]]]:
    return [(body, [message(body)]) for body in bodies]


async def test_a_record_refused_for_good_is_handed_back_and_the_others_go_out() -> None:
    broker = Broker({"huge": MessageSizeTooLargeError("the message is 2,000,000 bytes")})
    outcome = await publish_each(broker.publish, groups("first", "huge", "next"))
    assert [refusal.subject for refusal in outcome.refused] == ["huge"]
    assert outcome.delivered == ["first", "next"] and outcome.error is None
    assert broker.taken == ["first", "next"]


async def test_an_error_that_only_one_record_meets_is_that_records_own() -> None:
    broker = Broker({"odd": UnknownError("the broker cannot say why")})
    outcome = await publish_each(broker.publish, groups("odd", "fine"))
    assert [refusal.subject for refusal in outcome.refused] == ["odd"] and outcome.delivered == ["fine"]


async def test_an_error_every_record_meets_is_the_brokers_and_sets_nothing_aside() -> None:
    alike = UnknownError("the broker refuses everything")
    outcome = await publish_each(Broker({"a": alike, "b": alike}).publish, groups("a", "b"))
    assert outcome.refused == [] and outcome.delivered == [] and outcome.error is alike


async def test_a_broker_that_is_down_sets_nothing_aside_even_beside_a_refused_record() -> None:
    down = KafkaConnectionError("connection refused")
    outcome = await publish_each(Broker({}, down=down).publish, groups("a", "b"))
    assert (outcome.delivered, outcome.refused, outcome.error) == ([], [], down)


def test_what_passes_is_told_from_what_does_not() -> None:
    for passing in (KafkaConnectionError(), KafkaTimeoutError(), NotLeaderForPartitionError(), TimeoutError()):
        assert is_broker_down(passing) and not is_refused_for_good(passing), passing
    for for_good in (MessageSizeTooLargeError(), UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogate")):
        assert is_refused_for_good(for_good) and not is_broker_down(for_good), for_good


def test_a_body_fits_up_to_the_message_limit_less_room_for_its_headers() -> None:
    assert too_large("x" * MAX_BODY_BYTES) is None
    assert (
        too_large("x" * (MAX_BODY_BYTES + 1))
        == f"the event is {MAX_BODY_BYTES + 1:,} bytes, over the {MAX_BODY_BYTES:,} a message may carry"
    )
    assert too_large("é" * (MAX_BODY_BYTES // 2 + 1)) is not None, "bytes count, not characters"
