"""Calendars (RFC 5545/5546): THE one builder for every calendar Convene emits, and the public routes.

Invites (``METHOD:REQUEST`` / ``METHOD:CANCEL``) for one recipient, the public calendar of one session and
the subscription feed all come from :func:`build_calendar`, so UIDs and times never drift apart.
"""

from __future__ import annotations

__all__ = [
    "Invite",
    "add_to_calendar_links",
    "build_calendar",
    "clean_text",
    "join_details",
    "organizer_from",
    "route_handlers",
    "session_mail_values",
    "session_uid",
]

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parseaddr
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

import icalendar
from litestar import Controller, Request, Response, get
from litestar.params import QueryParameter

from events.tables import Session
from events.validation import canonical_language
from server.errors import InvalidInput, NotFound
from server.i18n import current_timezone, format_time_range, pick_text
from server.i18n import gettext as _
from server.schemas import OptionalQueryId, PathId, empty_or_one_of

PRODID = "-//Convene//Convene events//EN"
CALENDAR_MEDIA_TYPE = "text/calendar"  # Litestar adds "; charset=utf-8"
# What the subscription feed carries: the publicly listed sessions (events.queries.PUBLIC_STATUSES) and the
# cancelled ones, so that subscribers' calendars drop them.
FEED_STATUSES = (Session.Status.published, Session.Status.cancelled, Session.Status.completed)
# Every C0/C1 control character except newline and tab: they could end a content line or a header.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
# A parameter value (CN) may not hold a quote, and has no escaping (RFC 5545 3.2).
_PARAM_UNSAFE = re.compile(r'["\x00-\x1f\x7f-\x9f\u2028\u2029]')


@dataclass(frozen=True)
class Invite:
    """A personal invite: who receives it, and the facts fixed when the message was decided."""

    method: str
    """``REQUEST`` or ``CANCEL``."""
    sequence: int
    """The SEQUENCE of this person's invite when the message was decided."""
    attendee_email: str
    attendee_name: str = ""
    manage_url: str | None = None
    """The registrant's manage link, put in the description."""
    with_join_details: bool = True
    """Confirmed participants see the join details; a cancellation needs none."""


def clean_text(value: object) -> str:
    """Text without control characters (CR included): no line, header or property can be injected."""
    text = str(value or "").replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def _clean_param(value: str) -> str:
    return _PARAM_UNSAFE.sub("", value).strip()


