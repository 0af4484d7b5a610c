"""Participation reports: who registered, was confirmed and came, by stakeholder category, region, Commission,
country, language and gender; needs asked for against needs arranged; the whole-of-society view.

Every figure is counted in the database by grouped queries (``GROUP BY``, the same SQL on SQLite and PostgreSQL);
the regional group and the Commissions derive from the country (reference data), so the queries group by country
and the few grouped rows are folded by group here. No registration row is loaded into Python.

Definitions (DESIGN.md "Participation report"): ``registered`` counts every registration but the cancelled ones;
``confirmed`` and ``waitlisted`` their status; ``attended`` the attendance ``attended`` + ``partial``; ``absent``
and ``excused`` their attendance; ``no_show_rate`` = confirmed and ``absent`` over confirmed in sessions that have
ended (``excused`` is no no-show), null while no session in scope has ended.
"""

from __future__ import annotations

__all__ = [
    "DIMENSIONS", "ParticipationReport", "ReportScope", "participation_report", "participation_scope",
    "session_report",
]

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import msgspec

from events.access import managed_session_ids
from events.queries import parse_instant
from events.tables import Series, Session
from registrations.reference import commissions_of, regional_group_of
from registrations.tables import Need, Registration
from server.auth import StaffUser
from server.errors import InvalidInput, NotFound
from server.i18n import gettext as _

#: The ``by`` dimensions, in DESIGN.md's order.
DIMENSIONS = (
    "stakeholder_category", "regional_group", "commission", "country", "preferred_language", "gender",
    "interpretation_language",
)
#: Statuses of the sessions a cross-session report covers: drafts never ran, cancelled ones never will.
REPORTED_STATUSES = (Session.Status.published.value, Session.Status.completed.value)
#: The key of a registration that gave no gender or asked for no interpretation (as ``regional_group`` says none).
NONE_KEY = "none"

# One set of counters for any grouping; {key} and {group} are column expressions, {scope} the sessions as a VALUES
# list of (id, ended) joined to the registrations (one hash join, where IN lists would be tested row by row).
_COUNTS = """
WITH scope(id, ended) AS (VALUES {scope})
SELECT {key},
  SUM(CASE WHEN status <> 'cancelled' THEN 1 ELSE 0 END) AS registered,
  SUM(CASE WHEN status = 'confirmed' THEN 1 ELSE 0 END) AS confirmed,
  SUM(CASE WHEN status = 'waitlisted' THEN 1 ELSE 0 END) AS waitlisted,
  SUM(CASE WHEN attendance IN ('attended', 'partial') THEN 1 ELSE 0 END) AS attended,
  SUM(CASE WHEN attendance = 'absent' THEN 1 ELSE 0 END) AS absent,
  SUM(CASE WHEN attendance = 'excused' THEN 1 ELSE 0 END) AS excused,
  SUM(CASE WHEN status = 'confirmed' AND attendance = 'absent' AND scope.ended = 1 THEN 1 ELSE 0 END) AS no_shows,
  SUM(CASE WHEN status = 'confirmed' AND scope.ended = 1 THEN 1 ELSE 0 END) AS confirmed_ended,
  SUM(CASE WHEN EXISTS (SELECT 1 FROM speaker WHERE speaker.registration = registration.id
                        AND speaker.status IN ('accepted', 'spoke')) THEN 1 ELSE 0 END) AS speakers
FROM registration JOIN scope ON scope.id = registration.session
GROUP BY {group}
"""
_NEEDS = """
SELECT need.kind AS kind, need.code AS code,
  CASE WHEN need.code = 'national_sign_language' THEN need.text ELSE '' END AS sign_language,
  COUNT(*) AS requested,
  SUM(CASE WHEN need.status = 'arranged' THEN 1 ELSE 0 END) AS arranged,
  SUM(CASE WHEN need.status = 'not_possible' THEN 1 ELSE 0 END) AS not_possible,
  SUM(CASE WHEN need.status = 'requested' THEN 1 ELSE 0 END) AS open
FROM need JOIN registration ON registration.id = need.registration
WHERE registration.session IN ({scope}) AND registration.status NOT IN ('cancelled', 'declined')
GROUP BY need.kind, need.code, CASE WHEN need.code = 'national_sign_language' THEN need.text ELSE '' END
ORDER BY need.kind, need.code, sign_language
"""
_COUNTERS = (
    "registered", "confirmed", "waitlisted", "attended", "absent", "excused", "no_shows", "confirmed_ended", "speakers",
)


