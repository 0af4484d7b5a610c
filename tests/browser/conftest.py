"""Fixtures for the browser tests: the real server (once per run), Debian's chromium through Playwright.

When chromium or axe-core cannot be had, these tests (and only these) are skipped, saying why; with
``CONVENE_REQUIRE_BROWSER=1`` (CI) they fail instead, so CI always runs them.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest
from playwright.async_api import async_playwright

from tests.browser.harness import LiveServer, launch_browser, missing_tools, start_server


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = missing_tools()
    if reason is None:
        return
    if os.environ.get("CONVENE_REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"browser tests are required (CONVENE_REQUIRE_BROWSER=1) but {reason}")
    marker = pytest.mark.skip(reason=f"browser tests skipped: {reason}")
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(marker)


def pytest_report_header(config: pytest.Config) -> str:
    reason = missing_tools()
    return f"browser tests: skipped, {reason}" if reason else "browser tests: Debian chromium + axe-core"


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    server = start_server()
    yield server
    server.stop()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator:
    async with async_playwright() as playwright:
        chromium = await launch_browser(playwright)
        yield chromium
        await chromium.close()


@pytest.fixture(params=["en", "ar"])
def language(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
async def page(browser, language: str) -> AsyncIterator:
    """A fresh browser tab that asks for ``language`` (Accept-Language) and records CSP violations."""
    context = await browser.new_context(locale=language, viewport={"width": 1280, "height": 900})
    tab = await context.new_page()
    tab.set_default_timeout(10_000)
    tab.csp_violations = []
    tab.on(
        "console",
        lambda message: tab.csp_violations.append(message.text)
        if "Content Security Policy" in message.text
        else None,
    )
    yield tab
    await context.close()
