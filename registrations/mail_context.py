"""What registrant messages show: the worker calls these builders in the recipient's language and time zone,
to load the session and registration and, for invites, the calendar. The composition root (server.app) names
the templates each one serves.

Deciding who gets which message is registrations/notifications.py; this only renders facts at sending time.
The calendar SEQUENCE and METHOD come from the outbox row (fixed when the message was decided).
"""

from __future__ import annotations

__all__ = [
    "erased_content", "invitation_content", "registrant_content", "speaker_content", "staff_content",
    "summary_content",
]

from typing import Any

from babel.core import UnknownLocaleError

from events.calendar import Invite, build_calendar, clean_text, session_mail_values
from events.summaries import is_opted_out, summary_for, summary_values, unsubscribe_token
from events.tables import Session
from registrations.links import manage_url
from registrations.speakers_pages import summary_speakers_labelled
from registrations.tables import Invitation, Need, Registration, Speaker
from server.dates import readable_from_text
from server.i18n import current_locale, format_datetime, format_time_range, language_name, pick_text
from server.i18n import lazy_gettext as _l
from server.mail.render import MailContent, MessageObsolete
from server.settings import Settings

#: How the fields of ``session_updated`` read in a message.
CHANGE_LABELS = {
    "starts_at": _l("the start time"),
    "ends_at": _l("the end time"),
    "title": _l("the title"),
    "description": _l("the description"),
    "join": _l("how to join"),
    "venue": _l("the venue"),
}
PROVISION_LABELS = {
    "captions_cart": _l("human real-time captioning (CART)"),
    "captions_auto": _l("automatic captions"),
    "international_sign": _l("International Sign interpretation"),
    "national_sign_language": _l("national sign language interpretation"),
    "accessible_documents": _l("accessible documents"),
    "easy_read": _l("easy-read documents"),
    "other": _l("another accessibility provision"),
}


async def _session(session_id: int) -> dict[str, Any]:
    row = await Session.select().where(Session.id == session_id).output(load_json=True).first()
    if row is None:
        raise MessageObsolete("the session no longer exists")
    return row


async def _registration(registration_id: int) -> dict[str, Any]:
    row = await Registration.select().where(Registration.id == registration_id).first()
    if row is None or row["anonymised_at"] is not None:
        raise MessageObsolete("the registration was erased")
    return row


def _need_label(kind: str, code: str, text: str) -> str:
    if kind == Need.Kind.interpretation and code:
        try:
            return str(language_name(code))
        except UnknownLocaleError:
            return code
    if kind == Need.Kind.accessibility and code in PROVISION_LABELS:
        return str(PROVISION_LABELS[code])
    return clean_text(text or code)


def _changes(context: dict[str, Any], session: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "changes_text": [str(CHANGE_LABELS[name]) for name in context.get("changes", []) if name in CHANGE_LABELS]
    }
    if context.get("previous_starts_at") and context.get("previous_ends_at"):
        values["previous_when"] = format_time_range(
            # Through the same guard as times read from the database: an old row's year 9999 cannot break the mail.
            readable_from_text(context["previous_starts_at"]), readable_from_text(context["previous_ends_at"])
        )
    return values


#: Messages that still go once the session is cancelled: the cancellation itself, and answers to the registrant.
SENT_AFTER_CANCELLATION = frozenset({"session_cancelled", "registration_cancelled", "registration_declined",
                                     "manage_link_resent", "registrants_message"})
#: Messages only for someone who holds a seat.
FOR_CONFIRMED_ONLY = frozenset({"reminder", "session_updated", "session_rescheduled"})


def _refuse_outdated(template: str, session: dict[str, Any], registration: dict[str, Any]) -> None:
    """One event, one message: mail queued before the session was cancelled (a reminder, an update) or
    before the registrant lost their seat must not follow the cancellation."""
    if session["status"] == Session.Status.cancelled and template not in SENT_AFTER_CANCELLATION:
        raise MessageObsolete("the session was cancelled after this message was decided")
    if template in FOR_CONFIRMED_ONLY and registration["status"] != Registration.Status.confirmed:
        raise MessageObsolete("the registration is no longer confirmed")


async def registrant_content(template: str, context: dict[str, Any], settings: Settings) -> MailContent:
    """Session and registration facts for a registrant message; the invite when the row carries a METHOD."""
    session = await _session(context["session_id"])
    registration = await _registration(context["registration_id"])
    _refuse_outdated(template, session, registration)
    method = context.get("method")
    confirmed = registration["status"] == Registration.Status.confirmed
    values = session_mail_values(
        session, settings.public_url, with_join_details=confirmed and method != "CANCEL"
    )
    link = manage_url(settings, registration["id"], registration["manage_nonce"])
    values.update(
        name=clean_text(registration["name"]),
        manage_url=link,
        mode=registration["participation_mode"],
        registration_cancelled=registration["status"] == Registration.Status.cancelled,
        **_changes(context, session),
    )
    if "need_id" in context:
        values["need_label"] = _need_label(context.get("kind", ""), context.get("code", ""), context.get("note", ""))
        values["note"] = clean_text(context.get("note", ""))
    if "reason" in context:
        values["reason"] = clean_text(context["reason"])
    if context.get("cancellation_reason"):
        # The reader's language, else the session's floor language, else English, else any.
        values["cancellation_reason"] = clean_text(pick_text(context["cancellation_reason"],
                                                             session["floor_language"])[0])
    calendar = None
    if method in ("REQUEST", "CANCEL"):
        invite = Invite(
            method=method,
            sequence=int(context.get("sequence", session["sequence"])),
            attendee_email=registration["email"],
            attendee_name=registration["name"],
            manage_url=link if method == "REQUEST" else None,
            with_join_details=confirmed,
        )
        calendar = build_calendar(
            [session], public_url=settings.public_url, mail_from=settings.mail_from, invite=invite
        )
    return MailContent(values=values, calendar=calendar, calendar_method=method if calendar else None)