class GroupCount(msgspec.Struct):
    """One key of a ``by`` dimension; ``speakers`` (beyond DESIGN.md's three) counts those given the floor on a
    speakers' list (accepted, or who spoke)."""

    key: str
    registered: int
    confirmed: int
    attended: int
    speakers: int


class NeedCount(msgspec.Struct):
    """Needs of one kind and code: how many were asked for (``requested``) and where they stand."""

    kind: str
    code: str
    sign_language: str | None
    requested: int
    arranged: int
    not_possible: int
    open: int


class CategoryShare(msgspec.Struct):
    """A stakeholder category's share among registrants, attendees and speakers (null when there are none)."""

    category: str
    registrants: int
    attendees: int
    registrant_share: float | None
    attendee_share: float | None
    speakers: int
    speaker_share: float | None


class RegionShares(msgspec.Struct):
    """The whole-of-society view within one regional group."""

    regional_group: str
    categories: list[CategoryShare]


class SocietyView(msgspec.Struct):
    """Shares of stakeholder categories among registrants, attendees and speakers, overall and per regional
    group."""

    categories: list[CategoryShare]
    by_region: list[RegionShares]


class SessionCount(msgspec.Struct):
    """One session's line in a cross-session report."""

    id: int
    title: dict[str, str]
    starts_at: datetime
    registered: int
    confirmed: int
    attended: int


class ParticipationReport(msgspec.Struct):
    """DESIGN.md's participation report, with needs, the whole-of-society view and (across sessions) per session."""

    registered: int
    confirmed: int
    waitlisted: int
    attended: int
    absent: int
    excused: int
    no_show_rate: float | None
    by: dict[str, list[GroupCount]]
    needs: list[NeedCount]
    society: SocietyView
    sessions: list[SessionCount]


@dataclass(frozen=True)
class ReportScope:
    """The sessions a report covers and which of them have ended (for the no-show rate)."""

    session_ids: tuple[int, ...]
    ended_ids: tuple[int, ...]
    series_id: int | None = None
    starts_from: datetime | None = None
    starts_to: datetime | None = None


def _placeholders(values: tuple[int, ...]) -> str:
    # An empty list still makes valid SQL that matches nothing (ids are positive).
    return ", ".join("{}" for _ in values) if values else "{}"


def _ids(values: tuple[int, ...]) -> list[int]:
    return list(values) if values else [0]


def _scope_values(scope: ReportScope) -> tuple[str, list[int]]:
    """``(CAST({} AS INTEGER), CAST({} AS INTEGER)), …`` and its arguments: each session and whether it ended
    (typed, as PostgreSQL would read untyped parameters in VALUES as text)."""
    ended = set(scope.ended_ids)
    pairs = [(session_id, int(session_id in ended)) for session_id in scope.session_ids] or [(0, 0)]
    sql = ", ".join("(CAST({} AS INTEGER), CAST({} AS INTEGER))" for _ in pairs)
    return sql, [value for pair in pairs for value in pair]


async def _grouped(scope: ReportScope, key: str, group: str) -> list[dict[str, Any]]:
    """The counters of ``_COUNTS`` for each value of ``key`` over the scope's registrations."""
    values, args = _scope_values(scope)
    rows = await Registration.raw(_COUNTS.format(key=key, group=group, scope=values), *args)
    return [{**row, **{name: int(row[name] or 0) for name in _COUNTERS}} for row in rows]


