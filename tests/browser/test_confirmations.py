"""The confirmation pages and the password reset in headless Chromium, in English and Arabic: reached and
submitted with the keyboard only, each page passing axe-core (WCAG 2.1 AA), right to left in Arabic, strict CSP."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import httpx
import pytest

from tests.browser.harness import ROOT, _convene, _create_session, _environment, log_in
from tests.browser.test_accessibility import check_page, open_page

pytestmark = [pytest.mark.engine_independent, pytest.mark.browser]


async def _tab_to(page, selector: str, limit: int = 200) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} was never reached with Tab")


async def _activate(page, selector: str) -> None:
    await _tab_to(page, selector)
    async with page.expect_navigation():
        await page.keyboard.press("Enter")


async def test_cancelling_a_session_by_keyboard_through_its_confirmation(live_server, page, language):
    session_id = _create_session(live_server)
    await log_in(page, live_server)
    await open_page(page, f"{live_server.base_url}/staff/sessions/{session_id}")
    await page.locator("body").focus()

    await _activate(page, f"a[href='/staff/sessions/{session_id}/cancel']")
    confirmation_problems = await check_page(page, language)
    await _tab_to(page, "#field-reason-en")
    await page.keyboard.type("The speaker is ill.")
    await _activate(page, "main form button[type=submit]")

    assert confirmation_problems == {}
    assert page.url.endswith(f"/staff/sessions/{session_id}")
    async with httpx.AsyncClient(timeout=10) as http:
        read = await http.get(f"{live_server.base_url}/api/v1/sessions/{session_id}",
                              headers={"Authorization": f"Bearer {live_server.staff_token}"})
    assert read.json()["status"] == "cancelled"


async def test_cancelling_a_registration_by_keyboard_through_its_confirmation(live_server, page, language):
    async with httpx.AsyncClient(timeout=10) as http:
        registered = (await http.post(
            f"{live_server.base_url}/api/v1/sessions/{live_server.session_id}/registrations", json={
                "name": "Layla Nasser", "email": f"layla.{language}@example.org", "organisation": "Migrant Forum",
                "stakeholder_category": "civil_society", "country": "LB", "preferred_language": language,
                "timezone": "Asia/Beirut", "consent_processing": True})).json()
    path = registered["manage_url"].split("://", 1)[1].split("/", 1)[1]
    await open_page(page, f"{live_server.base_url}/{path}")
    await page.locator("body").focus()

    await _activate(page, f"a[href='/{path}/cancel']")
    confirmation_problems = await check_page(page, language)
    await _activate(page, "main form button[type=submit]")

    assert confirmation_problems == {}
    assert page.url.endswith(f"/{path}")
    async with httpx.AsyncClient(timeout=10) as http:
        read = await http.get(f"{live_server.base_url}/api/v1/{path}")
    assert read.json()["status"] == "cancelled"


def _reset_link_for(live_server, email: str) -> str:
    """A reset link for the account, written as the service writes them (the server sends no mail in these
    tests, so the link is made here rather than read from a message)."""
    env = _environment(live_server.directory)
    token = hashlib.sha256(email.encode()).hexdigest()
    script = (
        "import asyncio; from datetime import UTC, datetime, timedelta; "
        "from server.tables import PasswordReset, User\n"
        "async def main():\n"
        f"    user = await User.select(User.id).where(User.email == {email!r}).first()\n"
        "    now = datetime.now(UTC)\n"
        "    await PasswordReset.insert(PasswordReset(address='127.0.0.1', email_hash='x', user=user['id'], "
        f"token_hash={hashlib.sha256(token.encode()).hexdigest()!r}, created_at=now, "
        "expires_at=now + timedelta(hours=1)))\n"
        "asyncio.run(main())"
    )
    subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, check=True, timeout=60)
    return f"/staff/password-reset/{token}"


async def test_password_reset_by_keyboard(live_server, page, language):
    email = f"reset.{language}@example.org"
    _convene(_environment(live_server.directory), "user", "create", email, "--role", "organiser")
    await open_page(page, f"{live_server.base_url}/staff/login")
    await page.locator("body").focus()

    await _activate(page, "a[href='/staff/password-reset']")
    ask_problems = await check_page(page, language)
    await _tab_to(page, "#reset-email")
    await page.keyboard.type(email)
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    sent_problems = await check_page(page, language)
    sent_text = await page.locator("main [role=status]").inner_text()
    link = _reset_link_for(live_server, email)  # after asking: asking again replaces earlier links

    await open_page(page, live_server.base_url + link)
    await page.locator("body").focus()
    await _tab_to(page, "#reset-password")
    await page.keyboard.type("short")
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    error_problems = await check_page(page, language)
    await _tab_to(page, "#reset-password")
    await page.keyboard.type("a long new password")
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    done_problems = await check_page(page, language)
    again = await open_page(page, live_server.base_url + link)
    invalid_problems = await check_page(page, language)

    assert (ask_problems, sent_problems, error_problems, done_problems, invalid_problems) == ({}, {}, {}, {}, {})
    assert sent_text.strip() != ""
    assert again == 410
