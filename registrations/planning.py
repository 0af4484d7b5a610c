"""The planning board: what upcoming sessions need booked (interpretation, sign languages, captioning, documents,
personal assistants), by when, and what is still open; settling needs in bulk and adding an interpretation channel.

Counts come from grouped queries; only the needs still ``requested`` are listed one by one (they are the work).
Settling reuses ``approvals.decide_need`` (the registrant is told) and adding a channel ``events.services.
update_session`` (which sends the update that changes the invite).
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_LEAD_DAYS", "LEAD_KINDS", "PlanningBoard", "add_interpretation_channel", "decide_needs",
    "lead_kind", "planning_board", "set_lead_days",
]

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from events.access import ensure_can_manage, managed_session_ids
from events.schemas import Provision, SessionUpdate
from events.services import update_session
from events.tables import Session
from events.validation import is_language_code
from registrations import approvals
from registrations.tables import ACTIVE_STATUSES, Need, Registration
from server.auth import StaffUser
from server.db import write_transaction
from server.errors import InvalidInput
from server.i18n import gettext as _
from server.schemas import MAX_INT
from server.settings import Settings

#: Days before a session's start by which each kind of need must be booked, unless the session sets its own.
DEFAULT_LEAD_DAYS = {"sign_language": 21, "captioning": 7, "interpretation": 14, "accessible_documents": 5}
LEAD_KINDS = tuple(DEFAULT_LEAD_DAYS)
#: Provision codes that need booking ahead, by lead kind (automatic captions and free text need no booking).
_PROVISION_LEAD = {
    Provision.international_sign.value: "sign_language",
    Provision.national_sign_language.value: "sign_language",
    Provision.captions_cart.value: "captioning",
    Provision.accessible_documents.value: "accessible_documents",
    Provision.easy_read.value: "accessible_documents",
}
_DEMAND = """
SELECT registration.session AS session_id, need.kind AS kind, need.code AS code,
  CASE WHEN need.code = 'national_sign_language' THEN need.text ELSE '' END AS sign_language,
  COUNT(*) AS asked,
  SUM(CASE WHEN need.status = 'requested' THEN 1 ELSE 0 END) AS requested,
  SUM(CASE WHEN need.status = 'arranged' THEN 1 ELSE 0 END) AS arranged,
  SUM(CASE WHEN need.status = 'not_possible' THEN 1 ELSE 0 END) AS not_possible
FROM need JOIN registration ON registration.id = need.registration
WHERE registration.session IN ({scope}) AND registration.status IN ('pending', 'confirmed', 'waitlisted')
GROUP BY registration.session, need.kind, need.code,
  CASE WHEN need.code = 'national_sign_language' THEN need.text ELSE '' END
