"""Extra questions in the browser, in English and Arabic: the staff page that defines them (and its errors) and
the registration form that asks them, by axe-core and by keyboard only."""

from __future__ import annotations

import httpx
import pytest

from tests.browser.harness import log_in
from tests.browser.test_accessibility import KEYBOARD_VALUES, check_page, fill_by_keyboard, open_page

pytestmark = [pytest.mark.engine_independent, pytest.mark.browser]


async def test_staff_questions_page_and_its_errors_meet_wcag_21_aa(live_server, page, language):
    await log_in(page, live_server)
    path = f"{live_server.base_url}/staff/sessions/{live_server.session_id}/questions"
    await open_page(page, path)
    assert await page.locator("main fieldset").count() == 5  # the four questions and an empty one to add
    shown = await check_page(page, language)
    # A new choice question without choices: refused beside its field, with the summary linking there.
    await page.locator("#field-q4-kind").select_option("choices")
    await page.locator("#field-q4-label").fill("Region of work")
    async with page.expect_navigation():
        await page.locator("main form [type=submit]").click()
    assert await page.locator(".error-summary a[href='#field-q4-choices']").count() == 1
    assert await page.locator("#field-q4-choices[aria-invalid=true]").count() == 1
    assert (shown, await check_page(page, language)) == ({}, {})


async def test_staff_questions_page_is_walked_and_linked(live_server, page, language):
    await log_in(page, live_server)
    await open_page(page, f"{live_server.base_url}/staff/sessions/{live_server.session_id}")
    link = page.locator(f"main a[href='/staff/sessions/{live_server.session_id}/questions']")
    assert await link.count() == 1
    assert f"/staff/sessions/{live_server.session_id}/questions" in live_server.staff_paths


async def test_registration_answering_questions_by_keyboard_only(live_server, page, language):
    """Tab through the form; answer the position by typing, the choice with the arrow keys, a topic with Space,
    then Enter on the submit button: the registration keeps the answers."""
    await open_page(page, f"{live_server.base_url}/sessions/{live_server.session_id}")
    await page.locator("body").focus()
    email = f"questions.{language}.{KEYBOARD_VALUES['email']}"
    for _ in range(300):
        await page.keyboard.press("Tab")
        field = await page.evaluate(
            """() => { const el = document.activeElement;
                const form = el && el.closest("form[action$='/register']");
                return form ? {tag: el.tagName.toLowerCase(), type: el.type || "", name: el.name || "",
                               required: el.required, value: el.value, checked: !!el.checked} : null; }"""
        )
        if field is None:
            continue
        if field["tag"] == "button" or field["type"] == "submit":
            async with page.expect_navigation():
                await page.keyboard.press("Enter")
            break
        if field["name"].startswith("answer-"):
            await _answer_by_keyboard(page, field)
        else:
            await fill_by_keyboard(page, field, email)
    assert "/manage/" in page.url, await page.locator("main").inner_text()
    headers = {"Authorization": f"Bearer {live_server.staff_token}"}
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=10) as http:
        found = await http.get(f"/api/v1/sessions/{live_server.session_id}/registrations",
                               params={"search": email}, headers=headers)
    listed = found.json()["items"]
    answers = listed[0]["answers"]
    assert [answers[key] for key in sorted(answers, key=int)] == ["Head of unit", "none", ["climate"]]


async def _answer_by_keyboard(page, field: dict) -> None:
    if field["tag"] == "select" and not field["value"] and "first" not in await _label(page):
        await page.keyboard.press("ArrowDown")  # the first choice
    elif field["type"] == "checkbox" and field["value"] == "climate":
        await page.keyboard.press("Space")
    elif field["type"] == "text" and not field["value"]:
        await page.keyboard.type("Head of unit")


async def _label(page) -> str:
    """The English or Arabic wording of the focused field's question, lower-cased."""
    text = await page.evaluate("() => document.activeElement.labels[0].innerText.toLowerCase()")
    return text.replace("أول مرة", "first")
