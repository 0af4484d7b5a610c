"""Who gets which email: one ``notify_<noun>_<past verb>()`` per message, each writing ONE outbox row in the
caller's transaction (the worker renders ``templates/emails/<template>`` later, in the recipient's language and
time zone). Call them inside the transaction of the change that causes the message.

``reg`` is a registration row as a dict (``Registration.select()`` keys: ``id``, ``session`` (the session id),
``email``, ``preferred_language``, ``timezone``, ``status``, ``manage_nonce``, ``participation_mode``…).

Context of every registrant message: ``registration_id``, ``session_id``, ``sequence`` (the calendar SEQUENCE
of this person's invite when the message was decided: the session's, raised by every later change of the
registration's status, so a withdrawn and re-sent invite always supersedes the one before), ``manage_url``
(absolute link to the registrant's page; rebuildable at any time with
``registrations.links.manage_url(settings, registration_id, manage_nonce)``), and for messages that carry an
invite ``method`` (``REQUEST`` or ``CANCEL``). Message-specific keys are named per function.
"""

from __future__ import annotations

__all__ = [
    "invite_sequence",
    "notify_data_erased",
    "notify_invitation_sent",
    "notify_manage_link_requested",
    "notify_manage_link_resent",
    "notify_need_arranged",
    "notify_need_not_possible",
    "notify_registration_approved",
    "notify_registration_cancelled",
    "notify_registration_confirmed",
    "notify_registration_declined",
    "notify_registration_pending",
    "notify_registration_promoted",
    "notify_registration_waitlisted",
    "notify_registrants_message",
    "notify_reminder",
    "notify_session_cancelled",
    "notify_session_rescheduled",
    "notify_session_updated",
    "notify_speaker_accepted",
    "notify_speaker_declined",
    "notify_speaker_moved",
    "notify_staff_approval_needed",
    "notify_summary",
    "on_session_cancelled",
    "on_session_rescheduled",
    "on_session_updated",
    "send_reminders",
]

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from piccolo.query.functions.aggregate import Count

from events.services import INVITE_FIELDS
from events.summaries import is_opted_out
from events.tables import Session, SessionOrganiser
from registrations.links import invitation_url, manage_url
from registrations.tables import Registration, StatusChange
from server.db import write_transaction
from server.i18n import LANGUAGES
from server.mail.outbox import enqueue
from server.settings import Settings
from server.tables import OutboxMessage, User


async def _session_sequence(session_id: int) -> int:
    row = await Session.select(Session.sequence).where(Session.id == session_id).first()
    return row["sequence"] if row else 0


async def _status_changes_since_made(where: Any) -> dict[int, int]:
    """How often each registration matching ``where`` changed status after it was made (its first history row)."""
    rows = await StatusChange.select(StatusChange.registration, Count(StatusChange.id).as_alias("changes")).where(
        where
    ).group_by(StatusChange.registration)
    return {row["registration"]: max(0, row["changes"] - 1) for row in rows}


async def _personal_sequences(session_id: int) -> dict[int, int]:
    """Each registrant's invite SEQUENCE: the session's plus their own changes (withdrawn, re-sent), so it only
    rises. Registrations missing from the answer have no change of their own: the session's applies."""
    base = await _session_sequence(session_id)
    changes = await _status_changes_since_made(StatusChange.registration.session == session_id)
    return defaultdict(lambda: base, {reg_id: base + count for reg_id, count in changes.items()})


async def invite_sequence(reg: dict[str, Any]) -> int:
    """The SEQUENCE a message about ``reg``'s invite carries now."""
    changes = await _status_changes_since_made(StatusChange.registration == reg["id"])
    return await _session_sequence(reg["session"]) + changes.get(reg["id"], 0)


def registrant_message(
    template: str, reg: dict[str, Any], settings: Settings, *, sequence: int, method: str | None = None, **extra: Any
) -> dict[str, Any]:
    """The outbox fields of a message to a registrant (``enqueue``'s keyword arguments but ``mail_from``)."""
    context: dict[str, Any] = {
        "registration_id": reg["id"],
        "session_id": reg["session"],
        "sequence": sequence,
        "manage_url": manage_url(settings, reg["id"], reg["manage_nonce"]),
        **extra,
    }
    if method:
        context["method"] = method
    return {
        "template": template,
        "to_address": reg["email"],
        "language": reg["preferred_language"],
        "timezone": reg["timezone"],
        "context": context,
    }


