"""Attendance from a meeting platform's export: merge each person's rejoins, match them to registrations, record
who came and for how long, and keep the rest for the organisers' review list.

The rules:
- A person's minutes are the union of their stays (overlapping joins from two devices count once); a stay the
  platform counted alone keeps the platform's own figure (Zoom rounds each row up).
- Matching: by email without regard to case, then by exact name (the shown name, Zoom's original name, a Teams
  ``Last, First``, a webinar's first and last names) when one registration only bears it.
- Hosts and panelists are not attendees: matched, they get their minutes; unmatched, they are left aside.
- Whom the file found is ``attended``, or ``partial`` under the session's threshold; every confirmed registration it
  did not find is ``absent``, unless an organiser already recorded its attendance (check-in, excused).
- The unmatched go to the review list; an organiser's decision there (match, walk-in, dismiss) holds for later
  files of the session listing the same name and address, and a person still waiting is listed once.
- The whole import is one transaction; the same file again (same bytes) changes nothing and answers the first
  summary.
"""

from __future__ import annotations

__all__ = ["import_attendance", "read_upload", "minutes_of", "session_threshold", "status_for"]

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from events.tables import Session
from registrations.attendance_cells import ReportError, normalise_name
from registrations.attendance_import import Join, ParsedReport, ParticipantRow, parse_report
from registrations.schemas import AttendanceImportOut
from registrations.tables import AttendanceImport, Registration, UnmatchedAttendee
from server.auth import StaffUser
from server.db import write_transaction
from server.errors import InvalidInput, NotFound
from server.i18n import format_date
from server.i18n import gettext as _
from server.timezones import timezone_error
from server.web import valid_timezone

#: Largest file accepted (a 5,000-row export is well under 1 MB; the app refuses bodies over 10 MB).
MAX_BYTES = 8 * 1024 * 1024
_ATTENDEE_ROLES = ("attendee",)


@dataclass
class _Person:
    """One person of the file: their rows, merged."""

    rows: list[ParticipantRow]

    @property
    def first(self) -> ParticipantRow:
        return self.rows[0]

    @property
    def role(self) -> str:
        return "attendee" if any(r.role == "attendee" for r in self.rows) else self.rows[0].role


def _aware(join: Join, zone: ZoneInfo) -> tuple[datetime, datetime, int]:
    return join.start.replace(tzinfo=zone), join.end.replace(tzinfo=zone), join.seconds


def minutes_of(rows: list[ParticipantRow], zone: ZoneInfo) -> int:
    """Minutes of these rows: overlapping stays count once (their union); a stay alone keeps the platform's
    count; layouts without joins give a total. Rounded to the nearest minute."""
    totals = sum(row.seconds or 0 for row in rows if row.join is None)
    stays = sorted(_aware(row.join, zone) for row in rows if row.join is not None)
    cluster: list[tuple[datetime, datetime, int]] = []

    def close() -> int:
        if len(cluster) == 1:
            return cluster[0][2]
        start, end = cluster[0][0], max(stay[1] for stay in cluster)
        return int((end - start).total_seconds())

    for stay in stays:
        if cluster and stay[0] >= max(s[1] for s in cluster):
            totals += close()
            cluster = []
        cluster.append(stay)
    if cluster:
        totals += close()
    return (totals + 30) // 60


