"""Sign-in with OpenID Connect against the local provider: ID tokens as bearer, the browser's login, sessions, CSRF.

The provider (libs/testing/oidc_provider.py) and the gateway both serve real HTTP; the gateway runs
on the session's broker, so a write the session makes is published and read back with its actor.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from uuid import uuid4

import httpx
import jwt
import pytest
from fastapi import FastAPI

from libs.runtime.auth import SESSION_COOKIE, Role, create_token
from libs.runtime.oidc import OidcSettings
from libs.runtime.testing import collect, quick_settings
from libs.schemas.events import OverrideTriage
from libs.testing.http import serving
from libs.testing.oidc_provider import OidcProvider, SigningKey, running_provider
from services.gateway.api.routes.auth import LOGIN_COOKIE
from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings

pytestmark = pytest.mark.kafka

ROLES = {"product": Role.EDITOR, "sales": Role.VIEWER, "ops": Role.ADMIN}


@dataclass
class Hub:
    app: FastAPI
    url: str
    idp: OidcProvider
    kafka_bootstrap: str

    def client(self, **extra: object) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=15, **extra)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def idp() -> Iterator[OidcProvider]:
    with running_provider(OidcProvider()) as provider:
        yield provider


def oidc_settings(idp: OidcProvider, **extra: object) -> OidcSettings:
    values: dict[str, object] = {
        "issuer": idp.url,
        "client_id": idp.client_id,
        "client_secret": idp.client_secret,
        "provider_name": "Local IdP",
        "roles": ROLES,
        "jwks_refetch_seconds": 0,
        **extra,
    }
    return OidcSettings(**values)


@pytest.fixture(scope="module")
def hub(idp: OidcProvider, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    data_dir = tmp_path_factory.mktemp("gateway-oidc")
    app = create_app(quick_settings(GatewaySettings, kafka_bootstrap, data_dir, None, oidc=oidc_settings(idp)))
    with serving(app, timeout=60) as url:
        yield Hub(app, url, idp, kafka_bootstrap)


async def status_with(hub: Hub, token: str, method: str = "GET", path: str = "/api/v1/feedback") -> int:
    async with hub.client() as http:
        answer = await http.request(method, path, headers={"Authorization": f"Bearer {token}"}, json=_override())
        return answer.status_code


def _override() -> dict[str, str]:
    return {"category": "bug", "reason": "signed in"}


async def test_without_credentials_or_with_a_bad_token_the_api_is_401(hub: Hub) -> None:
    async with hub.client() as http:
        assert (await http.get("/api/v1/feedback")).status_code == 401
        assert (await http.get("/auth/me")).status_code == 401
    async with hub.client(cookies={SESSION_COOKIE: "not-a-session"}) as http:
        assert (await http.get("/api/v1/feedback")).status_code == 401
    assert await status_with(hub, "not-a-token") == 401
    assert await status_with(hub, create_token("another key" * 4, Role.ADMIN, "mallory")) == 401


async def test_an_id_token_of_the_provider_reads_with_its_mapped_role(hub: Hub) -> None:
    editor = hub.idp.mint(groups=["sales", "product"])
    assert await status_with(hub, editor) == 200
    async with hub.client(headers={"Authorization": f"Bearer {editor}"}) as http:
        me = (await http.get("/auth/me")).json()
    assert me == {"subject": "pm@example.com", "role": "editor", "via": "bearer", "csrf_token": None}


@pytest.mark.parametrize(
    "claims",
    [
        {"expires_in": -3600},
        {"audience": "another-client"},
        {"issuer": "http://127.0.0.1:9/another-idp"},
        {"key": SigningKey.generate()},  # a key the provider never published
    ],
    ids=["expired", "another audience", "another issuer", "unknown key"],
)
async def test_an_id_token_not_for_us_is_401(hub: Hub, claims: dict[str, object]) -> None:
    assert await status_with(hub, hub.idp.mint(**claims)) == 401  # type: ignore[arg-type]


async def test_an_unverified_email_is_not_taken_for_the_subject(hub: Hub) -> None:
    impostor = hub.idp.mint(email="ceo@example.com", email_verified=False)
    async with hub.client(headers={"Authorization": f"Bearer {impostor}"}) as http:
        me = (await http.get("/auth/me")).json()
    assert (me["subject"], me["role"]) == ("u-1001", "editor")  # the provider's own id for them, not the address


async def test_a_token_without_the_role_is_403(hub: Hub) -> None:
    assert await status_with(hub, hub.idp.mint(groups=["marketing"])) == 403  # no role in the hub at all
    viewer = hub.idp.mint(email="sales@example.com", groups=["sales"])
    assert await status_with(hub, viewer) == 200
    assert await status_with(hub, viewer, "POST", f"/api/v1/feedback/{uuid4()}/overrides") == 403


async def test_a_rotated_key_is_fetched_once_and_a_withdrawn_one_refused(hub: Hub) -> None:
    idp = hub.idp
    before = idp.mint()
    assert await status_with(hub, before) == 200  # the gateway holds the current keys
    fetched = idp.requests.count("/jwks")
    idp.rotate()
    assert await status_with(hub, idp.mint()) == 200
    assert idp.requests.count("/jwks") == fetched + 1  # the unknown key id made one refetch
    assert await status_with(hub, idp.mint()) == 200
    assert idp.requests.count("/jwks") == fetched + 1  # and the new key is cached
    assert await status_with(hub, before) == 401  # its key was withdrawn


async def login(hub: Hub, http: httpx.AsyncClient) -> httpx.Response:
    """The browser's round trip: /auth/login, the provider's /authorize, /auth/callback, then the page."""
    return await http.get("/auth/login", follow_redirects=True)


async def test_the_login_flow_ends_in_a_session_that_reads_and_writes_only_with_the_csrf_proof(hub: Hub) -> None:
    async with hub.client() as http:
        page = await login(hub, http)
        assert page.status_code == 200 and page.url.path == "/" and "signin_error" not in str(page.url)
        assert [str(step.url.path) for step in page.history] == ["/auth/login", "/authorize", "/auth/callback"]
        set_cookie = page.history[-1].headers["set-cookie"].lower()
        assert f"{SESSION_COOKIE}=" in set_cookie and "httponly" in set_cookie and "samesite=lax" in set_cookie
        assert "secure" not in set_cookie  # plain http in dev and test: Secure follows the scheme there
        assert http.cookies.get(SESSION_COOKIE) and not http.cookies.get(LOGIN_COOKIE)

        assert (await http.get("/api/v1/feedback")).status_code == 200
        me = (await http.get("/auth/me")).json()
        assert (me["subject"], me["role"], me["via"]) == ("pm@example.com", "editor", "session")

        item_id = uuid4()
        path = f"/api/v1/feedback/{item_id}/overrides"
        refused = await http.post(path, json=_override())
        assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["detail"]
        assert (await http.post(path, json=_override(), headers={"X-CSRF-Token": "0" * 64})).status_code == 403
        garbled = {b"X-CSRF-Token": "caf\xe9".encode("latin-1")}  # not ASCII: still a plain refusal
        assert (await http.post(path, json=_override(), headers=garbled)).status_code == 403
        proof = {"X-CSRF-Token": me["csrf_token"]}
        accepted = await http.post(path, json=_override(), headers=proof)
        assert accepted.status_code == 202, accepted.text
        # The stream's ticket is a write too (POST): the session gets one with its proof.
        assert (await http.post("/api/v1/stream/ticket")).status_code == 403
        assert (await http.post("/api/v1/stream/ticket", headers=proof)).status_code == 200

        assert (await http.post("/auth/logout")).status_code == 204
        assert not http.cookies.get(SESSION_COOKIE)
        assert (await http.get("/api/v1/feedback")).status_code == 401

    commands = await collect(hub.kafka_bootstrap, OverrideTriage, lambda seen: any(_for(c, item_id) for c in seen))
    (command,) = [c for c in commands if _for(c, item_id)]
    assert command.payload.actor == "pm@example.com"  # the write records who made it


def _for(command: OverrideTriage, item_id: object) -> bool:
    return command.payload.item_id == item_id


def _signin_error(answer: httpx.Response) -> str:
    assert answer.url.path == "/", answer.url
    return parse_qs(urlsplit(str(answer.url)).query)["signin_error"][0]


async def test_a_login_whose_state_or_verifier_does_not_match_makes_no_session(hub: Hub) -> None:
    async with hub.client() as http:
        to_idp = await http.get("/auth/login")
        assert to_idp.status_code == 302
        query = parse_qs(urlsplit(to_idp.headers["location"]).query)
        back = await http.get(f"{hub.idp.url}/authorize", params={k: v[0] for k, v in query.items()})
        callback = urlsplit(back.headers["location"])
        forged_state = callback.query.replace("state=", "state=x")
        answer = await http.get(f"/auth/callback?{forged_state}", follow_redirects=True)
        assert "does not match" in _signin_error(answer) and not http.cookies.get(SESSION_COOKIE)

    async with hub.client() as http:  # a login cookie with another PKCE verifier: the provider refuses the code
        to_idp = await http.get("/auth/login")
        sealed = jwt.decode(http.cookies[LOGIN_COOKIE], options={"verify_signature": False})
        sealed["verifier"] = "a" * 64
        http.cookies.set(LOGIN_COOKIE, jwt.encode(sealed, hub.app.state.signing_key, "HS256"), path="/auth")
        query = parse_qs(urlsplit(to_idp.headers["location"]).query)
        back = await http.get(f"{hub.idp.url}/authorize", params={k: v[0] for k, v in query.items()})
        answer = await http.get(back.headers["location"], follow_redirects=True)
        assert "invalid_grant" in _signin_error(answer) and not http.cookies.get(SESSION_COOKIE)

    async with hub.client() as http:  # a callback with no login begun in this browser
        answer = await http.get("/auth/callback", params={"code": "x", "state": "y"}, follow_redirects=True)
        assert "another browser" in _signin_error(answer)


async def test_someone_without_a_role_is_sent_back_without_a_session(hub: Hub) -> None:
    hub.idp.user["groups"] = ["marketing"]
    try:
        async with hub.client() as http:
            answer = await login(hub, http)
            assert "no role in the hub" in _signin_error(answer) and not http.cookies.get(SESSION_COOKIE)
    finally:
        hub.idp.user["groups"] = ["product"]


async def test_the_sign_in_options_name_the_provider_only_when_one_is_configured(hub: Hub, tmp_path: Path) -> None:
    async with hub.client() as http:
        options = (await http.get("/auth/config")).json()
    assert options == {"token": True, "oidc": {"name": "Local IdP", "login_url": "/auth/login"}}
    plain = create_app(quick_settings(GatewaySettings, hub.kafka_bootstrap, tmp_path, None))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=plain), base_url="http://gateway") as http:
        assert (await http.get("/auth/config")).json() == {"token": True, "oidc": None}
        assert (await http.get("/auth/login")).status_code == 404
        foreign = hub.idp.mint()  # without a provider configured, its tokens mean nothing
        answer = await http.get("/auth/me", headers={"Authorization": f"Bearer {foreign}"})
        assert answer.status_code == 401


async def test_outside_dev_the_cookies_are_secure_though_tls_ended_before_the_gateway(hub: Hub, tmp_path: Path) -> None:
    settings = quick_settings(
        GatewaySettings,
        hub.kafka_bootstrap,
        tmp_path,
        None,
        env="prod",
        secret_key=secrets.token_hex(32),
        oidc=oidc_settings(hub.idp),
    )
    app = create_app(settings)
    # Plain http, as behind an ingress that ends TLS; the cookie jar keeps Secure cookies off http, so they are
    # carried by hand.
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http, hub.client() as idp:
            to_idp = await http.get("/auth/login")
            assert "secure" in to_idp.headers["set-cookie"].lower()
            back = await idp.get(to_idp.headers["location"])
            login_cookie = to_idp.headers["set-cookie"].split(";")[0]
            answer = await http.get(back.headers["location"], headers={"Cookie": login_cookie})
            assert answer.status_code == 303 and answer.headers["location"] == "/"
            (session,) = [c for c in answer.headers.get_list("set-cookie") if c.startswith(f"{SESSION_COOKIE}=")]
            assert "secure" in session.lower() and "httponly" in session.lower()
    finally:
        await app.state.gateway.oidc.aclose()