def new_registration_message(
    reg: dict[str, Any], position: int | None, sequence: int, settings: Settings
) -> dict[str, Any]:
    """The first message of a new registration: confirmed (invite), waitlisted (position) or pending."""
    if reg["status"] == Registration.Status.confirmed:
        return registrant_message("registration_confirmed", reg, settings, sequence=sequence, method="REQUEST")
    if reg["status"] == Registration.Status.waitlisted:
        return registrant_message("registration_waitlisted", reg, settings, sequence=sequence, position=position)
    return registrant_message("registration_pending", reg, settings, sequence=sequence)


async def _to_registrant(
    template: str,
    reg: dict[str, Any],
    settings: Settings,
    *,
    method: str | None = None,
    sequence: int | None = None,
    **extra: Any,
) -> int:
    if sequence is None:
        sequence = await invite_sequence(reg)
    message = registrant_message(template, reg, settings, sequence=sequence, method=method, **extra)
    return await enqueue(**message, mail_from=settings.mail_from)


async def notify_registration_confirmed(reg: dict, *, settings: Settings, sequence: int | None = None) -> int:
    """A seat is theirs: the invite (METHOD REQUEST)."""
    return await _to_registrant("registration_confirmed", reg, settings, method="REQUEST", sequence=sequence)


async def notify_registration_waitlisted(
    reg: dict, position: int, *, settings: Settings, sequence: int | None = None, had_invite: bool = False
) -> int:
    """No seat yet: their place in the waitlist (``position``, from 1). Someone an organiser moved there from a
    seat (``had_invite``) also gets the invite withdrawn (METHOD CANCEL)."""
    return await _to_registrant(
        "registration_waitlisted", reg, settings, method="CANCEL" if had_invite else None, sequence=sequence,
        position=position, had_invite=had_invite,
    )


async def notify_registration_promoted(reg: dict, *, settings: Settings) -> int:
    """A seat freed and is now theirs: the invite (METHOD REQUEST)."""
    return await _to_registrant("registration_promoted", reg, settings, method="REQUEST")


async def notify_registration_pending(reg: dict, *, settings: Settings, sequence: int | None = None) -> int:
    """Received; an organiser will approve or decline (organisers who opted in are told: see below)."""
    message = await _to_registrant("registration_pending", reg, settings, sequence=sequence)
    await notify_staff_approval_needed(reg, settings=settings)
    return message


async def notify_registration_approved(reg: dict, *, settings: Settings, position: int | None = None) -> int:
    """Approved: confirmed (invite REQUEST, ``status`` confirmed) or waitlisted (``status``, ``position``)."""
    if reg["status"] == Registration.Status.confirmed:
        return await _to_registrant("registration_approved", reg, settings, method="REQUEST",
                                    status=Registration.Status.confirmed.value)
    return await _to_registrant("registration_approved", reg, settings, status=reg["status"], position=position)


async def notify_registration_declined(reg: dict, reason: str, *, settings: Settings, had_invite: bool = False) -> int:
    """Declined by an organiser, with the ``reason`` given; a seat they held is withdrawn from their calendar
    (METHOD CANCEL) when they had the invite (``had_invite``)."""
    return await _to_registrant(
        "registration_declined", reg, settings, method="CANCEL" if had_invite else None, reason=reason,
        had_invite=had_invite,
    )


async def notify_registration_cancelled(reg: dict, *, settings: Settings, had_invite: bool = True) -> int:
    """The registrant cancelled: the invite is withdrawn (METHOD CANCEL) when they held one (``had_invite``)."""
    return await _to_registrant(
        "registration_cancelled", reg, settings, method="CANCEL" if had_invite else None, had_invite=had_invite
    )


async def notify_data_erased(reg: dict, *, settings: Settings, sequence: int) -> int | None:
    """The registrant erased their data while holding a seat: the invite is withdrawn (METHOD CANCEL). Call it
    after the erasure: the row keeps the address only until the message is delivered or fails."""
    return await enqueue(
        template="data_erased",
        to_address=reg["email"],
        language=reg["preferred_language"],
        timezone=reg["timezone"],
        context={"session_id": reg["session"], "sequence": sequence, "method": "CANCEL",
                 "attendee_email": reg["email"], "forget_when_delivered": True},
        mail_from=settings.mail_from,
    )


async def notify_registrants_message(reg: dict, *, settings: Settings, subject: str, body: str,
                                     text_language: str) -> int:
    """An organiser's message to registrants, already in this reader's language (``text_language``, which may
    differ from the reader's when it was not written in theirs): plain ``subject`` and ``body``."""
    return await _to_registrant("registrants_message", reg, settings, message_subject=subject,
                                message_body=body, message_language=text_language)


