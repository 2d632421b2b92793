"""Time to the first screen: Debian's Chromium opens the hub's page against a hub holding the demo data.

    .venv/bin/python -m bench.web_ui [--loads 15] [--data-dir DIR] [--url URL --token TOKEN] [--json]

Without --url it starts the whole hub as `prodops up` does (tansu, every service a process, SQLite, the
demo's CRM export) in --data-dir (a temporary folder by default; a folder that already holds the demo
is reused as it is), loads the demo data set and waits until the gateway shows every item triaged and
every launch. Then, after one warm-up load, each of
--loads loads is a fresh browser context (empty cache, a signed-in tab: the token in sessionStorage, as
after sign-in) navigating to the page. Per load, from the navigation's start:

- overview_ms: the Overview rendered with its data and listeners (app.js marks `overview-rendered`
  when loadOverview has filled the tab): the first screen is interactive;
- dom_ms: DOMContentLoaded; overview_api_ms: the browser's fetch of /api/v1/overview.

Prints p50 and p95 of each (one JSON object with --json). Not a test: nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Browser, ViewportSize, async_playwright
from rich.console import Console

from bench.load import percentile
from libs.runtime.auth import Role, create_token
from libs.runtime.settings import SERVICES
from libs.testing.browser import wait_until
from prodops import demo
from prodops.demo.loader import load_demo
from prodops.hub import Hub, free_port_block

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}

# Read in the page once the Overview is rendered: milliseconds since the navigation started.
TIMINGS = """() => {
  const navigation = performance.getEntriesByType("navigation")[0];
  const overview = performance.getEntriesByType("resource").find((entry) => entry.name.includes("/api/v1/overview"));
  return {
    overview_ms: performance.getEntriesByName("overview-rendered")[0].startTime,
    dom_ms: navigation.domContentLoadedEventEnd,
    overview_api_ms: overview ? overview.responseEnd - overview.startTime : null,
  };
}"""


async def demo_ready(url: str, token: str, timeout: float, console: Console) -> dict[str, Any]:
    """Wait until the gateway shows every demo item with a category and every demo launch; the overview."""
    items, launches = len(demo.feedback()), len(demo.launches())
    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30.0) as http:
        while True:
            overview = (await http.get("/api/v1/overview")).json()
            listed = (await http.get("/api/v1/launches")).json()["total"]
            triaged = sum(overview["by_category"].values())
            if overview["total"] >= items and triaged >= items and listed >= launches:
                return overview
            if time.monotonic() > deadline:
                raise TimeoutError(f"demo not folded in {timeout:.0f}s: {triaged}/{items} items, {listed} launches")
            console.print(f"waiting for the demo: {triaged}/{items} items triaged, {listed}/{launches} launches")
            await asyncio.sleep(5)


async def first_screen(browser: Browser, url: str, token: str) -> dict[str, float | None]:
    """One load in a fresh context (no cache), signed in; its timings once the Overview is rendered."""
    context = await browser.new_context(viewport=VIEWPORT)
    try:
        await context.add_init_script(f"sessionStorage.setItem('token', {json.dumps(token)})")
        page = await context.new_page()
        await page.goto(url)
        await wait_until(page, "performance.getEntriesByName('overview-rendered').length > 0", timeout=30.0)
        timings: dict[str, float | None] = await page.evaluate(TIMINGS)
        return timings
    finally:
        await context.close()


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50": round(statistics.median(ordered), 1),
        "p95": round(percentile(ordered, 0.95), 1),
        "min": round(ordered[0], 1),
        "max": round(ordered[-1], 1),
    }


async def measure_page(url: str, token: str, loads: int) -> dict[str, Any]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            await first_screen(browser, url, token)  # warm-up: the gateway's first queries, Chromium's start
            runs = [await first_screen(browser, url, token) for _ in range(loads)]
        finally:
            await browser.close()
    figures: dict[str, Any] = {"loads": loads}
    for name in ("overview_ms", "dom_ms", "overview_api_ms"):
        values = [value for run in runs if (value := run[name]) is not None]
        figures[name] = summary(values) if values else None
    return figures


async def measure(arguments: argparse.Namespace, console: Console) -> dict[str, Any]:
    if arguments.url:
        overview = await demo_ready(arguments.url, arguments.token, arguments.ready_timeout, console)
        return {"items": overview["total"], **await measure_page(arguments.url, arguments.token, arguments.loads)}
    data_dir = Path(arguments.data_dir or tempfile.mkdtemp(prefix="bench-web-ui-"))
    # As `prodops up` runs it (the demo's CRM export), with consumer groups that join in a second.
    environment = {
        "PRODOPS_CUSTOMERS_FILE": str(demo.customers_file()),
        "PRODOPS_KAFKA_SESSION_TIMEOUT_MS": "2000",
        "PRODOPS_KAFKA_HEARTBEAT_INTERVAL_MS": "500",
        "PRODOPS_LOG_LEVEL": "WARNING",
    }
    hub = Hub(data_dir=data_dir, base_port=free_port_block(len(SERVICES)), extra_env=environment)
    try:
        await hub.start(ready_timeout=arguments.ready_timeout)
        await load_demo(hub, console)
        token = create_token(hub.settings().signing_key(), Role.VIEWER, "bench")
        overview = await demo_ready(hub.gateway_url, token, arguments.ready_timeout, console)
        return {"items": overview["total"], **await measure_page(hub.gateway_url, token, arguments.loads)}
    finally:
        hub.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=15, help="measured page loads (after one warm-up)")
    parser.add_argument("--data-dir", default=None, help="the hub's data dir (reused when it holds the demo)")
    parser.add_argument("--url", default=None, help="a running hub's gateway instead (e.g. after `prodops up`)")
    parser.add_argument("--token", default=None, help="with --url: a viewer's token")
    parser.add_argument("--ready-timeout", type=float, default=1200.0, help="seconds to wait (hub, then demo)")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    arguments = parser.parse_args()
    if arguments.url and not arguments.token:
        parser.error("--url needs --token")
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing: `make browser` (as root) installs Debian's chromium")
    console = Console(stderr=True)
    result = asyncio.run(measure(arguments, console))
    if arguments.json:
        print(json.dumps(result))
        return
    print(f"first screen on the demo data ({result['items']} items), {result['loads']} loads, ms from navigation:")
    for name in ("overview_ms", "dom_ms", "overview_api_ms"):
        figures = result[name]
        if figures:
            print(f"  {name:16} p50 {figures['p50']:7.1f}  p95 {figures['p95']:7.1f}  min {figures['min']:7.1f}")


if __name__ == "__main__":
    main()
