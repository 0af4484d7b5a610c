"""Who gets which email: one ``notify_<noun>_<past verb>()`` per message, each writing ONE outbox row in the
caller's transaction (the worker renders ``templates/emails/<template>`` later, in the recipient's language and
time zone). Call them inside the transaction of the change that causes the message.

``reg`` is a registration row as a dict (``Registration.select()`` keys: ``id``, ``session`` (the session id),
``email``, ``preferred_language``, ``timezone``, ``status``, ``manage_nonce``, ``participation_mode``…).

Context of every registrant message: ``registration_id``, ``session_id``, ``sequence`` (the session's calendar
SEQUENCE when the message was decided), ``manage_url`` (absolute link to the registrant's page; rebuildable at
any time with ``registrations.links.manage_url(settings, registration_id, manage_nonce)``), and for messages that
carry an invite ``method`` (``REQUEST`` or ``CANCEL``). Message-specific keys are named per function.
"""

from __future__ import annotations

__all__ = [
    "notify_invitation_sent",
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
]

from typing import Any

from events.tables import Session
from registrations.links import manage_url
from registrations.tables import Registration
from server.mail.outbox import enqueue
from server.settings import Settings


async def _session_sequence(session_id: int) -> int:
    row = await Session.select(Session.sequence).where(Session.id == session_id).first()
    return row["sequence"] if row else 0


async def _to_registrant(
    template: str,
    reg: dict[str, Any],
    settings: Settings,
    *,
    method: str | None = None,
    sequence: int | None = None,
    **extra: Any,
) -> int:
    context: dict[str, Any] = {
        "registration_id": reg["id"],
        "session_id": reg["session"],
        "sequence": sequence if sequence is not None else await _session_sequence(reg["session"]),
        "manage_url": manage_url(settings, reg["id"], reg["manage_nonce"]),
        **extra,
    }
    if method:
        context["method"] = method
    return await enqueue(
        template=template,
        to_address=reg["email"],
        language=reg["preferred_language"],
        timezone=reg["timezone"],
        context=context,
        mail_from=settings.mail_from,
    )


async def notify_registration_confirmed(reg: dict, *, settings: Settings, sequence: int | None = None) -> int:
    """A seat is theirs: the invite (METHOD REQUEST)."""
    return await _to_registrant("registration_confirmed", reg, settings, method="REQUEST", sequence=sequence)


async def notify_registration_waitlisted(reg: dict, position: int, *, settings: Settings) -> int:
    """No seat yet: their place in the waitlist (``position``, from 1)."""
    return await _to_registrant("registration_waitlisted", reg, settings, position=position)


async def notify_registration_promoted(reg: dict, *, settings: Settings) -> int:
    """A seat freed and is now theirs: the invite (METHOD REQUEST)."""
    return await _to_registrant("registration_promoted", reg, settings, method="REQUEST")


async def notify_registration_pending(reg: dict, *, settings: Settings) -> int:
    """Received; an organiser will approve or decline."""
    return await _to_registrant("registration_pending", reg, settings)


async def notify_registration_approved(reg: dict, *, settings: Settings, position: int | None = None) -> int:
    """Approved: confirmed (invite REQUEST, ``status`` confirmed) or waitlisted (``status``, ``position``)."""
    if reg["status"] == "confirmed":
        return await _to_registrant("registration_approved", reg, settings, method="REQUEST", status="confirmed")
    return await _to_registrant("registration_approved", reg, settings, status=reg["status"], position=position)


async def notify_registration_declined(reg: dict, reason: str, *, settings: Settings) -> int:
    """Declined by an organiser, with the ``reason`` given."""
    return await _to_registrant("registration_declined", reg, settings, reason=reason)


async def notify_registration_cancelled(reg: dict, *, settings: Settings, had_invite: bool = True) -> int:
    """The registrant cancelled: the invite is withdrawn (METHOD CANCEL) when they held one (``had_invite``)."""
    return await _to_registrant(
        "registration_cancelled", reg, settings, method="CANCEL" if had_invite else None, had_invite=had_invite
    )


async def notify_manage_link_resent(reg: dict, manage_url_: str, *, settings: Settings) -> int:
    """Someone registered this address again: the link goes to the address, never to the requester."""
    return await _to_registrant("manage_link_resent", reg, settings, resent_manage_url=manage_url_)


async def notify_invitation_sent(invitation: dict, *, settings: Settings, language: str = "en") -> int:
    """An address is invited to register for an ``invitation`` session (context: ``session_id``,
    ``invitation_id``, ``register_url``)."""
    session_id = invitation["session"]
    return await enqueue(
        template="invitation_sent",
        to_address=invitation["email"],
        language=language,
        timezone="UTC",
        context={
            "invitation_id": invitation["id"],
            "session_id": session_id,
            "register_url": f"{settings.public_url.rstrip('/')}/sessions/{session_id}",
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