async def notify_manage_link_resent(reg: dict, manage_url_: str, *, settings: Settings) -> int:
    """Staff replaced the registrant's link: the new one goes to the address."""
    return await _to_registrant("manage_link_resent", reg, settings, resent_manage_url=manage_url_)


#: Someone registering an address again gets its link mailed at most once in this many minutes: whoever
#: knows the address must not be able to flood its inbox.
LINK_REQUEST_MINUTES = 10


async def notify_manage_link_requested(reg: dict, manage_url_: str, *, settings: Settings) -> int | None:
    """Someone registered this address again: the link goes to the address, never to the requester; None when
    it went there less than ``LINK_REQUEST_MINUTES`` ago. Concurrent repeats compute the same once-only key."""
    prefix = f"manage_link_requested:{reg['id']}:"
    earlier = await OutboxMessage.select(OutboxMessage.created_at).where(
        OutboxMessage.dedupe_key.like(f"{prefix}%")
    ).order_by(OutboxMessage.created_at, ascending=False)
    if earlier and datetime.now(UTC) - earlier[0]["created_at"] < timedelta(minutes=LINK_REQUEST_MINUTES):
        return None
    message = registrant_message(
        "manage_link_resent", reg, settings, sequence=await invite_sequence(reg), resent_manage_url=manage_url_
    )
    return await enqueue(**message, mail_from=settings.mail_from, dedupe_key=f"{prefix}{len(earlier)}")


async def notify_invitation_sent(invitation: dict, *, settings: Settings) -> int:
    """An address is invited to register for an ``invitation`` session (context: ``session_id``,
    ``invitation_id``, ``register_url``). Nobody has told us their language or zone yet, so the message uses the
    session's: its floor language (English when that is not a UN language) and its time zone."""
    session_id = invitation["session"]
    session = await Session.select(Session.floor_language, Session.timezone).where(Session.id == session_id).first()
    return await enqueue(
        template="invitation_sent",
        to_address=invitation["email"],
        language=session["floor_language"] if session["floor_language"] in LANGUAGES else "en",
        timezone=session["timezone"],
        context={
            "invitation_id": invitation["id"],
            "session_id": session_id,
            # The link is the invitee's proof: registering needs its token, not just the invited address.
            "register_url": invitation_url(settings, invitation["id"], session_id),
        },
        mail_from=settings.mail_from,
    )


async def _need_message(template: str, need: dict, settings: Settings) -> int:
    reg = await Registration.select().where(Registration.id == need["registration"]).first()
    return await _to_registrant(
        template, reg, settings, need_id=need["id"], kind=need["kind"], code=need["code"], note=need["note"]
    )


async def notify_need_arranged(need: dict, *, settings: Settings) -> int:
    """A need is arranged (context: ``need_id``, ``kind``, ``code``, ``note``)."""
    return await _need_message("need_arranged", need, settings)


async def notify_need_not_possible(need: dict, *, settings: Settings) -> int:
    """A need cannot be met (context: ``need_id``, ``kind``, ``code``, ``note``)."""
    return await _need_message("need_not_possible", need, settings)


# --- Session-wide messages (H4): receivers of the events package's signals, and reminders. ---------------
# They run inside the transaction of the session change, so the messages commit with it. The composition root
# (server.app) connects the receivers with its settings; the manage link is rebuilt by the worker from the
# registration (registrations/mail_context.py).


#: Reminders are looked for in sessions starting within this window: the longest offset a session may set
#: (60 days, events.schemas) and a day to spare.
REMINDER_HORIZON = timedelta(days=61)


async def _registrants(session_id: int, statuses: tuple[str, ...]) -> list[dict]:
    return await Registration.select().where(
        (Registration.session == session_id)
        & Registration.status.is_in(list(statuses))
        & Registration.anonymised_at.is_null()
    ).order_by(Registration.id)


async def _to_session_registrant(
    template: str, reg: dict, sequence: int, *, settings: Settings, dedupe_key: str | None = None, **extra: Any
) -> int | None:
    return await enqueue(
        template=template,
        to_address=reg["email"],
        language=reg["preferred_language"],
        timezone=reg["timezone"],
        context={"registration_id": reg["id"], "session_id": reg["session"], "sequence": sequence, **extra},
        mail_from=settings.mail_from,
        dedupe_key=dedupe_key,
    )


