"""Organisers' decisions: approve and decline (in bulk), move between waitlist and confirmed, settle needs,
invite addresses. Each decision is one transaction with its history lines and outbox rows."""

from __future__ import annotations

__all__ = ["approve", "decide_need", "decline", "emails_from_upload", "invite", "move", "parse_invitation_csv"]

import csv
import io
from datetime import UTC, datetime
from typing import Any

from registrations import notifications
from registrations.manage import leave
from registrations.tables import Invitation, Need, Registration
from registrations.waitlist import (
    claim_seat,
    fill_freed_seats,
    lock_session,
    promotion_open,
    record_change,
    release_seat,
    seat_left,
    take_waitlist_place,
    waitlist_position,
)
from server.auth import StaffUser
from server.db import write_transaction
from server.errors import Conflict, FieldError, InvalidInput, NotFound
from server.i18n import gettext as _
from server.schemas import MAX_INT
from server.settings import Settings
from server.validation import check_text, normalised_email

_DECLINABLE = (Registration.Status.pending, Registration.Status.waitlisted, Registration.Status.confirmed)


def _refuse_control_characters(field: str, text: str) -> None:
    """Text the registrant is sent: line breaks pass, other control characters are refused (as registering does)."""
    errors: list[FieldError] = []
    check_text(field, text, errors, multiline=True)
    if errors:
        raise InvalidInput(f"{field}: {errors[0].message}", errors)


async def _registrations(session_id: int, ids: list[int]) -> list[dict[str, Any]]:
    # An id no row can have (below 1, past the integer column) is one of no session: the database is not asked.
    regs = [] if any(not 1 <= i <= MAX_INT for i in ids) else await Registration.select().where(
        (Registration.session == session_id) & Registration.id.is_in(ids)
    ).order_by(Registration.id)
    if len(regs) != len(set(ids)):
        raise InvalidInput.field("registration_ids", _("Some of these registrations are not of this session."))
    return regs


async def _set_status(reg: dict, status: str, order: int | None, user: StaffUser, reason: str = "") -> dict:
    await Registration.update(
        {Registration.status: status, Registration.waitlist_order: order, Registration.updated_at: datetime.now(UTC)}
    ).where(Registration.id == reg["id"])
    await record_change(reg["id"], reg["status"], status, actor="staff", staff_user=user.id, reason=reason)
    return {**reg, "status": status, "waitlist_order": order}


async def approve(session_id: int, ids: list[int], *, user: StaffUser, settings: Settings) -> int:
    """Approve pending registrations: each takes a seat, or joins the waitlist in order when none is left."""
    async with write_transaction(Registration._meta.db):
        # The lock first, so each claim sees every waitlist place committed before it (registrations.seats).
        await lock_session(session_id)
        regs = await _registrations(session_id, ids)
        pending = [r for r in regs if r["status"] == Registration.Status.pending.value]
        for reg in pending:
            mode = reg["participation_mode"]
            claimed = await claim_seat(session_id, mode, behind_waitlist=True)
            order = None if claimed else await take_waitlist_place(session_id, mode)
            status = Registration.Status.confirmed.value if order is None else Registration.Status.waitlisted.value
            updated = await _set_status(reg, status, order, user)
            position = await waitlist_position(session_id, mode, order)
            await notifications.notify_registration_approved(updated, settings=settings, position=position)
    return len(pending)


async def decline(session_id: int, ids: list[int], reason: str, *, user: StaffUser, settings: Settings) -> int:
    """Decline with a reason (required); a confirmed seat goes to the next in line."""
    if not reason.strip():
        raise InvalidInput.field("reason", _("Give the reason for declining; the registrant is told."))
    _refuse_control_characters("reason", reason)
    async with write_transaction(Registration._meta.db):
        await lock_session(session_id)  # the session before the registrations, as every path takes them
        regs = [r for r in await _registrations(session_id, ids) if r["status"] in _DECLINABLE]
        declined = 0
        for reg in regs:
            if not await leave(reg, Registration.Status.declined.value, settings=settings, actor="staff",
                               reason=reason.strip(), staff_user=user.id):
                continue  # cancelled meanwhile
            declined += 1
            await notifications.notify_registration_declined(
                {**reg, "status": Registration.Status.declined.value}, reason.strip(), settings=settings,
                had_invite=reg["status"] == Registration.Status.confirmed.value,
            )
    return declined


