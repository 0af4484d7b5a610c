"""The attendance pages through the app: check-in search without JavaScript, marks one by one and in bulk,
walk-ins, closing the check-in, the threshold, the import upload and the review list."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

from events.tables import Session
from registrations.tables import Registration, UnmatchedAttendee
from server.tables import OutboxMessage
from tests.conftest import login_cookie_client
from tests.registrations.conftest import assign
from tests.registrations.test_attendance import attendance_of, registration, session_at, zoom_session
from tests.server.helpers import csrf_token, post_form

FILES = Path(__file__).parent / "attendance_files"


def listed_names(page: str) -> list[str]:
    """Names in the check-in table's rows, as shown."""
    body = page.split('<tbody id="checkin-rows">', 1)[1].split("</tbody>", 1)[0]
    return [unescape(name) for name in re.findall(r'<th scope="row">([^<(]+?)(?: \(|</th>)', body)]


async def checkin_session(organiser) -> int:
    session_id = await session_at("2026-12-03", "14:00", 90)
    await assign(session_id, organiser.id)
    await registration(session_id, "Amina Diallo", "amina@example.org", organisation="Migrant Rights Network")
    await registration(session_id, "Carlos Ruiz", "carlos@example.org", organisation="Red Migrante")
    await registration(session_id, "Yuki Tanaka", "yuki@example.org", organisation="Ministry of Justice")
    await registration(session_id, "Pending Person", "pending@example.org", status="pending")
    return session_id


async def test_checkin_search_by_name_or_organisation_without_javascript(client, organiser):
    session_id = await checkin_session(organiser)
    await login_cookie_client(client, organiser)
    url = f"/staff/sessions/{session_id}/attendance"

    everyone = await client.get(url)
    by_organisation = await client.get(url, params={"search": "red mig"})
    by_name = await client.get(url, params={"search": "TANAKA"})

    assert everyone.status_code == 200
    assert listed_names(everyone.text) == ["Amina Diallo", "Carlos Ruiz", "Yuki Tanaka"]
    assert listed_names(by_organisation.text) == ["Carlos Ruiz"]
    assert listed_names(by_name.text) == ["Yuki Tanaka"]
    assert 'value="red mig"' in by_organisation.text


async def test_mark_one_then_several_then_close_the_checkin(client, organiser):
    session_id = await checkin_session(organiser)
    await login_cookie_client(client, organiser)
    ids = {r["name"]: r["id"] for r in await Registration.select(Registration.id, Registration.name)}
    base = f"/staff/sessions/{session_id}/attendance"

    one = await post_form(client, f"{base}/mark", {"registration_ids": str(ids["Amina Diallo"]),
                                                     "attendance": "attended"})
    assert (one.status_code, one.headers["location"]) == (303, f"{base}?done=marked")
    token = await csrf_token(client)
    several = await client.post(f"{base}/mark", data={
        "registration_ids": [str(ids["Carlos Ruiz"]), str(ids["Yuki Tanaka"])], "attendance": "excused",
        "_csrf_token": token,
    })
    assert several.status_code == 303
    await post_form(client, f"{base}/mark", {"registration_ids": str(ids["Yuki Tanaka"]), "attendance": "clear"})
    closed = await post_form(client, f"{base}/close")

    assert closed.status_code == 303
    assert await attendance_of(session_id) == {
        "Amina Diallo": ("attended", None),
        "Carlos Ruiz": ("excused", None),
        "Yuki Tanaka": ("absent", None),
        "Pending Person": (None, None),
    }
    page = await client.get(closed.headers["location"])
    assert "Check-in closed: everyone confirmed and not seen is absent." in page.text


async def test_marks_refused_beside_their_field(client, organiser, other_organiser):
    session_id = await checkin_session(organiser)
    other_session = await session_at("2026-12-03", "14:00", 90)
    stranger = await registration(other_session, "Elsewhere", "elsewhere@example.org")
    await login_cookie_client(client, organiser)
    base = f"/staff/sessions/{session_id}/attendance"

    nobody = await post_form(client, f"{base}/mark", {"attendance": "attended"})
    foreign = await post_form(client, f"{base}/mark", {"registration_ids": str(stranger), "attendance": "attended"})

    assert nobody.status_code == 422
    assert '<a href="#field-registration_ids">Choose at least one registration.</a>' in nobody.text
    assert foreign.status_code == 422
    assert "Some of these registrations are not of this session." in foreign.text
    assert (await attendance_of(other_session)) == {"Elsewhere": (None, None)}


