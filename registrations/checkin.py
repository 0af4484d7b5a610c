"""Attendance by hand: the check-in desk (mark attended one by one or in bulk, walk-ins, closing the check-in),
organisers' own marks (excused…), the session's threshold, and settling the import's review list."""

from __future__ import annotations

__all__ = [
    "ATTENDANCE_MARKS", "CheckinRow", "ReviewRow", "add_walk_in", "checkin_rows", "close_checkin", "imports",
    "mark", "review_rows", "set_threshold", "settle",
]

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from events.tables import Session
from registrations.attendance import session_threshold, status_for
from registrations.tables import AttendanceImport, Registration, UnmatchedAttendee
from registrations.waitlist import record_change
from server.auth import StaffUser
from server.db import write_transaction
from server.errors import Conflict, FieldError, InvalidInput, NotFound
from server.i18n import gettext as _
from server.validation import check_text, normalised_email

#: What an organiser may set by hand (``partial`` comes from minutes; "clear" forgets the mark).
ATTENDANCE_MARKS = (Registration.Attendance.attended.value, Registration.Attendance.absent.value,
                    Registration.Attendance.excused.value, "clear")
#: Domain of the addresses given to walk-ins who left none (``.invalid`` never delivers, RFC 2606).
WALK_IN_DOMAIN = "walk-in.invalid"


@dataclass(frozen=True)
class CheckinRow:
    """One person at the check-in desk."""

    id: int
    name: str
    organisation: str
    email: str
    attendance: str | None
    minutes_attended: int | None
    walk_in: bool


@dataclass(frozen=True)
class ReviewRow:
    """One person of an import whom no registration matched."""

    id: int
    line: int
    name: str
    email: str
    minutes: int
    imported_at: datetime


def _shown_email(email: str) -> str:
    return "" if email.endswith("@" + WALK_IN_DOMAIN) else email


async def checkin_rows(session_id: int, search: str = "") -> list[CheckinRow]:
    """Confirmed registrations (walk-ins included) whose name, organisation or address contains ``search``
    (case-insensitive), by name."""
    regs = await Registration.select(
        Registration.id, Registration.name, Registration.organisation, Registration.email, Registration.attendance,
        Registration.minutes_attended, Registration.walk_in,
    ).where(
        (Registration.session == session_id) & (Registration.status == Registration.Status.confirmed)
        & Registration.anonymised_at.is_null()
    )
    term = search.strip().casefold()
    rows = [
        CheckinRow(r["id"], r["name"], r["organisation"], _shown_email(r["email"]), r["attendance"],
                   r["minutes_attended"], r["walk_in"])
        for r in regs
        if not term or any(term in (r[k] or "").casefold() for k in ("name", "organisation", "email"))
    ]
    return sorted(rows, key=lambda row: (row.name.casefold(), row.id))


async def mark(session_id: int, ids: list[int], value: str) -> int:
    """Set the attendance of these registrations of the session: ``attended``, ``absent``, ``excused``, or
    ``clear`` (unknown again). Minutes counted by an import are kept. Returns how many changed."""
    if value not in ATTENDANCE_MARKS:
        raise InvalidInput.field("attendance", _("Choose attended, absent or excused."))
    if not ids:
        raise InvalidInput.field("registration_ids", _("Choose at least one registration."))
    async with write_transaction(Registration._meta.db):
        found = await Registration.select(Registration.id).where(
            (Registration.session == session_id) & Registration.id.is_in(ids)
        )
        if len(found) != len(set(ids)):
            raise InvalidInput.field("registration_ids", _("Some of these registrations are not of this session."))
        await Registration.update({
            Registration.attendance: None if value == "clear" else value,
            Registration.updated_at: datetime.now(UTC),
        }).where(Registration.id.is_in(ids))
    return len(found)


async def close_checkin(session_id: int) -> int:
    """Closing the check-in: every confirmed registration not marked yet is absent. Returns how many."""
    async with write_transaction(Registration._meta.db):
        rows = await Registration.update({
            Registration.attendance: Registration.Attendance.absent, Registration.updated_at: datetime.now(UTC),
        }).where(
            (Registration.session == session_id) & (Registration.status == Registration.Status.confirmed)
            & Registration.attendance.is_null() & Registration.anonymised_at.is_null()
        ).returning(Registration.id)
    return len(rows)


def _walk_in_fields(name: str, email: str, organisation: str) -> tuple[str, str, str]:
    errors: list[FieldError] = []
    name, organisation = name.strip(), organisation.strip()
    if not name:
        errors.append(FieldError("name", _("Give the person's name.")))
    check_text("name", name, errors)
    check_text("organisation", organisation, errors)
    if len(name) > 200:
        errors.append(FieldError("name", _("Use at most %(max)s characters.", max=200)))
    if len(organisation) > 300:
        errors.append(FieldError("organisation", _("Use at most %(max)s characters.", max=300)))
    address = normalised_email(email) if email.strip() else ""
    if address is None:
        errors.append(FieldError("email", _("Give a valid email address, or none.")))
    if errors:
        raise InvalidInput("; ".join(f"{e.field}: {e.message}" for e in errors), errors)
    return name, address or f"{secrets.token_hex(8)}@{WALK_IN_DOMAIN}", organisation


async def _insert_walk_in(
    session_id: int, name: str, email: str, organisation: str, attendance: str, minutes: int | None, user: StaffUser,
) -> int:
    taken = await Registration.exists().where((Registration.session == session_id) & (Registration.email == email))
    if taken:
        raise InvalidInput.field("email", _("This address is already registered for the session: find it in the list."))
    reg = Registration(
        session=session_id, name=name, email=email, organisation=organisation, stakeholder_category="other",
        country="", status=Registration.Status.confirmed.value, manage_nonce=secrets.token_hex(16), walk_in=True,
        attendance=attendance, minutes_attended=minutes, consent_processing=True,
    )
    reg_id = (await Registration.insert(reg).returning(Registration.id))[0]["id"]
    await record_change(reg_id, "", Registration.Status.confirmed.value, actor="staff", staff_user=user.id,
                        reason="walk_in")
    return reg_id


