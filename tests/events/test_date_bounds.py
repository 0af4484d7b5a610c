"""Dates people enter stay within the years 2000..2100 (one rule, server.dates); a stored time outside (PostgreSQL's
``infinity``, year 9999, a naive text) neither takes pages, listings, feeds nor mail down."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from events.tables import Session
from registrations import notifications
from server.app import MAIL_BUILDERS
from server.i18n import gettext, use_locale
from server.mail.worker import WorkerOptions, deliver_due
from server.settings import Settings
from server.tables import OutboxMessage
from tests.conftest import IS_POSTGRES, Staff, login_cookie_client
from tests.events.helpers import create, create_published, page_field_errors, session_body, staff_form
from tests.mail_data import make_registration, make_session
from tests.smtp_server import (
    SmtpServer,
    text_of,
)

FAR_END = "9999-12-31T23:59:59.999999Z"
YEAR_ONE = "0001-01-01T00:00:00Z"


def out_of_range(language: str = "en") -> str:
    with use_locale(language):
        return gettext("Must be between the years %(earliest)s and %(latest)s.", earliest="2000", latest="2100")


def problems(response: httpx.Response) -> dict[str, str]:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return {error["field"]: error["message"] for error in response.json()["errors"]}


BAD_TIMES = [
    ("far_end", {"ends_at": FAR_END}, "ends_at"),
    ("year_one_start", {"starts_at": YEAR_ONE}, "starts_at"),
    ("year_2101_end", {"ends_at": "2101-01-01T00:00:00+14:00"}, "ends_at"),
    ("opens_in_1999", {"registration_opens_at": "1999-12-31T23:59:59-12:00"}, "registration_opens_at"),
    ("closes_far", {"registration_closes_at": FAR_END}, "registration_closes_at"),
]


@pytest.mark.parametrize(("case", "overrides", "field"), BAD_TIMES, ids=[c[0] for c in BAD_TIMES])
async def test_create_refuses_dates_out_of_range(client: httpx.AsyncClient, organiser: Staff, case: str,
                                                 overrides: dict, field: str) -> None:
    response = await client.post("/api/v1/sessions", json=session_body(**overrides),
                                 headers={**organiser.headers, "Accept-Language": "fr"})

    assert response.status_code == 422, response.text
    assert problems(response) == {field: out_of_range("fr")}
    assert await Session.count() == 0


async def test_patch_and_reschedule_refuse_dates_out_of_range(client: httpx.AsyncClient, organiser: Staff) -> None:
    session = await create_published(client, organiser)
    path = f"/api/v1/sessions/{session['id']}"

    patched = await client.patch(path, json={"ends_at": FAR_END}, headers=organiser.headers)
    moved = await client.post(f"{path}/reschedule", json={"starts_at": YEAR_ONE, "ends_at": FAR_END},
                              headers=organiser.headers)

    assert (patched.status_code, problems(patched)) == (422, {"ends_at": out_of_range()})
    assert (moved.status_code, problems(moved)) == (422, {"starts_at": out_of_range(), "ends_at": out_of_range()})
    assert (await client.get(path)).json()["ends_at"] == session["ends_at"]


@pytest.mark.parametrize("name", ["from", "to"])
async def test_listing_filters_refuse_dates_out_of_range(client: httpx.AsyncClient, name: str) -> None:
    response = await client.get("/api/v1/sessions", params={name: FAR_END})

    assert response.status_code == 422
    assert problems(response) == {name: out_of_range()}


async def test_listing_filter_in_range_still_works(client: httpx.AsyncClient, organiser: Staff) -> None:
    session = await create_published(client, organiser)

    response = await client.get("/api/v1/sessions", params={"from": "2000-01-01T00:00:00Z",
                                                             "to": "2100-12-31T23:59:59+14:00"})

    assert [item["id"] for item in response.json()["items"]] == [session["id"]]


@pytest.mark.parametrize(("zone", "field", "text"), [
    ("Pacific/Kiritimati", "ends_at", "9999-12-31T23:59"),
    ("Pacific/Pago_Pago", "starts_at", "0001-01-01T00:00"),
    ("Europe/Zurich", "registration_closes_at", "2101-01-01T00:00"),
])
async def test_staff_form_refuses_dates_out_of_range(client: httpx.AsyncClient, organiser: Staff, zone: str,
                                                     field: str, text: str) -> None:
    await login_cookie_client(client, organiser)

    response = await client.post("/staff/sessions/new", data=staff_form(client, timezone=zone, **{field: text}))

    assert response.status_code == 422
    assert page_field_errors(response.text) == {field: out_of_range()}
    assert await Session.count() == 0


async def test_staff_reschedule_form_refuses_dates_out_of_range(client: httpx.AsyncClient, admin: Staff) -> None:
    session = await create(client, admin, timezone="Pacific/Kiritimati")
    await login_cookie_client(client, admin)

    response = await client.post(f"/staff/sessions/{session['id']}/reschedule", data={
        "_csrf_token": client.cookies["convene_csrf"], "starts_at": "9999-12-31T22:00", "ends_at": "9999-12-31T23:59"})

    assert response.status_code == 422
    assert 'id="reschedule-error-starts_at"' in response.text
    assert out_of_range() in response.text


async def _store_extreme_times(session_id: int) -> None:
    """What an old bug could leave behind: ``infinity`` on PostgreSQL; on SQLite, year 9999 as naive text."""
    if IS_POSTGRES:
        sql = "UPDATE event_session SET starts_at = '9999-12-31 20:00:00+00', ends_at = 'infinity' WHERE id = {}"
    else:
        sql = ("UPDATE event_session SET starts_at = '9999-12-31T20:00:00+00:00', "
               "ends_at = '9999-12-31 23:59:59.999999' WHERE id = {}")
    await Session.raw(sql, session_id)


async def test_stored_extreme_times_keep_every_page_up(client: httpx.AsyncClient, organiser: Staff) -> None:
    session = await create_published(client, organiser)
    other = await create_published(client, organiser, title={"en": "Another webinar"})
    await _store_extreme_times(session["id"])
    client.cookies.set("convene_tz", "Pacific/Kiritimati")  # UTC+14: year 9999 would overflow there

    public = [await client.get(path) for path in (
        "/", "/api/v1/sessions", f"/api/v1/sessions/{session['id']}", f"/sessions/{session['id']}",
        f"/sessions/{session['id']}/calendar.ics", "/calendar.ics")]
    await login_cookie_client(client, organiser)
    staff = [await client.get(path) for path in ("/staff/sessions", f"/staff/sessions/{session['id']}")]

    assert [r.status_code for r in public + staff] == [200] * 8
    listed = {item["id"]: item for item in public[1].json()["items"]}
    assert sorted(listed) == [session["id"], other["id"]]
    # Read back as the far guard date, aware, in the session's zone; not completed (its end has not passed).
    assert listed[session["id"]]["ends_at"] == "2200-01-01T01:00:00+01:00"
    assert listed[session["id"]]["status"] == "published"


async def test_stored_extreme_times_still_render_mail(mail_settings: Settings, smtp: SmtpServer) -> None:
    session = await make_session()
    reg = await make_registration(session["id"], "tarawa@example.org", timezone="Pacific/Kiritimati")
    await _store_extreme_times(session["id"])
    await notifications.notify_registration_confirmed(reg, settings=mail_settings)

    await deliver_due(
        mail_settings, builders=MAIL_BUILDERS, options=WorkerOptions(backoff_seconds=0.01, backoff_max_seconds=0.05)
    )

    (received,) = smtp.sink.take(1)
    assert received.recipients == ["tarawa@example.org"]
    # The guard date, 2200-01-01 00:00 UTC, read in the registrant's zone (UTC+14).
    assert "Wednesday, January 1, 2200" in text_of(received.message, "plain")
    row = await OutboxMessage.select(OutboxMessage.status).first()
    assert row["status"] == "sent"


async def test_previous_times_of_year_9999_in_a_queued_reschedule_mail_still_render(mail_settings: Settings,
                                                                                    smtp: SmtpServer) -> None:
    session = await make_session()
    await make_registration(session["id"], "tarawa@example.org", timezone="Pacific/Kiritimati")
    # What a reschedule decided before the bound existed could have queued.
    await notifications.notify_session_rescheduled(
        session["id"], datetime(9999, 12, 31, 20, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        settings=mail_settings)

    await deliver_due(
        mail_settings, builders=MAIL_BUILDERS, options=WorkerOptions(backoff_seconds=0.01, backoff_max_seconds=0.05)
    )

    (received,) = smtp.sink.take(1)
    assert "January 1, 2200" in text_of(received.message, "plain")
    assert (await OutboxMessage.select(OutboxMessage.status).first())["status"] == "sent"