async def test_walk_in_is_a_confirmed_attended_registration_marked_as_such(client, organiser):
    session_id = await checkin_session(organiser)
    await login_cookie_client(client, organiser)
    base = f"/staff/sessions/{session_id}/attendance"

    added = await post_form(client, f"{base}/walk-in", {"name": "Walk In Person", "organisation": "Local NGO"})
    refused = await post_form(client, f"{base}/walk-in", {"name": "", "email": "not-an-address"})

    assert added.status_code == 303
    row = await Registration.select(
        Registration.status, Registration.walk_in, Registration.attendance, Registration.organisation,
        Registration.email,
    ).where(Registration.name == "Walk In Person").first()
    assert {k: v for k, v in row.items() if k != "email"} == {
        "status": "confirmed", "walk_in": True, "attendance": "attended", "organisation": "Local NGO",
    }
    assert row["email"].endswith("@walk-in.invalid")
    assert await OutboxMessage.count() == 0  # a walk-in is sent nothing
    assert refused.status_code == 422
    assert 'id="error-name">Give the person&#39;s name.</span>' in refused.text
    assert 'id="error-email">Give a valid email address, or none.</span>' in refused.text
    page = await client.get(base, params={"search": "walk in"})
    assert listed_names(page.text) == ["Walk In Person"]
    assert "Walk In Person (walk-in)" in page.text


async def test_threshold_recomputes_partial_and_attended(client, organiser):
    session_id = await zoom_session(organiser)
    await login_cookie_client(client, organiser)
    base = f"/staff/sessions/{session_id}/attendance"
    token = await csrf_token(client)
    content = (FILES / "zoom_meeting_participants.csv").read_bytes()
    await client.post(f"{base}/import", data={"_csrf_token": token},
                      files={"file": ("participants.csv", content, "text/csv")})

    saved = await post_form(client, f"{base}/threshold", {"threshold": "87"})
    bad = await post_form(client, f"{base}/threshold", {"threshold": "soon"})

    assert saved.status_code == 303
    result = await attendance_of(session_id)
    assert [result[name] for name in ("Li Na", "Kwame Asante", "Jean-Baptiste Mbeki", "Aroha Ngata")] == [
        ("attended", 88), ("attended", 87), ("partial", 86), ("partial", 5),
    ]
    assert bad.status_code == 422
    assert 'id="error-threshold">Enter a whole number.</span>' in bad.text


async def test_import_upload_on_the_page_shows_the_summary_and_review_settles(client, organiser):
    session_id = await zoom_session(organiser)
    await login_cookie_client(client, organiser)
    base = f"/staff/sessions/{session_id}/attendance"
    token = await csrf_token(client)
    content = (FILES / "zoom_meeting_participants.csv").read_bytes()

    imported = await client.post(f"{base}/import", data={"_csrf_token": token, "timezone": ""},
                                 files={"file": ("participants.csv", content, "text/csv")})
    summary = await client.get(imported.headers["location"])
    again = await client.post(f"{base}/import", data={"_csrf_token": token},
                              files={"file": ("copy.csv", content, "text/csv")})
    again_page = await client.get(again.headers["location"])

    assert imported.status_code == 303
    assert "Import done: Zoom meeting participants export, times read in Europe/Zurich." in summary.text
    assert "<dt>Rows read</dt><dd>10</dd>" in summary.text
    assert "<dt>Rejoins merged</dt><dd>1</dd>" in summary.text
    assert "This file was imported before: nothing changed." in again_page.text
    assert "Review list (1 person to match)" in summary.text

    review = await client.get(f"{base}/review")
    row_id = (await UnmatchedAttendee.select(UnmatchedAttendee.id).first())["id"]
    assert review.status_code == 200 and "Phone User (Tablet)" in review.text
    missing = await post_form(client, f"{base}/review", {"row_id": str(row_id), "outcome": "matched"})
    assert missing.status_code == 422
    assert f'<a href="#field-registration_id_{row_id}">Choose the registration this person is.</a>' in missing.text

    waiting = (await Registration.select(Registration.id).where(Registration.name == "On The Waitlist").first())["id"]
    matched = await post_form(client, f"{base}/review", {"row_id": str(row_id), "outcome": "matched",
                                                         f"registration_id_{row_id}": str(waiting)})
    twice = await post_form(client, f"{base}/review", {"row_id": str(row_id), "outcome": "walk_in"})

    assert matched.status_code == 303
    assert (await attendance_of(session_id))["On The Waitlist"] == ("partial", 31)
    assert twice.status_code == 409
    assert "Nobody is waiting to be matched." in (await client.get(f"{base}/review")).text