def _fold(rows: list[dict[str, Any]], keys_of) -> dict[str, dict[str, int]]:
    """Sum grouped rows into the keys ``keys_of(row)`` gives (a country may give several Commissions)."""
    folded: dict[str, dict[str, int]] = {}
    for row in rows:
        for key in keys_of(row):
            into = folded.setdefault(key, dict.fromkeys(_COUNTERS, 0))
            for name in _COUNTERS:
                into[name] += row[name]
    return folded


def _group_counts(folded: dict[str, dict[str, int]]) -> list[GroupCount]:
    """Keys with at least one registration or attendee, the largest first, then by key."""
    items = [GroupCount(key, c["registered"], c["confirmed"], c["attended"], c["speakers"])
             for key, c in folded.items()]
    items = [item for item in items if item.registered or item.confirmed or item.attended or item.speakers]
    return sorted(items, key=lambda item: (-item.registered, item.key))


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _category_shares(folded: dict[str, dict[str, int]]) -> list[CategoryShare]:
    registrants = sum(c["registered"] for c in folded.values())
    attendees = sum(c["attended"] for c in folded.values())
    speakers = sum(c["speakers"] for c in folded.values())
    shares = [
        CategoryShare(key, c["registered"], c["attended"], _share(c["registered"], registrants),
                      _share(c["attended"], attendees), c["speakers"], _share(c["speakers"], speakers))
        for key, c in folded.items()
        if c["registered"] or c["attended"] or c["speakers"]
    ]
    return sorted(shares, key=lambda item: (-item.registrants, item.category))


def _society(by_category_country: list[dict[str, Any]]) -> SocietyView:
    overall = _fold(by_category_country, lambda row: [row["stakeholder_category"]])
    regions: dict[str, list[dict[str, Any]]] = {}
    for row in by_category_country:
        regions.setdefault(regional_group_of(row["country"]), []).append(row)
    by_region = [
        RegionShares(group, _category_shares(_fold(rows, lambda row: [row["stakeholder_category"]])))
        for group, rows in sorted(regions.items())
    ]
    return SocietyView(_category_shares(overall), by_region)


async def _needs(scope: ReportScope) -> list[NeedCount]:
    rows = await Need.raw(_NEEDS.format(scope=_placeholders(scope.session_ids)), *_ids(scope.session_ids))
    return [
        NeedCount(row["kind"], row["code"], row["sign_language"] or None, int(row["requested"]),
                  int(row["arranged"] or 0), int(row["not_possible"] or 0), int(row["open"] or 0))
        for row in rows
    ]


async def _sessions(scope: ReportScope) -> list[SessionCount]:
    rows = await _grouped(scope, "registration.session AS session", "registration.session")
    counts = {row["session"]: row for row in rows}
    sessions = await Session.select(Session.id, Session.title, Session.starts_at).where(
        Session.id.is_in(_ids(scope.session_ids))
    ).order_by(Session.starts_at).output(load_json=True)
    empty = dict.fromkeys(_COUNTERS, 0)
    return [
        SessionCount(s["id"], s["title"], s["starts_at"], counts.get(s["id"], empty)["registered"],
                     counts.get(s["id"], empty)["confirmed"], counts.get(s["id"], empty)["attended"])
        for s in sessions
    ]


