"""Waiting on a page under the web UI's Content-Security-Policy.

Playwright's `page.wait_for_function` compiles its expression in the page with `new Function`, which a policy
without 'unsafe-eval' refuses; `page.evaluate` goes through the DevTools protocol, which the policy does not
govern. So the tests poll with `evaluate`, and the page keeps the policy it ships with.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from playwright.async_api import Page


async def wait_until(page: Page, expression: str, timeout: float = 30.0, poll: float = 0.05) -> Any:
    """Evaluate `expression` in the page until it is truthy; return its value."""
    deadline = time.monotonic() + timeout
    while not (value := await page.evaluate(expression)):
        if time.monotonic() > deadline:
            raise TimeoutError(f"still false after {timeout}s: {expression}")
        await asyncio.sleep(poll)
    return value