async def test_review_walk_in_and_dismiss(client, organiser):
    session_id = await session_at("2026-12-28", "10:00", 120, zone="America/New_York")
    await assign(session_id, organiser.id)
    await login_cookie_client(client, organiser)
    base = f"/staff/sessions/{session_id}/attendance"
    token = await csrf_token(client)
    await client.post(f"{base}/import", data={"_csrf_token": token},
                      files={"file": ("w.csv", (FILES / "zoom_webinar_attendees.csv").read_bytes(), "text/csv")})
    rows = {r["name"]: r["id"] for r in await UnmatchedAttendee.select(UnmatchedAttendee.id, UnmatchedAttendee.name)}

    await post_form(client, f"{base}/review", {"row_id": str(rows["Samir K"]), "outcome": "walk_in"})
    await post_form(client, f"{base}/review", {"row_id": str(rows["Interpreter Booth AR"]), "outcome": "dismissed"})

    walk_in = await Registration.select(
        Registration.name, Registration.walk_in, Registration.status, Registration.attendance,
        Registration.minutes_attended,
    ).where(Registration.session == session_id)
    assert walk_in == [{"name": "Samir K", "walk_in": True, "status": "confirmed", "attendance": "partial",
                        "minutes_attended": 40}]
    outcomes = await UnmatchedAttendee.select(UnmatchedAttendee.name, UnmatchedAttendee.outcome).order_by(
        UnmatchedAttendee.id)
    assert outcomes == [  # nobody registered: every attendee of the file is on the list
        {"name": "Omar Farouk", "outcome": None}, {"name": "Laptop (Leila Mansour)", "outcome": None},
        {"name": "Samir K", "outcome": "walk_in"}, {"name": "Ana Lima", "outcome": None},
        {"name": "Interpreter Booth AR", "outcome": "dismissed"},
    ]


async def test_a_bad_upload_on_the_page_says_why_beside_the_field(client, organiser):
    session_id = await checkin_session(organiser)
    await login_cookie_client(client, organiser)
    token = await csrf_token(client)

    response = await client.post(
        f"/staff/sessions/{session_id}/attendance/import", data={"_csrf_token": token},
        files={"file": ("notes.csv", b"Name,Email\r\nAna,ana@example.org\r\n", "text/csv")},
    )

    assert response.status_code == 422
    assert 'id="error-file">This file&#39;s layout is not one we know.' in response.text
    assert 'aria-invalid="true"' in response.text


async def test_session_page_links_to_attendance(client, organiser):
    session_id = await checkin_session(organiser)
    await login_cookie_client(client, organiser)

    page = await client.get(f"/staff/sessions/{session_id}")

    assert f'<a href="/staff/sessions/{session_id}/attendance">Attendance</a>' in page.text


async def test_staff_registrations_page_shows_attendance_and_minutes(client, organiser):
    session_id = await zoom_session(organiser)
    await client.post(
        f"/api/v1/sessions/{session_id}/attendance/import", headers=organiser.headers,
        files={"file": ("z.csv", (FILES / "zoom_meeting_participants.csv").read_bytes(), "text/csv")},
    )
    await login_cookie_client(client, organiser)

    page = await client.get(f"/staff/sessions/{session_id}/registrations")

    assert "Confirmed<br>Attended in part, 5 minutes</td>" in page.text  # Aroha Ngata
    assert "Confirmed<br>Absent, 0 minutes</td>" in page.text  # Not Seen


async def test_checkin_forms_refuse_in_the_readers_language_and_know_no_other_action(client, organiser):
    session_id = await zoom_session(organiser)
    await login_cookie_client(client, organiser)
    base = f"/staff/sessions/{session_id}/attendance"
    client.cookies.set("convene_lang", "fr")

    soon = await post_form(client, f"{base}/threshold", {"threshold": "soon"})
    odd_id = await post_form(client, f"{base}/mark", {"registration_ids": "x", "attendance": "attended"})
    unknown = await post_form(client, f"{base}/shout")

    assert soon.status_code == 422
    assert '<span class="field-error" id="error-threshold">Saisissez un nombre entier.</span>' in soon.text
    assert odd_id.status_code == 422
    assert '<a href="#field-registration_ids">Choisissez des inscriptions dans la liste.</a>' in odd_id.text
    assert unknown.status_code == 404
    assert (await Session.select(Session.attendance_threshold_minutes).where(
        Session.id == session_id).first())["attendance_threshold_minutes"] is None
