"""What organisers do with a session's registrations: list, search, filter, count, export as CSV (filtered, counted
and paged in the database). Not staff accounts: those are ``server/staff.py`` (rules) and ``server/accounts.py``
(pages and API); the controllers of this module are ``registrations/controllers.py`` and ``registrations/pages.py``."""

from __future__ import annotations

__all__ = [
    "CSV_COLUMNS", "ListFilters", "list_registrations", "matching_registrations", "registrations_csv", "session_csv",
    "status_counts",
]

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from piccolo.columns.combination import WhereRaw
from piccolo.custom_types import Combinable
from piccolo.engine.postgres import PostgresEngine
from piccolo.query.functions.aggregate import Count

from registrations import questions
from registrations.manage import registration_out
from registrations.reference import (
    COMMISSIONS,
    PROVISIONS,
    REGIONAL_GROUPS,
    STAKEHOLDER_CATEGORIES,
    countries_in_region,
    grouped_countries,
    is_language_tag,
)
from registrations.schemas import RegistrationOut, RegistrationPage
from registrations.tables import Need, Registration, StatusChange
from server.errors import InvalidInput
from server.i18n import gettext as _
from server.tables import User

MAX_LIMIT = 1000
# Ids per IN list when loading needs and history (well under SQLite's limit on bound parameters).
_CHUNK = 500
CSV_COLUMNS = (
    "id", "status", "waitlist_position", "name", "email", "organisation", "stakeholder_category", "country",
    "regional_group", "commissions", "preferred_language", "timezone", "gender", "delegation_role",
    "participation_mode", "interpretation_language", "accessibility_needs", "personal_assistant", "consent_listed",
    "consent_recorded", "attendance", "minutes_attended", "created_at", "accessibility_other", "sign_language",
    "needs_status", "walk_in",
)
# A spreadsheet runs a cell starting with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ListFilters:
    """Search and filters of the staff list; empty strings mean no filter."""

    search: str = ""
    status: str = ""
    category: str = ""
    region: str = ""
    language: str = ""
    need: str = ""
    limit: int = 100
    offset: int = 0

    def check(self, *, paged: bool = True) -> None:
        if paged and not 1 <= self.limit <= MAX_LIMIT:
            raise InvalidInput.field("limit", _("Give a number from 1 to %(max)s.", max=MAX_LIMIT))
        if paged and self.offset < 0:
            raise InvalidInput.field("offset", _("Give a number of 0 or more."))
        if self.status and self.status not in Registration.Status._value2member_map_:
            raise InvalidInput.field("status", _("Unknown status."))
        if self.region and self.region not in (*REGIONAL_GROUPS, *COMMISSIONS):
            raise InvalidInput.field("region", _("Give a regional group or a Regional Commission code."))
        if self.category and self.category not in STAKEHOLDER_CATEGORIES:
            raise InvalidInput.field("category", _("Choose a stakeholder category from the list."))
        if self.language and not is_language_tag(self.language):
            raise InvalidInput.field("language", _("Give a language code such as fr or es-419."))
        if self.need and self.need not in (*Need.Kind._value2member_map_, *PROVISIONS) and not is_language_tag(
            self.need
        ):
            raise InvalidInput.field(
                "need", _("Give a provision code, a kind of need, or the code of a language asked for.")
            )


def _contains(term: str) -> WhereRaw:
    """Name, email or organisation contains ``term`` whatever its case: ILIKE on PostgreSQL; SQLite's LIKE ignores
    the case of ASCII letters. ``%``, ``_`` and ``\\`` in the term are taken literally."""
    like = "ILIKE" if isinstance(Registration._meta.db, PostgresEngine) else "LIKE"
    pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    sql = " OR ".join(f"{column} {like} {{}} ESCAPE '\\'" for column in ("name", "email", "organisation"))
    return WhereRaw(f"({sql})", pattern, pattern, pattern)


def _in_region(region: str) -> Combinable:
    """The country lies in the regional group or Regional Commission, from the reference table."""
    if region == "none":  # no group: a country of group none, or one the table does not list
        return Registration.country.is_null() | Registration.country.not_in(grouped_countries())
    return Registration.country.is_in(countries_in_region(region))


def _where(session_id: int, f: ListFilters) -> Combinable:
    """The session's registrations that match the search and filters, as one SQL condition."""
    where: Combinable = Registration.session == session_id
    if f.search:
        where &= _contains(f.search)
    if f.status:
        where &= Registration.status == f.status
    if f.category:
        where &= Registration.stakeholder_category == f.category
    if f.region:
        where &= _in_region(f.region)
    if f.language:
        where &= (Registration.preferred_language == f.language) | (
            Registration.interpretation_language == f.language
        )
    if f.need:
        where &= WhereRaw(
            "EXISTS (SELECT 1 FROM need WHERE need.registration = registration.id "
            "AND (need.code = {} OR need.kind = {}))",
            f.need, f.need,
        )
    return where


async def _staff_names(history: dict[int, list[dict]]) -> dict[int, str]:
    """The name (else the address) of each staff member who changed one of these registrations."""
    ids = {change["staff_user"] for changes in history.values() for change in changes if change["staff_user"]}
    if not ids:
        return {}
    users = await User.select(User.id, User.name, User.email).where(User.id.is_in(list(ids)))
    return {user["id"]: user["name"] or user["email"] for user in users}