async def add_walk_in(session_id: int, *, name: str, email: str = "", organisation: str = "", user: StaffUser) -> int:
    """Record someone who came without registering: a confirmed registration marked as a walk-in and attended,
    taking no seat and sent no mail. Returns its id."""
    name, email, organisation = _walk_in_fields(name, email, organisation)
    async with write_transaction(Registration._meta.db):
        attended = Registration.Attendance.attended.value
        return await _insert_walk_in(session_id, name, email, organisation, attended, None, user)


async def set_threshold(session_id: int, minutes: int | None) -> None:
    """The minutes under which attendance is partial (None: half the scheduled length); statuses already computed
    from minutes follow."""
    if minutes is not None and not 0 <= minutes <= 100_000:
        raise InvalidInput.field("threshold", _("Give a number of minutes from 0 to 100000."))
    async with write_transaction(Session._meta.db):
        await Session.update({Session.attendance_threshold_minutes: minutes}).where(Session.id == session_id)
        session = await Session.select(
            Session.starts_at, Session.ends_at, Session.attendance_threshold_minutes
        ).where(Session.id == session_id).first()
        threshold = session_threshold(session)
        counted = await Registration.select(Registration.id, Registration.minutes_attended).where(
            (Registration.session == session_id) & Registration.minutes_attended.is_not_null()
            & Registration.attendance.is_in([Registration.Attendance.attended, Registration.Attendance.partial])
        )
        for reg in counted:
            await Registration.update(
                {Registration.attendance: status_for(reg["minutes_attended"], threshold)}
            ).where(Registration.id == reg["id"])


# --- The review list ----------------------------------------------------------------------------------------

async def review_rows(session_id: int) -> list[ReviewRow]:
    """People of the session's imports whom no registration matched and no organiser settled yet."""
    rows = await UnmatchedAttendee.select(
        UnmatchedAttendee.id, UnmatchedAttendee.line, UnmatchedAttendee.name, UnmatchedAttendee.email,
        UnmatchedAttendee.minutes, UnmatchedAttendee.attendance_import.imported_at.as_alias("imported_at"),
    ).where((UnmatchedAttendee.session == session_id) & UnmatchedAttendee.outcome.is_null()).order_by(
        UnmatchedAttendee.id
    )
    return [ReviewRow(r["id"], r["line"], r["name"], r["email"], r["minutes"], r["imported_at"]) for r in rows]


async def imports(session_id: int) -> list[dict[str, Any]]:
    """The session's imports, latest first."""
    return await AttendanceImport.select().where(AttendanceImport.session == session_id).order_by(
        AttendanceImport.id, ascending=False
    )


async def _threshold(session_id: int) -> int:
    session = await Session.select(
        Session.starts_at, Session.ends_at, Session.attendance_threshold_minutes
    ).where(Session.id == session_id).first()
    return session_threshold(session)


async def settle(
    session_id: int, row_id: int, outcome: str, *, registration_id: int | None = None, user: StaffUser
) -> None:
    """Settle one row of the review list: ``matched`` to a registration of the session (it gets the row's minutes,
    or keeps its own when higher: a second device), ``walk_in`` (a walk-in registration with the row's minutes) or
    ``dismissed`` (not a participant). A row already settled answers 409."""
    if outcome not in UnmatchedAttendee.Outcome._value2member_map_:
        raise InvalidInput.field("outcome", _("Choose match, walk-in or dismiss."))
    async with write_transaction(Registration._meta.db):
        row = await UnmatchedAttendee.select().where(
            (UnmatchedAttendee.id == row_id) & (UnmatchedAttendee.session == session_id)
        ).first()
        if row is None:
            raise NotFound(_("This row is not on the session's review list."))
        if row["outcome"] is not None:
            raise Conflict(_("This row was settled already."))
        threshold = await _threshold(session_id)
        if outcome == UnmatchedAttendee.Outcome.matched:
            registration_id = await _match(session_id, row, registration_id, threshold)
        elif outcome == UnmatchedAttendee.Outcome.walk_in:
            name, email, organisation = _walk_in_fields(row["name"] or "?", row["email"], "")
            registration_id = await _insert_walk_in(session_id, name, email, organisation,
                                                    status_for(row["minutes"], threshold), row["minutes"], user)
        await UnmatchedAttendee.update({
            UnmatchedAttendee.outcome: outcome, UnmatchedAttendee.registration: registration_id,
            UnmatchedAttendee.settled_at: datetime.now(UTC),
        }).where(UnmatchedAttendee.id == row_id)


async def _match(session_id: int, row: dict[str, Any], registration_id: int | None, threshold: int) -> int:
    if registration_id is None:
        raise InvalidInput.field("registration_id", _("Choose the registration this person is."))
    reg = await Registration.select(Registration.id, Registration.minutes_attended).where(
        (Registration.id == registration_id) & (Registration.session == session_id)
    ).first()
    if reg is None:
        raise InvalidInput.field("registration_id", _("Choose a registration of this session."))
    minutes = max(reg["minutes_attended"] or 0, row["minutes"])
    await Registration.update({
        Registration.attendance: status_for(minutes, threshold), Registration.minutes_attended: minutes,
        Registration.updated_at: datetime.now(UTC),
    }).where(Registration.id == reg["id"])
    return reg["id"]