def session_threshold(session: dict[str, Any]) -> int:
    """Minutes under which attendance is partial: the session's own, else half its scheduled length."""
    if session.get("attendance_threshold_minutes") is not None:
        return int(session["attendance_threshold_minutes"])
    return int((session["ends_at"] - session["starts_at"]).total_seconds() // 120)


def status_for(minutes: int, threshold: int) -> str:
    return Registration.Attendance.attended.value if minutes >= threshold else Registration.Attendance.partial.value


# --- Reading ------------------------------------------------------------------------------------------------

async def read_upload(upload: Any) -> bytes:
    """The bytes of an uploaded file (multipart field ``file``)."""
    if upload is None or not hasattr(upload, "read"):
        raise InvalidInput.field("file", _("Attach the attendance report in the field file."))
    return await upload.read()


def _read(data: bytes) -> ParsedReport:
    if len(data) > MAX_BYTES:
        raise InvalidInput.field("file", _("The file is larger than 8 MB."))
    try:
        return parse_report(data)
    except ReportError as error:
        raise InvalidInput.field("file", error.message) from error


def _report_day(report: ParsedReport, zone: ZoneInfo) -> date | None:
    start = report.meeting_start or min((row.join.start for row in report.rows if row.join), default=None)
    return None if start is None else start.replace(tzinfo=zone).date()


def _check_day(report: ParsedReport, session: dict[str, Any], zone: ZoneInfo) -> None:
    """A report from another day than the session's (in the report's zone) is refused, naming both days. (A
    per-person export without its meeting block carries no date: nothing to check.)"""
    day = _report_day(report, zone)
    days = {session["starts_at"].astimezone(zone).date(), session["ends_at"].astimezone(zone).date()}
    if day is not None and day not in days:
        raise InvalidInput.field("file", _(
            "This report is of a meeting on %(report_day)s, but the session is on %(session_day)s.",
            report_day=format_date(day), session_day=format_date(min(days)),
        ))


# --- Matching -----------------------------------------------------------------------------------------------

def _people(rows: list[ParticipantRow]) -> list[_Person]:
    """Rows of the same person together: by address, else by name."""
    grouped: dict[str, _Person] = {}
    for row in rows:
        key = "e:" + row.email if row.email else "n:" + normalise_name(row.name)
        grouped.setdefault(key, _Person([])).rows.append(row)
    return list(grouped.values())


class _Directory:
    """The session's registrations, found by address or by a name only one of them bears."""

    def __init__(self, registrations: list[dict[str, Any]]) -> None:
        self.by_email = {reg["email"].lower(): reg for reg in registrations}
        names: dict[str, list[dict]] = defaultdict(list)
        for reg in registrations:
            names[normalise_name(reg["name"])].append(reg)
        self.by_name = {name: regs[0] for name, regs in names.items() if len(regs) == 1}

    def find(self, person: _Person) -> dict[str, Any] | None:
        for row in person.rows:
            if row.email and row.email in self.by_email:
                return self.by_email[row.email]
        for row in person.rows:
            for name in (row.name, *row.other_names):
                if (found := self.by_name.get(normalise_name(name))) is not None:
                    return found
        return None


async def _session(session_id: int) -> dict[str, Any]:
    session = await Session.select(
        Session.id, Session.starts_at, Session.ends_at, Session.timezone, Session.attendance_threshold_minutes
    ).where(Session.id == session_id).first()
    if session is None:
        raise NotFound(_("No such session."))
    return session


def _zone(timezone: str | None, session: dict[str, Any]) -> str:
    if not timezone:
        return session["timezone"]
    if not valid_timezone(timezone):
        raise InvalidInput.field("timezone", timezone_error(timezone))
    return timezone


def _summary(row: dict[str, Any], already: bool) -> AttendanceImportOut:
    return AttendanceImportOut(
        id=row["id"], layout=row["layout"], timezone=row["timezone"], rows_read=row["rows_read"],
        matched=row["matched"], merged_rejoins=row["merged_rejoins"], unmatched=row["unmatched"],
        walk_ins=row["walk_ins"], hosts=row["hosts"], absent=row["absent"], already_imported=already,
    )


async def _earlier(session_id: int, digest: str) -> dict[str, Any] | None:
    return await AttendanceImport.select().where(
        (AttendanceImport.session == session_id) & (AttendanceImport.content_sha256 == digest)
    ).first()


# --- Applying -----------------------------------------------------------------------------------------------

def _identity(person: _Person | dict[str, Any]) -> tuple[str, str]:
    """Who a row of the review list is, across imports: name as compared, and address."""
    if isinstance(person, _Person):
        return normalise_name(person.first.name), person.first.email
    return normalise_name(person["name"]), person["email"]


async def _settled(session_id: int) -> dict[tuple[str, str], dict[str, Any]]:
    """How organisers settled the review list so far, by person: a later file applies the same decisions."""
    rows = await UnmatchedAttendee.select(
        UnmatchedAttendee.name, UnmatchedAttendee.email, UnmatchedAttendee.registration
    ).where((UnmatchedAttendee.session == session_id) & UnmatchedAttendee.outcome.is_not_null()).order_by(
        UnmatchedAttendee.id
    )
    return {_identity(row): row for row in rows}


async def _drop_superseded(session_id: int, identities: set[tuple[str, str]]) -> None:
    """A person still unsettled from an earlier import whom this one lists again is listed once: the new row."""
    waiting = await UnmatchedAttendee.select(
        UnmatchedAttendee.id, UnmatchedAttendee.name, UnmatchedAttendee.email
    ).where((UnmatchedAttendee.session == session_id) & UnmatchedAttendee.outcome.is_null())
    ids = [row["id"] for row in waiting if _identity(row) in identities]
    if ids:
        await UnmatchedAttendee.delete().where(UnmatchedAttendee.id.is_in(ids))


async def _record(minutes_by_registration: dict[int, int], threshold: int, now: datetime) -> None:
    """Minutes and status of each registration found, one statement per distinct figure (not per person)."""
    by_minutes: dict[int, list[int]] = defaultdict(list)
    for reg_id, minutes in minutes_by_registration.items():
        by_minutes[minutes].append(reg_id)
    for minutes, ids in by_minutes.items():
        for start in range(0, len(ids), 500):
            await Registration.update({
                Registration.attendance: status_for(minutes, threshold), Registration.minutes_attended: minutes,
                Registration.updated_at: now,
            }).where(Registration.id.is_in(ids[start : start + 500]))


async def _mark_absent(session_id: int, seen: set[int], now: datetime) -> int:
    """Confirmed registrations not seen and with no attendance recorded (or absent already) become absent."""
    candidates = await Registration.select(Registration.id).where(
        (Registration.session == session_id) & (Registration.status == Registration.Status.confirmed)
        & (Registration.attendance.is_null() | (Registration.attendance == Registration.Attendance.absent))
        & Registration.anonymised_at.is_null()
    )
    ids = [row["id"] for row in candidates if row["id"] not in seen]
    for start in range(0, len(ids), 500):
        await Registration.update({
            Registration.attendance: Registration.Attendance.absent, Registration.minutes_attended: 0,
            Registration.updated_at: now,
        }).where(Registration.id.is_in(ids[start : start + 500]))
    return len(ids)


async def import_attendance(
    session_id: int, data: bytes, *, timezone: str | None = None, user: StaffUser | None = None
) -> AttendanceImportOut:
    """Import a platform's attendance export for the session, whatever its status, in one transaction: record
    who came (minutes and status), mark the confirmed who did not absent, and put the unmatched on the review list.
    The same file again changes nothing. A file that cannot be read, or is of another day, is refused (422,
    field ``file``) with nothing written."""
    session = await _session(session_id)
    zone_name = _zone(timezone, session)
    zone = ZoneInfo(zone_name)
    report = _read(data)
    _check_day(report, session, zone)
    digest = hashlib.sha256(data).hexdigest()
    try:
        async with write_transaction(Registration._meta.db):
            if (earlier := await _earlier(session_id, digest)) is not None:
                return _summary(earlier, True)
            row = await _apply(session, report, zone, zone_name, digest, user)
    except Exception:
        # The same file uploaded twice at once (PostgreSQL: both saw no earlier import): the unique index refused
        # the second, whose transaction rolled back; it answers what the first did.
        if (earlier := await _earlier(session_id, digest)) is not None:
            return _summary(earlier, True)
        raise
    return _summary(row, False)


async def _apply(
    session: dict[str, Any], report: ParsedReport, zone: ZoneInfo, zone_name: str, digest: str,
    user: StaffUser | None,
) -> dict[str, Any]:
    registrations = await Registration.select(
        Registration.id, Registration.name, Registration.email, Registration.walk_in
    ).where((Registration.session == session["id"]) & Registration.anonymised_at.is_null())
    directory = _Directory(registrations)
    settled = await _settled(session["id"])
    people = _people(report.rows)
    found: dict[int, list[ParticipantRow]] = defaultdict(list)
    unmatched: list[_Person] = []
    hosts = 0
    for person in people:
        reg = directory.find(person)
        decided = settled.get(_identity(person))
        if reg is None and decided is not None:  # an organiser settled this person after an earlier import
            if decided["registration"] is not None:
                found[decided["registration"]].extend(person.rows)
        elif reg is not None:
            found[reg["id"]].extend(person.rows)
        elif person.role in _ATTENDEE_ROLES:
            unmatched.append(person)
        else:
            hosts += 1
    await _drop_superseded(session["id"], {_identity(person) for person in unmatched})
    now = datetime.now(zone)
    threshold = session_threshold(session)
    await _record({reg_id: minutes_of(rows, zone) for reg_id, rows in found.items()}, threshold, now)
    absent = await _mark_absent(session["id"], set(found), now)
    walk_ins = {reg["id"] for reg in registrations if reg["walk_in"]}
    values = {
        "session": session["id"], "content_sha256": digest, "layout": report.layout, "timezone": zone_name,
        "rows_read": report.rows_read, "matched": len(found), "merged_rejoins": len(report.rows) - len(people),
        "unmatched": len(unmatched), "walk_ins": len(walk_ins & set(found)), "hosts": hosts, "absent": absent,
        "imported_by": user.id if user else None,
    }
    import_id = (await AttendanceImport.insert(AttendanceImport(**values)).returning(AttendanceImport.id))[0]["id"]
    if unmatched:
        await UnmatchedAttendee.insert(*(
            UnmatchedAttendee(
                attendance_import=import_id, session=session["id"], line=p.first.line, name=p.first.name[:200],
                email=p.first.email[:254], minutes=minutes_of(p.rows, zone),
            )
            for p in unmatched
        ))
    return {**values, "id": import_id}

