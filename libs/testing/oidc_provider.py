"""A local OpenID Connect provider over real HTTP, for the sign-in tests.

It publishes discovery and its keys (RSA, or EC P-256, generated with `cryptography`), approves
the configured user at once on /authorize (redirecting back with a code and the state), and
trades a code at /token only for the client's secret and the PKCE verifier behind the code's
challenge, once. A test mints ID tokens directly to try what a real provider may hand out:
expired, for another audience or issuer, signed by a key nobody published, or after `rotate()`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import FastAPI, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from libs.testing.http import serving


@dataclass(frozen=True)
class SigningKey:
    kid: str
    algorithm: str  # RS256 or ES256
    private: Any

    @classmethod
    def generate(cls, algorithm: str = "RS256") -> SigningKey:
        if algorithm == "RS256":
            private: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        elif algorithm == "ES256":
            private = ec.generate_private_key(ec.SECP256R1())
        else:
            raise ValueError(f"no {algorithm} keys here")
        return cls(kid=secrets.token_hex(8), algorithm=algorithm, private=private)

    def jwk(self) -> dict[str, Any]:
        codec = jwt.algorithms.RSAAlgorithm if self.algorithm == "RS256" else jwt.algorithms.ECAlgorithm
        public: dict[str, Any] = codec.to_jwk(self.private.public_key(), as_dict=True)
        return {**public, "kid": self.kid, "use": "sig", "alg": self.algorithm}


@dataclass
class Grant:
    """A code the provider handed out, and what its exchange must match."""

    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str | None


@dataclass
class OidcProvider:
    client_id: str = "prodops-hub"
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    # Who /authorize signs in (auto-approved): the claims of the ID token it leads to.
    user: dict[str, Any] = field(
        default_factory=lambda: {
            "sub": "u-1001",
            "email": "pm@example.com",
            "email_verified": True,
            "groups": ["product"],
        }
    )
    algorithm: str = "RS256"
    keys: list[SigningKey] = field(default_factory=list)  # published; the last one signs
    grants: dict[str, Grant] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)  # the paths asked, in order
    url: str = ""  # the issuer, set while running

    def __post_init__(self) -> None:
        if not self.keys:
            self.keys.append(SigningKey.generate(self.algorithm))

    @property
    def signing_key(self) -> SigningKey:
        return self.keys[-1]

    def rotate(self, *, keep_old: bool = False) -> SigningKey:
        """A new signing key is published (and the old one withdrawn unless `keep_old`)."""
        key = SigningKey.generate(self.algorithm)
        self.keys[:] = [*self.keys, key] if keep_old else [key]
        return key

    def mint(
        self,
        *,
        key: SigningKey | None = None,
        expires_in: float = 300,
        issued_ago: float = 0,
        audience: str | list[str] | None = None,
        issuer: str | None = None,
        nonce: str | None = None,
        **claims: Any,
    ) -> str:
        """An ID token for the user (claims override theirs), signed by the current key unless `key` is given."""
        signer = key or self.signing_key
        now = time.time()
        body = {
            **self.user,
            "iss": issuer or self.url,
            "aud": audience or self.client_id,
            "iat": int(now - issued_ago),
            "exp": int(now + expires_in),
            **claims,
        }
        if nonce is not None:
            body["nonce"] = nonce
        return jwt.encode(body, signer.private, algorithm=signer.algorithm, headers={"kid": signer.kid})

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.middleware("http")
        async def record(request: Request, call_next: Any) -> Response:
            self.requests.append(request.url.path)
            return await call_next(request)  # type: ignore[no-any-return]

        @app.get("/.well-known/openid-configuration")
        async def discovery() -> dict[str, Any]:
            return {
                "issuer": self.url,
                "authorization_endpoint": f"{self.url}/authorize",
                "token_endpoint": f"{self.url}/token",
                "jwks_uri": f"{self.url}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": [self.algorithm],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            }

        @app.get("/jwks")
        async def jwks() -> dict[str, Any]:
            return {"keys": [key.jwk() for key in self.keys]}

        @app.get("/authorize")
        async def authorize(request: Request) -> Response:
            query = request.query_params
            if query.get("client_id") != self.client_id or not query.get("redirect_uri"):
                return JSONResponse({"error": "invalid_client"}, 400)  # never redirect to an unknown client
            redirect_uri = query["redirect_uri"]
            if query.get("response_type") != "code" or query.get("code_challenge_method") != "S256":
                return _back(redirect_uri, error="unsupported_response_type", state=query.get("state"))
            if "openid" not in query.get("scope", "").split() or not query.get("code_challenge"):
                return _back(redirect_uri, error="invalid_request", state=query.get("state"))
            code = secrets.token_urlsafe(24)
            self.grants[code] = Grant(self.client_id, redirect_uri, query["code_challenge"], query.get("nonce"))
            return _back(redirect_uri, code=code, state=query.get("state"))

        @app.post("/token")
        async def token(
            request: Request,
            grant_type: str = Form(),
            code: str = Form(),
            redirect_uri: str = Form(),
            code_verifier: str = Form(""),
            client_id: str | None = Form(None),
            client_secret: str | None = Form(None),
        ) -> Response:
            client_id, client_secret = _client(request, client_id, client_secret)
            if client_id != self.client_id or not hmac.compare_digest(client_secret or "", self.client_secret):
                return JSONResponse({"error": "invalid_client"}, 401)
            grant = self.grants.pop(code, None)  # a code is good once
            if grant_type != "authorization_code" or grant is None or grant.redirect_uri != redirect_uri:
                return JSONResponse({"error": "invalid_grant"}, 400)
            challenge = base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest()).rstrip(b"=")
            if not hmac.compare_digest(challenge.decode(), grant.challenge):
                return JSONResponse({"error": "invalid_grant", "error_description": "PKCE verifier"}, 400)
            return JSONResponse(
                {
                    "access_token": secrets.token_urlsafe(24),
                    "token_type": "Bearer",
                    "expires_in": 300,
                    "id_token": self.mint(nonce=grant.nonce),
                },
                headers={"Cache-Control": "no-store"},
            )

        return app


def _back(redirect_uri: str, **params: str | None) -> RedirectResponse:
    query = urlencode({name: value for name, value in params.items() if value is not None})
    return RedirectResponse(f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{query}", 302)


def _client(request: Request, client_id: str | None, client_secret: str | None) -> tuple[str | None, str | None]:
    """The client's credentials: HTTP Basic (client_secret_basic) or the form (client_secret_post)."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return user, password
    return client_id, client_secret


@contextmanager
def running_provider(provider: OidcProvider) -> Iterator[OidcProvider]:
    """Serve `provider` on a free local port in a background thread; its URL is the issuer."""
    with serving(provider.app()) as url:
        provider.url = url
        yield provider