def _clean_address(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9.!#$%&'*+/=?^_`{|}~@-]", "", value)


def session_uid(session_id: int, public_url: str) -> str:
    """One UID per session, forever: the host of PUBLIC_URL names our calendar namespace."""
    host = urlsplit(public_url).hostname or "localhost"
    return f"session-{session_id}@{host}"


def organizer_from(mail_from: str) -> tuple[str, str]:
    """``(name, address)`` of MAIL_FROM, the ORGANIZER of every invite."""
    name, address = parseaddr(mail_from)
    return name, address or "events@localhost"


def _address_property(address: str, name: str, **params: str) -> icalendar.vCalAddress:
    prop = icalendar.vCalAddress(f"mailto:{_clean_address(address)}")
    if name and _clean_param(name):
        prop.params["CN"] = _clean_param(name)
    for key, value in params.items():
        prop.params[key] = value
    return prop


def join_details(session: dict[str, Any]) -> str:
    """The platform link, meeting id, passcode and dial-in, as lines for a description or a message."""
    lines = []
    if session.get("join_url"):
        lines.append(_("Join: %(url)s", url=session["join_url"]))
    if session.get("join_meeting_id"):
        lines.append(_("Meeting ID: %(id)s", id=session["join_meeting_id"]))
    if session.get("join_passcode"):
        lines.append(_("Passcode: %(code)s", code=session["join_passcode"]))
    if session.get("join_dial_in"):
        lines.append(_("Dial-in:") + "\n" + session["join_dial_in"])
    return "\n".join(lines)


def add_to_calendar_links(session: dict[str, Any], public_url: str) -> dict[str, str]:
    """"Add to Google Calendar / Outlook" links: the title, UTC times and the session's public page, URL-encoded.

    Never the join link: these URLs pass through the calendar providers' logs and the recipient's history."""
    title, _language = pick_text(session.get("title"), session.get("floor_language", "en"))
    starts, ends = session["starts_at"].astimezone(UTC), session["ends_at"].astimezone(UTC)
    details = f"{public_url}/sessions/{session['id']}"
    google = urlencode({
        "action": "TEMPLATE", "text": clean_text(title),
        "dates": f"{starts:%Y%m%dT%H%M%SZ}/{ends:%Y%m%dT%H%M%SZ}", "details": details,
    })
    outlook = urlencode({
        "path": "/calendar/action/compose", "rru": "addevent", "subject": clean_text(title),
        "startdt": f"{starts:%Y-%m-%dT%H:%M:%SZ}", "enddt": f"{ends:%Y-%m-%dT%H:%M:%SZ}", "body": details,
    })
    return {
        "google_calendar_url": f"https://calendar.google.com/calendar/render?{google}",
        "outlook_calendar_url": f"https://outlook.office.com/calendar/0/deeplink/compose?{outlook}",
    }


def session_mail_values(session: dict[str, Any], public_url: str, *, with_join_details: bool) -> dict[str, Any]:
    """What a message shows of a session, in the current locale and zone (the recipient's)."""
    title, title_language = pick_text(session.get("title"), session.get("floor_language", "en"))
    own_zone = session["timezone"]
    return {
        "session_id": session["id"],
        "session_title": clean_text(title),
        "session_title_language": title_language,
        "session_when": format_time_range(session["starts_at"], session["ends_at"]),
        "session_when_own": (
            format_time_range(session["starts_at"], session["ends_at"], own_zone)
            if own_zone != current_timezone() else ""
        ),
        "session_url": f"{public_url}/sessions/{session['id']}",
        "session_calendar_url": f"{public_url}/sessions/{session['id']}/calendar.ics",
        "venue": clean_text(session.get("venue") or ""),
        "join_details": clean_text(join_details(session)) if with_join_details else "",
        "join_url": session.get("join_url", "") if with_join_details else "",
        **add_to_calendar_links(session, public_url),
        # Each on its own, so the templates isolate them left to right (a meeting ID or phone number read in
        # Arabic must not come out reversed).
        **{name: clean_text(session.get(name) or "") if with_join_details else ""
           for name in ("join_meeting_id", "join_passcode", "join_dial_in")},
    }


def _description(session: dict[str, Any], invite: Invite | None, public_url: str) -> str:
    text, _language = pick_text(session.get("description"), session.get("floor_language", "en"))
    parts = [text] if text else []
    if invite is not None and invite.with_join_details and invite.method == "REQUEST":
        details = join_details(session)
        if details:
            parts.append(details)
    if invite is not None and invite.manage_url:
        parts.append(_("Manage or cancel your registration: %(url)s", url=invite.manage_url))
    parts.append(f"{public_url}/sessions/{session['id']}")
    return "\n\n".join(parts)


def _event(
    session: dict[str, Any], *, public_url: str, organizer: tuple[str, str], invite: Invite | None, now: datetime
) -> icalendar.Event:
    title, _language = pick_text(session.get("title"), session.get("floor_language", "en"))
    cancelled = session.get("status") == Session.Status.cancelled or (invite is not None and invite.method == "CANCEL")
    event = icalendar.Event()
    event.add("uid", session_uid(session["id"], public_url))
    event.add("sequence", invite.sequence if invite is not None else session.get("sequence", 0))
    event.add("dtstamp", now)
    event.add("dtstart", session["starts_at"].astimezone(UTC))
    event.add("dtend", session["ends_at"].astimezone(UTC))
    event.add("summary", clean_text(title))
    event.add("description", clean_text(_description(session, invite, public_url)))
    event.add("url", f"{public_url}/sessions/{session['id']}")
    if session.get("venue"):
        event.add("location", clean_text(session["venue"]))
    elif invite is not None and invite.with_join_details and session.get("join_url"):
        event.add("location", clean_text(session["join_url"]))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    name, address = organizer
    event.add("organizer", _address_property(address, name))
    if invite is not None:
        event.add(
            "attendee",
            _address_property(
                invite.attendee_email, clean_text(invite.attendee_name),
                ROLE="REQ-PARTICIPANT", PARTSTAT="ACCEPTED" if invite.method == "REQUEST" else "DECLINED",
                CUTYPE="INDIVIDUAL",
            ),
        )
    return event


def build_calendar(
    sessions: list[dict[str, Any]],
    *,
    public_url: str,
    mail_from: str,
    invite: Invite | None = None,
    name: str | None = None,
    now: datetime | None = None,
) -> bytes:
    """A VCALENDAR (CRLF line ends) for ``sessions``: a personal invite when ``invite`` is given (one
    session, the recipient the only ATTENDEE), else a public calendar (no attendees, no join details)."""
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", invite.method if invite is not None else "PUBLISH")
    if name:
        calendar.add("x-wr-calname", clean_text(name))
    organizer = organizer_from(mail_from)
    for session in sessions:
        calendar.add_component(_event(session, public_url=public_url, organizer=organizer, invite=invite, now=now))
    return calendar.to_ical()


def _calendar_response(body: bytes, filename: str) -> Response[bytes]:
    return Response(
        body,
        media_type=CALENDAR_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def public_sessions(
    *, session_id: int | None = None, series: int | None = None, region: str | None = None,
    kind: str | None = None, language: str | None = None,
) -> list[dict[str, Any]]:
    """Sessions anyone may see (published, cancelled or completed), filtered."""
    query = (
        Session.select()
        .where(Session.status.is_in(list(FEED_STATUSES)))
        .order_by(Session.starts_at)
        .output(load_json=True)
    )
    if session_id is not None:
        query = query.where(Session.id == session_id)
    if series is not None:
        query = query.where(Session.series == series)
    if region:
        if region not in {r.value for r in Session.Region}:
            raise InvalidInput.field("region", _("Unknown region."))
        query = query.where(Session.region == region)
    if kind:
        if kind not in {k.value for k in Session.Kind}:
            raise InvalidInput.field("kind", _("Unknown kind of session."))
        query = query.where(Session.kind == kind)
    rows = await query
    if language:
        language = canonical_language(language)  # ``AR`` finds ``ar``
        rows = [r for r in rows if r["floor_language"] == language or language in (r["interpretation_languages"] or [])]
    return rows


class CalendarFeeds(Controller):
    """Public calendars: one session, and the subscription feed."""

    include_in_schema = True
    tags = ["calendar"]

    @get("/sessions/{session_id:int}/calendar.ics", cache=False, media_type=CALENDAR_MEDIA_TYPE)
    async def session_calendar(self, request: Request, session_id: PathId) -> Response[bytes]:
        """The session as a calendar: no attendees, no join details."""
        rows = await public_sessions(session_id=session_id)
        if not rows:
            raise NotFound(_("No such session."))
        settings = request.app.state.settings
        body = build_calendar(rows, public_url=settings.public_url, mail_from=settings.mail_from)
        return _calendar_response(body, f"session-{session_id}.ics")

    @get("/calendar.ics", cache=False, media_type=CALENDAR_MEDIA_TYPE)
    async def feed(
        self,
        request: Request,
        series: OptionalQueryId = None,
        region: Annotated[str | None, QueryParameter(schema_extra=empty_or_one_of(Session.Region))] = None,
        kind: Annotated[str | None, QueryParameter(schema_extra=empty_or_one_of(Session.Kind))] = None,
        language: Annotated[str | None, QueryParameter(schema_extra={"maxLength": 35})] = None,
    ) -> Response[bytes]:
        """Subscription feed of public sessions, filtered by series id, region, kind and language."""
        if language and len(language) > 35:
            raise InvalidInput.field("language", _("Not a language code."))
        rows = await public_sessions(series=series, region=region, kind=kind, language=language)
        settings = request.app.state.settings
        body = build_calendar(
            rows, public_url=settings.public_url, mail_from=settings.mail_from, name=_("Convene sessions")
        )
        return _calendar_response(body, "convene.ics")


route_handlers: list = [CalendarFeeds]
