"""Attendance imports through the API: statuses and minutes per registration, the summary, the review list,
idempotence, the day check, broken files written nowhere; the summary's audiences follow attendance."""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from events.tables import Session
from registrations.notifications import _summary_audience
from registrations.tables import AttendanceImport, Registration, UnmatchedAttendee
from tests.registrations.conftest import assign, make_session

UNKNOWN_ZONE = "Unknown time zone: choose one from the list, such as Zurich — Switzerland (Europe/Zurich)."

FILES = Path(__file__).parent / "attendance_files"


async def session_at(day: str, start: str, minutes: int, zone: str = "Europe/Zurich", **extra) -> int:
    """A published session on ``day`` (YYYY-MM-DD) at ``start`` (HH:MM) in ``zone``."""
    starts = datetime.fromisoformat(f"{day}T{start}").replace(tzinfo=ZoneInfo(zone))
    return await make_session(starts_at=starts, ends_at=starts + timedelta(minutes=minutes), timezone=zone, **extra)


async def registration(session_id: int, name: str, email: str, status: str = "confirmed", **extra) -> int:
    row = Registration(session=session_id, name=name, email=email, stakeholder_category="civil_society",
                       country="CH", status=status, manage_nonce=secrets.token_hex(8), consent_processing=True,
                       **extra)
    return (await Registration.insert(row).returning(Registration.id))[0]["id"]


async def attendance_of(session_id: int) -> dict[str, tuple[str | None, int | None]]:
    rows = await Registration.select(Registration.name, Registration.attendance, Registration.minutes_attended).where(
        Registration.session == session_id
    ).order_by(Registration.id)
    return {row["name"]: (row["attendance"], row["minutes_attended"]) for row in rows}


async def upload(client, staff, session_id: int, name: str, **fields):
    return await client.post(
        f"/api/v1/sessions/{session_id}/attendance/import", headers=staff.headers,
        files={"file": (name, (FILES / name).read_bytes(), "text/csv")}, data=fields,
    )


async def zoom_session(organiser) -> int:
    """The Zoom sample's meeting (3 December 2026, 14:00–15:30 in Geneva) with its people registered, and three
    who are not in the file: one not seen, one excused, one checked in at the door."""
    session_id = await session_at("2026-12-03", "14:00", 90, zone="Europe/Zurich")
    await assign(session_id, organiser.id)
    for name, email in [
        ("Helena Sjöberg", "helena.sjoberg@migrationnetwork.example"), ("Li Na", "li.na@example.org"),
        ("Kwame Asante", "kwame.asante@civilsociety.example"), ("Olena Shevchenko", "olena.shevchenko@example.net"),
        ("Jean-Baptiste Mbeki", "jb.mbeki@igo.example"), ("María José Fernández", "mjf@redmigrante.example"),
        ("Aroha Ngata", "aroha.ngata@example.org"), ("Not Seen", "not.seen@example.org"),
    ]:
        await registration(session_id, name, email)
    await registration(session_id, "Sick Today", "sick@example.org", attendance="excused")
    await registration(session_id, "At The Door", "door@example.org", attendance="attended")
    await registration(session_id, "On The Waitlist", "wait@example.org", status="waitlisted")
    return session_id


ZOOM_EXPECTED = {
    "Helena Sjöberg": ("attended", 92),
    "Li Na": ("attended", 88),
    "Kwame Asante": ("attended", 87),
    "Olena Shevchenko": ("attended", 87),
    "Jean-Baptiste Mbeki": ("attended", 86),
    "María José Fernández": ("attended", 70),
    "Aroha Ngata": ("partial", 5),
    "Not Seen": ("absent", 0),
    "Sick Today": ("excused", None),
    "At The Door": ("attended", None),
    "On The Waitlist": (None, None),
}


