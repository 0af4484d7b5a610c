"""`make screenshots`: a full-page PNG of every page in English and Arabic, for reviewers.

Usage: python -m tests.browser.screenshots [OUTPUT_DIR [LANGUAGE ...]]   (default var/screenshots en ar)
"""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

from playwright.async_api import async_playwright

from tests.browser.harness import LiveServer, launch_browser, log_in, missing_tools, start_server

LANGUAGES = ("en", "ar")


def file_name(path: str, language: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "index"
    slug = re.sub(r"^manage-.*", "manage", slug)  # the manage token is a secret: not in file names
    return f"{slug}.{language}.png"


async def shoot(server: LiveServer, output: Path, languages: tuple[str, ...] = LANGUAGES) -> list[Path]:
    written = []
    async with async_playwright() as playwright:
        browser = await launch_browser(playwright)
        for language in languages:
            context = await browser.new_context(locale=language, viewport={"width": 1280, "height": 900})
            page = await context.new_page()
            for path in server.public_paths:
                response = await page.goto(server.base_url + path)
                if "text/html" in response.headers.get("content-type", ""):
                    written.append(output / file_name(path, language))
                    await page.screenshot(path=written[-1], full_page=True)
            errors_shot = await _form_errors(page, server, output, language)
            if errors_shot:
                written.append(errors_shot)
            await log_in(page, server)
            for path in server.staff_paths:
                response = await page.goto(server.base_url + path)
                if "text/html" in response.headers.get("content-type", ""):
                    written.append(output / file_name(path, language))
                    await page.screenshot(path=written[-1], full_page=True)
            await context.close()
        await browser.close()
    return written


async def _form_errors(page, server: LiveServer, output: Path, language: str) -> Path | None:
    """The session page after an empty registration submit: error summary and messages by the fields."""
    await page.goto(f"{server.base_url}/sessions/{server.session_id}")
    form = page.locator("form[action$='/register']")
    if not await form.count():
        print("screenshots: the session page has no registration form", file=sys.stderr)
        return None
    await form.evaluate("form => { form.noValidate = true; }")
    async with page.expect_navigation():
        await form.locator("[type=submit]").first.click()
    target = output / f"registration-errors.{language}.png"
    await page.screenshot(path=target, full_page=True)
    return target


def main(argv: list[str]) -> int:
    output = Path(argv[1] if len(argv) > 1 else "var/screenshots")
    reason = missing_tools()
    if reason:
        print(f"screenshots: cannot run, {reason}", file=sys.stderr)
        return 1
    output.mkdir(parents=True, exist_ok=True)
    server = start_server()
    try:
        written = asyncio.run(shoot(server, output, tuple(argv[2:]) or LANGUAGES))
    finally:
        server.stop()
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
