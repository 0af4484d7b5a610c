"""Words, not codes, and numbers that keep their order, in headless Chromium: the meeting ID and the dial-in number
read left to right on an Arabic page (measured where the browser draws each digit group), the browser's zone is
preselected in the list of zones, the forms' lists work from the keyboard, and the staff list fits 1280 and 320
CSS pixels in both directions without the page scrolling sideways."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.browser.harness import describe_violations, log_in, run_axe

pytestmark = [pytest.mark.engine_independent, pytest.mark.browser]

# Where each of ``groups`` is drawn inside the first element matching ``selector`` whose text holds ``text``:
# the left edge of each group's box (Range.getClientRects), in the order the groups come in the text.
GROUP_LEFTS = """([selector, text, groups]) => {
    const element = [...document.querySelectorAll(selector)].find(e => e.textContent.includes(text));
    if (!element) { return null; }
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode()) && !node.data.includes(text)) {}
    if (!node) { return null; }
    const start = node.data.indexOf(text);
    let from = start;
    return groups.map(group => {
        const at = node.data.indexOf(group, from);
        from = at + group.length;
        const range = document.createRange();
        range.setStart(node, at);
        range.setEnd(node, at + group.length);
        return range.getClientRects()[0].left;
    });
}"""


async def _lefts(page, selector: str, text: str, groups: list[str]) -> list[float]:
    lefts = await page.evaluate(GROUP_LEFTS, [selector, text, groups])
    assert lefts is not None, text
    return lefts


async def _arabic_manage_path_with_join_details(live_server) -> str:
    """A published session with a meeting ID and a dial-in number, and a confirmed registrant who reads Arabic."""
    headers = {"Authorization": f"Bearer {live_server.staff_token}"}
    starts = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=9)
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=10) as http:
        created = await http.post("/api/v1/sessions", headers=headers, json={
            "kind": "webinar", "title": {"en": "Dial-in test", "ar": "اختبار الاتصال الهاتفي"},
            "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=1)).isoformat(),
            "timezone": "Europe/Zurich", "floor_language": "en",
            "join": {"url": "https://meet.example.org/j/123456789", "meeting_id": "123 456 789",
                     "passcode": "gcm2020", "dial_in": "+41 22 000 00 00"},
        })
        assert created.status_code == 201, created.text
        session_id = created.json()["id"]
        assert (await http.post(f"/api/v1/sessions/{session_id}/publish", headers=headers)).status_code == 200
        registered = await http.post(f"/api/v1/sessions/{session_id}/registrations", json={
            "name": "Layla Nasser", "email": "layla.nasser@example.org", "stakeholder_category": "academia",
            "country": "LB", "preferred_language": "ar", "timezone": "Asia/Beirut", "consent_processing": True,
        })
        assert registered.json()["status"] == "confirmed", registered.text
    return httpx.URL(registered.json()["manage_url"]).path


async def test_meeting_id_and_phone_number_read_left_to_right_in_arabic(live_server, page):
    await page.goto(live_server.base_url + await _arabic_manage_path_with_join_details(live_server))

    assert await page.evaluate("document.documentElement.dir") == "rtl"
    meeting = await _lefts(page, "#join-heading ~ dl dd", "123 456 789", ["123", "456", "789"])
    phone = await _lefts(page, "#join-heading ~ dl dd", "+41 22 000 00 00", ["+41", "22", "000", "00", "00"])

    assert meeting == sorted(meeting) and len(set(meeting)) == 3
    assert phone == sorted(phone) and len(set(phone)) == 5


async def test_unisolated_digits_would_be_reversed_in_arabic(live_server, page):
    """The canary: the same measure reads an Arabic sentence holding the bare number right to left."""
    await page.goto(live_server.base_url + live_server.manage_path)
    await page.evaluate("""() => { const p = document.createElement('p'); p.id = 'canary';
        p.textContent = 'رقم الاجتماع: 123 456 789 للانضمام'; document.querySelector('main').append(p); }""")

    lefts = await _lefts(page, "#canary", "123 456 789", ["123", "456", "789"])

    assert lefts == sorted(lefts, reverse=True)


async def test_browsers_zone_is_preselected_in_the_list(live_server, browser):
    context = await browser.new_context(locale="en", timezone_id="Asia/Beirut")
    page = await context.new_page()
    try:
        await page.goto(f"{live_server.base_url}/sessions/{live_server.session_id}")
        selected = await page.evaluate(
            "() => { const s = document.getElementById('field-timezone');"
            " return [s.value, s.selectedOptions[0].text]; }")
        assert selected == ["Asia/Beirut", "Beirut — Lebanon (Asia/Beirut)"]
    finally:
        await context.close()


async def test_zone_and_languages_are_chosen_from_the_keyboard(live_server, page, language):
    await page.goto(f"{live_server.base_url}/sessions/{live_server.session_id}")
    await page.focus("#field-preferred_language")
    await page.keyboard.press("Tab")

    assert await page.evaluate("document.activeElement.id") == "field-timezone"
    await page.keyboard.type("Geneva")
    assert await page.evaluate("document.activeElement.value") == "Europe/Zurich"
    await page.focus("#field-interpretation_language_other")
    await page.keyboard.press("ArrowDown")
    chosen = await page.evaluate("[document.activeElement.value, document.activeElement.selectedOptions[0].text]")
    names = {"en": ["ab", "Abkhazian"], "ar": ["ab", "الأبخازية"]}
    assert chosen == names[language]


@pytest.mark.parametrize("width", [1280, 320])
async def test_staff_list_fits_the_screen(live_server, page, language, width):
    await log_in(page, live_server)
    await page.set_viewport_size({"width": width, "height": 900})
    await page.goto(f"{live_server.base_url}/staff/sessions/{live_server.session_id}/registrations")
    assert await page.locator("table.registrations tbody.registration").count() >= 1

    fits = await page.evaluate("""() => {
        const region = document.querySelector('table.registrations').closest('.table-scroll');
        return [document.documentElement.scrollWidth <= window.innerWidth, region.scrollWidth <= region.clientWidth];
    }""")
    headers = await page.locator("table.registrations thead th").all_inner_texts()
    await page.locator("table.registrations details summary").first.click()
    opened = await page.locator("table.registrations details[open] dl").first.is_visible()
    still_fits = await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    violations = await run_axe(page)

    assert fits == [True, True]
    assert len(headers) == 4
    assert opened and still_fits
    assert describe_violations(violations) == ""