async def test_zoom_meeting_import_statuses_minutes_summary_and_review_list(client, organiser):
    session_id = await zoom_session(organiser)

    response = await upload(client, organiser, session_id, "zoom_meeting_participants.csv")

    assert response.status_code == 200, response.text
    body = response.json()
    assert {k: v for k, v in body.items() if k != "id"} == {
        "layout": "zoom_meeting", "timezone": "Europe/Zurich", "rows_read": 10, "matched": 7, "merged_rejoins": 1,
        "unmatched": 1, "walk_ins": 0, "hosts": 0, "absent": 1, "already_imported": False,
    }
    assert await attendance_of(session_id) == ZOOM_EXPECTED
    review = await UnmatchedAttendee.select(
        UnmatchedAttendee.name, UnmatchedAttendee.email, UnmatchedAttendee.minutes, UnmatchedAttendee.line,
        UnmatchedAttendee.outcome,
    ).where(UnmatchedAttendee.session == session_id)
    assert review == [{"name": "Phone User (Tablet)", "email": "", "minutes": 31, "line": 12, "outcome": None}]


async def test_the_same_file_again_changes_nothing(client, organiser):
    session_id = await zoom_session(organiser)
    first = (await upload(client, organiser, session_id, "zoom_meeting_participants.csv")).json()
    # An organiser corrects one mark meanwhile: the repeated import must not undo it.
    await Registration.update({Registration.attendance: "excused"}).where(Registration.name == "Not Seen")

    again = await upload(client, organiser, session_id, "zoom_meeting_participants.csv")

    assert again.status_code == 200
    assert again.json() == {**first, "already_imported": True}
    assert await attendance_of(session_id) == {**ZOOM_EXPECTED, "Not Seen": ("excused", 0)}
    assert await AttendanceImport.count() == 1
    assert await UnmatchedAttendee.count() == 1


async def test_teams_import_utf16_hosts_guests_and_threshold(client, organiser):
    session_id = await session_at("2026-03-18", "14:00", 90, zone="Europe/Zurich",
                                  attendance_threshold_minutes=60)
    await assign(session_id, organiser.id)
    for name, email in [
        ("Tomás Herrera", "tomas.herrera@migrationnetwork.example"), ("Chen Jing", "chen.jing@civilsociety.example"),
        ("Fatima Al Mansouri", "fatima.almansouri@migrantsorg.example"), ("Kofi Mensah", "kofi@ghana-diaspora.example"),
        ("Aïssatou Diallo", "aissatou.diallo@partner.example"), ("Rajesh Iyer", "rajesh.iyer@igo.example"),
        ("Olga Petrova", "olga.petrova@example.org"),
    ]:
        await registration(session_id, name, email)

    response = await upload(client, organiser, session_id, "teams_attendance_report.csv")

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["layout"], body["rows_read"], body["matched"], body["merged_rejoins"], body["unmatched"],
            body["hosts"], body["absent"]) == ("teams", 10, 7, 2, 0, 1, 0)  # Ingrid, the organizer, unregistered
    assert await attendance_of(session_id) == {
        "Tomás Herrera": ("attended", 89),
        "Chen Jing": ("attended", 83),
        "Fatima Al Mansouri": ("attended", 87),
        "Kofi Mensah": ("attended", 68),
        "Aïssatou Diallo": ("partial", 56),
        "Rajesh Iyer": ("attended", 72),
        "Olga Petrova": ("partial", 8),
    }
    assert await UnmatchedAttendee.count() == 0  # a host no registration matches is not on the review list


async def test_zoom_webinar_panelists_no_shows_walk_ins_and_the_review_list(client, organiser):
    session_id = await session_at("2026-12-28", "10:00", 120, zone="America/New_York")
    await assign(session_id, organiser.id)
    await registration(session_id, "Omar Farouk", "omar.farouk@ministry.example")
    await registration(session_id, "Leila Mansour", "leila@jordan-ngo.example")
    await registration(session_id, "Grace Wanjiru", "grace.wanjiru@civilsociety.example")
    await registration(session_id, "Ana Lima", "ana.lima@example.org", walk_in=True)

    response = await upload(client, organiser, session_id, "zoom_webinar_attendees.csv")

    body = response.json()
    assert (body["rows_read"], body["matched"], body["merged_rejoins"], body["unmatched"], body["walk_ins"],
            body["hosts"], body["absent"]) == (9, 3, 1, 2, 1, 2, 1)
    assert await attendance_of(session_id) == {
        "Omar Farouk": ("attended", 90),
        "Leila Mansour": ("attended", 110),
        "Grace Wanjiru": ("absent", 0),
        "Ana Lima": ("partial", 20),
    }
    names = await UnmatchedAttendee.select(UnmatchedAttendee.name, UnmatchedAttendee.minutes).order_by(
        UnmatchedAttendee.id)
    assert names == [{"name": "Samir K", "minutes": 40}, {"name": "Interpreter Booth AR", "minutes": 122}]


