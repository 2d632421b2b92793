"""Bearer tokens and browser sessions with roles: viewer reads, editor changes, admin runs the hub.

Tokens are JWTs signed with the hub's secret (HS256), so every service checks them alone. A browser
session (the gateway's sign-in with OpenID Connect) is such a token with its own audience, kept in an
HttpOnly cookie; a write it authenticates must carry the session's CSRF token in a header, which a
page of another site can neither read nor send. An app that sets `state.id_tokens` (an
`IdTokenVerifier`) also takes its provider's ID tokens as bearer tokens.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Protocol
from uuid import uuid4

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from libs.schemas.events import utcnow

ISSUER = "prodops-hub"
SESSION_AUDIENCE = "prodops-session"
SESSION_COOKIE = "prodops_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Role(StrEnum):
    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"


RANK = {Role.VIEWER: 0, Role.EDITOR: 1, Role.ADMIN: 2}


class Principal(BaseModel):
    subject: str
    role: Role

    def can(self, needed: Role) -> bool:
        return RANK[self.role] >= RANK[needed]


def create_token(
    key: str, role: Role, subject: str, ttl: timedelta = timedelta(days=365), audience: str | None = None
) -> str:
    """A signed token; one with an `audience` serves only that purpose (PyJWT refuses it where none is expected)."""
    now = utcnow()
    claims = {"sub": subject, "role": role.value, "iss": ISSUER, "iat": now, "exp": now + ttl, "jti": uuid4().hex}
    if audience is not None:
        claims["aud"] = audience
    return jwt.encode(claims, key, algorithm="HS256")


def verify_token(key: str, token: str, audience: str | None = None) -> Principal:
    """The principal a token names; raises jwt.InvalidTokenError when it is forged, expired, malformed or meant for
    another audience (a bearer token has none)."""
    claims = jwt.decode(
        token, key, algorithms=["HS256"], issuer=ISSUER, audience=audience, options={"require": ["exp", "sub", "role"]}
    )
    return Principal(subject=claims["sub"], role=Role(claims["role"]))


def create_session(key: str, principal: Principal, ttl: timedelta) -> str:
    """A browser session: a token of the principal that the API takes only from the session cookie."""
    return create_token(key, principal.role, principal.subject, ttl, audience=SESSION_AUDIENCE)


def csrf_token(key: str, session: str) -> str:
    """The proof a cookie-authenticated write must carry: derived from the session, so nothing is stored."""
    return hmac.new(key.encode(), b"csrf:" + session.encode(), hashlib.sha256).hexdigest()


class RoleRefused(Exception):
    """A genuine identity that maps to no role in the hub."""


class IdTokenVerifier(Protocol):
    """An identity provider whose ID tokens the API takes as bearer tokens (libs/runtime/oidc.py)."""

    issuer: str

    async def principal_of(self, id_token: str) -> Principal:
        """Raises jwt.InvalidTokenError for a token it does not vouch for, RoleRefused for one without a role."""
        ...


_bearer = HTTPBearer(auto_error=False)
_session_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, description="The browser session (/auth/login).")


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, {"WWW-Authenticate": "Bearer"})


async def _from_bearer(request: Request, token: str) -> Principal:
    """A hub token, or an ID token of the configured provider: the unverified issuer only picks the verifier."""
    id_tokens: IdTokenVerifier | None = getattr(request.app.state, "id_tokens", None)
    try:
        issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
        if id_tokens is not None and issuer == id_tokens.issuer:
            return await id_tokens.principal_of(token)
        return verify_token(request.app.state.signing_key, token)
    except jwt.InvalidTokenError as error:
        raise _unauthorized(f"invalid token: {error}") from error
    except RoleRefused as error:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(error)) from error


def _from_session(request: Request, session: str) -> Principal:
    key = request.app.state.signing_key
    try:
        principal = verify_token(key, session, audience=SESSION_AUDIENCE)
    except jwt.InvalidTokenError as error:
        raise _unauthorized(f"the session ended ({error}); sign in again") from error
    if request.method not in SAFE_METHODS and not hmac.compare_digest(
        request.headers.get(CSRF_HEADER, "").encode(), csrf_token(key, session).encode()
    ):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"a write with the session cookie needs the {CSRF_HEADER} header (GET /auth/me)"
        )
    return principal


def require(role: Role):  # type: ignore[no-untyped-def]
    """A FastAPI dependency that admits a bearer token, or else a session cookie, of at least `role`."""

    async def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        session: Annotated[str | None, Depends(_session_cookie)],
    ) -> Principal:
        if credentials is not None:
            principal = await _from_bearer(request, credentials.credentials)
        elif session:
            principal = _from_session(request, session)
        else:
            raise _unauthorized("missing bearer token or session")
        if not principal.can(role):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"needs the {role.value} role")
        return principal

    return dependency


async def authorize(request: Request, role: Role) -> Principal:
    """`require(role)` outside FastAPI's dependency resolution: for a route that checks before it reads its body."""
    check = require(role)
    principal: Principal = await check(request, await _bearer(request), await _session_cookie(request))
    return principal


Editor = Annotated[Principal, Depends(require(Role.EDITOR))]
