"""Reading sessions: one session as the public or staff see it, the public listing, conflict warnings."""

from __future__ import annotations

__all__ = [
    "ListFilters",
    "RegistrationPhase",
    "RegistrationWindow",
    "parse_instant",
    "conflict_warnings",
    "effective_status",
    "list_public_sessions",
    "load_row",
    "public_out",
    "read_session",
    "registration_window",
    "staff_out",
]

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from piccolo.columns.combination import WhereRaw

from events.access import can_manage, ensure_can_manage
from events.schemas import (
    AgendaItemOut,
    ConflictWarning,
    JoinDetails,
    SessionList,
    SessionOut,
    SessionPublicOut,
)
from events.tables import AgendaItem, Session, SessionOrganiser
from events.validation import canonical_language, is_language_code
from server.auth import StaffUser
from server.dates import date_range_error
from server.errors import InvalidInput, NotFound
from server.i18n import gettext as _

# Sessions the public list shows (the calendar feed also carries cancelled ones: events.calendar.FEED_STATUSES).
PUBLIC_STATUSES = (Session.Status.published.value, Session.Status.completed.value)


def now() -> datetime:
    return datetime.now(UTC)


def effective_status(row: dict, at: datetime | None = None) -> str:
    """The stored status, except that a published session whose end has passed reads as completed
    (the periodic job writes that down within a minute)."""
    if row["status"] == Session.Status.published.value and row["ends_at"] <= (at or now()):
        return Session.Status.completed.value
    return row["status"]


class RegistrationPhase(StrEnum):
    """Where a session stands for registration."""

    unavailable = "unavailable"  #: not published (a draft, cancelled or completed session)
    not_yet = "not_yet"  #: published, before its registration opens
    open = "open"
    closed = "closed"  #: its registration has closed (by default at the start)


@dataclass(frozen=True)
class RegistrationWindow:
    """When registration for a session opens (none: from publishing) and closes: the one place that decides it,
    for the registration service, the session's data and its page."""

    opens_at: datetime | None
    closes_at: datetime

    def phase(self, status: str, at: datetime) -> RegistrationPhase:
        """The phase at ``at`` of a session in ``status``: open from ``opens_at`` itself until just before
        ``closes_at``."""
        if status != Session.Status.published.value:
            return RegistrationPhase.unavailable
        if self.opens_at is not None and at < self.opens_at:
            return RegistrationPhase.not_yet
        if at >= self.closes_at:
            return RegistrationPhase.closed
        return RegistrationPhase.open


def registration_window(row: dict) -> RegistrationWindow:
    """A session row's window with its defaults: open from publishing (``published_at``, none while a draft)
    until the start."""
    return RegistrationWindow(row["registration_opens_at"] or row.get("published_at"),
                              row["registration_closes_at"] or row["starts_at"])


async def load_row(session_id: int) -> dict:
    row = await Session.select().where(Session.id == session_id).output(load_json=True).first()
    if row is None:
        raise NotFound(_("No session with id %(id)s.", id=session_id))
    return row


async def _agenda_by_session(session_ids: list[int]) -> dict[int, list[AgendaItemOut]]:
    agenda: dict[int, list[AgendaItemOut]] = {session_id: [] for session_id in session_ids}
    if not session_ids:
        return agenda
    rows = (
        await AgendaItem.select()
        .where(AgendaItem.session.is_in(session_ids))
        .order_by(AgendaItem.session)
        .order_by(AgendaItem.position)
        .output(load_json=True)
    )
    for row in rows:
        agenda[row["session"]].append(
            AgendaItemOut(position=row["position"], title=row["title"], speakers=row["speakers"],
                          minutes=row["minutes"])
        )
    return agenda


async def organiser_ids(session_id: int) -> list[int]:
    rows = (
        await SessionOrganiser.select(SessionOrganiser.user)
        .where(SessionOrganiser.session == session_id)
        .order_by(SessionOrganiser.user)
    )
    return [row["user"] for row in rows]


def _local(value: datetime | None, zone: str) -> datetime | None:
    """Times are given in the session's own zone, with its offset."""
    return value.astimezone(ZoneInfo(zone)) if value else None


def _public_fields(row: dict, agenda: list[AgendaItemOut]) -> dict:
    zone = row["timezone"]
    window = registration_window(row)
    return {
        "id": row["id"],
        "series_id": row["series"],
        "kind": row["kind"],
        "title": row["title"],
        "description": row["description"],
        "starts_at": _local(row["starts_at"], zone),
        "ends_at": _local(row["ends_at"], zone),
        "timezone": zone,
        "capacity": row["capacity"],
        "seats_taken": row["seats_taken"],
        "audience": row["audience"],
        "floor_language": row["floor_language"],
        "interpretation_languages": row["interpretation_languages"],
        "accessibility_provisions": row["accessibility_provisions"],
        "sign_languages": row["sign_languages"],
        "region": row["region"],
        "status": effective_status(row),
        "registration_opens_at": _local(window.opens_at, zone),
        "registration_closes_at": _local(window.closes_at, zone),
        # Default: registrants' written inputs are taken until the start.
        "inputs_close_at": _local(row["inputs_close_at"] or row["starts_at"], zone),
        "sequence": row["sequence"],
        "venue": row["venue"],
        "in_person_capacity": row["in_person_capacity"],
        "agenda": agenda,
    }


def public_out(row: dict, agenda: list[AgendaItemOut]) -> SessionPublicOut:
    return SessionPublicOut(**_public_fields(row, agenda))


