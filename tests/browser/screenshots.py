"""`make screenshots`: a full-page PNG of every page in English and Arabic, for reviewers; with ``--docs``, the
few small PNGs the README shows (the main pages, one of them in Arabic), kept in git under docs/screenshots/.

Usage: python -m tests.browser.screenshots [OUTPUT_DIR [LANGUAGE ...]]   (default var/screenshots en ar)
       python -m tests.browser.screenshots --docs [OUTPUT_DIR]            (default docs/screenshots)
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


#: The README's pictures: (file, language, path or a key of the server's pages, whether staff, element to show).
DOCS_SHOTS = [
    ("home.en.png", "en", "/", False, None),
    ("session.en.png", "en", "session", False, None),
    ("registration-form.en.png", "en", "session", False, "form[action$='/register']"),
    ("staff-session.en.png", "en", "staff-session", True, None),
    ("home.ar.png", "ar", "/", False, None),
]


async def shoot_docs(server: LiveServer, output: Path) -> list[Path]:
    """The viewport only (1024 by 720 CSS pixels), scrolled to an element or not, so each file stays under 150 KB."""
    paths = {"session": f"/sessions/{server.session_id}", "staff-session": f"/staff/sessions/{server.session_id}"}
    written = []
    async with async_playwright() as playwright:
        browser = await launch_browser(playwright)
        for name, language, path, staff, element in DOCS_SHOTS:
            context = await browser.new_context(locale=language, viewport={"width": 1024, "height": 720},
                                                timezone_id="Europe/Zurich")
            page = await context.new_page()
            if staff:
                await log_in(page, server)
            await page.goto(server.base_url + paths.get(path, path))
            await page.wait_for_function("document.body.dataset.timezone === 'Europe/Zurich'")
            await page.wait_for_load_state("load")
            written.append(output / name)
            if element:  # its top, in the viewport
                await page.locator(element).evaluate("element => element.scrollIntoView()")
            await page.screenshot(path=written[-1])
            await context.close()
        await browser.close()
    return written


def main(argv: list[str]) -> int:
    docs = "--docs" in argv
    argv = [arg for arg in argv if arg != "--docs"]
    output = Path(argv[1] if len(argv) > 1 else "docs/screenshots" if docs else "var/screenshots")
    reason = missing_tools()
    if reason:
        print(f"screenshots: cannot run, {reason}", file=sys.stderr)
        return 1
    output.mkdir(parents=True, exist_ok=True)
    server = start_server()
    try:
        if docs:
            written = asyncio.run(shoot_docs(server, output))
        else:
            written = asyncio.run(shoot(server, output, tuple(argv[2:]) or LANGUAGES))
    finally:
        server.stop()
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