"""
_ASSISTANTS = """
SELECT session AS session_id, COUNT(*) AS assistants FROM registration
WHERE session IN ({scope}) AND personal_assistant AND status IN ('pending', 'confirmed', 'waitlisted')
GROUP BY session
"""


class OpenNeed(msgspec.Struct):
    """A need still ``requested``, to settle one by one or in bulk."""

    id: int
    registration_id: int
    name: str


class PlanningItem(msgspec.Struct):
    """One language or provision asked for in a session: how many asked, where they stand, and by when it must be
    booked (``book_by``, in the session's zone; null when it needs no booking ahead)."""

    kind: str
    code: str
    sign_language: str | None
    offered: bool
    asked: int
    requested: int
    arranged: int
    not_possible: int
    lead_days: int | None
    book_by: date | None
    overdue: bool
    open_needs: list[OpenNeed]


class PlanningSession(msgspec.Struct):
    """One upcoming session on the board, its items in order of urgency."""

    id: int
    title: dict[str, str]
    floor_language: str
    starts_at: datetime
    timezone: str
    status: str
    interpretation_languages: list[str]
    lead_days: dict[str, int]
    personal_assistants: int
    items: list[PlanningItem]
    next_deadline: date | None
    overdue: int


class PlanningBoard(msgspec.Struct):
    """Upcoming sessions the viewer manages, the most urgent first; ``today`` is the UTC date it was drawn."""

    today: date
    sessions: list[PlanningSession]


def lead_kind(kind: str, code: str) -> str | None:
    """Which lead time a need follows: interpretation, sign language, captioning, documents; None for none."""
    if kind == Need.Kind.interpretation.value:
        return "interpretation"
    if kind == Need.Kind.accessibility.value:
        return _PROVISION_LEAD.get(code)
    return None


def _placeholders(ids: list[int]) -> str:
    return ", ".join("{}" for _ in ids)


def _offered(session: dict[str, Any], kind: str, code: str, sign_language: str) -> bool:
    if kind == Need.Kind.interpretation.value:
        return code in session["interpretation_languages"]
    if code == "national_sign_language":
        return code in session["accessibility_provisions"] and sign_language in session["sign_languages"]
    return kind == Need.Kind.accessibility.value and code in session["accessibility_provisions"]


def _item(session: dict[str, Any], row: dict[str, Any], lead: dict[str, int], today_local: date,
          open_needs: list[OpenNeed]) -> PlanningItem:
    kind_of_lead = lead_kind(row["kind"], row["code"])
    days = lead[kind_of_lead] if kind_of_lead else None
    start_local = session["starts_at"].astimezone(ZoneInfo(session["timezone"])).date()
    book_by = start_local - timedelta(days=days) if days is not None else None
    requested = int(row["requested"] or 0)
    return PlanningItem(
        kind=row["kind"], code=row["code"], sign_language=row["sign_language"] or None,
        offered=_offered(session, row["kind"], row["code"], row["sign_language"] or ""),
        asked=int(row["asked"]), requested=requested, arranged=int(row["arranged"] or 0),
        not_possible=int(row["not_possible"] or 0), lead_days=days, book_by=book_by,
        overdue=bool(requested and book_by is not None and today_local > book_by), open_needs=open_needs,
    )


def _item_order(item: PlanningItem) -> tuple:
    # Open items with a deadline first (earliest first), then open ones without, then the settled ones.
    return (not item.requested, item.book_by is None, item.book_by or date.max, -item.asked, item.kind, item.code)


async def _open_needs(ids: list[int]) -> dict[tuple, list[OpenNeed]]:
    """The needs still requested, keyed by (session, kind, code, sign language)."""
    rows = await Need.select(
        Need.id, Need.kind, Need.code, Need.text, Need.registration.id.as_alias("registration_id"),
        Need.registration.name.as_alias("name"), Need.registration.session.as_alias("session_id"),
    ).where(
        (Need.status == Need.Status.requested.value) & Need.registration.session.is_in(ids)
        & Need.registration.status.is_in(list(ACTIVE_STATUSES))  # needs of cancelled or declined ones no longer count
    ).order_by(Need.id)
    found: dict[tuple, list[OpenNeed]] = {}
    for row in rows:
        sign = row["text"] if row["code"] == "national_sign_language" else ""
        key = (row["session_id"], row["kind"], row["code"], sign)
        found.setdefault(key, []).append(OpenNeed(row["id"], row["registration_id"], row["name"]))
    return found


def effective_lead_days(stored: dict[str, Any] | None) -> dict[str, int]:
    """The defaults, overridden by what the session set."""
    return {**DEFAULT_LEAD_DAYS, **{k: int(v) for k, v in (stored or {}).items() if k in DEFAULT_LEAD_DAYS}}


async def _upcoming(user: StaffUser, now: datetime) -> list[dict[str, Any]]:
    where = Session.status.is_in([Session.Status.draft.value, Session.Status.published.value]) & (
        Session.starts_at > now
    )
    managed = await managed_session_ids(user)
    if managed is not None:
        where &= Session.id.is_in(managed or [0])
    return await Session.select(
        Session.id, Session.title, Session.floor_language, Session.starts_at, Session.timezone, Session.status,
        Session.interpretation_languages, Session.accessibility_provisions, Session.sign_languages,
        Session.need_lead_days,
    ).where(where).output(load_json=True)


async def planning_board(user: StaffUser, *, now: datetime | None = None) -> PlanningBoard:
    """Every upcoming (draft or published, not yet started) session ``user`` manages (admins: all), with what was
    asked for, what is still open and by when to book it; sessions with the earliest open deadline first."""
    now = now or datetime.now(UTC)
    sessions = await _upcoming(user, now)
    ids = [s["id"] for s in sessions]
    demand: dict[int, list[dict]] = {}
    assistants: dict[int, int] = {}
    open_needs: dict[tuple, list[OpenNeed]] = {}
    if ids:
        for row in await Need.raw(_DEMAND.format(scope=_placeholders(ids)), *ids):
            demand.setdefault(row["session_id"], []).append(row)
        for row in await Registration.raw(_ASSISTANTS.format(scope=_placeholders(ids)), *ids):
            assistants[row["session_id"]] = int(row["assistants"])
        open_needs = await _open_needs(ids)
    board = [_board_session(s, demand.get(s["id"], []), assistants.get(s["id"], 0), open_needs, now) for s in sessions]
    board.sort(key=lambda s: (s.next_deadline or date.max, s.starts_at, s.id))
    return PlanningBoard(today=now.date(), sessions=board)


def _board_session(session: dict[str, Any], rows: list[dict], assistants: int, open_needs: dict[tuple, list],
                   now: datetime) -> PlanningSession:
    lead = effective_lead_days(session["need_lead_days"])
    today_local = now.astimezone(ZoneInfo(session["timezone"])).date()
    items = [
        _item(session, row, lead, today_local,
              open_needs.get((session["id"], row["kind"], row["code"], row["sign_language"] or ""), []))
        for row in rows
    ]
    # Languages offered that nobody asked for still show, with zero demand: the board says what is booked.
    asked_languages = {i.code for i in items if i.kind == Need.Kind.interpretation.value}
    for language in session["interpretation_languages"]:
        if language not in asked_languages:
            items.append(_item(session, {"kind": "interpretation", "code": language, "sign_language": "",
                                         "asked": 0, "requested": 0, "arranged": 0, "not_possible": 0},
                               lead, today_local, []))
    items.sort(key=_item_order)
    deadlines = [i.book_by for i in items if i.requested and i.book_by is not None]
    return PlanningSession(
        id=session["id"], title=session["title"], floor_language=session["floor_language"],
        starts_at=session["starts_at"], timezone=session["timezone"], status=session["status"],
        interpretation_languages=list(session["interpretation_languages"]), lead_days=lead,
        personal_assistants=assistants, items=items, next_deadline=min(deadlines) if deadlines else None,
        overdue=sum(1 for i in items if i.overdue),
    )


async def decide_needs(session_id: int, need_ids: list[int], status: str, note: str, *,
                       settings: Settings) -> int:
    """Mark several needs of one session ``arranged`` or ``not_possible`` in one transaction, each registrant told
    as ``approvals.decide_need`` tells them; all or nothing (an id of another session refuses the whole)."""
    ids = list(dict.fromkeys(need_ids))
    if not ids:
        raise InvalidInput.field("need_ids", _("Choose at least one need."))
    async with write_transaction(Need._meta.db):
        # An id no row can have (below 1, past the integer column) is no need of this session: not asked.
        in_range = all(1 <= i <= MAX_INT for i in ids)
        found = await Need.count().where(Need.id.is_in(ids) & (Need.registration.session == session_id)) \
            if in_range else 0
        if found != len(ids):
            raise InvalidInput.field("need_ids", _("Choose needs of this session from the list."))
        for need_id in ids:
            await approvals.decide_need(session_id, need_id, status, note, settings=settings)
    return len(ids)


async def add_interpretation_channel(user: StaffUser, session_id: int, language: str) -> list[str]:
    """Offer interpretation into ``language`` too; the session update service raises the sequence and mails the
    update when the invite changes (a language already offered changes nothing). Returns the languages offered."""
    language = (language or "").strip()
    if not is_language_code(language):
        raise InvalidInput.field("language", _("Give a language code such as fr or es-419."))
    await ensure_can_manage(user, session_id)
    row = await Session.select(Session.interpretation_languages).where(Session.id == session_id).first().output(
        load_json=True)
    languages = list(row["interpretation_languages"])
    if language not in languages:
        languages.append(language)
        await update_session(user, session_id, SessionUpdate(interpretation_languages=languages))
    return languages


async def set_lead_days(user: StaffUser, session_id: int, values: dict[str, int | None]) -> dict[str, int]:
    """Set the session's own lead times (days, 0 to 365); ``None`` goes back to the default. Returns them all."""
    await ensure_can_manage(user, session_id)
    for name, days in values.items():
        if name not in DEFAULT_LEAD_DAYS:
            raise InvalidInput.field(name, _("Unknown kind of need."))
        if days is not None and not 0 <= days <= 365:
            raise InvalidInput.field(name, _("Give a number of days from 0 to 365."))
    row = await Session.select(Session.need_lead_days).where(Session.id == session_id).first().output(load_json=True)
    stored = {k: v for k, v in {**(row["need_lead_days"] or {}), **values}.items() if v is not None}
    await Session.update({Session.need_lead_days: stored}).where(Session.id == session_id)
    return effective_lead_days(stored)
