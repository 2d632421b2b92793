"""Bearer tokens with roles: viewer reads, editor changes, admin runs the hub.

Tokens are JWTs signed with the hub's secret (HS256), so every service checks them alone.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Annotated
from uuid import uuid4

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from libs.schemas.events import utcnow

ISSUER = "prodops-hub"


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


_bearer = HTTPBearer(auto_error=False)


def require(role: Role):  # type: ignore[no-untyped-def]
    """A FastAPI dependency that admits a bearer token of at least `role`."""

    async def dependency(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
    ) -> Principal:
        if credentials is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing bearer token", {"WWW-Authenticate": "Bearer"})
        try:
            principal = verify_token(request.app.state.signing_key, credentials.credentials)
        except jwt.InvalidTokenError as error:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, f"invalid token: {error}", {"WWW-Authenticate": "Bearer"}
            ) from error
        if not principal.can(role):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"needs the {role.value} role")
        return principal

    return dependency


Editor = Annotated[Principal, Depends(require(Role.EDITOR))]
