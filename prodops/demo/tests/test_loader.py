from datetime import UTC, datetime

from libs.schemas.feedback import FeedbackInput
from prodops.demo.loader import as_of_yesterday

NOW = datetime(2026, 11, 27, 15, 30, tzinfo=UTC)


def test_the_demo_reads_as_if_its_newest_item_came_yesterday() -> None:
    items = [
        FeedbackInput(title="old", created_at=datetime(2026, 1, 10, 9, 0, tzinfo=UTC)),
        FeedbackInput(title="newest", created_at=datetime(2026, 11, 19, 18, 45, tzinfo=UTC)),
        FeedbackInput(title="undated"),
    ]
    shifted = as_of_yesterday(items, NOW)
    assert shifted[1].created_at == datetime(2026, 11, 26, 18, 45, tzinfo=UTC)
    assert shifted[0].created_at == datetime(2026, 1, 17, 9, 0, tzinfo=UTC), "every item moves by the same days"
    assert shifted[2].created_at is None
