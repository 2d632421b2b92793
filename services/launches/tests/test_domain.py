from datetime import UTC, date, datetime
from uuid import uuid4

from libs.schemas.launches import Launch, LaunchStatus, LaunchType, Team
from services.launches.domain import shipped_at_after, ships_now

NOW = datetime(2026, 11, 27, tzinfo=UTC)
EARLIER = datetime(2026, 10, 1, tzinfo=UTC)


def launch(status: LaunchStatus) -> Launch:
    return Launch(
        id=uuid4(),
        name="SSO",
        type=LaunchType.ENTERPRISE_FEATURE,
        status=status,
        team=Team.ENGINEERING,
        target_date=date(2026, 12, 1),
    )


def test_a_launch_ships_once() -> None:
    assert ships_now(launch(LaunchStatus.SHIPPED), shipped_before=None)
    assert not ships_now(launch(LaunchStatus.SHIPPED), shipped_before=EARLIER)
    assert not ships_now(launch(LaunchStatus.BETA), shipped_before=None)


def test_the_first_shipping_date_is_kept() -> None:
    assert shipped_at_after(launch(LaunchStatus.SHIPPED), None, NOW) == NOW
    assert shipped_at_after(launch(LaunchStatus.AT_RISK), EARLIER, NOW) == EARLIER
    assert shipped_at_after(launch(LaunchStatus.IN_DEV), None, NOW) is None
