"""The staff workspace: ``/staff`` shows the viewer's upcoming sessions (admins: all; organisers: theirs) with what
waits for them, each count a link to the page where it is acted on.

Every count comes from a grouped query (one per kind of count, over all the sessions shown), never from loading
the rows counted.
"""

from __future__ import annotations

__all__ = ["staff_home", "upcoming_sessions"]

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from litestar import Request, get
from litestar.response import Redirect, Response, Template
from piccolo.query.functions.aggregate import Count

from events.access import managed_session_ids
from events.labels import STATUSES, label
from events.tables import Session
from registrations.tables import Need, Registration
from server.auth import StaffUser, authenticate
from server.i18n import format_time_range, pick_text
from server.tables import OutboxMessage

#: At most this many upcoming sessions are shown, the nearest first (the sessions page lists them all).
LIMIT = 50
#: Registrations whose needs are still to arrange: those of people expected to attend.
EXPECTED = (Registration.Status.confirmed.value, Registration.Status.pending.value)


@dataclass
class UpcomingSession:
    """One upcoming session as the workspace shows it."""

    id: int
    title: str
    title_lang: str
    status: str
    status_label: str
    time: str
    capacity: int | None
    confirmed: int
    waitlisted: int
    pending: int
    needs: int
    failed_mail: int


async def _grouped(query: Any, key: str) -> dict[int, int]:
    return {row[key]: row["count"] for row in await query}


async def upcoming_sessions(user: StaffUser, moment: datetime | None = None) -> list[UpcomingSession]:
    """Sessions not yet over, draft or published, that ``user`` manages, nearest first, with their counts."""
    moment = moment or datetime.now(UTC)
    where = (Session.ends_at > moment) & Session.status.is_in(
        [Session.Status.draft.value, Session.Status.published.value])
    managed = await managed_session_ids(user)
    if managed is not None:
        if not managed:
            return []
        where &= Session.id.is_in(managed)
    sessions = await Session.select(
        Session.id, Session.title, Session.floor_language, Session.status, Session.starts_at, Session.ends_at,
        Session.timezone, Session.capacity,
    ).where(where).order_by(Session.starts_at).order_by(Session.id).limit(LIMIT).output(load_json=True)
    ids = [row["id"] for row in sessions]
    if not ids:
        return []
    statuses: dict[tuple[int, str], int] = {
        (row["session"], row["status"]): row["count"]
        for row in await Registration.select(Registration.session, Registration.status, Count(alias="count"))
        .where(Registration.session.is_in(ids)).group_by(Registration.session, Registration.status)
    }
    needs = await _grouped(
        Need.select(Need.registration.session.as_alias("session"), Count(alias="count"))
        .where(Need.registration.session.is_in(ids) & (Need.status == Need.Status.requested.value)
               & Need.registration.status.is_in(list(EXPECTED)))
        .group_by(Need.registration.session), "session")
    failed = await _grouped(
        OutboxMessage.select(OutboxMessage.session_id, Count(alias="count"))
        .where(OutboxMessage.session_id.is_in(ids) & (OutboxMessage.status == OutboxMessage.Status.failed.value))
        .group_by(OutboxMessage.session_id), "session_id")
    shown = []
    for row in sessions:
        title, title_lang = pick_text(row["title"], row["floor_language"])
        count = {status.value: statuses.get((row["id"], status.value), 0) for status in Registration.Status}
        shown.append(UpcomingSession(
            id=row["id"], title=title, title_lang=title_lang, status=row["status"],
            status_label=label(STATUSES, row["status"]),
            time=format_time_range(row["starts_at"], row["ends_at"], row["timezone"]), capacity=row["capacity"],
            confirmed=count["confirmed"], waitlisted=count["waitlisted"], pending=count["pending"],
            needs=needs.get(row["id"], 0), failed_mail=failed.get(row["id"], 0),
        ))
    return shown


@get("/staff", include_in_schema=False)
async def staff_home(request: Request) -> Response:
    """Staff landing page: the login for anonymous visitors; otherwise the upcoming sessions and what waits."""
    user = await authenticate(request)
    if user is None:
        return Redirect("/staff/login")
    sessions = await upcoming_sessions(user)
    # Needs are due by the session's start: the nearest deadline first (the list is already in start order).
    with_needs = [session for session in sessions if session.needs]
    return Template("pages/staff/home.html", context={"user": user, "sessions": sessions, "with_needs": with_needs,
                                                      "failed_mail": sum(s.failed_mail for s in sessions)})
