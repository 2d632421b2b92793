"""Sign-in with OpenID Connect, for any provider: discovery, its keys (JWKS), the code flow with PKCE, ID tokens.

The provider is found from its issuer (`{issuer}/.well-known/openid-configuration`). Its signing keys
are fetched with httpx and cached; a token signed by a key the cache does not know makes one refetch
(the provider rotated its keys), at most every `jwks_refetch_seconds`, so a flood of made-up key ids
cannot turn into a flood of fetches. An ID token is accepted only when signed with RS256 or ES256
by one of those keys (never `none`, never an HMAC keyed with a public key), issued by the issuer,
meant for our client id, unexpired and not issued in the future (with `leeway_seconds` either
way), and, in the browser's flow, carrying the nonce the login sent.

Who someone is in the hub comes from the claims: the subject is `subject_claim` (email by default,
once `email_verified` is true; else `sub`); the role is the highest that `roles` maps any value of
`role_claim` to, else `default_role`, and with none the person is refused.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import jwt
from pydantic import BaseModel, ConfigDict, Field, model_validator

from libs.runtime.auth import RANK, Principal, Role, RoleRefused
from libs.runtime.settings import Secret, SettingsBlock

ALGORITHMS = ("RS256", "ES256")
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


class OidcSettings(SettingsBlock):
    """The identity provider (the gateway's oidc block, PRODOPS_OIDC_*); unset issuer: bearer tokens only."""

    issuer: str | None = Field(default=None, description="The provider's issuer URL, exactly as its tokens say it.")
    client_id: str | None = None
    client_secret: Secret = Field(default=None, description="Unset: a public client (PKCE only).")
    provider_name: str = Field(default="OpenID Connect", description='Shown as "Sign in with <name>".')
    scopes: str = "openid email profile"
    role_claim: str = Field(default="groups", description="The claim (a string or a list) whose values map to roles.")
    roles: dict[str, Role] = Field(
        default_factory=dict, description='Claim value -> role, as JSON: {"prodops-pm": "editor", "sales": "viewer"}.'
    )
    default_role: Role | None = Field(default=None, description="The role of someone no value maps; unset: refused.")
    subject_claim: str = Field(
        default="email", description="What writes record as who; `sub` when it is absent (or an unverified email)."
    )
    redirect_uri: str | None = Field(default=None, description="Unset: /auth/callback on the host the browser used.")
    session_hours: float = Field(default=8.0, gt=0, description="How long a browser session lasts.")
    cookie_secure: bool | None = Field(
        default=None, description="Unset: Secure outside dev and test, and there when the request came over https."
    )
    accept_id_tokens: bool = Field(default=True, description="The API also takes the provider's ID tokens as bearer.")
    leeway_seconds: int = Field(default=30, ge=0, le=300, description="Clock skew allowed on exp and iat.")
    jwks_cache_seconds: float = Field(default=3600.0, ge=0)
    jwks_refetch_seconds: float = Field(
        default=10.0, ge=0, description="The least time between two refetches that unknown key ids force."
    )
    timeout_seconds: float = Field(default=10.0, gt=0)

    @property
    def enabled(self) -> bool:
        return self.issuer is not None

    @model_validator(mode="after")
    def _complete_and_safe(self) -> OidcSettings:
        if self.issuer is None:
            return self
        if not self.client_id:
            raise ValueError("PRODOPS_OIDC_CLIENT_ID must be set with PRODOPS_OIDC_ISSUER")
        url = urlsplit(self.issuer)
        if url.scheme != "https" and not (url.scheme == "http" and url.hostname in LOCAL_HOSTS):
            raise ValueError("PRODOPS_OIDC_ISSUER must be an https URL (http only for a provider on this machine)")
        return self


class ProviderMetadata(BaseModel):
    """The part of the discovery document the hub uses."""

    model_config = ConfigDict(extra="ignore")

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


class PendingLogin(BaseModel):
    """What the browser's login must bring back: the state, the nonce, and the PKCE verifier behind the challenge."""

    state: str
    nonce: str
    verifier: str

    @classmethod
    def new(cls) -> PendingLogin:
        return cls(state=secrets.token_urlsafe(32), nonce=secrets.token_urlsafe(32), verifier=secrets.token_urlsafe(48))


class ProviderUnavailable(Exception):
    """The provider could not be asked (down, or an answer that is not what the protocol says)."""


class UnknownKey(jwt.InvalidTokenError):
    """Signed by a key the provider's key set does not hold (yet)."""


# --- pure parts -----------------------------------------------------------------------------------


def pkce_challenge(verifier: str) -> str:
    """The S256 code challenge of a PKCE verifier (RFC 7636)."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def authorization_url(
    metadata: ProviderMetadata, settings: OidcSettings, redirect_uri: str, login: PendingLogin
) -> str:
    """Where the browser goes to sign in: the code flow, with state, nonce and the PKCE challenge."""
    query = urlencode(
        {
            "response_type": "code",
            "client_id": settings.client_id,
            "redirect_uri": redirect_uri,
            "scope": settings.scopes,
            "state": login.state,
            "nonce": login.nonce,
            "code_challenge": pkce_challenge(login.verifier),
            "code_challenge_method": "S256",
        }
    )
    separator = "&" if "?" in metadata.authorization_endpoint else "?"
    return f"{metadata.authorization_endpoint}{separator}{query}"


def role_of(claims: Mapping[str, Any], settings: OidcSettings) -> Role | None:
    """The highest role any value of the role claim maps to; else the default role (None: refused)."""
    values = claims.get(settings.role_claim)
    if isinstance(values, str):
        values = [values]
    mapped = [settings.roles[value] for value in values or [] if isinstance(value, str) and value in settings.roles]
    return max(mapped, key=RANK.__getitem__) if mapped else settings.default_role


def subject_of(claims: Mapping[str, Any], settings: OidcSettings) -> str:
    """The subject claim, else `sub`. An email names someone only once the provider verified it: many let anyone
    type any address into their profile, and writes would be recorded as whoever owns it."""
    subject = claims.get(settings.subject_claim)
    verified = claims.get("email_verified")
    if settings.subject_claim == "email" and verified is not True and verified != "true":
        subject = None
    return subject if isinstance(subject, str) and subject else str(claims["sub"])


def principal_of(claims: Mapping[str, Any], settings: OidcSettings) -> Principal:
    """Who the claims name in the hub; RoleRefused when they map to no role."""
    subject = subject_of(claims, settings)
    role = role_of(claims, settings)
    if role is None:
        raise RoleRefused(f"{subject} signed in, but has no role in the hub (ask an admin to map it)")
    return Principal(subject=subject, role=role)


def parse_keys(jwks: Mapping[str, Any]) -> dict[str, jwt.PyJWK]:
    """The provider's usable signing keys by key id (keys of other types or uses are left out)."""
    keys: dict[str, jwt.PyJWK] = {}
    for entry in jwks.get("keys", []):
        if entry.get("use", "sig") != "sig":
            continue
        try:
            key = jwt.PyJWK.from_dict(entry)
        except jwt.PyJWKError:
            continue  # a key type or curve we do not verify with; another key may do
        if key.algorithm_name in ALGORITHMS:
            keys[key.key_id or ""] = key
    return keys


def verify_id_token(
    token: str,
    keys: Mapping[str, jwt.PyJWK],
    settings: OidcSettings,
    nonce: str | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """The claims of an ID token the provider signed for us; jwt.InvalidTokenError (UnknownKey for an unknown
    key) otherwise. `nonce`: the one the login sent (a bearer ID token is checked without)."""
    header = jwt.get_unverified_header(token)
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise jwt.InvalidAlgorithmError(f"the {algorithm} algorithm is not accepted")
    kid = header.get("kid")
    key = keys.get(kid) if kid is not None else next(iter(keys.values())) if len(keys) == 1 else None
    if key is None:
        raise UnknownKey(f"signed by an unknown key ({kid})")
    if key.algorithm_name != algorithm:
        raise jwt.InvalidAlgorithmError(f"key {kid} does not sign with {algorithm}")
    claims: dict[str, Any] = jwt.decode(
        token,
        key.key,
        algorithms=[algorithm],
        audience=settings.client_id,
        issuer=settings.issuer,
        leeway=settings.leeway_seconds,
        options={"require": ["iss", "aud", "exp", "iat", "sub"]},
    )
    if claims["iat"] > (now if now is not None else time.time()) + settings.leeway_seconds:
        raise jwt.ImmatureSignatureError("issued in the future")
    audience = claims["aud"]
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != settings.client_id:
        raise jwt.InvalidAudienceError("several audiences, and the authorized party is not us")
    if nonce is not None and not hmac.compare_digest(str(claims.get("nonce", "")).encode(), nonce.encode()):
        raise jwt.InvalidTokenError("the nonce is not the one this sign-in sent")
    return claims


# --- the provider, over HTTP ----------------------------------------------------------------------


class OidcClient:
    """One provider: its discovery document and keys (cached), the code exchange, ID token checks."""

    def __init__(self, settings: OidcSettings, http: httpx.AsyncClient | None = None) -> None:
        if settings.issuer is None:
            raise ValueError("OpenID Connect is not configured (PRODOPS_OIDC_ISSUER)")
        self.settings = settings
        self.issuer: str = settings.issuer
        self._http = http or httpx.AsyncClient(timeout=settings.timeout_seconds)
        self._metadata: ProviderMetadata | None = None
        self._keys: dict[str, jwt.PyJWK] = {}
        self._keys_fetched = float("-inf")  # time.monotonic() of the last fetch
        self._lock = asyncio.Lock()  # one fetch at a time; the others use its result

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            answer = await self._http.get(url)
            answer.raise_for_status()
            body = answer.json()
        except (httpx.HTTPError, ValueError) as error:
            raise ProviderUnavailable(f"{url}: {type(error).__name__}: {error}") from error
        if not isinstance(body, dict):
            raise ProviderUnavailable(f"{url}: not a JSON object")
        return body

    async def metadata(self) -> ProviderMetadata:
        if self._metadata is None:
            async with self._lock:
                if self._metadata is None:
                    url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
                    try:
                        metadata = ProviderMetadata.model_validate(await self._get_json(url))
                    except ValueError as error:
                        raise ProviderUnavailable(f"{url}: {error}") from error
                    if metadata.issuer != self.issuer:  # OpenID Connect Discovery 4.3
                        raise ProviderUnavailable(f"{url} names another issuer: {metadata.issuer}")
                    self._metadata = metadata
        return self._metadata

    async def keys(self, *, refresh: bool = False) -> dict[str, jwt.PyJWK]:
        """The provider's keys, from the cache while fresh; `refresh` refetches (at most every refetch interval)."""
        settings = self.settings
        seen = self._keys_fetched
        age = time.monotonic() - seen
        if age < settings.jwks_cache_seconds and not (refresh and age >= settings.jwks_refetch_seconds):
            return self._keys
        jwks_uri = (await self.metadata()).jwks_uri
        async with self._lock:
            if self._keys_fetched == seen:  # nobody fetched them while this one waited
                self._keys = parse_keys(await self._get_json(jwks_uri))
                self._keys_fetched = time.monotonic()
        return self._keys

    async def verify(self, id_token: str, nonce: str | None = None) -> dict[str, Any]:
        """The claims of a valid ID token; a token of an unknown key refetches the keys once (rotation)."""
        try:
            return verify_id_token(id_token, await self.keys(), self.settings, nonce)
        except UnknownKey:
            return verify_id_token(id_token, await self.keys(refresh=True), self.settings, nonce)

    async def principal_of(self, id_token: str) -> Principal:
        """An ID token sent as a bearer token (there is no nonce to check: the login is not ours)."""
        try:
            claims = await self.verify(id_token)
        except ProviderUnavailable as error:
            raise jwt.InvalidTokenError(f"cannot check it now: {error}") from error
        return principal_of(claims, self.settings)

    async def exchange(self, code: str, verifier: str, redirect_uri: str) -> str:
        """Trade the login's code (and its PKCE verifier) for the ID token at the token endpoint."""
        settings = self.settings
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
        auth: httpx.BasicAuth | None = None
        if settings.client_secret is not None:  # client_secret_basic, the default method (OIDC Core 9)
            auth = httpx.BasicAuth(settings.client_id or "", settings.client_secret.get_secret_value())
        else:
            form["client_id"] = settings.client_id or ""
        token_endpoint = (await self.metadata()).token_endpoint
        try:
            answer = await self._http.post(token_endpoint, data=form, auth=auth or httpx.USE_CLIENT_DEFAULT)
            body = answer.json()
        except (httpx.HTTPError, ValueError) as error:
            raise ProviderUnavailable(f"{token_endpoint}: {type(error).__name__}: {error}") from error
        if answer.status_code != 200 or not isinstance(body, dict) or not isinstance(body.get("id_token"), str):
            reason = body.get("error", answer.status_code) if isinstance(body, dict) else answer.status_code
            raise jwt.InvalidTokenError(f"the provider refused the code: {reason}")
        return body["id_token"]  # type: ignore[no-any-return]
