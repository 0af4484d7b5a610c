"""Meeting platforms' attendance exports, read: bytes → detected layout → one row per join.

Pure: no database, no HTTP (the cells themselves, dates and names, are read by attendance_cells). Layouts are
told apart by content, never by file name:

- ``zoom_webinar``: Zoom's webinar attendee report (an ``Attendee Report`` title, a metadata block, then
  ``Host Details`` / ``Panelist Details`` / ``Attendee Details`` / ``Other Attended`` sections, each with its
  header row; registrants who did not come are listed with ``Attended`` = ``No`` and ``--`` for times).
- ``zoom_meeting``: Zoom's meeting participants export, with a meeting block first or not, one row per join
  (``Join Time``, ``Leave Time``, ``Duration (Minutes)``) or one per person ("show unique users":
  ``Total Duration (Minutes)``). The host is the row whose email is the meeting block's ``User Email``.
- ``teams``: Microsoft Teams' attendance report (tab-separated, UTF-16 with a byte-order mark, sections
  ``1. Summary`` / ``2. Participants`` / ``3. In-Meeting Activities``, durations like ``1h 2m 10s``); the
  activities (one row per join) are used when present, else the participants section.

Times come naive, in the zone of whoever exported the file: the caller places them in a zone. A file this
module cannot read raises :class:`ReportError` saying what was wrong and on which line.
"""

from __future__ import annotations

__all__ = ["Join", "ParsedReport", "ParticipantRow", "parse_report"]

import re
from dataclasses import dataclass, field
from datetime import datetime

from registrations.attendance_cells import (
    Clock,
    Header,
    ReportError,
    blank,
    cell,
    decode,
    duration,
    lines,
    names,
    value,
)
from server.i18n import gettext as _


@dataclass(frozen=True)
class Join:
    """One stay in the meeting: naive local times, and the seconds the platform counted for it."""

    start: datetime
    end: datetime
    seconds: int


@dataclass
class ParticipantRow:
    """One row of the report (one join, or one person in layouts without joins)."""

    #: Line of the file (1-based), for messages and the review list.
    line: int
    #: Name shown in the meeting, guest labels removed.
    name: str
    #: Other names the row gives for the same person (Zoom's original name, first + last name).
    other_names: tuple[str, ...]
    #: Address, lower-cased; empty when the platform had none (guests, phone users).
    email: str
    #: ``host``, ``panelist`` or ``attendee``.
    role: str
    #: The join, or None in layouts that give only a total.
    join: Join | None
    #: Seconds in the meeting when the layout gives only a total.
    seconds: int | None = None


@dataclass
class ParsedReport:
    """What a report says: its layout, the meeting's start (naive, may be None) and its participant rows."""

    layout: str
    meeting_start: datetime | None
    rows: list[ParticipantRow] = field(default_factory=list)
    #: Participant rows read, counting the skipped ones (waiting room, registered but absent).
    rows_read: int = 0


# --- Layouts -------------------------------------------------------------------------------------------------

def _first_cells(rows: list[tuple[int, list[str]]]) -> set[str]:
    return {cells[0].casefold() for _n, cells in rows if cells}


def detect(rows: list[tuple[int, list[str]]]) -> str:
    """The layout, by content."""
    firsts = _first_cells(rows)
    if {"1. summary", "2. participants"} & firsts:
        return "teams"
    if {"attendee report", "attendee details", "host details", "panelist details"} & firsts:
        return "zoom_webinar"
    for _n, cells in rows:
        lowered = {cell.casefold() for cell in cells}
        if "name (original name)" in lowered or (
            "user email" in lowered and ("join time" in lowered or "total duration (minutes)" in lowered)
        ):
            return "zoom_meeting"
    raise ReportError(_(
        "This file's layout is not one we know. Upload a Zoom webinar attendee report, a Zoom meeting "
        "participants export or a Microsoft Teams attendance report, as the platform exports it."
    ))


def _key_values(rows: list[tuple[int, list[str]]], clock: Clock, keys: tuple[str, ...]) -> datetime | None:
    """The meeting's start from a metadata block: the value under (or beside) the first of ``keys`` found."""
    for position, (number, cells) in enumerate(rows):
        header = Header(cells, number)
        column = header.find(*keys)
        if column is None:
            continue
        if column == 0 and len(cells) > 1 and value(cells[1]):  # key/value rows (Teams' summary)
            return clock.read(cells[1], number, cells[0])
        if position + 1 < len(rows) and cell(rows[position + 1][1], column):  # a header row, values below
            next_number, values = rows[position + 1]
            return clock.read(values[column], next_number, cells[column])
    return None


def _join(cells: list[str], header: Header, clock: Clock, number: int, duration_names: tuple[str, ...]) -> Join:
    join_at, leave_at = header.need("Join Time"), header.need("Leave Time")
    start = clock.read(cells[join_at] if join_at < len(cells) else "", number, "Join Time")
    end = clock.read(cells[leave_at] if leave_at < len(cells) else "", number, "Leave Time")
    if end < start:
        raise ReportError(_("Line %(line)s: the leave time is before the join time.", line=number), number)
    column = header.find(*duration_names)
    seconds = (
        duration(cells[column], number, duration_names[0]) if column is not None and cell(cells, column)
        else int((end - start).total_seconds())
    )
    return Join(start, end, seconds)


