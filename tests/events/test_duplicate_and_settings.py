"""Duplicating a session (API and staff page) and the settings the staff form now carries (reminders, waitlist
cut-off, retention), through real HTTP."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from events.calendar import session_uid
from tests.conftest import Staff, login_cookie_client
from tests.events.helpers import create, create_published, field_errors, future, page_field_errors, staff_form

#: Every field of the staff view a copy keeps as it is.
KEPT = ("series_id", "kind", "title", "description", "timezone", "capacity", "audience", "floor_language",
        "interpretation_languages", "accessibility_provisions", "sign_languages", "region", "venue",
        "in_person_capacity", "organiser_ids", "join", "waitlist_cutoff_minutes", "reminder_offsets",
        "retention_days")


async def _rich_session(client: httpx.AsyncClient, admin: Staff, organiser: Staff) -> dict:
    series = await client.post("/api/v1/series", json={"title": {"en": "GCM reviews"}}, headers=admin.headers)
    starts = future(10, 12)
    return await create_published(
        client, admin, series_id=series.json()["id"], capacity=25, audience="approval", region="ESCWA",
        interpretation_languages=["ar", "fr"], accessibility_provisions=["captions_cart", "national_sign_language"],
        sign_languages=["ase"], venue="Palais des Nations", in_person_capacity=10,
        organiser_ids=[organiser.id], description={"en": "About mobility"},
        join={"url": "https://meet.example.org/1", "meeting_id": "123 456 789", "passcode": "p", "dial_in": ""},
        agenda=[{"title": {"en": "Opening", "fr": "Ouverture"}, "speakers": "Chair", "minutes": 10},
                {"title": {"en": "Debate"}, "speakers": "", "minutes": None}],
        waitlist_cutoff_minutes=45, reminder_offsets=[2880, 30], retention_days=90,
        registration_closes_at=(starts - timedelta(days=1)).isoformat(),
    )


async def test_duplicate_copies_settings_agenda_and_organisers_as_a_draft(client: httpx.AsyncClient, admin: Staff,
                                                                        organiser: Staff) -> None:
    original = await _rich_session(client, admin, organiser)
    new_start = future(40, 14)

    response = await client.post(f"/api/v1/sessions/{original['id']}/duplicate", headers=organiser.headers, json={
        "starts_at": new_start.isoformat(), "ends_at": (new_start + timedelta(hours=2)).isoformat()})

    assert response.status_code == 201, response.text
    copy = response.json()
    assert copy["id"] == original["id"] + 1
    assert {name: copy[name] for name in KEPT} == {name: original[name] for name in KEPT}
    assert copy["agenda"] == original["agenda"]
    assert len(copy["agenda"]) == 2
    assert copy["status"] == "draft"
    assert copy["sequence"] == 0
    assert copy["seats_taken"] == 0
    assert datetime.fromisoformat(copy["starts_at"]) == new_start
    assert datetime.fromisoformat(copy["ends_at"]) == new_start + timedelta(hours=2)
    assert datetime.fromisoformat(copy["registration_closes_at"]) == new_start - timedelta(days=1)
    assert session_uid(copy["id"], "http://x") != session_uid(original["id"], "http://x")
    unchanged = (await client.get(f"/api/v1/sessions/{original['id']}", headers=admin.headers)).json()
    assert unchanged["status"] == "published"
    assert unchanged["starts_at"] == original["starts_at"]


async def test_duplicate_bad_times_name_the_field_and_write_nothing(client: httpx.AsyncClient,
                                                                   admin: Staff) -> None:
    original = await create(client, admin)
    starts = future(20)
    url = f"/api/v1/sessions/{original['id']}/duplicate"

    backwards = await client.post(url, headers=admin.headers, json={
        "starts_at": starts.isoformat(), "ends_at": (starts - timedelta(hours=1)).isoformat()})
    past = await client.post(url, headers=admin.headers, json={
        "starts_at": future(-3).isoformat(), "ends_at": future(-3, 13).isoformat()})
    missing = await client.post(url, headers=admin.headers, json={"starts_at": starts.isoformat()})
    naive = await client.post(url, headers=admin.headers, json={
        "starts_at": "2030-01-01T10:00:00", "ends_at": "2030-01-01T11:00:00"})

    assert (backwards.status_code, field_errors(backwards)) == (422, ["ends_at"])
    assert (past.status_code, field_errors(past)) == (422, ["starts_at", "ends_at"])
    assert (missing.status_code, field_errors(missing)) == (400, ["ends_at"])
    assert (naive.status_code, field_errors(naive)) == (400, ["starts_at"])
    listed = await client.get(f"/api/v1/sessions/{original['id'] + 1}", headers=admin.headers)
    assert listed.status_code == 404


async def test_duplicate_page_prefills_a_week_later_and_makes_the_copy(client: httpx.AsyncClient, admin: Staff,
                                                                      organiser: Staff) -> None:
    original = await _rich_session(client, admin, organiser)
    await login_cookie_client(client, organiser)
    detail = await client.get(f"/staff/sessions/{original['id']}")
    assert f'href="/staff/sessions/{original["id"]}/duplicate"' in detail.text
    assert "Calendar sequence" not in detail.text

    form = await client.get(f"/staff/sessions/{original['id']}/duplicate")

    zone = ZoneInfo("Europe/Zurich")
    week_later = datetime.fromisoformat(original["starts_at"]).astimezone(zone) + timedelta(days=7)
    assert form.status_code == 200
    assert f'value="{week_later.strftime("%Y-%m-%dT%H:%M")}"' in form.text
    assert "Start of the copy (Europe/Zurich)" in form.text
    response = await client.post(f"/staff/sessions/{original['id']}/duplicate", data={
        "_csrf_token": client.cookies["convene_csrf"], "starts_at": "2031-05-06T09:30", "ends_at": "2031-05-06T11:00"})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/staff/sessions/{original['id'] + 1}"
    copy = (await client.get(f"/api/v1/sessions/{original['id'] + 1}", headers=organiser.headers)).json()
    assert copy["starts_at"] == "2031-05-06T09:30:00+02:00"
    assert copy["ends_at"] == "2031-05-06T11:00:00+02:00"
    assert copy["status"] == "draft"
    assert copy["organiser_ids"] == [organiser.id]


async def test_duplicate_page_shows_errors_beside_the_fields(client: httpx.AsyncClient, admin: Staff) -> None:
    original = await create(client, admin)
    await login_cookie_client(client, admin)

    response = await client.post(f"/staff/sessions/{original['id']}/duplicate", data={
        "_csrf_token": client.cookies["convene_csrf"], "starts_at": "2031-05-06T09:30", "ends_at": "2031-05-06T08:00"})
    empty = await client.post(f"/staff/sessions/{original['id']}/duplicate", data={
        "_csrf_token": client.cookies["convene_csrf"], "starts_at": "", "ends_at": "2031-05-06T08:00"})

    assert response.status_code == 422
    assert page_field_errors(response.text) == {"ends_at": "The end must be after the start."}
    assert 'value="2031-05-06T08:00"' in response.text
    assert empty.status_code == 422
    assert page_field_errors(empty.text) == {"starts_at": "This field is required."}
    assert (await client.get(f"/api/v1/sessions/{original['id'] + 1}", headers=admin.headers)).status_code == 404


async def test_staff_form_saves_reminders_cutoff_and_retention(client: httpx.AsyncClient, organiser: Staff) -> None:
    await login_cookie_client(client, organiser)
    new_page = await client.get("/staff/sessions/new")
    assert 'name="reminder_offsets" type="text" value="1440, 60"' in new_page.text
    assert 'name="waitlist_cutoff_minutes" type="number" value="120"' in new_page.text
    assert 'name="retention_days" type="number" value="365"' in new_page.text

    created = await client.post("/staff/sessions/new", data=staff_form(
        client, reminder_offsets="2880, 30", waitlist_cutoff_minutes="45", retention_days="30"))

    assert created.status_code == 303, created.text
    read = (await client.get("/api/v1/sessions/1", headers=organiser.headers)).json()
    assert (read["reminder_offsets"], read["waitlist_cutoff_minutes"], read["retention_days"]) == ([2880, 30], 45, 30)
    edit_page = await client.get("/staff/sessions/1")
    assert 'value="2880, 30"' in edit_page.text
    edited = await client.post("/staff/sessions/1", data=staff_form(
        client, reminder_offsets="", waitlist_cutoff_minutes="0", retention_days="3650"))
    assert edited.status_code == 303, edited.text
    read = (await client.get("/api/v1/sessions/1", headers=organiser.headers)).json()
    assert (read["reminder_offsets"], read["waitlist_cutoff_minutes"], read["retention_days"]) == ([], 0, 3650)


async def test_staff_form_settings_bad_input_beside_the_fields(client: httpx.AsyncClient, organiser: Staff) -> None:
    await login_cookie_client(client, organiser)

    response = await client.post("/staff/sessions/new", data=staff_form(
        client, reminder_offsets="60, soon", waitlist_cutoff_minutes="-5", retention_days="0"))
    too_many = await client.post("/staff/sessions/new", data=staff_form(client, reminder_offsets="1 2 3 4 5 6"))

    assert response.status_code == 422
    assert page_field_errors(response.text) == {
        "reminder_offsets": "Enter a whole number.",
        "waitlist_cutoff_minutes": "Must be a whole number of 0 or more.",
        "retention_days": "Must be a whole number of 1 or more.",
    }
    assert 'value="60, soon"' in response.text
    assert too_many.status_code == 422
    assert list(page_field_errors(too_many.text)) == ["reminder_offsets"]
    assert (await client.get("/api/v1/sessions/1", headers=organiser.headers)).status_code == 404
