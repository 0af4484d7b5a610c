"""The staff detail page warns of overlapping sessions (same series, or an organiser in common), as the API's
``warnings`` do: after creating, editing or rescheduling, the page it lands on says so."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import httpx

from events.tables import Session
from server.i18n import format_list, format_time_range, gettext, ngettext, use_locale
from tests.conftest import Staff, login_cookie_client
from tests.events.helpers import create, future, staff_form
from tests.server.helpers import csrf_token


def overlap_notice(page: str) -> str | None:
    """The text of the overlap notice (tags dropped, spaces collapsed), or None when there is none."""
    found = re.search(r'<div class="notice" role="status" id="overlaps">(.*?)</div>', page, re.DOTALL)
    if found is None:
        return None
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


async def _times(session_id: int) -> str:
    row = await Session.select(Session.starts_at, Session.ends_at, Session.timezone).where(
        Session.id == session_id).first()
    return format_time_range(row["starts_at"], row["ends_at"], row["timezone"])


def expected_notice(*others: tuple[str, str, list[str]]) -> str:
    """The notice for (title, time, reasons) of each other session, in the current language."""
    lines = [ngettext("This session overlaps %(num)s other session:", "This session overlaps %(num)s other sessions:",
                      len(others))]
    for title, time, reasons in others:
        lines.append(title + " " + gettext("%(time)s — %(reasons)s", time=time,
                                           reasons=format_list([gettext(r) for r in reasons])))
    return " ".join(" ".join(lines).split())


async def test_created_session_page_warns_of_an_overlap_with_the_same_organiser(client: httpx.AsyncClient,
                                                                                organiser: Staff) -> None:
    await login_cookie_client(client, organiser)
    first = await client.post("/staff/sessions/new", data=staff_form(client, title_en="First webinar"))
    second = await client.post("/staff/sessions/new", data=staff_form(client, title_en="Second webinar"))
    first_id = int(first.headers["location"].rsplit("/", 1)[1])

    page = await client.get(second.headers["location"])

    with use_locale("en"):
        expected = expected_notice(("First webinar", await _times(first_id), ["an organiser in common"]))
    assert (first.status_code, second.status_code) == (303, 303)
    assert overlap_notice(page.text) == expected
    assert f'<a href="/staff/sessions/{first_id}">First webinar</a>' in page.text


async def test_session_without_overlap_has_no_notice(client: httpx.AsyncClient, organiser: Staff) -> None:
    session = await create(client, organiser)
    await login_cookie_client(client, organiser)

    page = await client.get(f"/staff/sessions/{session['id']}")

    assert overlap_notice(page.text) is None


async def test_rescheduled_onto_another_session_the_page_warns_in_the_viewers_language(
    client: httpx.AsyncClient, organiser: Staff
) -> None:
    other = await create(client, organiser, title={"en": "Other webinar"}, starts_at=future(20, 9).isoformat(),
                         ends_at=future(20, 11).isoformat())
    session = await create(client, organiser, title={"en": "Moved webinar"})
    await login_cookie_client(client, organiser)
    client.cookies.set("convene_lang", "ar")
    # Half an hour into the other session, in the moved session's own zone (the form's).
    start = future(20, 9).astimezone(ZoneInfo("Europe/Zurich")) + timedelta(minutes=30)

    moved = await client.post(f"/staff/sessions/{session['id']}/reschedule", data={
        "_csrf_token": await csrf_token(client), "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")})
    page = await client.get(moved.headers["location"])

    with use_locale("ar"):
        expected = expected_notice(("Other webinar", await _times(other["id"]), ["an organiser in common"]))
    assert moved.status_code == 303
    assert overlap_notice(page.text) == expected


async def test_someone_elses_overlapping_draft_in_the_series_is_named_by_number(
    client: httpx.AsyncClient, admin: Staff, organiser: Staff
) -> None:
    series = (await client.post("/api/v1/series", json={"title": {"en": "Reviews"}}, headers=admin.headers)).json()
    secret = await create(client, admin, title={"en": "Unannounced draft"}, series_id=series["id"])
    session = await create(client, organiser, series_id=series["id"])
    await login_cookie_client(client, organiser)

    page = await client.get(f"/staff/sessions/{session['id']}")

    with use_locale("en"):
        expected = expected_notice((f"Session {secret['id']}", await _times(secret["id"]), ["same series"]))
    assert overlap_notice(page.text) == expected
    assert "Unannounced draft" not in page.text