async def test_timezone_of_the_report_decides_its_day(client, organiser):
    # Read in Tokyo's zone the report's 10:00 is on the 28th there, while the session (10:00 on the 28th in New
    # York) is on the 29th in Tokyo: another day, refused.
    session_id = await session_at("2026-12-28", "10:00", 120, zone="America/New_York")
    await assign(session_id, organiser.id)

    response = await upload(client, organiser, session_id, "zoom_webinar_attendees.csv", timezone="Asia/Tokyo")

    assert response.status_code == 422
    assert response.json()["errors"] == [{
        "field": "file",
        "message": "This report is of a meeting on December 28, 2026, but the session is on December 29, 2026.",
    }]


async def test_a_report_of_another_day_is_refused_naming_it(client, organiser):
    session_id = await session_at("2026-12-04", "14:00", 90)
    await assign(session_id, organiser.id)
    await registration(session_id, "Li Na", "li.na@example.org")

    response = await upload(client, organiser, session_id, "zoom_meeting_participants.csv")

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"] == [{
        "field": "file",
        "message": "This report is of a meeting on December 3, 2026, but the session is on December 4, 2026.",
    }]
    assert await attendance_of(session_id) == {"Li Na": (None, None)}
    assert await AttendanceImport.count() == 0


async def test_a_broken_file_writes_nothing_and_says_where(client, organiser):
    session_id = await session_at("2026-12-03", "14:00", 90)
    await assign(session_id, organiser.id)
    await registration(session_id, "Li Na", "li.na@example.org")
    text = (FILES / "zoom_meeting_participants.csv").read_text(encoding="utf-8-sig").replace(
        "12/03/2026 02:59:40 PM", "not a time")

    response = await client.post(
        f"/api/v1/sessions/{session_id}/attendance/import", headers=organiser.headers,
        files={"file": ("report.csv", text.encode(), "text/csv")},
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [{
        "field": "file",
        "message": "Line 14: “not a time” in the column Leave Time is not a date and time we can read.",
    }]
    assert await attendance_of(session_id) == {"Li Na": (None, None)}
    assert await AttendanceImport.count() == 0 and await UnmatchedAttendee.count() == 0


async def test_missing_file_and_unknown_zone_are_refused_by_field(client, organiser):
    session_id = await session_at("2026-12-03", "14:00", 90)
    await assign(session_id, organiser.id)
    url = f"/api/v1/sessions/{session_id}/attendance/import"

    no_file = await client.post(url, headers=organiser.headers, files={"other": ("x.csv", b"a", "text/csv")})
    bad_zone = await upload(client, organiser, session_id, "zoom_meeting_participants.csv", timezone="Mars/Olympus")

    assert no_file.status_code == 422
    assert [e["field"] for e in no_file.json()["errors"]] == ["file"]
    assert bad_zone.status_code == 422
    assert bad_zone.json()["errors"] == [
        {"field": "timezone", "message": UNKNOWN_ZONE}
    ]


async def test_another_sessions_organiser_may_not_import(client, organiser, other_organiser):
    session_id = await zoom_session(organiser)

    response = await upload(client, other_organiser, session_id, "zoom_meeting_participants.csv")

    assert response.status_code == 403
    assert await AttendanceImport.count() == 0


async def test_summary_audiences_follow_attendance(client, organiser):
    session_id = await zoom_session(organiser)
    await upload(client, organiser, session_id, "zoom_meeting_participants.csv")

    async def audience(name: str) -> list[str]:
        rows = await Registration.select(Registration.name).where(
            (Registration.session == session_id) & _summary_audience(name)
        ).order_by(Registration.id)
        return [row["name"] for row in rows]

    assert await audience("attendees") == [
        "Helena Sjöberg", "Li Na", "Kwame Asante", "Olena Shevchenko", "Jean-Baptiste Mbeki",
        "María José Fernández", "Aroha Ngata", "At The Door",
    ]
    assert await audience("absentees") == ["Not Seen", "Sick Today"]


async def test_staff_list_and_csv_carry_attendance_and_minutes(client, organiser):
    session_id = await zoom_session(organiser)
    await upload(client, organiser, session_id, "zoom_meeting_participants.csv")

    listed = await client.get(f"/api/v1/sessions/{session_id}/registrations", headers=organiser.headers)
    exported = await client.get(f"/api/v1/sessions/{session_id}/registrations?format=csv", headers=organiser.headers)

    items = {item["name"]: (item["attendance"], item["minutes_attended"]) for item in listed.json()["items"]}
    assert items["Aroha Ngata"] == ("partial", 5)
    assert items["Not Seen"] == ("absent", 0)
    lines = exported.text.splitlines()
    header = lines[0].lstrip("\ufeff").split(",")
    aroha = next(line for line in lines if "Aroha" in line).split(",")
    assert (aroha[header.index("attendance")], aroha[header.index("minutes_attended")]) == ("partial", "5")


async def test_a_later_file_keeps_the_review_decisions_and_lists_each_person_once(client, organiser):
    session_id = await zoom_session(organiser)
    original = (FILES / "zoom_meeting_participants.csv").read_bytes()
    corrected = original.replace(b"round 2", b"round 2 (corrected)")
    await upload(client, organiser, session_id, "zoom_meeting_participants.csv")

    second = await client.post(f"/api/v1/sessions/{session_id}/attendance/import", headers=organiser.headers,
                               files={"file": ("corrected.csv", corrected, "text/csv")})
    waiting = await UnmatchedAttendee.select(UnmatchedAttendee.name).where(UnmatchedAttendee.outcome.is_null())
    await UnmatchedAttendee.update({UnmatchedAttendee.outcome: "dismissed"}).where(
        UnmatchedAttendee.outcome.is_null())
    third = await client.post(f"/api/v1/sessions/{session_id}/attendance/import", headers=organiser.headers,
                              files={"file": ("again.csv", corrected.replace(b"corrected", b"final"), "text/csv")})

    assert (second.json()["already_imported"], second.json()["unmatched"]) == (False, 1)
    assert waiting == [{"name": "Phone User (Tablet)"}]  # listed once, not once per import
    assert third.json()["unmatched"] == 0  # dismissed before: not asked again
    assert await UnmatchedAttendee.count() == 1
    assert await attendance_of(session_id) == ZOOM_EXPECTED


async def test_the_same_file_uploaded_twice_at_once_is_applied_once(client, organiser):
    session_id = await zoom_session(organiser)

    first, second = await asyncio.gather(
        upload(client, organiser, session_id, "zoom_meeting_participants.csv"),
        upload(client, organiser, session_id, "zoom_meeting_participants.csv"),
    )

    assert (first.status_code, second.status_code) == (200, 200)
    assert sorted([first.json()["already_imported"], second.json()["already_imported"]]) == [False, True]
    assert await AttendanceImport.count() == 1 and await UnmatchedAttendee.count() == 1
    assert await attendance_of(session_id) == ZOOM_EXPECTED


async def test_an_import_is_accepted_whatever_the_sessions_status(client, organiser):
    session_id = await zoom_session(organiser)
    await Session.update({Session.status: "cancelled"}).where(Session.id == session_id)

    response = await upload(client, organiser, session_id, "zoom_meeting_participants.csv")

    assert (response.status_code, response.json()["matched"]) == (200, 7)
    assert await attendance_of(session_id) == ZOOM_EXPECTED
