"""The web UI works under the gateway's Content-Security-Policy, in Debian's Chromium, and an injected script does not.

The gateway and the provider are test_oidc.py's (real HTTP, the session's broker). The page signs in with the
provider, listens live and shows every tab without one violation of the policy; the inline `style` attributes
the calendar and checklists set apply; markup injected with an inline handler does not run.
"""

from __future__ import annotations

from typing import Any

import pytest

from libs.testing.browser import wait_until
from services.gateway.tests import test_oidc
from services.gateway.tests.test_oidc import Hub
from tests import test_web_ui
from tests.test_web_ui import close

pytestmark = [pytest.mark.browser, pytest.mark.kafka]

browser = test_web_ui.browser
idp = test_oidc.idp
hub = test_oidc.hub

TABS = ("overview", "feedback", "themes", "calendar", "checklists")
# Every violation of the policy the page meets, in the order the browser reports them.
RECORD_VIOLATIONS = """
window.violations = [];
document.addEventListener("securitypolicyviolation", (event) =>
  window.violations.push(`${event.effectiveDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`));
"""


async def test_the_signed_in_page_meets_no_violation_and_injected_script_does_not_run(browser: Any, hub: Hub) -> None:
    context = await browser.new_context()
    await context.add_init_script(RECORD_VIOLATIONS)
    page = await context.new_page()
    page.errors = []  # what the page threw; `close` asserts there was nothing
    page.on("pageerror", lambda error: page.errors.append(error))
    answer = await page.goto(hub.url)
    assert "frame-ancestors 'none'" in (await answer.all_headers())["content-security-policy"]

    await page.click("#signin-oidc")
    await page.wait_for_selector("#hub:not([hidden])")
    await page.wait_for_selector("#live.on")  # EventSource to the same origin
    for tab in TABS:
        await page.click(f"[data-tab={tab}]")
        await page.wait_for_selector(f"#tab-{tab}:not([hidden])")
    await page.click("#theme-toggle")
    assert await page.evaluate("window.violations") == []

    # What app.js does for the calendar's bars: a style attribute, which the policy allows.
    width = await page.evaluate("""() => {
      const bar = document.createElement("span");
      bar.setAttribute("style", "display:block;width:123px");
      document.body.append(bar);
      const width = bar.getBoundingClientRect().width;
      bar.remove();
      return width;
    }""")
    assert width == 123

    # Customer text that got into the page as markup: its handler is refused, not run.
    await page.evaluate("""() => { document.querySelector("#drawer-body").innerHTML =
      '<img src="/static/missing.png" onerror="window.injected = true">'; }""")
    await wait_until(page, "window.violations.length > 0")
    assert await page.evaluate("window.injected") is None
    assert (await page.evaluate("window.violations"))[0].startswith("script-src")  # -attr, where Chromium says so
    await close(page)
