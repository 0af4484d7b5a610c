"""The attendance report reader and the minute rules, without a database, over attendance_files/: the two
real-layout samples (teams_attendance_report.csv, zoom_meeting_participants.csv, with the figures their README
gives) and hand-built files of the other layouts and variants."""

from __future__ import annotations

import codecs
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from registrations.attendance import _people, minutes_of
from registrations.attendance_cells import ReportError
from registrations.attendance_import import parse_report

pytestmark = pytest.mark.engine_independent

FILES = Path(__file__).parent / "attendance_files"
UTC = ZoneInfo("UTC")


def _read(name: str) -> bytes:
    return (FILES / name).read_bytes()


def _minutes(report) -> dict[str, tuple[str, str, int]]:
    """Per person (first name shown): (email, role, minutes)."""
    return {p.first.name: (p.first.email, p.role, minutes_of(p.rows, UTC)) for p in _people(report.rows)}


def test_teams_sample_utf16_with_rejoins_guest_label_and_roles():
    report = parse_report(_read("teams_attendance_report.csv"))

    assert report.layout == "teams"
    assert report.meeting_start == datetime(2026, 3, 18, 13, 58, 27)
    assert report.rows_read == 10
    assert _minutes(report) == {
        "Ingrid Johansson": ("ingrid.johansson@migrationnetwork.example", "host", 93),
        "Tomás Herrera": ("tomas.herrera@migrationnetwork.example", "panelist", 89),
        "Chen Jing": ("chen.jing@civilsociety.example", "attendee", 83),
        "فاطمة المنصوري": ("fatima.almansouri@migrantsorg.example", "attendee", 87),
        "Kofi Mensah": ("", "attendee", 68),
        "Aïssatou Diallo": ("aissatou.diallo@partner.example", "attendee", 56),
        "Iyer, Rajesh": ("rajesh.iyer@igo.example", "attendee", 72),
        "Olga Petrova": ("olga.petrova@example.org", "attendee", 8),
    }
    chen = [row for row in report.rows if row.name == "Chen Jing"]
    assert sum(row.join.seconds for row in chen) == 5002
    rajesh = next(row for row in report.rows if row.email == "rajesh.iyer@igo.example")
    assert rajesh.other_names == ("Rajesh Iyer",)


def test_zoom_meeting_sample_per_join_rows_waiting_room_left_out():
    report = parse_report(_read("zoom_meeting_participants.csv"))

    assert report.layout == "zoom_meeting"
    assert report.meeting_start == datetime(2026, 12, 3, 14, 0, 11)
    assert report.rows_read == 10
    assert len(report.rows) == 9  # Olena's waiting-room row does not count
    assert _minutes(report) == {
        "Helena Sjöberg": ("helena.sjoberg@migrationnetwork.example", "host", 92),
        "Li Na": ("li.na@example.org", "attendee", 88),
        "Kwame Asante": ("kwame.asante@civilsociety.example", "attendee", 87),
        "Olena Shevchenko": ("olena.shevchenko@example.net", "attendee", 87),
        "Jean-Baptiste Mbeki": ("jb.mbeki@igo.example", "attendee", 86),
        "María José Fernández": ("", "attendee", 70),
        "Phone User (Tablet)": ("", "attendee", 31),
        "Aroha Ngata": ("aroha.ngata@example.org", "attendee", 5),
    }


def test_zoom_webinar_sections_roles_no_shows_and_overlapping_rejoins():
    report = parse_report(_read("zoom_webinar_attendees.csv"))

    assert report.layout == "zoom_webinar"
    assert report.meeting_start == datetime(2026, 12, 28, 10, 0)
    assert report.rows_read == 9  # Grace Wanjiru registered but did not attend (Attended = No, times --)
    assert _minutes(report) == {
        "Secretariat Host": ("host@migrationnetwork.example", "host", 135),
        "Nadia Haddad": ("nadia.haddad@escwa.example", "panelist", 125),
        "Omar Farouk": ("omar.farouk@ministry.example", "attendee", 90),  # 10:00–10:40 and 10:30–11:30: union
        "Laptop (Leila Mansour)": ("", "attendee", 110),
        "Samir K": ("", "attendee", 40),
        "Ana Lima": ("ana.lima@example.org", "attendee", 20),
        "Interpreter Booth AR": ("", "attendee", 122),
    }
    leila = next(row for row in report.rows if row.name.startswith("Laptop"))
    assert "Leila Mansour" in leila.other_names


def test_zoom_meeting_unique_users_totals_without_joins():
    report = parse_report(_read("zoom_meeting_unique.csv"))

    assert report.layout == "zoom_meeting"
    assert report.meeting_start == datetime(2026, 12, 3, 14, 0, 11)
    assert [row.join for row in report.rows] == [None] * 5
    assert _minutes(report) == {
        "Helena Sjöberg": ("helena.sjoberg@migrationnetwork.example", "host", 92),
        "Li Na": ("li.na@example.org", "attendee", 88),
        "Kwame Asante": ("kwame.asante@civilsociety.example", "attendee", 87),
        "María José Fernández": ("", "attendee", 70),
        "Phone User (Tablet)": ("", "attendee", 31),
    }


