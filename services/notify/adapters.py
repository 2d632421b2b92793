"""The channels a notification goes out on, each a plugin behind one interface.

A notifier sends one message or raises DeliveryFailed, saying whether trying again may help
(a timeout, a 5xx, a rate limit) or not (a bad address, a refused token).
"""

from __future__ import annotations

import html
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Any, Protocol

import aiosmtplib
import httpx

from libs.schemas.commands import Channel
from services.notify.domain import Planned
from services.notify.settings import NotifySettings


class DeliveryFailed(Exception):
    def __init__(self, reason: str, *, retry: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry = retry

    @property
    def kind(self) -> str:
        """The reason in one word, for metrics: the channel was away (past the retries), or it refused."""
        return "unavailable" if self.retry else "refused"


class Notifier(Protocol):
    channel: Channel

    async def send(self, planned: Planned) -> None: ...


class InAppNotifier:
    """The hub's own inbox: the stored notification is the message (the gateway shows it)."""

    channel: Channel = "in_app"

    async def send(self, planned: Planned) -> None:
        return None


class EmailNotifier:
    """Email over SMTP."""

    channel: Channel = "email"

    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings

    async def send(self, planned: Planned) -> None:
        settings = self.settings
        message = EmailMessage()
        message["From"] = settings.smtp_from
        message["To"] = one_address(planned.address)
        message["Subject"] = one_line(planned.subject)
        # Stable per notification: the rare resend after a crash mid-send is one message to mail software.
        message["Message-ID"] = f"<{planned.notification.id}@prodops-hub>"
        message.set_content(planned.notification.message)
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        try:
            await aiosmtplib.send(
                message,
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.smtp_username,
                password=password,
                use_tls=settings.smtp_use_tls,
                start_tls=settings.smtp_start_tls,
                timeout=settings.delivery_timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            raise DeliveryFailed(f"recipient refused: {error}", retry=False) from error
        except aiosmtplib.SMTPResponseException as error:
            # 4xx replies are temporary by the SMTP standard; 5xx are final.
            raise DeliveryFailed(f"SMTP {error.code}: {error.message}", retry=error.code < 500) from error
        except (aiosmtplib.SMTPException, OSError) as error:
            raise DeliveryFailed(f"SMTP unreachable: {type(error).__name__}: {error}", retry=True) from error


def one_address(text: str) -> Address:
    """`text` as exactly one email address, or a final failure: an "email" from customer data that lists several
    (a comma, a semicolon) or carries a header break would send to whoever it names."""
    try:
        return Address(addr_spec=text.strip())
    except Exception as error:  # the email package raises ValueError, IndexError or a header defect
        raise DeliveryFailed(f"not one email address: {text[:200]!r}", retry=False) from error


def one_line(text: str) -> str:
    """A header value on one line: a line break in customer text (a launch name) would start a header of its own."""
    return " ".join(text.split())


class _HttpNotifier:
    vendor: str

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def _post(self, url: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        try:
            response = await self.client.post(url, json=body, headers=headers)
        except httpx.HTTPError as error:
            raise DeliveryFailed(f"{self.vendor} unreachable: {type(error).__name__}", retry=True) from error
        if response.status_code == 429 or response.status_code >= 500:
            raise DeliveryFailed(f"{self.vendor} answered {response.status_code}", retry=True)
        if response.status_code >= 400:
            raise DeliveryFailed(f"{self.vendor} answered {response.status_code}: {response.text[:200]}", retry=False)
        result: dict[str, Any] = response.json()
        return result


class IntercomNotifier(_HttpNotifier):
    """An Intercom email from an admin to the contact with the customer's email."""

    channel: Channel = "intercom"
    vendor = "Intercom"

    def __init__(self, client: httpx.AsyncClient, settings: NotifySettings) -> None:
        super().__init__(client)
        intercom = settings.intercom
        assert intercom.api_token is not None and intercom.admin_id is not None
        self.url = intercom.api_url.rstrip("/")
        self.admin_id = intercom.admin_id
        self.headers = {
            "Authorization": f"Bearer {intercom.token()}",
            "Intercom-Version": intercom.api_version,
            "Accept": "application/json",
        }

    async def send(self, planned: Planned) -> None:
        query = {"query": {"field": "email", "operator": "=", "value": planned.address}}
        found = await self._post(f"{self.url}/contacts/search", query, self.headers)
        contacts = found.get("data") or []
        if not contacts:
            raise DeliveryFailed(f"no Intercom contact with the email {planned.address}", retry=False)
        contact = contacts[0]
        body = {
            "message_type": "email",
            "subject": planned.subject,
            # Intercom renders the body as HTML: the text, customer words included, is shown, never interpreted.
            "body": html.escape(planned.notification.message),
            "template": "plain",
            "from": {"type": "admin", "id": self.admin_id},
            "to": {"type": contact.get("role", "user"), "id": contact["id"]},
        }
        await self._post(f"{self.url}/messages", body, self.headers)


class SlackNotifier(_HttpNotifier):
    """A Slack post (chat.postMessage) to the account's channel."""

    channel: Channel = "slack"
    vendor = "Slack"

    def __init__(self, client: httpx.AsyncClient, settings: NotifySettings) -> None:
        super().__init__(client)
        assert settings.slack.api_token is not None
        self.url = f"{settings.slack.api_url.rstrip('/')}/chat.postMessage"
        self.headers = {"Authorization": f"Bearer {settings.slack.token()}"}

    async def send(self, planned: Planned) -> None:
        answer = await self._post(
            self.url, {"channel": planned.address, "text": planned.notification.message}, self.headers
        )
        # Slack answers 200 with ok false for most errors.
        if not answer.get("ok"):
            error = str(answer.get("error", "unknown_error"))
            raise DeliveryFailed(f"Slack answered {error}", retry=error in {"ratelimited", "service_unavailable"})


def notifiers(settings: NotifySettings, client: httpx.AsyncClient) -> dict[Channel, Notifier]:
    """The channels that are configured; the others are off, and nothing is planned on them."""
    enabled: list[Notifier] = [InAppNotifier()]
    if settings.smtp_host:
        enabled.append(EmailNotifier(settings))
    if settings.intercom.api_token and settings.intercom.admin_id:
        enabled.append(IntercomNotifier(client, settings))
    if settings.slack.api_token:
        enabled.append(SlackNotifier(client, settings))
    return {notifier.channel: notifier for notifier in enabled}