async def _needs_and_history(ids: list[int]) -> tuple[dict[int, list[dict]], dict[int, list[dict]]]:
    """The needs and the history of these registrations only."""
    needs: dict[int, list[dict]] = {}
    history: dict[int, list[dict]] = {}
    for chunk in (ids[start : start + _CHUNK] for start in range(0, len(ids), _CHUNK)):
        for need in await Need.select().where(Need.registration.is_in(chunk)).order_by(Need.id):
            needs.setdefault(need["registration"], []).append(need)
        for change in await StatusChange.select().where(StatusChange.registration.is_in(chunk)).order_by(
            StatusChange.id
        ):
            history.setdefault(change["registration"], []).append(change)
    return needs, history


async def _positions(session_id: int, regs: list[dict]) -> dict[int, int]:
    """Waitlist positions per participation mode, 1 for the first in line, of the waitlisted among ``regs``."""
    waiting = [r["id"] for r in regs if r["status"] == Registration.Status.waitlisted]
    positions: dict[int, int] = {}
    for chunk in (waiting[start : start + _CHUNK] for start in range(0, len(waiting), _CHUNK)):
        placeholders = ", ".join("{}" for _ in chunk)  # only placeholders go into the text; the ids are bound
        line = (
            "SELECT id, ROW_NUMBER() OVER (PARTITION BY participation_mode ORDER BY waitlist_order, id) AS place "
            "FROM registration WHERE session = {} AND status = 'waitlisted'"
        )
        sql = f"SELECT id, place FROM ({line}) AS line WHERE id IN ({placeholders})"  # noqa: S608
        rows = await Registration.raw(sql, session_id, *chunk)
        positions.update({row["id"]: row["place"] for row in rows})
    return positions


async def status_counts(session_id: int) -> dict[str, int]:
    """How many of the session's registrations are in each status (every status, zero included)."""
    counts = {status.value: 0 for status in Registration.Status}
    rows = await (
        Registration.select(Registration.status, Count(alias="count"))
        .where(Registration.session == session_id)
        .group_by(Registration.status)
    )
    counts.update({row["status"]: row["count"] for row in rows})
    return counts


async def _out(session_id: int, regs: list[dict]) -> list[RegistrationOut]:
    """``regs`` as staff see them, with their needs, history and waitlist positions."""
    needs, history = await _needs_and_history([r["id"] for r in regs])
    positions = await _positions(session_id, regs)
    names = await _staff_names(history)
    ids = [r["id"] for r in regs]
    answers: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), _CHUNK):
        answers.update(await questions.answers_of(ids[start:start + _CHUNK]))
    return [
        registration_out(r, needs.get(r["id"], []), history.get(r["id"], []), positions.get(r["id"]), names,
                         answers=answers.get(r["id"], {}))
        for r in regs
    ]


async def list_registrations(session_id: int, filters: ListFilters) -> RegistrationPage:
    """One page of the session's registrations that match, the total that match, and counts by status (all);
    filtered, counted and paged in the database."""
    filters.check()
    where = _where(session_id, filters)
    regs = await (
        Registration.select().where(where).order_by(Registration.id).limit(filters.limit).offset(filters.offset)
    )
    counts = await status_counts(session_id)
    return RegistrationPage(items=await _out(session_id, regs), total=await _total(where, filters, counts),
                            counts=counts)


async def _total(where: Combinable, f: ListFilters, counts: dict[str, int]) -> int:
    """How many match: read off the counts by status when no other filter applies (the list's first view), else
    counted."""
    if f.search or f.category or f.region or f.language or f.need:
        return await Registration.count().where(where)
    return counts[f.status] if f.status else sum(counts.values())


async def matching_registrations(session_id: int, filters: ListFilters) -> list[RegistrationOut]:
    """Every registration that matches the search and filters, whatever the paging says (for exports)."""
    filters.check(paged=False)
    regs = await Registration.select().where(_where(session_id, filters)).order_by(Registration.id)
    return await _out(session_id, regs)


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _csv_row(item: RegistrationOut) -> list[str]:
    accessibility = [n for n in item.needs if n.kind != Need.Kind.interpretation]
    values = {
        **{column: getattr(item, column, None) for column in CSV_COLUMNS},
        "commissions": ";".join(item.commissions),
        "accessibility_needs": ";".join(n.code or n.text for n in accessibility),
        "created_at": item.created_at.isoformat(),
        # The free text (the ``other`` provision's, or a request of its own) and the sign language asked for.
        "accessibility_other": next((n.text for n in accessibility if n.code in ("other", "")), ""),
        "sign_language": next((n.text for n in accessibility if n.code == "national_sign_language"), ""),
        # Where each need stands: ``fr=arranged;captions_cart=requested;other=not_possible``.
        "needs_status": ";".join(f"{n.code or 'other'}={n.status}" for n in item.needs),
    }
    return [_cell(values[column]) for column in CSV_COLUMNS]


def registrations_csv(
    items: Iterable[RegistrationOut], asked: list[dict[str, Any]] | None = None, floor_language: str = "en"
) -> str:
    """UTF-8 with a byte-order mark (spreadsheets then read it as UTF-8); formula-looking cells get a leading '.
    One column per extra question in ``asked`` (headed by its wording, choices by theirs: English, else the
    floor language)."""
    pick, asked = questions.english_or_floor(floor_language), asked or []
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*CSV_COLUMNS, *(_cell(pick(q["label"])) for q in asked)])
    for item in items:
        answers = [questions.answer_text(q, item.answers.get(str(q["id"])), pick) for q in asked]
        writer.writerow([*_csv_row(item), *(_cell(text) for text in answers)])
    return out.getvalue()


async def session_csv(session_id: int, filters: ListFilters) -> str:
    """Every registration that matches as CSV, with the session's extra questions' answers."""
    items = await matching_registrations(session_id, filters)
    asked = await questions.export_questions(session_id)
    return registrations_csv(items, asked, await questions.floor_language(session_id))
