"""Every gateway answer tells the browser what its pages may do: a CSP that allows exactly what the web UI loads,
no framing by another site, no sniffing, no referrer; the API's documents get a policy of their own."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from libs.runtime.testing import UNUSED_BOOTSTRAP, quick_settings
from services.gateway.app import WEB, create_app
from services.gateway.settings import GatewaySettings

# One of each kind of answer: the page and its assets, the API refusing, its documents, a probe, a 404.
ANSWERS = ["/", "/static/app.js", "/static/app.css", "/api/v1/feedback", "/openapi.json", "/healthz", "/nowhere"]


def directives(policy: str) -> dict[str, list[str]]:
    """A Content-Security-Policy by directive: its sources."""
    parsed: dict[str, list[str]] = {}
    for directive in filter(None, (part.strip() for part in policy.split(";"))):
        name, *sources = directive.split()
        parsed[name] = sources
    return parsed


async def client_of(tmp_path: Path, **extra: object) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(quick_settings(GatewaySettings, UNUSED_BOOTSTRAP, tmp_path, None, **extra))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as http:
        yield http


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for http in client_of(tmp_path):
        yield http


def assert_no_framing_or_sniffing(answer: httpx.Response) -> None:
    headers = answer.headers
    assert directives(headers["content-security-policy"])["frame-ancestors"] == ["'none'"], answer.url
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer" and headers["cross-origin-opener-policy"] == "same-origin"


@pytest.mark.parametrize("path", ANSWERS)
async def test_every_answer_carries_the_page_policy(gateway: httpx.AsyncClient, path: str) -> None:
    answer = await gateway.get(path)
    assert_no_framing_or_sniffing(answer)
    policy = directives(answer.headers["content-security-policy"])
    assert policy["default-src"] == ["'none'"]
    # Scripts and stylesheets from the hub's own origin only: no inline script, no eval, nothing from elsewhere.
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"] and policy["base-uri"] == ["'none'"]
    assert "strict-transport-security" not in answer.headers  # dev: plain http on this machine


async def test_a_refused_oversized_body_carries_them_too(gateway: httpx.AsyncClient) -> None:
    answer = await gateway.post("/api/v1/feedback", content=b"x" * 1_000_001)
    assert answer.status_code == 413
    assert_no_framing_or_sniffing(answer)


async def test_the_api_documents_policy_allows_what_their_pages_load(gateway: httpx.AsyncClient) -> None:
    for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        answer = await gateway.get(path)
        assert answer.status_code == 200
        assert_no_framing_or_sniffing(answer)
        policy = directives(answer.headers["content-security-policy"])
        for tag in re.findall(r"<(?:script|link)[^>]*>", answer.text):
            url = re.search(r'(?:src|href)="([^"]+)"', tag)
            directive = "style-src" if "stylesheet" in tag else "img-src" if "icon" in tag else "script-src"
            allowed = policy[directive]
            assert ("'unsafe-inline'" in allowed) if url is None else any(url[1].startswith(s) for s in allowed), tag


async def test_in_production_browsers_are_told_to_keep_to_https(tmp_path: Path) -> None:
    async for http in client_of(tmp_path, env="prod", secret_key=secrets.token_hex(32)):
        answer = await http.get("/")
        assert answer.headers["strict-transport-security"].startswith("max-age=")


class PageParts(HTMLParser):
    """What index.html asks the browser to run and load."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str | None] = []  # their src (None: inline)
        self.inline_code: list[str] = []  # style elements, event handler attributes, javascript: URLs
        self.loads: list[str] = []  # src and href of everything else
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            self.scripts.append(values.get("src"))
            self._in_script = True
        if tag == "style":
            self.inline_code.append("<style>")
        self.inline_code += [name for name, _ in attrs if name.startswith("on")]
        self.inline_code += [value for value in values.values() if value and value.startswith("javascript:")]
        self.loads += [value for name, value in attrs if name in ("src", "href") and value and tag != "script"]

    def handle_endtag(self, tag: str) -> None:
        self._in_script = self._in_script and tag != "script"

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_code.append(data.strip()[:40])


def test_the_web_ui_runs_and_loads_only_what_the_page_policy_allows() -> None:
    page = PageParts()
    page.feed((WEB / "index.html").read_text())
    assert page.scripts == ["/static/app.js"]  # a module from the hub's origin, nothing inline
    assert page.inline_code == []
    assert page.loads and all(url.startswith("/") and not url.startswith("//") for url in page.loads), page.loads
    # The stylesheet reaches out to nothing (fonts, images and imports would need their own sources).
    assert not re.search(r"url\(|@import", (WEB / "app.css").read_text())