async def notify_session_rescheduled(
    session_id: int, previous_starts_at: datetime, previous_ends_at: datetime, *, settings: Settings
) -> int:
    """New time: every confirmed registrant gets the updated invite (REQUEST), saying what it was; those still
    waiting (waitlisted, pending) hold no calendar entry, so they are told in a mail without an invite."""
    regs = await _registrants(session_id, (Registration.Status.confirmed,))
    waiting = await _registrants(session_id, (Registration.Status.waitlisted, Registration.Status.pending))
    sequences = await _personal_sequences(session_id)
    previous = {"previous_starts_at": previous_starts_at.isoformat(), "previous_ends_at": previous_ends_at.isoformat()}
    for reg in regs:
        await _to_session_registrant(
            "session_rescheduled", reg, sequences[reg["id"]], settings=settings, method="REQUEST",
            changes=["starts_at", "ends_at"], **previous,
        )
    for reg in waiting:
        await _to_session_registrant(
            "session_rescheduled_waiting", reg, sequences[reg["id"]], settings=settings, **previous
        )
    return len(regs) + len(waiting)


async def notify_session_updated(session_id: int, changes: list[str], *, settings: Settings) -> int:
    """A change the invite shows (title, time, join details, venue, description): the updated invite."""
    shown = [name for name in changes if name in INVITE_FIELDS]
    if not shown:
        return 0
    regs = await _registrants(session_id, (Registration.Status.confirmed,))
    sequences = await _personal_sequences(session_id)
    for reg in regs:
        await _to_session_registrant(
            "session_updated", reg, sequences[reg["id"]], settings=settings, method="REQUEST", changes=shown
        )
    return len(regs)


async def notify_session_cancelled(
    session_id: int, reason: dict[str, str] | None = None, *, settings: Settings
) -> int:
    """The session is cancelled: confirmed registrants get the cancelling invite (CANCEL) and nothing else;
    those waiting (waitlisted, pending) are told, without an invite, as they hold none. Every message carries
    the ``reason`` (texts by language; the worker picks the reader's)."""
    extra = {"cancellation_reason": reason} if reason else {}
    confirmed = await _registrants(session_id, (Registration.Status.confirmed,))
    waiting = await _registrants(session_id, (Registration.Status.waitlisted, Registration.Status.pending))
    sequences = await _personal_sequences(session_id)
    for reg in confirmed:
        await _to_session_registrant(
            "session_cancelled", reg, sequences[reg["id"]], settings=settings, method="CANCEL", had_invite=True,
            **extra,
        )
    for reg in waiting:
        await _to_session_registrant(
            "session_cancelled", reg, sequences[reg["id"]], settings=settings, had_invite=False, **extra
        )
    return len(confirmed) + len(waiting)


# Receivers of the events package's signals (server.app connects them, ``settings`` bound).

async def on_session_rescheduled(
    session_id: int, previous_starts_at: datetime, previous_ends_at: datetime, *, settings: Settings, **_: Any
) -> None:
    await notify_session_rescheduled(session_id, previous_starts_at, previous_ends_at, settings=settings)


async def on_session_updated(session_id: int, changes: list[str], *, settings: Settings, **_: Any) -> None:
    await notify_session_updated(session_id, changes, settings=settings)


async def on_session_cancelled(
    session_id: int, reason: dict[str, str] | None = None, *, settings: Settings, **_: Any
) -> None:
    await notify_session_cancelled(session_id, reason, settings=settings)


def current_reminder(starts_at: datetime, offsets: list[int], now: datetime) -> int | None:
    """The reminder due now: the smallest offset (minutes before the start) whose time has come, so a
    worker that was down sends the latest reminder, not every missed one."""
    if now >= starts_at:
        return None
    passed = [offset for offset in offsets if starts_at - timedelta(minutes=offset) <= now]
    return min(passed) if passed else None


async def notify_reminder(
    reg: dict, offset: int, sequence: int, starts_at: datetime, *, settings: Settings
) -> int | None:
    """A reminder before the session, once per person, offset and start time (dedupe key: a rescheduled
    session reminds again), with the join details."""
    key = f"reminder:{reg['session']}:{starts_at.astimezone(UTC):%Y%m%dT%H%M}:{offset}:{reg['id']}"
    return await _to_session_registrant("reminder", reg, sequence, settings=settings, offset=offset, dedupe_key=key)


async def send_reminders(settings: Settings, now: datetime | None = None) -> int:
    """The periodic job: queue the reminders due now for confirmed registrants (never cancelled, waitlisted or
    pending)."""
    now = now or datetime.now(UTC)
    sessions = await Session.select(
        Session.id, Session.starts_at, Session.reminder_offsets, Session.sequence
    ).where(
        (Session.status == Session.Status.published) & (Session.starts_at > now)
        & (Session.starts_at <= now + REMINDER_HORIZON)
    ).output(load_json=True)
    queued = 0
    for session in sessions:
        offset = current_reminder(session["starts_at"], [int(o) for o in session["reminder_offsets"] or []], now)
        if offset is None:
            continue
        async with write_transaction(Session._meta.db):
            for reg in await _registrants(session["id"], (Registration.Status.confirmed,)):
                queued += await notify_reminder(
                    reg, offset, session["sequence"], session["starts_at"], settings=settings
                ) is not None
    return queued


