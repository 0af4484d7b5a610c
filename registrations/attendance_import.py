"""Meeting platforms' attendance exports, read: bytes → detected layout → one row per join.

Pure: no database, no HTTP. Layouts are told apart by content, never by file name:

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

__all__ = ["Join", "ParsedReport", "ParticipantRow", "ReportError", "parse_report"]

import codecs
import csv
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from server.i18n import gettext as _


class ReportError(ValueError):
    """The file cannot be read: ``message`` says what and where (in the reader's language)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


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


# --- Text ----------------------------------------------------------------------------------------------------

def decode(data: bytes) -> str:
    """UTF-8 or UTF-16, by byte-order mark or, without one, by content; anything else is refused."""
    if not data.strip():
        raise ReportError(_("The file is empty."))
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif b"\x00" in data[:200]:
        encoding = "utf-16-le" if data[1:2] == b"\x00" else "utf-16-be"
    else:
        encoding = "utf-8"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1 if encoding == "utf-8" else None
        raise ReportError(
            _("The file is not in a text encoding we read (UTF-8 or UTF-16): unreadable bytes on line %(line)s.",
              line=line or "?"),
            line,
        ) from error


def _lines(text: str) -> list[tuple[int, list[str]]]:
    """(line number, cells) of every line; tabs separate cells when a line has two of them (Teams), else commas."""
    raw = text.splitlines()
    delimiter = "\t" if any(line.count("\t") >= 2 for line in raw) else ","
    rows = []
    for number, cells in enumerate(csv.reader(raw, delimiter=delimiter), start=1):
        rows.append((number, [cell.strip() for cell in cells]))
    return rows


def _blank(cells: list[str]) -> bool:
    return not any(cells)


def _value(cell: str) -> str:
    """``--`` is how exports write an empty value."""
    return "" if cell in ("--", "-") else cell


_GUEST_LABEL = re.compile(r"\s*\((?:unverified|external|guest|host|co-host)\)\s*$", re.IGNORECASE)
_ORIGINAL = re.compile(r"^(.*\S)\s*\(([^()]+)\)$")


def normalise_name(name: str) -> str:
    """A name as compared: NFC, spaces collapsed, case folded."""
    return " ".join(unicodedata.normalize("NFC", name).split()).casefold()


def _names(cell: str) -> tuple[str, tuple[str, ...], bool]:
    """Shown name, other names (Zoom's ``Current (Original)``, Teams' ``Last, First``), and whether a host label
    was on it."""
    host = bool(re.search(r"\((?:host|co-host)\)\s*$", cell, re.IGNORECASE))
    name = _GUEST_LABEL.sub("", cell).strip()
    others: list[str] = []
    if match := _ORIGINAL.match(name):
        others.append(match.group(2).strip())
    if name.count(",") == 1:
        last, first = (part.strip() for part in name.split(","))
        others.append(f"{first} {last}")
    return name, tuple(others), host


# --- Times ---------------------------------------------------------------------------------------------------

_FORMATS = (
    "%m/%d/%y, %I:%M:%S %p", "%m/%d/%y, %H:%M:%S", "%m/%d/%Y, %I:%M:%S %p", "%m/%d/%Y, %H:%M:%S",
    "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M",
    "%m/%d/%y %I:%M:%S %p", "%m/%d/%y %H:%M:%S",
    "%b %d, %Y %I:%M:%S %p", "%b %d, %Y %I:%M %p", "%B %d, %Y %I:%M:%S %p", "%b %d, %Y %H:%M:%S",
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M",
)
_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/\d{2,4}")
_NUMERIC = re.compile(
    r"^(\d{1,2})/(\d{1,2})/(\d{4}|\d{2}),? (\d{1,2}):(\d{2})(?::(\d{2}))?(?: ?([AaPp][Mm]))?$"
)


class _Clock:
    """Reads a file's dates; day-first when any date of the file has a first number above 12."""

    def __init__(self, text: str) -> None:
        firsts = [int(m.group(1)) for m in (_SLASHED.match(c.strip()) for c in re.split(r"[\t,\"]", text)) if m]
        day_first = any(first > 12 for first in firsts)
        self.day_first = day_first
        self.patterns = [("%d/%m" + p[5:]) if day_first and p.startswith("%m/%d") else p for p in _FORMATS]
        self.last = self.patterns[0]

    def _numeric(self, text: str) -> datetime | None:
        """The numeric forms (``3/18/26, 2:01:05 PM``, ``12/03/2026 02:00:11 PM``, ``15/11/22, 09:30:47``) read
        without strptime, which is slow for thousands of rows; None when the text is not one of them."""
        match = _NUMERIC.match(text)
        if match is None:
            return None
        first, second, year, hour, minute, second_of_minute, half = match.groups()
        month, day = (int(second), int(first)) if self.day_first else (int(first), int(second))
        hour = int(hour)
        if half:
            if not 1 <= hour <= 12:
                return None
            hour = hour % 12 + (12 if half.upper() == "PM" else 0)
        year = int(year) + (2000 if len(year) == 2 else 0)
        try:
            return datetime(year, month, day, hour, int(minute), int(second_of_minute or 0))
        except ValueError:
            return None

    def read(self, cell: str, line: int, column: str) -> datetime:
        text = " ".join(cell.replace("\u202f", " ").replace("\u00a0", " ").split())
        if (quick := self._numeric(text)) is not None:
            return quick
        # A file writes all its dates alike: the pattern that read the last one goes first.
        for pattern in (self.last, *self.patterns):
            try:
                found = datetime.strptime(text, pattern)  # month names and AM/PM: any case
            except ValueError:
                continue
            self.last = pattern
            return found
        raise ReportError(
            _("Line %(line)s: “%(value)s” in the column %(column)s is not a date and time we can read.",
              line=line, value=cell, column=column),
            line,
        )


_DURATION = re.compile(r"^(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*(?:(\d+)\s*s)?$", re.IGNORECASE)


def _duration(cell: str, line: int, column: str) -> int:
    """Seconds of ``1h 2m 10s`` (Teams) or of a number of minutes (Zoom)."""
    text = cell.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return round(float(text) * 60)
    match = _DURATION.match(text)
    if text and match and any(match.groups()):
        hours, minutes, seconds = (int(group or 0) for group in match.groups())
        return hours * 3600 + minutes * 60 + seconds
    raise ReportError(
        _("Line %(line)s: “%(value)s” in the column %(column)s is not a duration we can read.",
          line=line, value=cell, column=column),
        line,
    )


# --- Columns -------------------------------------------------------------------------------------------------

class _Header:
    """A header row: finds columns by any of their names, without regard to case."""

    def __init__(self, cells: list[str], line: int) -> None:
        self.index = {cell.casefold(): i for i, cell in enumerate(cells) if cell}
        self.line = line

    def find(self, *names: str) -> int | None:
        return next((self.index[n.casefold()] for n in names if n.casefold() in self.index), None)

    def need(self, *names: str) -> int:
        found = self.find(*names)
        if found is None:
            raise ReportError(
                _("Line %(line)s: the column %(column)s is missing.", line=self.line, column=names[0]), self.line
            )
        return found


def _cell(cells: list[str], index: int | None) -> str:
    return _value(cells[index]) if index is not None and index < len(cells) else ""


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


def _key_values(rows: list[tuple[int, list[str]]], clock: _Clock, keys: tuple[str, ...]) -> datetime | None:
    """The meeting's start from a metadata block: the value under (or beside) the first of ``keys`` found."""
    for position, (number, cells) in enumerate(rows):
        header = _Header(cells, number)
        column = header.find(*keys)
        if column is None:
            continue
        if column == 0 and len(cells) > 1 and _value(cells[1]):  # key/value rows (Teams' summary)
            return clock.read(cells[1], number, cells[0])
        if position + 1 < len(rows) and _cell(rows[position + 1][1], column):  # a header row, values below
            next_number, values = rows[position + 1]
            return clock.read(values[column], next_number, cells[column])
    return None


def _join(cells: list[str], header: _Header, clock: _Clock, number: int, duration_names: tuple[str, ...]) -> Join:
    join_at, leave_at = header.need("Join Time"), header.need("Leave Time")
    start = clock.read(cells[join_at] if join_at < len(cells) else "", number, "Join Time")
    end = clock.read(cells[leave_at] if leave_at < len(cells) else "", number, "Leave Time")
    if end < start:
        raise ReportError(_("Line %(line)s: the leave time is before the join time.", line=number), number)
    column = header.find(*duration_names)
    seconds = (
        _duration(cells[column], number, duration_names[0]) if column is not None and _cell(cells, column)
        else int((end - start).total_seconds())
    )
    return Join(start, end, seconds)


def _zoom_meeting(rows: list[tuple[int, list[str]]], clock: _Clock) -> ParsedReport:
    start = _key_values(rows, clock, ("Start Time",))
    host_email = ""
    report = ParsedReport("zoom_meeting", start)
    header: _Header | None = None
    for position, (number, cells) in enumerate(rows):
        lowered = [c.casefold() for c in cells]
        if "user email" in lowered and "meeting id" in lowered and position + 1 < len(rows):
            host_email = _cell(rows[position + 1][1], lowered.index("user email")).lower()
            continue
        if header is None:
            if "user email" in lowered and ("join time" in lowered or "total duration (minutes)" in lowered):
                header = _Header(cells, number)
                header.need("Name (Original Name)", "Name", "Participant")
            continue
        if _blank(cells):
            continue
        report.rows_read += 1
        if _cell(cells, header.find("In Waiting Room")).casefold() == "yes":
            continue  # Zoom: waiting-room time does not count towards meeting minutes
        name, others, labelled_host = _names(_cell(cells, header.need("Name (Original Name)", "Name", "Participant")))
        email = _cell(cells, header.need("User Email", "Email")).lower()
        role = "host" if labelled_host or (email and email == host_email) else "attendee"
        if header.find("Join Time") is not None:
            join = _join(cells, header, clock, number, ("Duration (Minutes)", "Duration"))
            report.rows.append(ParticipantRow(number, name, others, email, role, join))
        else:
            total = header.need("Total Duration (Minutes)")
            seconds = _duration(_cell(cells, total), number, "Total Duration (Minutes)")
            report.rows.append(ParticipantRow(number, name, others, email, role, None, seconds))
    if header is None:
        raise ReportError(_("The file has no participant rows: the column %(column)s is missing.",
                            column="Join Time"))
    return report


_WEBINAR_SECTIONS = {
    "host details": "host", "panelist details": "panelist", "attendee details": "attendee",
    "other attended": "attendee",
}


def _zoom_webinar(rows: list[tuple[int, list[str]]], clock: _Clock) -> ParsedReport:
    report = ParsedReport("zoom_webinar", _key_values(rows, clock, ("Actual Start Time", "Start Time")))
    role: str | None = None
    header: _Header | None = None
    for number, cells in rows:
        first = cells[0].casefold() if cells else ""
        if first in _WEBINAR_SECTIONS:
            role, header = _WEBINAR_SECTIONS[first], None
            continue
        if role is None or _blank(cells):
            continue
        if header is None:
            header = _Header(cells, number)
            header.need("User Name (Original Name)", "User Name", "Name (Original Name)")
            continue
        report.rows_read += 1
        if _cell(cells, header.find("Attended")).casefold() == "no":
            continue  # registered, never came
        name, others, _host = _names(_cell(cells, header.need("User Name (Original Name)", "User Name",
                                                               "Name (Original Name)")))
        full = " ".join(p for p in (_cell(cells, header.find("First Name")), _cell(cells, header.find("Last Name")))
                        if p)
        if full and full != name:
            others = (*others, full)
        email = _cell(cells, header.need("Email", "User Email")).lower()
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
        if inside and not _blank(cells):
            found.append((number, cells))
    return found


def _teams(rows: list[tuple[int, list[str]]], clock: _Clock) -> ParsedReport:
    start = _key_values(_section(rows, "1. summary"), clock, ("Start time", "Meeting start time"))
    report = ParsedReport("teams", start)
    activities = _section(rows, "3. in-meeting activities")
    lines = activities or _section(rows, "2. participants")
    if not lines:
        raise ReportError(_("The file has no participant rows: the column %(column)s is missing.", column="Name"))
    header = _Header(lines[0][1], lines[0][0])
    name_at = header.need("Name", "Full Name")
    email_at = header.find("Email", "Registration Email")
    for number, cells in lines[1:]:
        report.rows_read += 1
        name, others, _host = _names(_cell(cells, name_at))
        role = _TEAMS_ROLES.get(_cell(cells, header.find("Role")).casefold(), "attendee")
        email = _cell(cells, email_at).lower()
        if activities:
            join = _join(cells, header, clock, number, ("Duration",))
        else:
            first, last = header.need("First Join", "First join"), header.need("Last Leave", "Last leave")
            start_at = clock.read(_cell(cells, first), number, "First Join")
            end_at = clock.read(_cell(cells, last), number, "Last Leave")
            seconds = _duration(_cell(cells, header.need("In-Meeting Duration")), number, "In-Meeting Duration")
            join = Join(start_at, end_at, seconds)
        report.rows.append(ParticipantRow(number, name, others, email, role, join))
    return report


def parse_report(data: bytes) -> ParsedReport:
    """Read an attendance export: its layout, the meeting's start and one row per join (or per person)."""
    text = decode(data)
    rows = _lines(text)
    layout = detect(rows)
    clock = _Clock(text)
    reader = {"teams": _teams, "zoom_webinar": _zoom_webinar, "zoom_meeting": _zoom_meeting}[layout]
    report = reader(rows, clock)
    if not report.rows_read:
        raise ReportError(_("The file lists no participants."))
    return report
