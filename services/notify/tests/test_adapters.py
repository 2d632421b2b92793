"""Each channel against a real server on this machine: SMTP (aiosmtpd), and Intercom's and Slack's HTTP APIs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from uuid import uuid4

import httpx
import pytest

from libs.connectors.settings import IntercomSettings, SlackSettings
from libs.runtime.broker import free_port
from libs.schemas.commands import Channel
from libs.schemas.events import Notification
from libs.testing.smtp import smtp_server
from services.notify.adapters import (
    DeliveryFailed,
    EmailNotifier,
    IntercomNotifier,
    SlackNotifier,
    notifiers,
)
from services.notify.delivery import send_with_retries
from services.notify.domain import Planned
from services.notify.settings import NotifySettings
from services.notify.tests.servers import Vendors, vendor_server

NOW = datetime(2026, 11, 27, tzinfo=UTC)


def planned(channel: Channel, address: str) -> Planned:
    notification = Notification(
        id=uuid4(),
        launch_id=uuid4(),
        launch_name="Okta SSO",
        channel=channel,
        customer_email="cto@acme.io",
        customer_company="Acme",
        feedback_ids=[uuid4()],
        message='Hi,\n\nYou asked us for this, and it has shipped: Okta SSO.\n\n> "SSO please"',
        sent_at=NOW,
    )
    return Planned(notification=notification, customer_key=address, address=address, subject="Okta SSO has shipped")


def settings(**fields: object) -> NotifySettings:
    base: dict[str, object] = {"delivery_attempts": 3, "delivery_backoff_seconds": 0.01}
    return NotifySettings.model_validate(base | fields)


@pytest.fixture
def vendors() -> Iterator[Vendors]:
    with vendor_server() as running:
        yield running


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0) as http:
        yield http


async def test_an_email_goes_out_over_smtp_with_a_stable_message_id() -> None:
    message = planned("email", "cto@acme.io")
    with smtp_server() as (mailbox, port):
        await EmailNotifier(settings(smtp_host="127.0.0.1", smtp_port=port, smtp_from="hub@prodops.test")).send(message)
    [received] = mailbox.to("cto@acme.io")
    assert (received["From"], received["Subject"]) == ("hub@prodops.test", "Okta SSO has shipped")
    assert received["Message-ID"] == f"<{message.notification.id}@prodops-hub>"
    assert '> "SSO please"' in received.get_payload()


async def test_an_unreachable_smtp_server_is_retried_then_given_up_with_the_reason() -> None:
    notifier = EmailNotifier(settings(smtp_host="127.0.0.1", smtp_port=free_port(), delivery_timeout_seconds=2))
    failure, attempts = await send_with_retries(notifier, planned("email", "cto@acme.io"), notifier.settings)
    assert attempts == 3
    assert failure is not None and failure.reason.startswith("SMTP unreachable") and failure.kind == "unavailable"


async def test_an_intercom_message_goes_to_the_contact_with_that_email(
    vendors: Vendors, client: httpx.AsyncClient
) -> None:
    vendors.intercom_contacts["cto@acme.io"] = "contact-42"
    configured = settings(
        intercom=IntercomSettings(api_token="tok-123", admin_id="814860", api_url=f"{vendors.url}/intercom")
    )
    await IntercomNotifier(client, configured).send(planned("intercom", "cto@acme.io"))
    [search] = vendors.received("/intercom/contacts/search")
    assert search == {"query": {"field": "email", "operator": "=", "value": "cto@acme.io"}}
    [message] = vendors.received("/intercom/messages")
    assert message["to"] == {"type": "user", "id": "contact-42"}
    assert message["from"] == {"type": "admin", "id": "814860"}
    assert (message["message_type"], message["subject"]) == ("email", "Okta SSO has shipped")
    headers = vendors.requests[-1][2]
    assert headers["authorization"] == "Bearer tok-123" and headers["intercom-version"] == "2.14"


async def test_no_intercom_contact_fails_at_once_and_a_busy_intercom_is_retried(
    vendors: Vendors, client: httpx.AsyncClient
) -> None:
    configured = settings(intercom=IntercomSettings(api_token="tok", admin_id="1", api_url=f"{vendors.url}/intercom"))
    notifier = IntercomNotifier(client, configured)
    failure, attempts = await send_with_retries(notifier, planned("intercom", "nobody@acme.io"), configured)
    assert failure is not None and attempts == 1
    assert (failure.reason, failure.kind) == ("no Intercom contact with the email nobody@acme.io", "refused")
    vendors.intercom_contacts["cto@acme.io"] = "contact-42"
    vendors.unavailable["/intercom/messages"] = 2
    failure, attempts = await send_with_retries(notifier, planned("intercom", "cto@acme.io"), configured)
    assert (failure, attempts) == (None, 3)


async def test_a_slack_post_goes_to_the_channel_and_slack_errors_are_reasons(
    vendors: Vendors, client: httpx.AsyncClient
) -> None:
    configured = settings(slack=SlackSettings(api_token="xoxb-1", api_url=f"{vendors.url}/slack"))
    notifier = SlackNotifier(client, configured)
    await notifier.send(planned("slack", "#acme"))
    [post] = vendors.received("/slack/chat.postMessage")
    assert post["channel"] == "#acme" and "Okta SSO" in post["text"]
    assert vendors.requests[-1][2]["authorization"] == "Bearer xoxb-1"
    vendors.slack_errors["#gone"] = "channel_not_found"
    with pytest.raises(DeliveryFailed) as failed:
        await notifier.send(planned("slack", "#gone"))
    assert (failed.value.reason, failed.value.retry) == ("Slack answered channel_not_found", False)
    vendors.unavailable["/slack/chat.postMessage"] = 5
    failure, attempts = await send_with_retries(notifier, planned("slack", "#acme"), configured)
    assert failure is not None and attempts == 3
    assert (failure.reason, failure.kind) == ("Slack answered 503", "unavailable")


def test_a_channel_is_off_until_configured(client: httpx.AsyncClient) -> None:
    assert list(notifiers(settings(), client)) == ["in_app"]
    everything = settings(
        smtp_host="mail", intercom=IntercomSettings(api_token="t", admin_id="1"), slack=SlackSettings(api_token="x")
    )
    assert list(notifiers(everything, client)) == ["in_app", "email", "intercom", "slack"]
    assert list(notifiers(settings(intercom=IntercomSettings(api_token="t")), client)) == ["in_app"], (
        "Intercom needs the sending admin"
    )


@pytest.mark.parametrize(
    "address", ["cto@acme.io, ceo@acme.io", "cto@acme.io;everyone@acme.io", "cto@acme.io\r\nBcc: all@acme.io", ""]
)
async def test_an_email_address_that_is_not_exactly_one_fails_at_once_and_sends_nothing(address: str) -> None:
    with smtp_server() as (mailbox, port):
        notifier = EmailNotifier(settings(smtp_host="127.0.0.1", smtp_port=port, smtp_from="hub@prodops.test"))
        failure, attempts = await send_with_retries(notifier, planned("email", address), notifier.settings)
    assert failure is not None and failure.reason.startswith("not one email address") and attempts == 1
    assert not mailbox.messages


async def test_a_line_break_in_a_launch_name_stays_inside_the_subject() -> None:
    message = replace(planned("email", "cto@acme.io"), subject="Okta SSO\r\nBcc: all@acme.io has shipped")
    with smtp_server() as (mailbox, port):
        await EmailNotifier(settings(smtp_host="127.0.0.1", smtp_port=port, smtp_from="hub@prodops.test")).send(message)
    [received] = mailbox.to("cto@acme.io")
    assert received["Subject"] == "Okta SSO Bcc: all@acme.io has shipped" and received["Bcc"] is None


async def test_an_intercom_body_shows_customer_html_as_text(vendors: Vendors, client: httpx.AsyncClient) -> None:
    vendors.intercom_contacts["cto@acme.io"] = "contact-42"
    configured = settings(
        intercom=IntercomSettings(api_token="tok-123", admin_id="814860", api_url=f"{vendors.url}/intercom")
    )
    hostile = planned("intercom", "cto@acme.io")
    hostile.notification.message = '> "<img src=x onerror=alert(1)> & more"'
    await IntercomNotifier(client, configured).send(hostile)
    [message] = vendors.received("/intercom/messages")
    assert message["body"] == "&gt; &quot;&lt;img src=x onerror=alert(1)&gt; &amp; more&quot;"


async def test_any_error_of_a_notifier_fails_that_message_with_its_reason() -> None:
    class Broken:
        channel: Channel = "email"

        async def send(self, planned: Planned) -> None:
            raise KeyError("an attribute the vendor did not send")

    failure, attempts = await send_with_retries(Broken(), planned("email", "cto@acme.io"), settings())
    assert failure is not None and failure.reason.startswith("KeyError") and not failure.retry and attempts == 1
