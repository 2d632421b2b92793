"""Sign-in for the browser: OpenID Connect's code flow with PKCE, ending in a hub-signed session cookie.

GET /auth/login sends the browser to the provider; what the return must match (state, nonce, PKCE
verifier) rides along in a short-lived, hub-signed, HttpOnly cookie rather than in server memory,
so any gateway replica can finish a login another began. GET /auth/callback trades the code for
the ID token, checks it, and sets the session cookie (a hub token with its own audience: every
replica checks it alone). GET /auth/me says who is signed in and hands the page its CSRF token;
GET /auth/config says which ways to sign in exist. POST /auth/logout drops the cookie.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import urlencode

import jwt
import structlog
from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import RedirectResponse

from libs.runtime.auth import ISSUER, SESSION_COOKIE, RoleRefused, create_session, csrf_token
from libs.runtime.oidc import OidcClient, PendingLogin, ProviderUnavailable, authorization_url, principal_of
from libs.schemas.events import utcnow
from services.gateway.api.deps import GatewayDep, OidcDep, Viewer
from services.gateway.api.models import Me, OidcOption, SignInOptions
from services.gateway.deps import Gateway

log = structlog.get_logger()

LOGIN_COOKIE = "prodops_login"
LOGIN_AUDIENCE = "prodops-oidc-login"
LOGIN_TTL = timedelta(minutes=10)

router = APIRouter(
    prefix="/auth", tags=["auth"], responses={404: {"description": "No OpenID Connect provider is configured"}}
)


def _redirect_uri(request: Request, oidc: OidcClient) -> str:
    return oidc.settings.redirect_uri or str(request.url_for("oidc_callback"))


def _secure(request: Request, gateway: Gateway) -> bool:
    """As configured; else always outside dev and test, where TLS often ends at an ingress and the gateway sees
    plain http; in dev and test, when the request came over https."""
    settings = gateway.settings
    if settings.oidc.cookie_secure is not None:
        return settings.oidc.cookie_secure
    return settings.env not in ("dev", "test") or request.url.scheme == "https"


def _to_signin(message: str) -> RedirectResponse:
    """Back to the page's sign-in form, which shows `message`."""
    response = RedirectResponse("/?" + urlencode({"signin_error": message}), status.HTTP_303_SEE_OTHER)
    response.delete_cookie(LOGIN_COOKIE, path="/auth")
    return response


@router.get("/config")
async def config(gateway: GatewayDep) -> SignInOptions:
    """The ways to sign in: always a bearer token; a provider's sign-in when one is configured."""
    oidc = gateway.oidc
    option = OidcOption(name=oidc.settings.provider_name, login_url="/auth/login") if oidc else None
    return SignInOptions(oidc=option)


@router.get("/me")
async def me(request: Request, principal: Viewer) -> Me:
    """Who the request signs in as; for the session cookie, with the CSRF token its writes need."""
    if "authorization" in request.headers:
        return Me(subject=principal.subject, role=principal.role, via="bearer", csrf_token=None)
    session = request.cookies[SESSION_COOKIE]
    return Me(
        subject=principal.subject,
        role=principal.role,
        via="session",
        csrf_token=csrf_token(request.app.state.signing_key, session),
    )


@router.get("/login", response_class=RedirectResponse, status_code=status.HTTP_302_FOUND)
async def login(request: Request, oidc: OidcDep, gateway: GatewayDep) -> RedirectResponse:
    """Off to the provider to sign in; it comes back to /auth/callback."""
    try:
        metadata = await oidc.metadata()
    except ProviderUnavailable as error:
        log.warning("the identity provider is unavailable", error=str(error))
        return _to_signin(f"{oidc.settings.provider_name} cannot be reached; try again, or use a token.")
    pending = PendingLogin.new()
    to_provider = authorization_url(metadata, oidc.settings, _redirect_uri(request, oidc), pending)
    response = RedirectResponse(to_provider, status.HTTP_302_FOUND)
    sealed = jwt.encode(
        {**pending.model_dump(), "iss": ISSUER, "aud": LOGIN_AUDIENCE, "exp": utcnow() + LOGIN_TTL},
        request.app.state.signing_key,
        algorithm="HS256",
    )
    response.set_cookie(
        LOGIN_COOKIE,
        sealed,
        max_age=int(LOGIN_TTL.total_seconds()),
        path="/auth",
        httponly=True,
        samesite="lax",  # sent on the provider's top-level redirect back, not on other sites' requests
        secure=_secure(request, gateway),
    )
    return response


@router.get("/callback", name="oidc_callback", response_class=RedirectResponse, status_code=303)
async def callback(
    request: Request,
    oidc: OidcDep,
    gateway: GatewayDep,
    code: Annotated[str | None, Query()] = None,
    state: Annotated[str | None, Query()] = None,
    error: Annotated[str | None, Query()] = None,
) -> RedirectResponse:
    """The provider's answer: check the state, trade the code, check the ID token, start the session."""
    name = oidc.settings.provider_name
    if error is not None or code is None:
        return _to_signin(f"{name} did not sign you in ({error or 'no code'}).")
    try:
        claims = jwt.decode(
            request.cookies.get(LOGIN_COOKIE, ""),
            request.app.state.signing_key,
            algorithms=["HS256"],
            issuer=ISSUER,
            audience=LOGIN_AUDIENCE,
        )
        pending = PendingLogin.model_validate(claims)
    except (jwt.InvalidTokenError, ValueError):
        return _to_signin("That sign-in expired or began in another browser; sign in again.")
    if state != pending.state:
        return _to_signin("That sign-in does not match the one this browser began; sign in again.")
    try:
        id_token = await oidc.exchange(code, pending.verifier, _redirect_uri(request, oidc))
        principal = principal_of(await oidc.verify(id_token, nonce=pending.nonce), oidc.settings)
    except ProviderUnavailable as failure:
        log.warning("the identity provider is unavailable", error=str(failure))
        return _to_signin(f"{name} cannot be reached; try again, or use a token.")
    except jwt.InvalidTokenError as refused:
        log.warning("an OpenID Connect sign-in was refused", reason=str(refused))
        return _to_signin(f"{name}'s answer was refused ({refused}).")
    except RoleRefused as refused:
        log.info("signed in without a role", reason=str(refused))
        return _to_signin(str(refused))
    ttl = timedelta(hours=oidc.settings.session_hours)
    response = RedirectResponse("/", status.HTTP_303_SEE_OTHER)
    response.delete_cookie(LOGIN_COOKIE, path="/auth")
    response.set_cookie(
        SESSION_COOKIE,
        create_session(request.app.state.signing_key, principal, ttl),
        max_age=int(ttl.total_seconds()),
        path="/",
        httponly=True,  # no script reads it; the page asks /auth/me who is signed in
        samesite="lax",
        secure=_secure(request, gateway),
    )
    log.info("signed in with OpenID Connect", subject=principal.subject, role=principal.role.value)
    return response


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout() -> Response:
    """End the browser's session (the cookie goes; there is nothing stored to forget)."""
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response