# --- Post-session summaries (H4): the events package announces a sending; this decides who gets it. -------

#: Who each summary audience is, among a session's registrations.
def _summary_audience(audience: str):
    # Walk-ins who left no address hold a placeholder one (checkin.WALK_IN_DOMAIN): nothing to send them.
    confirmed = (Registration.status == Registration.Status.confirmed) & Registration.email.not_like(
        "%@walk-in.invalid")
    attended = Registration.attendance.is_in([Registration.Attendance.attended, Registration.Attendance.partial])
    if audience == "attendees":
        return confirmed & attended
    if audience == "absentees":  # held a seat and did not come (or attendance was never recorded)
        return confirmed & (Registration.attendance.is_null() | Registration.attendance.is_in(
            [Registration.Attendance.absent, Registration.Attendance.excused]))
    return Registration.status.is_in([Registration.Status.confirmed, Registration.Status.waitlisted])


async def notify_summary(session_id: int, audience: str, *, settings: Settings) -> int:
    """The summary to everyone in ``audience`` who has not unsubscribed; each person gets a session's
    summary once, whatever the audiences it is sent to (dedupe key). Returns how many were queued. The events
    package calls it through ``app.state.notify_summary`` (server.app binds ``settings``)."""
    sequence = await _session_sequence(session_id)
    regs = await Registration.select().where(
        (Registration.session == session_id) & Registration.anonymised_at.is_null() & _summary_audience(audience)
    ).order_by(Registration.id)
    queued = 0
    for reg in regs:
        if await is_opted_out(reg["email"]):
            continue
        dedupe_key = f"summary:{session_id}:{reg['id']}"
        queued += await _to_session_registrant(
            "summary", reg, sequence, settings=settings, dedupe_key=dedupe_key
        ) is not None
    return queued



# --- Notices to staff (H4): opt-in per user (User.notify_staff), off by default. ----------------------------

async def notify_staff_approval_needed(reg: dict, *, settings: Settings) -> int:
    """The session's organisers who opted in hear that a registration awaits their approval."""
    assigned = await SessionOrganiser.select(SessionOrganiser.user).where(SessionOrganiser.session == reg["session"])
    if not assigned:
        return 0
    session = await Session.select(Session.timezone).where(Session.id == reg["session"]).first()
    staff = await User.select(User.id, User.email, User.preferred_language).where(
        User.id.is_in([row["user"] for row in assigned]) & (User.notify_staff == True)  # noqa: E712 (SQL)
        & (User.active == True)  # noqa: E712 (SQL)
    ).order_by(User.id)
    for user in staff:
        await enqueue(
            template="staff_approval_needed",
            to_address=user["email"],
            language=user["preferred_language"],
            timezone=session["timezone"],
            context={"session_id": reg["session"], "registration_id": reg["id"], "staff_user_id": user["id"]},
            mail_from=settings.mail_from,
        )
    return len(staff)


# --- The speakers' list: the worker renders these with registrations/mail_context.py's speaker builder. -------

async def notify_speaker_accepted(reg: dict, *, settings: Settings, speaker_id: int, position: int, minutes: int,
                                  expected_at: str) -> int:
    """Their request to speak is accepted: their place (``position``), ``minutes`` and ``expected_at`` (ISO)."""
    return await _to_registrant("speaker_accepted", reg, settings, speaker_id=speaker_id, position=position,
                                minutes=minutes, expected_at=expected_at)


async def notify_speaker_declined(reg: dict, *, settings: Settings, speaker_id: int, reason: str) -> int:
    """Their request to speak is declined, with the organiser's ``reason``."""
    return await _to_registrant("speaker_declined", reg, settings, speaker_id=speaker_id, reason=reason)


async def notify_speaker_moved(reg: dict, *, settings: Settings, speaker_id: int, position: int, minutes: int,
                               expected_at: str, previous_expected_at: str) -> int:
    """Their place moved and with it their expected time, by more than the threshold the speakers' list sets
    (``speakers.MOVE_THRESHOLD``): the new place and time, and the time told before."""
    return await _to_registrant("speaker_moved", reg, settings, speaker_id=speaker_id, position=position,
                                minutes=minutes, expected_at=expected_at, previous_expected_at=previous_expected_at)