async def move(session_id: int, registration_id: int, to: str, *, user: StaffUser, settings: Settings) -> None:
    """Waitlisted → confirmed if a seat is left (409 otherwise); confirmed → head of the waitlist.

    The seat given up goes to the first in line, as any freed seat does, before the moved registration joins the
    waitlist (so it is not the one promoted). After the promotion cutoff it stays free for organisers to give by
    hand. A move whose seat would only come straight back (promotion still open and nobody else waiting) is
    refused: the safety-net job would promote the moved registration again.
    """
    async with write_transaction(Registration._meta.db):
        # The session before the registration, as every path takes them (the line's length on the session row is
        # written with the move); read after the lock, the status is not one a decline or cancellation is changing.
        await lock_session(session_id)
        reg = (await _registrations(session_id, [registration_id]))[0]
        mode = reg["participation_mode"]
        if reg["walk_in"]:  # let in at the door without a seat: none to give up, no line to join
            message = _("A walk-in took no seat and cannot be moved.")
            raise Conflict(message, [FieldError("to", message)])
        if to == Registration.Status.confirmed and reg["status"] == Registration.Status.waitlisted:
            if not await claim_seat(session_id, mode):
                raise Conflict(_("No seat is left."), [FieldError("to", _("No seat is left."))])
            updated = await _set_status(
                reg, Registration.Status.confirmed.value, None, user, reason="moved_by_organiser"
            )
            await notifications.notify_registration_promoted(updated, settings=settings)
        elif to == Registration.Status.waitlisted and reg["status"] == Registration.Status.confirmed:
            await release_seat(session_id, mode)
            await fill_freed_seats(session_id, mode, settings=settings)
            if await promotion_open(session_id) and await seat_left(session_id, mode):
                message = _("Nobody else is waiting: the seat would go straight back to this registration.")
                raise Conflict(message, [FieldError("to", message)])
            first = await Registration.raw(
                "SELECT MIN(waitlist_order) AS first FROM registration WHERE session = {} AND participation_mode = {}",
                session_id, mode,
            )
            head = (first[0]["first"] or 1) - 1
            updated = await _set_status(reg, Registration.Status.waitlisted.value, head, user, "moved_by_organiser")
            await notifications.notify_registration_waitlisted(updated, 1, settings=settings, had_invite=True)
        else:
            raise Conflict(
                _("Only waitlisted registrations move to confirmed and confirmed ones to the waitlist."),
                [FieldError("to", _("Not possible from the registration's status."))],
            )


async def decide_need(
    session_id: int, need_id: int, status: str, note: str, *, settings: Settings
) -> None:
    """Mark a need arranged or not possible; the registrant is told either way."""
    if status not in (Need.Status.arranged.value, Need.Status.not_possible.value):
        raise InvalidInput.field("status", _("Choose arranged or not_possible."))
    _refuse_control_characters("note", note)
    async with write_transaction(Need._meta.db):
        need = await Need.select(*Need.all_columns(), Need.registration.session.as_alias("session_id")).where(
            Need.id == need_id
        ).first()
        if need is None or need["session_id"] != session_id:
            raise NotFound(_("No such need on this session."))
        await Need.update({Need.status: status, Need.note: note.strip(), Need.updated_at: datetime.now(UTC)}).where(
            Need.id == need_id
        )
        need = {**need, "status": status, "note": note.strip()}
        arranged = status == Need.Status.arranged
        notify = notifications.notify_need_arranged if arranged else notifications.notify_need_not_possible
        await notify(need, settings=settings)


def parse_invitation_csv(content: bytes) -> list[str]:
    """Addresses from an uploaded CSV: every cell that holds an address (a header row is simply skipped)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput.field("file", _("Upload a UTF-8 CSV file.")) from error
    return [cell.strip() for row in csv.reader(io.StringIO(text)) for cell in row if "@" in cell]


async def emails_from_upload(upload: Any) -> list[str]:
    """The addresses in an uploaded CSV file (multipart field ``file``)."""
    if upload is None or not hasattr(upload, "read"):
        raise InvalidInput.field("file", _("Attach a CSV file in the field file."))
    content = await upload.read()
    if len(content) > 2 * 1024 * 1024:
        raise InvalidInput.field("file", _("The file is larger than 2 MB."))
    emails = parse_invitation_csv(content)
    if not emails:
        raise InvalidInput.field("file", _("No email addresses found in the file."))
    return emails


async def invite(session_id: int, emails: list[str], *, settings: Settings) -> tuple[int, int]:
    """Invite addresses (each mailed once); returns (newly invited, already invited)."""
    normalised, bad = [], []
    for address in emails:
        (normalised if (value := normalised_email(address)) else bad).append(value or address)
    if bad:
        raise InvalidInput.field("emails", _("Not email addresses: %(list)s", list=", ".join(bad[:5])))
    unique = list(dict.fromkeys(normalised))
    async with write_transaction(Invitation._meta.db):
        known = {
            r["email"]
            for r in await Invitation.select(Invitation.email).where(
                (Invitation.session == session_id) & Invitation.email.is_in(unique)
            )
        }
        fresh = [e for e in unique if e not in known]
        for address in fresh:
            rows = await Invitation.insert(Invitation(session=session_id, email=address)).returning(Invitation.id)
            await notifications.notify_invitation_sent(
                {"id": rows[0]["id"], "session": session_id, "email": address}, settings=settings
            )
    return len(fresh), len(unique) - len(fresh)