async def erased_content(template: str, context: dict[str, Any], settings: Settings) -> MailContent:
    """The registrant erased their data while holding a seat: the invite is withdrawn. The registration is
    gone, so the address comes from the row, which forgets it once delivered."""
    session = await _session(context["session_id"])
    values = session_mail_values(session, settings.public_url, with_join_details=False)
    invite = Invite(method="CANCEL", sequence=int(context["sequence"]), attendee_email=context["attendee_email"],
                    with_join_details=False)
    calendar = build_calendar([session], public_url=settings.public_url, mail_from=settings.mail_from, invite=invite)
    return MailContent(values=values, calendar=calendar, calendar_method="CANCEL")


#: What a speaker message needs of the request when it is sent, or it is outdated (a later decision supersedes it).
_SPEAKER_STILL = {
    "speaker_accepted": ("accepted", "spoke", "absent"),
    "speaker_moved": ("accepted", "spoke", "absent"),
    "speaker_declined": ("declined",),
}


async def speaker_content(template: str, context: dict[str, Any], settings: Settings) -> MailContent:
    """A decision on a request to speak: the session, and the place, minutes and expected time (in the
    recipient's zone) or the reason. A message a later decision superseded is not sent."""
    speaker = await Speaker.select(Speaker.status, Speaker.topic).where(Speaker.id == context["speaker_id"]).first()
    if speaker is None or speaker["status"] not in _SPEAKER_STILL.get(template, ()):
        raise MessageObsolete("the request to speak was withdrawn or decided again")
    content = await registrant_content(template, context, settings)
    values = content.values
    values.update(topic=clean_text(speaker["topic"]), position=context.get("position"),
                  minutes=context.get("minutes"))
    for name in ("expected_at", "previous_expected_at"):
        if context.get(name):
            values[name.replace("_at", "_when")] = format_datetime(readable_from_text(context[name]))
    return content


async def invitation_content(template: str, context: dict[str, Any], settings: Settings) -> MailContent:
    """An invitation to register: the session, and where to register (no registration exists yet)."""
    session = await _session(context["session_id"])
    if not await Invitation.exists().where(Invitation.id == context.get("invitation_id")):
        raise MessageObsolete("the invitation was withdrawn")
    values = session_mail_values(session, settings.public_url, with_join_details=False)
    values["register_url"] = context.get("register_url") or values["session_url"]
    return MailContent(values=values)


async def summary_content(template: str, context: dict[str, Any], settings: Settings) -> MailContent:
    """The session's summary in the recipient's language (else the floor language), with List-Unsubscribe."""
    session = await _session(context["session_id"])
    registration = await _registration(context["registration_id"])
    if await is_opted_out(registration["email"]):
        raise MessageObsolete("the recipient unsubscribed from summaries")
    summary = await summary_for(session["id"], current_locale(), session["floor_language"])
    if summary is None:
        raise MessageObsolete("the summary was removed")
    token = unsubscribe_token(settings.secret_key, registration["email"])
    unsubscribe_url = f"{settings.public_url}/unsubscribe/{token}"
    values = {
        **session_mail_values(session, settings.public_url, with_join_details=False),
        **summary_values(summary),
        "name": clean_text(registration["name"]),
        "unsubscribe_url": unsubscribe_url,
        "speakers": await summary_speakers_labelled(session["id"]),
    }
    # Only the web link (RFC 8058 one-click): nothing reads mail sent to MAIL_FROM, so a mailto would do nothing.
    headers = {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    return MailContent(values=values, headers=headers)


async def staff_content(template: str, context: dict[str, Any], settings: Settings) -> MailContent:
    """A notice to an organiser: the session, who registered, and where to act."""
    session = await _session(context["session_id"])
    registration = await _registration(context["registration_id"])
    values = session_mail_values(session, settings.public_url, with_join_details=False)
    values.update(
        registrant_name=clean_text(registration["name"]),
        registrant_organisation=clean_text(registration["organisation"]),
        registrations_url=f"{settings.public_url}/staff/sessions/{session['id']}/registrations?status=pending",
        profile_url=f"{settings.public_url}/staff/profile",
    )
    return MailContent(values=values)