def test_teams_day_first_24_hour_lower_case_headers_and_devices_overlapping():
    report = parse_report(_read("teams_day_first_overlap.csv"))

    assert report.layout == "teams"
    assert report.meeting_start == datetime(2026, 11, 15, 9, 30, 47)
    assert _minutes(report) == {
        "Ingrid Johansson": ("ingrid.johansson@migrationnetwork.example", "host", 89),
        "Chen Jing": ("chen.jing@civilsociety.example", "attendee", 87),  # 09:31–10:58, not 29 + 68
        "Kofi Mensah": ("", "attendee", 31),  # "(External)" label removed; 30 min 30 s rounds up
    }


def test_teams_participants_section_alone_is_read():
    text = "\r\n".join([
        "1. Summary", "Start time\t3/18/26, 1:58:27 PM", "",
        "2. Participants", "Name\tFirst Join\tLast Leave\tIn-Meeting Duration\tEmail\tRole",
        "Olga Petrova\t3/18/26, 2:47:19 PM\t3/18/26, 2:55:31 PM\t8m 12s\tolga.petrova@example.org\tAttendee", "",
    ])
    report = parse_report(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))

    assert _minutes(report) == {"Olga Petrova": ("olga.petrova@example.org", "attendee", 8)}


def test_narrow_no_break_space_before_pm_and_utf16_without_bom():
    text = (
        "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest\r\n"
        "Li Na,li.na@example.org,12/03/2026 02:01:48\u202fPM,12/03/2026 03:29:20\u202fPM,88,No\r\n"
    )
    report = parse_report(text.encode("utf-16-le"))

    assert report.rows[0].join.start == datetime(2026, 12, 3, 14, 1, 48)
    assert _minutes(report) == {"Li Na": ("li.na@example.org", "attendee", 88)}


def _zoom_rows(*rows: str) -> bytes:
    header = "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest\r\n"
    return (header + "".join(row + "\r\n" for row in rows)).encode()


@pytest.mark.parametrize(
    ("data", "message", "line"),
    [
        (b"", "The file is empty.", None),
        (b"Name,Email\r\nAna,ana@example.org\r\n",
         "This file's layout is not one we know. Upload a Zoom webinar attendee report, a Zoom meeting participants "
         "export or a Microsoft Teams attendance report, as the platform exports it.", None),
        ("Name (Original Name),Guest\r\nOlga Petrová,No\r\n".encode("cp1252"),
         "The file is not in a text encoding we read (UTF-8 or UTF-16): unreadable bytes on line 2.", 2),
        (b"Name (Original Name),User Email,Join Time,Duration (Minutes)\r\nAna,a@example.org,12/03/2026 02:00 PM,5\r\n",
         "Line 1: the column Leave Time is missing.", 1),
        (_zoom_rows(*["Ana,a@example.org,12/03/2026 02:00:00 PM,12/03/2026 02:30:00 PM,30,No"] * 10,
                    "Ana,a@example.org,12/03/2026 02:40:00 PM,yesterday,30,No"),
         "Line 12: “yesterday” in the column Leave Time is not a date and time we can read.", 12),
        (_zoom_rows("Ana,a@example.org,12/03/2026 02:00:00 PM,12/03/2026 01:00:00 PM,30,No"),
         "Line 2: the leave time is before the join time.", 2),
        (_zoom_rows(), "The file lists no participants.", None),
    ],
    ids=["empty", "unknown-layout", "wrong-encoding", "missing-column", "bad-date", "leave-before-join", "no-rows"],
)
def test_broken_files_say_what_and_where(data, message, line):
    with pytest.raises(ReportError) as caught:
        parse_report(data)

    assert (caught.value.message, caught.value.line) == (message, line)


def test_zoom_admin_usage_report_repeats_the_meeting_on_every_row():
    """The account admin's usage-report export: meeting columns (Topic, User Email of the host, Duration…) on every
    row before the participant's own, which repeat some names (User Email, Duration (Minutes))."""
    header = ("Topic,Meeting ID,User Name,User Email,Department,Group,Has Zoom Rooms,Creation Time,Start Time,"
              "End Time,Duration (Minutes),Participants,Name (Original Name),User Email,Join Time,Leave Time,"
              "Duration (Minutes),Guest,Recording Consent,In Waiting Room,Marketing Opt-In")
    meeting = ("Briefing,852 1848 6288,Helena Sjöberg,helena.sjoberg@migrationnetwork.example,Secretariat,GCM,No,"
               "11/20/2026 09:00,12/03/2026 14:00,12/03/2026 15:30,90,3")
    rows = [
        f"{meeting},Helena Sjöberg,helena.sjoberg@migrationnetwork.example,12/03/2026 14:00,12/03/2026 15:30,90,"
        "No,,No,-",
        f"{meeting},Li Na,li.na@example.org,12/03/2026 14:02,12/03/2026 15:29,88,No,,No,-",
        f"{meeting},Li Na,li.na@example.org,12/03/2026 15:29,12/03/2026 15:30,1,No,,No,-",
    ]
    report = parse_report(("\ufeff" + "\r\n".join([header, *rows]) + "\r\n").encode())

    assert (report.layout, report.meeting_start, report.rows_read) == ("zoom_meeting", datetime(2026, 12, 3, 14), 3)
    assert _minutes(report) == {
        "Helena Sjöberg": ("helena.sjoberg@migrationnetwork.example", "host", 90),
        "Li Na": ("li.na@example.org", "attendee", 89),
    }
