"""The attendance pages in Chromium, in English and Arabic: axe-core with rows on both (an imported report puts
people on the review list), and the check-in by keyboard only (type to filter, Tab to the row, Enter)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.browser.harness import log_in
from tests.browser.test_accessibility import check_page, open_page

pytestmark = [pytest.mark.engine_independent, pytest.mark.browser]


def _zoom_report(starts: datetime) -> bytes:
    """A Zoom meeting participants export of the session's day (times in UTC): one registrant, two strangers."""
    def at(minutes: int) -> str:
        return (starts + timedelta(minutes=minutes)).strftime("%m/%d/%Y %I:%M:%S %p")

    rows = [
        "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest",
        f"Amina Haddad,amina.haddad@example.org,{at(0)},{at(100)},100,No",
        f"Phone User (Tablet),,{at(5)},{at(40)},35,Yes",
        f"محمد العلي,,{at(10)},{at(90)},80,Yes",
    ]
    return "\ufeff".encode() + "\r\n".join(rows).encode() + b"\r\n"


@pytest.fixture(scope="module")
def imported(live_server) -> int:
    """The harness session with a report imported through the API (the same file again changes nothing)."""
    headers = {"Authorization": f"Bearer {live_server.staff_token}"}
    session = httpx.get(f"{live_server.base_url}/api/v1/sessions/{live_server.session_id}", headers=headers).json()
    starts = datetime.fromisoformat(session["starts_at"]).astimezone(UTC).replace(tzinfo=None)
    response = httpx.post(
        f"{live_server.base_url}/api/v1/sessions/{live_server.session_id}/attendance/import", headers=headers,
        files={"file": ("participants.csv", _zoom_report(starts), "text/csv")}, data={"timezone": "UTC"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return live_server.session_id


async def test_attendance_pages_with_rows_meet_wcag_21_aa(live_server, imported, page, language):
    await log_in(page, live_server)
    problems = {}
    for path in (f"/staff/sessions/{imported}/attendance", f"/staff/sessions/{imported}/attendance/review",
                 f"/staff/sessions/{imported}/attendance?search=amina"):
        assert await open_page(page, live_server.base_url + path) == 200
        if found := await check_page(page, language):
            problems[path] = found
    assert problems == {}
    assert await page.locator("text=Amina Haddad").count() >= 1


async def test_checkin_by_keyboard_only(live_server, imported, page, language):
    """Type part of a name in the search field (the list narrows as one types), Tab to that person's button and
    press Enter: the page comes back with them checked in."""
    name = f"Keyboard Checkin {language.upper()}"
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=10) as http:
        registered = await http.post(
            f"/api/v1/sessions/{imported}/registrations",
            json={"name": name, "email": f"keyboard.{language}@example.org", "organisation": "Diaspora Forum",
                  "stakeholder_category": "civil_society", "country": "KE", "preferred_language": language,
                  "timezone": "Africa/Nairobi", "consent_processing": True},
        )
    assert registered.status_code == 201, registered.text
    await log_in(page, live_server)
    await open_page(page, f"{live_server.base_url}/staff/sessions/{imported}/attendance")

    await page.locator("#field-search").focus()
    await page.keyboard.type(name.lower()[:16] + " " + language)
    visible = await page.locator("#checkin-rows tr:not([hidden]) th").all_inner_texts()
    assert visible == [name]
    reached = False
    for _ in range(10):
        await page.keyboard.press("Tab")
        focused = await page.evaluate(
            """() => { const el = document.activeElement; const row = el.closest('tr');
                return {value: el.value || '', row: row ? row.querySelector('th').innerText : ''}; }"""
        )
        if focused == {"value": "attended", "row": name}:
            reached = True
            break
    assert reached, "the row's button was never reached with Tab"
    async with page.expect_navigation():
        await page.keyboard.press("Enter")

    assert page.url.endswith("/attendance?done=marked")
    await open_page(page, f"{live_server.base_url}/staff/sessions/{imported}/attendance?search=keyboard")
    row = page.locator("#checkin-rows tr", has_text=name)
    assert await row.locator("button").count() == 0  # checked in: no button left on the row
