"""Every vendor's signature scheme, from the raw bytes: valid, forged, tampered, stale, unconfigured."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from services.ingest.connectors import REGISTRY, Connector, load_connectors
from services.ingest.connectors.github import GitHub, GitHubSettings
from services.ingest.connectors.gong import Gong, GongSettings
from services.ingest.connectors.requests import WebhookRequest
from services.ingest.connectors.signatures import Refusal, RefusalKind, sha256_hex
from services.ingest.settings import IngestSettings
from services.ingest.tests.connectors.vendors import VENDORS, Delivery, Vendor

SECRET = "wh-secret-0123456789"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
ids = [vendor.source for vendor in VENDORS]


def connector_for(source: str, secret: str | None = SECRET) -> Connector:
    cls = REGISTRY[source]
    return cls(cls.settings_type(webhook_secret=SecretStr(secret) if secret else None))


def arrived(delivery: Delivery, body: bytes | None = None) -> WebhookRequest:
    return WebhookRequest(
        method="POST",
        url=delivery.url,
        body=delivery.body if body is None else body,
        headers={name.lower(): value for name, value in delivery.headers.items()},
        query=delivery.query,
    )


def test_every_source_of_the_interface_has_a_connector() -> None:
    names = "intercom zendesk helpscout linear github canny jira gong chorus hubspot salesforce"
    assert set(REGISTRY) == set(names.split())


@pytest.mark.parametrize("vendor", VENDORS, ids=ids)
def test_a_validly_signed_delivery_is_accepted(vendor: Vendor) -> None:
    delivery = vendor.deliver(SECRET, vendor.feedback or vendor.ignored, NOW)
    assert connector_for(vendor.source).verify(arrived(delivery), NOW) is None


@pytest.mark.parametrize("vendor", VENDORS, ids=ids)
def test_a_delivery_signed_with_another_secret_is_refused(vendor: Vendor) -> None:
    delivery = vendor.deliver("not-the-secret", vendor.feedback or vendor.ignored, NOW)
    assert connector_for(vendor.source).verify(arrived(delivery), NOW)


@pytest.mark.parametrize(
    "vendor", [v for v in VENDORS if v.body_signed], ids=[v.source for v in VENDORS if v.body_signed]
)
def test_a_tampered_body_is_refused(vendor: Vendor) -> None:
    delivery = vendor.deliver(SECRET, vendor.feedback or vendor.ignored, NOW)
    problem = connector_for(vendor.source).verify(arrived(delivery, delivery.body + b" "), NOW)
    assert problem and problem.kind == RefusalKind.SIGNATURE and "does not match" in problem.reason


@pytest.mark.parametrize("vendor", VENDORS, ids=ids)
def test_a_delivery_without_its_signature_is_refused(vendor: Vendor) -> None:
    delivery = vendor.deliver(SECRET, vendor.feedback or vendor.ignored, NOW)
    bare = WebhookRequest(method="POST", url=delivery.url.split("?")[0], body=delivery.body)
    assert connector_for(vendor.source).verify(bare, NOW)


@pytest.mark.parametrize("vendor", VENDORS, ids=ids)
def test_a_source_without_a_secret_refuses_its_webhooks(vendor: Vendor) -> None:
    delivery = vendor.deliver(SECRET, vendor.feedback or vendor.ignored, NOW)
    problem = connector_for(vendor.source, secret=None).verify(arrived(delivery), NOW)
    assert problem and problem.kind == RefusalKind.NOT_CONFIGURED
    assert f"PRODOPS_{vendor.source.upper()}_WEBHOOK_SECRET" in problem.reason


TIMESTAMPED = [vendor for vendor in VENDORS if vendor.timestamped]


@pytest.mark.parametrize("vendor", TIMESTAMPED, ids=[v.source for v in TIMESTAMPED])
def test_a_stale_delivery_is_refused_even_when_signed(vendor: Vendor) -> None:
    connector = connector_for(vendor.source)
    window = timedelta(seconds=connector.settings.replay_window_seconds)
    delivery = vendor.deliver(SECRET, vendor.feedback or vendor.ignored, NOW - window - timedelta(seconds=5))
    problem = connector.verify(arrived(delivery), NOW)
    assert problem and problem.kind == RefusalKind.STALE and "replay window" in problem.reason
    just_inside = vendor.deliver(SECRET, vendor.feedback or vendor.ignored, NOW - window + timedelta(seconds=5))
    assert connector.verify(arrived(just_inside), NOW) is None


def test_linear_keeps_the_sdks_60_second_window() -> None:
    assert connector_for("linear").settings.replay_window_seconds == 60


def test_github_documented_test_vector() -> None:
    # docs.github.com "Validating webhook deliveries": this secret and payload give this signature.
    github = GitHub(GitHubSettings(webhook_secret=SecretStr("It's a Secret to Everybody")))
    signature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    request = WebhookRequest("POST", "http://x", b"Hello, World!", {"x-hub-signature-256": signature})
    assert github.verify(request, NOW) is None
    forged = WebhookRequest("POST", "http://x", b"Hello, World!", {"x-hub-signature-256": signature[:-1] + "0"})
    assert github.verify(forged, NOW) == Refusal(RefusalKind.SIGNATURE, "x-hub-signature-256 does not match the body")


def test_a_non_ascii_signature_is_refused_not_crashed() -> None:
    request = WebhookRequest("POST", "http://x", b"{}", {"x-hub-signature-256": "sha256=é" * 3})
    assert connector_for("github").verify(request, NOW)


def test_hubspot_signs_the_public_url_when_a_proxy_changes_it() -> None:
    from services.ingest.tests.connectors.vendors import BY_SOURCE

    hubspot = BY_SOURCE["hubspot"]
    public = hubspot.deliver(SECRET, hubspot.ignored, NOW)
    behind_proxy = WebhookRequest(
        "POST",
        "http://10.0.0.5:8001/webhooks/hubspot",
        public.body,
        {name.lower(): value for name, value in public.headers.items()},
    )
    cls = REGISTRY["hubspot"]
    assert cls(cls.settings_type(webhook_secret=SecretStr(SECRET))).verify(behind_proxy, NOW)
    configured = cls(cls.settings_type(webhook_secret=SecretStr(SECRET), webhook_url=public.url))
    assert configured.verify(behind_proxy, NOW) is None


@pytest.fixture(scope="module")
def gong_keys() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private.decode(), public.decode()


def _gong_request(private_key: str, body: bytes, digest: str, expires: datetime) -> WebhookRequest:
    token = jwt.encode({"body_sha256": digest, "webhook_url": "http://x", "exp": expires}, private_key, "RS256")
    return WebhookRequest("POST", "http://x/webhooks/gong", body, {"authorization": token})


def test_gong_signed_jwt_binds_the_body(gong_keys: tuple[str, str]) -> None:
    private, public = gong_keys
    gong = Gong(GongSettings(webhook_public_key=SecretStr(public)))
    body = b'{"isTest": true, "callData": {}}'
    later = datetime.now(UTC) + timedelta(minutes=5)
    assert gong.verify(_gong_request(private, body, sha256_hex(body), later), NOW) is None
    as_base64 = base64.b64encode(bytes.fromhex(sha256_hex(body))).decode()
    assert gong.verify(_gong_request(private, body, as_base64, later), NOW) is None
    swapped = gong.verify(_gong_request(private, b'{"isTest": false}', sha256_hex(body), later), NOW)
    assert swapped == Refusal(RefusalKind.SIGNATURE, "the JWT's body_sha256 does not match the body")
    expired = gong.verify(_gong_request(private, body, sha256_hex(body), datetime.now(UTC) - timedelta(minutes=1)), NOW)
    assert expired and expired.kind == RefusalKind.STALE and "expired" in expired.reason


def test_gong_jwt_from_another_key_is_refused(gong_keys: tuple[str, str]) -> None:
    _, public = gong_keys
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    stranger = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    body = b"{}"
    request = _gong_request(stranger.decode(), body, sha256_hex(body), datetime.now(UTC) + timedelta(minutes=5))
    problem = Gong(GongSettings(webhook_public_key=SecretStr(public))).verify(request, NOW)
    assert problem and problem.reason.startswith("invalid JWT")


@pytest.mark.parametrize("vendor", VENDORS, ids=ids)
def test_an_empty_secret_is_no_secret_and_refuses_deliveries_signed_with_an_empty_key(
    vendor: Vendor, monkeypatch: pytest.MonkeyPatch
) -> None:
    variable = f"PRODOPS_{vendor.source.upper()}_WEBHOOK_SECRET"
    monkeypatch.setenv(variable, "")
    connector = load_connectors(IngestSettings())[vendor.source]
    forged = vendor.deliver("", vendor.feedback or vendor.ignored, NOW)
    problem = connector.verify(arrived(forged), NOW)
    assert connector.settings.webhook_secret is None
    assert problem and variable in problem.reason