def staff_out(row: dict, agenda: list[AgendaItemOut], organisers: list[int],
              warnings: list[ConflictWarning] | None = None) -> SessionOut:
    return SessionOut(
        **_public_fields(row, agenda),
        organiser_ids=organisers,
        join=JoinDetails(url=row["join_url"], meeting_id=row["join_meeting_id"], passcode=row["join_passcode"],
                         dial_in=row["join_dial_in"]),
        waitlist_cutoff_minutes=row["waitlist_cutoff_minutes"],
        reminder_offsets=row["reminder_offsets"],
        retention_days=row["retention_days"],
        warnings=warnings or [],
    )


async def staff_view(session_id: int, warnings: list[ConflictWarning] | None = None) -> SessionOut:
    row = await load_row(session_id)
    agenda = await _agenda_by_session([session_id])
    return staff_out(row, agenda[session_id], await organiser_ids(session_id), warnings)


async def read_session(session_id: int, user: StaffUser | None) -> SessionOut | SessionPublicOut:
    """Staff who manage it see everything; anyone else sees a public session without its join details.

    A draft is invisible to the public (404) and refused to staff who don't manage it (403).
    """
    row = await load_row(session_id)
    if user is not None and await can_manage(user, session_id):
        return await staff_view(session_id)
    if row["status"] == Session.Status.draft.value:
        if user is not None:
            await ensure_can_manage(user, session_id)
        raise NotFound(_("No session with id %(id)s.", id=session_id))
    agenda = await _agenda_by_session([session_id])
    return public_out(row, agenda[session_id])


@dataclass(frozen=True)
class ListFilters:
    kind: str | None = None
    region: str | None = None
    language: str | None = None
    starts_from: datetime | None = None
    starts_to: datetime | None = None
    series_id: int | None = None
    upcoming_only: bool = False


def parse_instant(name: str, text: str | None) -> datetime | None:
    """An RFC 3339 date-time with its offset, from a query parameter (``from``, ``to``)."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise InvalidInput.field(name, _("A date and time with its UTC offset is required (RFC 3339)."))
    if out_of_range := date_range_error(value):
        raise InvalidInput.field(name, out_of_range)
    return value


def _check_filters(filters: ListFilters) -> None:
    if filters.kind and filters.kind not in {kind.value for kind in Session.Kind}:
        raise InvalidInput.field("kind", _("Unknown kind of session."))
    if filters.region and filters.region not in {region.value for region in Session.Region}:
        raise InvalidInput.field("region", _("Unknown region."))
    if filters.language and not is_language_code(filters.language):
        raise InvalidInput.field("language", _("Unknown language code."))


def _where(filters: ListFilters):
    where = Session.status.is_in(list(PUBLIC_STATUSES))
    if filters.kind:
        where &= Session.kind == filters.kind
    if filters.region:
        where &= Session.region == filters.region
    if filters.series_id is not None:
        where &= Session.series == filters.series_id
    if filters.language:
        # JSON arrays are stored as text on both engines: match the quoted code.
        where &= WhereRaw(
            "(floor_language = {} OR CAST(interpretation_languages AS TEXT) LIKE {})",
            filters.language,
            f'%"{filters.language}"%',
        )
    if filters.starts_from:
        where &= Session.starts_at >= filters.starts_from
    if filters.starts_to:
        where &= Session.starts_at < filters.starts_to
    if filters.upcoming_only:
        where &= Session.ends_at > now()
    return where


async def list_public_sessions(filters: ListFilters, limit: int = 50, offset: int = 0) -> SessionList:
    """Published (and completed) sessions, in a stable order: start, then id."""
    _check_filters(filters)
    if filters.language:
        filters = replace(filters, language=canonical_language(filters.language))  # ``AR`` finds ``ar``
    where = _where(filters)
    total = await Session.count().where(where)
    rows = (
        await Session.select()
        .where(where)
        .order_by(Session.starts_at)
        .order_by(Session.id)
        .limit(limit)
        .offset(offset)
        .output(load_json=True)
    )
    agenda = await _agenda_by_session([row["id"] for row in rows])
    return SessionList(items=[public_out(row, agenda[row["id"]]) for row in rows], total=total)


async def conflict_warnings(session_id: int) -> list[ConflictWarning]:
    """Other non-cancelled sessions overlapping this one that share its series or one of its organisers."""
    row = await load_row(session_id)
    overlapping = (
        (Session.id != session_id)
        & (Session.status != Session.Status.cancelled.value)
        & (Session.starts_at < row["ends_at"])
        & (Session.ends_at > row["starts_at"])
    )
    warnings: list[ConflictWarning] = []
    if row["series"] is not None:
        same_series = await Session.select(Session.id).where(overlapping & (Session.series == row["series"]))
        warnings += [ConflictWarning("overlap", r["id"], "same_series") for r in same_series]
    organisers = await organiser_ids(session_id)
    if organisers:
        shared = await SessionOrganiser.select(SessionOrganiser.session).where(
            SessionOrganiser.user.is_in(organisers) & (SessionOrganiser.session != session_id)
        )
        candidates = sorted({r["session"] for r in shared})
        if candidates:
            same_organiser = await Session.select(Session.id).where(overlapping & Session.id.is_in(candidates))
            warnings += [ConflictWarning("overlap", r["id"], "same_organiser") for r in same_organiser]
    return sorted(warnings, key=lambda w: (w.session_id, w.reason))
