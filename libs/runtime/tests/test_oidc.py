"""OpenID Connect's pure parts: PKCE, the authorization URL, roles from claims, ID token checks, sessions and CSRF."""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from pydantic import Field, ValidationError

from libs.runtime.auth import Principal, Role, RoleRefused, create_session, create_token, csrf_token, verify_token
from libs.runtime.oidc import (
    OidcSettings,
    PendingLogin,
    ProviderMetadata,
    UnknownKey,
    authorization_url,
    parse_keys,
    pkce_challenge,
    principal_of,
    role_of,
    verify_id_token,
)
from libs.runtime.settings import ServiceSettings
from libs.testing.oidc_provider import OidcProvider, SigningKey

ISSUER = "https://idp.example.com"


def settings(**extra: object) -> OidcSettings:
    values: dict[str, object] = {"issuer": ISSUER, "client_id": "prodops-hub", **extra}
    return OidcSettings(**values)


@pytest.fixture(scope="module")
def idp() -> OidcProvider:
    provider = OidcProvider()  # not served: only its keys and its minting
    provider.url = ISSUER
    return provider


def keys_of(provider: OidcProvider) -> dict[str, jwt.PyJWK]:
    return parse_keys({"keys": [key.jwk() for key in provider.keys]})


def test_the_pkce_challenge_is_rfc_7636s_example() -> None:
    assert (
        pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_the_authorization_url_carries_state_nonce_and_the_challenge_not_the_verifier() -> None:
    metadata = ProviderMetadata(
        issuer=ISSUER,
        authorization_endpoint=f"{ISSUER}/authorize?tenant=acme",
        token_endpoint=f"{ISSUER}/token",
        jwks_uri=f"{ISSUER}/jwks",
    )
    login = PendingLogin.new()
    url = urlsplit(authorization_url(metadata, settings(), "https://hub.example.com/auth/callback", login))
    query = {name: values[0] for name, values in parse_qs(url.query).items()}
    assert query["tenant"] == "acme" and query["response_type"] == "code" and query["client_id"] == "prodops-hub"
    assert query["state"] == login.state and query["nonce"] == login.nonce
    assert query["code_challenge"] == pkce_challenge(login.verifier) and query["code_challenge_method"] == "S256"
    assert login.verifier not in url.query and query["scope"] == "openid email profile"
    assert PendingLogin.new().state != login.state


def test_the_highest_mapped_role_wins_and_no_mapping_means_the_default() -> None:
    mapped = settings(roles={"sales": Role.VIEWER, "product": Role.EDITOR, "ops": Role.ADMIN})
    assert role_of({"groups": ["sales", "product"]}, mapped) == Role.EDITOR
    assert role_of({"groups": "ops"}, mapped) == Role.ADMIN  # a claim may be one string
    assert role_of({"groups": ["marketing"]}, mapped) is None  # no default: refused
    assert role_of({}, mapped) is None
    assert role_of({"groups": ["marketing"]}, settings(roles=mapped.roles, default_role=Role.VIEWER)) == Role.VIEWER
    assert role_of({"hub_role": ["product"]}, settings(roles=mapped.roles, role_claim="hub_role")) == Role.EDITOR


def test_the_subject_is_the_verified_email_else_sub_and_no_role_is_refused() -> None:
    mapped = settings(roles={"product": Role.EDITOR})
    verified = {"sub": "u-1", "email": "pm@example.com", "email_verified": True}
    principal = principal_of({**verified, "groups": ["product"]}, mapped)
    assert principal == Principal(subject="pm@example.com", role=Role.EDITOR)
    as_text = {**verified, "email_verified": "true", "groups": ["product"]}  # as some providers send it
    assert principal_of(as_text, mapped).subject == "pm@example.com"
    assert principal_of({"sub": "u-1", "groups": ["product"]}, mapped).subject == "u-1"
    with pytest.raises(RoleRefused, match="pm@example.com"):
        principal_of({**verified, "groups": ["sales"]}, mapped)


@pytest.mark.parametrize(
    "verified", [{}, {"email_verified": False}, {"email_verified": "false"}, {"email_verified": 1}]
)
def test_an_unverified_email_is_not_the_subject(verified: dict[str, object]) -> None:
    claims = {"sub": "u-1", "email": "ceo@example.com", "groups": ["product"], **verified}
    assert principal_of(claims, settings(roles={"product": Role.EDITOR})).subject == "u-1"
    # Another subject claim does not depend on the email's verification.
    named = {**claims, "preferred_username": "ceo"}
    assert principal_of(named, settings(default_role=Role.VIEWER, subject_claim="preferred_username")).subject == "ceo"


def test_settings_need_a_client_id_and_https_away_from_this_machine() -> None:
    assert not OidcSettings(issuer=None).enabled
    with pytest.raises(ValidationError, match="CLIENT_ID"):
        OidcSettings(issuer=ISSUER)
    with pytest.raises(ValidationError, match="https"):
        settings(issuer="http://idp.example.com")
    assert settings(issuer="http://127.0.0.1:5556").enabled


class WithSignIn(ServiceSettings):
    oidc: OidcSettings = Field(default_factory=OidcSettings)


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRODOPS_OIDC_ISSUER", ISSUER)
    monkeypatch.setenv("PRODOPS_OIDC_CLIENT_ID", "hub")
    monkeypatch.setenv("PRODOPS_OIDC_CLIENT_SECRET", "s3cret")
    monkeypatch.setenv("PRODOPS_OIDC_ROLES", '{"product": "editor", "ops": "admin"}')
    monkeypatch.setenv("PRODOPS_OIDC_DEFAULT_ROLE", "viewer")
    loaded = WithSignIn().oidc
    assert loaded.roles == {"product": Role.EDITOR, "ops": Role.ADMIN} and loaded.default_role == Role.VIEWER
    assert "s3cret" not in repr(loaded)


def test_a_valid_id_token_is_accepted_with_its_nonce(idp: OidcProvider) -> None:
    claims = verify_id_token(idp.mint(nonce="n-1"), keys_of(idp), settings(), nonce="n-1")
    assert claims["email"] == "pm@example.com" and claims["aud"] == "prodops-hub"


@pytest.mark.parametrize(
    ("mint", "error"),
    [
        ({"expires_in": -120}, jwt.ExpiredSignatureError),
        ({"expires_in": 600, "issued_ago": -600}, jwt.ImmatureSignatureError),  # issued in the future
        ({"audience": "another-app"}, jwt.InvalidAudienceError),
        ({"audience": ["another-app", "prodops-hub"]}, jwt.InvalidAudienceError),  # no azp naming us
        ({"issuer": "https://evil.example.com"}, jwt.InvalidIssuerError),
        ({"nonce": "replayed"}, jwt.InvalidTokenError),
    ],
)
def test_a_token_not_meant_for_this_sign_in_is_refused(
    idp: OidcProvider, mint: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        verify_id_token(idp.mint(**mint), keys_of(idp), settings(), nonce="n-1")  # type: ignore[arg-type]


def test_the_leeway_forgives_a_little_clock_skew(idp: OidcProvider) -> None:
    late = idp.mint(expires_in=-10)
    assert verify_id_token(late, keys_of(idp), settings())["sub"] == "u-1001"
    with pytest.raises(jwt.ExpiredSignatureError):
        verify_id_token(late, keys_of(idp), settings(leeway_seconds=0))


def test_a_missing_nonce_fails_a_login_that_sent_one(idp: OidcProvider) -> None:
    with pytest.raises(jwt.InvalidTokenError, match="nonce"):
        verify_id_token(idp.mint(), keys_of(idp), settings(), nonce="n-1")


def test_an_unknown_key_a_forged_signature_and_symmetric_or_no_algorithms_are_refused(idp: OidcProvider) -> None:
    keys = keys_of(idp)
    with pytest.raises(UnknownKey):
        verify_id_token(idp.mint(key=SigningKey.generate()), keys, settings())
    impostor = SigningKey.generate()  # claims the published key id, signs with its own key
    forged = idp.mint(key=SigningKey(idp.signing_key.kid, "RS256", impostor.private))
    with pytest.raises(jwt.InvalidSignatureError):
        verify_id_token(forged, keys, settings())
    body = {"sub": "u-1", "iss": ISSUER, "aud": "prodops-hub", "iat": int(time.time()), "exp": int(time.time()) + 60}
    public_pem = idp.signing_key.jwk()["n"]  # the classic confusion: a public value as an HMAC secret
    hs256 = jwt.encode(body, public_pem, algorithm="HS256", headers={"kid": idp.signing_key.kid})
    with pytest.raises(jwt.InvalidAlgorithmError):
        verify_id_token(hs256, keys, settings())
    unsigned = jwt.encode(body, "", algorithm="none", headers={"kid": idp.signing_key.kid})
    with pytest.raises(jwt.InvalidAlgorithmError):
        verify_id_token(unsigned, keys, settings())


def test_es256_keys_verify_too() -> None:
    provider = OidcProvider(algorithm="ES256")
    provider.url = ISSUER
    assert verify_id_token(provider.mint(), keys_of(provider), settings())["sub"] == "u-1001"


def test_keys_for_encryption_or_unknown_types_are_left_out(idp: OidcProvider) -> None:
    jwks = {"keys": [{**idp.signing_key.jwk(), "use": "enc"}, {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"}]}
    assert parse_keys(jwks) == {}


def test_a_session_is_no_bearer_token_and_its_csrf_token_is_its_own() -> None:
    key = "k" * 40
    session = create_session(key, Principal(subject="pm@example.com", role=Role.EDITOR), timedelta(hours=1))
    with pytest.raises(jwt.InvalidAudienceError):
        verify_token(key, session)  # the API refuses it as a bearer token
    other = create_session(key, Principal(subject="pm@example.com", role=Role.EDITOR), timedelta(hours=1))
    assert csrf_token(key, session) != csrf_token(key, other)
    assert csrf_token(key, session) != csrf_token("x" * 40, session)
    assert csrf_token(key, create_token(key, Role.EDITOR, "pm")) != csrf_token(key, session)