def _zoom_meeting(rows: list[tuple[int, list[str]]], clock: Clock) -> ParsedReport:
    start = _key_values(rows, clock, ("Start Time",))
    host_email, host_at = "", None
    report = ParsedReport("zoom_meeting", start)
    header: Header | None = None
    for position, (number, cells) in enumerate(rows):
        lowered = [c.casefold() for c in cells]
        participant_header = "join time" in lowered or "name (original name)" in lowered
        if "user email" in lowered and "meeting id" in lowered and not participant_header and position + 1 < len(rows):
            # The meeting block: its User Email is the host's.
            host_email = cell(rows[position + 1][1], lowered.index("user email")).lower()
            continue
        if header is None:
            if "user email" in lowered and ("join time" in lowered or "total duration (minutes)" in lowered):
                header = Header(cells, number)
                header.need("Name (Original Name)", "Name", "Participant")
                # The admin usage report repeats the meeting's columns on every row: its first User Email is the host's.
                host_at = lowered.index("user email") if lowered.count("user email") > 1 else None
            continue
        if host_at is not None:
            host_email = cell(cells, host_at).lower()
        if blank(cells):
            continue
        report.rows_read += 1
        if cell(cells, header.find("In Waiting Room")).casefold() == "yes":
            continue  # Zoom: waiting-room time does not count towards meeting minutes
        name, others, labelled_host = names(cell(cells, header.need("Name (Original Name)", "Name", "Participant")))
        email = cell(cells, header.need("User Email", "Email")).lower()
        role = "host" if labelled_host or (email and email == host_email) else "attendee"
        if header.find("Join Time") is not None:
            join = _join(cells, header, clock, number, ("Duration (Minutes)", "Duration"))
            report.rows.append(ParticipantRow(number, name, others, email, role, join))
        else:
            total = header.need("Total Duration (Minutes)")
            seconds = duration(cell(cells, total), number, "Total Duration (Minutes)")
            report.rows.append(ParticipantRow(number, name, others, email, role, None, seconds))
    if header is None:
        raise ReportError(_("The file has no participant rows: the column %(column)s is missing.",
                            column="Join Time"))
    return report


_WEBINAR_SECTIONS = {
    "host details": "host", "panelist details": "panelist", "attendee details": "attendee",
    "other attended": "attendee",
}


def _zoom_webinar(rows: list[tuple[int, list[str]]], clock: Clock) -> ParsedReport:
    report = ParsedReport("zoom_webinar", _key_values(rows, clock, ("Actual Start Time", "Start Time")))
    role: str | None = None
    header: Header | None = None
    for number, cells in rows:
        first = cells[0].casefold() if cells else ""
        if first in _WEBINAR_SECTIONS:
            role, header = _WEBINAR_SECTIONS[first], None
            continue
        if role is None or blank(cells):
            continue
        if header is None:
            header = Header(cells, number)
            header.need("User Name (Original Name)", "User Name", "Name (Original Name)")
            continue
        report.rows_read += 1
        if cell(cells, header.find("Attended")).casefold() == "no":
            continue  # registered, never came
        name, others, _host = names(cell(cells, header.need("User Name (Original Name)", "User Name",
                                                               "Name (Original Name)")))
        full = " ".join(p for p in (cell(cells, header.find("First Name")), cell(cells, header.find("Last Name")))
                        if p)
        if full and full != name:
            others = (*others, full)
        email = cell(cells, header.need("Email", "User Email")).lower()
        join = _join(cells, header, clock, number, ("Time in Session (minutes)", "Duration (Minutes)"))
        report.rows.append(ParticipantRow(number, name, others, email, role, join))
    if not report.rows_read and header is None:
        raise ReportError(_("The file has no participant rows: the column %(column)s is missing.",
                            column="User Name (Original Name)"))
    return report


_TEAMS_ROLES = {"organizer": "host", "co-organizer": "host", "presenter": "panelist"}


def _section(rows: list[tuple[int, list[str]]], title: str) -> list[tuple[int, list[str]]]:
    """The lines of a Teams section (after its title, up to the next numbered title)."""
    inside, found = False, []
    for number, cells in rows:
        first = cells[0].casefold() if cells else ""
        if re.match(r"^\d+\. ", first):
            inside = first.startswith(title)
            continue
        if inside and not blank(cells):
            found.append((number, cells))
    return found


def _teams(rows: list[tuple[int, list[str]]], clock: Clock) -> ParsedReport:
    start = _key_values(_section(rows, "1. summary"), clock, ("Start time", "Meeting start time"))
    report = ParsedReport("teams", start)
    activities = _section(rows, "3. in-meeting activities")
    found = activities or _section(rows, "2. participants")
    if not found:
        raise ReportError(_("The file has no participant rows: the column %(column)s is missing.", column="Name"))
    header = Header(found[0][1], found[0][0])
    name_at = header.need("Name", "Full Name")
    email_at = header.find("Email", "Registration Email")
    for number, cells in found[1:]:
        report.rows_read += 1
        name, others, _host = names(cell(cells, name_at))
        role = _TEAMS_ROLES.get(cell(cells, header.find("Role")).casefold(), "attendee")
        email = cell(cells, email_at).lower()
        if activities:
            join = _join(cells, header, clock, number, ("Duration",))
        else:
            first, last = header.need("First Join", "First join"), header.need("Last Leave", "Last leave")
            start_at = clock.read(cell(cells, first), number, "First Join")
            end_at = clock.read(cell(cells, last), number, "Last Leave")
            seconds = duration(cell(cells, header.need("In-Meeting Duration")), number, "In-Meeting Duration")
            join = Join(start_at, end_at, seconds)
        report.rows.append(ParticipantRow(number, name, others, email, role, join))
    return report


def parse_report(data: bytes) -> ParsedReport:
    """Read an attendance export: its layout, the meeting's start and one row per join (or per person)."""
    text = decode(data)
    rows = lines(text)
    layout = detect(rows)
    clock = Clock(text)
    reader = {"teams": _teams, "zoom_webinar": _zoom_webinar, "zoom_meeting": _zoom_meeting}[layout]
    report = reader(rows, clock)
    if not report.rows_read:
        raise ReportError(_("The file lists no participants."))
    return report