async def build_report(scope: ReportScope, *, per_session: bool) -> ParticipationReport:
    """The report over ``scope``: four grouped queries of registrations and one of needs (and one per session)."""
    by_category_country = await _grouped(
        scope, "stakeholder_category, country", "stakeholder_category, country"
    )
    languages = await _grouped(scope, "preferred_language", "preferred_language")
    genders = await _grouped(scope, f"COALESCE(gender, '{NONE_KEY}') AS gender", f"COALESCE(gender, '{NONE_KEY}')")
    interpretation = await _grouped(
        scope, f"COALESCE(interpretation_language, '{NONE_KEY}') AS interpretation_language",
        f"COALESCE(interpretation_language, '{NONE_KEY}')",
    )
    totals = _fold(by_category_country, lambda row: ["all"]).get("all", dict.fromkeys(_COUNTERS, 0))
    by = {
        "stakeholder_category": _fold(by_category_country, lambda row: [row["stakeholder_category"]]),
        "regional_group": _fold(by_category_country, lambda row: [regional_group_of(row["country"])]),
        "commission": _fold(by_category_country, lambda row: commissions_of(row["country"])),
        "country": _fold(by_category_country, lambda row: [row["country"] or NONE_KEY]),
        "preferred_language": _fold(languages, lambda row: [row["preferred_language"]]),
        "gender": _fold(genders, lambda row: [row["gender"]]),
        "interpretation_language": _fold(interpretation, lambda row: [row["interpretation_language"]]),
    }
    return ParticipationReport(
        registered=totals["registered"],
        confirmed=totals["confirmed"],
        waitlisted=totals["waitlisted"],
        attended=totals["attended"],
        absent=totals["absent"],
        excused=totals["excused"],
        no_show_rate=_share(totals["no_shows"], totals["confirmed_ended"]),
        by={name: _group_counts(by[name]) for name in DIMENSIONS},
        needs=await _needs(scope),
        society=_society(by_category_country),
        sessions=await _sessions(scope) if per_session else [],
    )


def _now() -> datetime:
    return datetime.now(UTC)


async def session_report(session_id: int) -> ParticipationReport:
    """The report of one session (its organisers and admins: the route's guard checks that)."""
    row = await Session.select(Session.id, Session.ends_at).where(Session.id == session_id).first()
    if row is None:
        raise NotFound(_("No session with id %(id)s.", id=session_id))
    ended = (session_id,) if row["ends_at"] <= _now() else ()
    return await build_report(ReportScope((session_id,), ended), per_session=False)


def parse_bound(name: str, text: str | None, *, end: bool = False) -> datetime | None:
    """``from`` / ``to``: an RFC 3339 date-time, or a date (``to`` then includes that whole day, in UTC)."""
    text = (text or "").strip()
    if len(text) == 10:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise InvalidInput.field(name, _("Give a date (YYYY-MM-DD) or a date and time with its UTC offset.")) \
                from None
        return datetime.combine(day + timedelta(days=1) if end else day, time(), tzinfo=UTC)
    return parse_instant(name, text or None)


async def participation_scope(
    user: StaffUser, series: str = "", starts_from: str = "", starts_to: str = ""
) -> ReportScope:
    """The published and completed sessions ``user`` manages (admins: all) in the series and starting in
    [``from``, ``to``); each bound is checked and a bad one refused naming its field."""
    series_id = None
    if series.strip():
        if not series.strip().isdigit() or not await Series.exists().where(Series.id == int(series)):
            raise InvalidInput.field("series", _("No such series."))
        series_id = int(series)
    lower = parse_bound("from", starts_from)
    upper = parse_bound("to", starts_to, end=True)
    if lower and upper and upper <= lower:
        raise InvalidInput.field("to", _("The end of the period must come after its start."))
    where = Session.status.is_in(list(REPORTED_STATUSES))
    if series_id is not None:
        where &= Session.series == series_id
    if lower:
        where &= Session.starts_at >= lower
    if upper:
        where &= Session.starts_at < upper
    managed = await managed_session_ids(user)
    if managed is not None:
        where &= Session.id.is_in(managed or [0])
    rows = await Session.select(Session.id, Session.ends_at).where(where).order_by(Session.id)
    now = _now()
    return ReportScope(
        tuple(r["id"] for r in rows), tuple(r["id"] for r in rows if r["ends_at"] <= now), series_id, lower, upper
    )


async def participation_report(scope: ReportScope) -> ParticipationReport:
    """The cross-session report over ``scope`` (see ``participation_scope``), with a line per session."""
    return await build_report(scope, per_session=True)
