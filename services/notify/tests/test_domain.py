from datetime import UTC, date, datetime
from uuid import uuid4

from libs.schemas.events import ShippedLaunch
from libs.schemas.feedback import Tier
from libs.schemas.launches import Launch, LaunchStatus, LaunchType, Team
from services.notify.domain import Requester, notifications_for

NOW = datetime(2026, 11, 27, tzinfo=UTC)
LAUNCH = Launch(
    id=uuid4(),
    name="Okta SSO",
    type=LaunchType.ENTERPRISE_FEATURE,
    status=LaunchStatus.SHIPPED,
    team=Team.ENGINEERING,
    target_date=date(2026, 11, 20),
)
SHIPPED = ShippedLaunch(launch=LAUNCH, shipped_at=NOW)


def test_each_customer_hears_once_about_all_their_requests() -> None:
    first, second, other = uuid4(), uuid4(), uuid4()
    asked = [
        Requester(first, "it@acme.io", "Acme", Tier.ENTERPRISE),
        Requester(second, "IT@acme.io", "Acme", Tier.ENTERPRISE),
        Requester(other, None, "Initech", Tier.PRO),
    ]
    notifications = notifications_for(SHIPPED, asked, NOW)
    assert len(notifications) == 2
    acme = next(n for n in notifications if n.customer_company == "Acme")
    assert set(acme.feedback_ids) == {first, second}
    assert "2 of your requests" in acme.message and "Okta SSO" in acme.message


def test_notification_ids_are_stable_so_replays_send_nothing_twice() -> None:
    asked = [Requester(uuid4(), "a@b.io", None, None)]
    assert notifications_for(SHIPPED, asked, NOW)[0].id == notifications_for(SHIPPED, asked, NOW)[0].id


def test_anonymous_items_have_nobody_to_tell() -> None:
    assert notifications_for(SHIPPED, [Requester(uuid4(), None, None, None)], NOW) == []
