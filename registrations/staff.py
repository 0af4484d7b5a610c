"""What organisers do with a session's registrations: list, search, filter, count, export as CSV."""

from __future__ import annotations

__all__ = [
    "CSV_COLUMNS", "ListFilters", "list_registrations", "matching_registrations", "registrations_csv", "status_counts",
]

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from registrations.manage import registration_out
from registrations.reference import (
    COMMISSIONS,
    PROVISIONS,
    REGIONAL_GROUPS,
    STAKEHOLDER_CATEGORIES,
    commissions_of,
    is_language_tag,
    regional_group_of,
)
from registrations.schemas import RegistrationOut, RegistrationPage
from registrations.tables import Need, Registration, StatusChange
from server.errors import InvalidInput
from server.i18n import gettext as _
from server.tables import User

MAX_LIMIT = 1000
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


def _matches(reg: dict[str, Any], needs: list[dict], f: ListFilters) -> bool:
    """Search and filters, applied in Python: the region derives from reference data, not a column."""
    if f.search:
        term = f.search.casefold()
        if not any(term in (reg[k] or "").casefold() for k in ("name", "email", "organisation")):
            return False
    if f.status and reg["status"] != f.status:
        return False
    if f.category and reg["stakeholder_category"] != f.category:
        return False
    if f.region and f.region != regional_group_of(reg["country"]) and f.region not in commissions_of(reg["country"]):
        return False
    if f.language and f.language not in (reg["preferred_language"], reg["interpretation_language"]):
        return False
    return not (f.need and not any(f.need in (n["code"], n["kind"]) for n in needs))


async def _staff_names(history: dict[int, list[dict]]) -> dict[int, str]:
    """The name (else the address) of each staff member who changed one of these registrations."""
    ids = {change["staff_user"] for changes in history.values() for change in changes if change["staff_user"]}
    if not ids:
        return {}
    users = await User.select(User.id, User.name, User.email).where(User.id.is_in(list(ids)))
    return {user["id"]: user["name"] or user["email"] for user in users}


async def _rows(session_id: int) -> tuple[list[dict], dict[int, list[dict]], dict[int, list[dict]]]:
    regs = await Registration.select().where(Registration.session == session_id).order_by(Registration.id)
    needs: dict[int, list[dict]] = {}
    history: dict[int, list[dict]] = {}
    ids = [r["id"] for r in regs]
    if ids:
        for need in await Need.select().where(Need.registration.is_in(ids)).order_by(Need.id):
            needs.setdefault(need["registration"], []).append(need)
        for change in await StatusChange.select().where(StatusChange.registration.is_in(ids)).order_by(StatusChange.id):
            history.setdefault(change["registration"], []).append(change)
    return regs, needs, history


def _positions(regs: list[dict]) -> dict[int, int]:
    """Waitlist positions per participation mode, 1 for the first in line."""
    positions: dict[int, int] = {}
    waiting = sorted((r for r in regs if r["status"] == "waitlisted"), key=lambda r: r["waitlist_order"])
    counters: dict[str, int] = {}
    for reg in waiting:
        counters[reg["participation_mode"]] = counters.get(reg["participation_mode"], 0) + 1
        positions[reg["id"]] = counters[reg["participation_mode"]]
    return positions


def status_counts(regs: list[dict]) -> dict[str, int]:
    counts = {status.value: 0 for status in Registration.Status}
    for reg in regs:
        counts[reg["status"]] += 1
    return counts


async def _matching(session_id: int, filters: ListFilters) -> tuple[list[dict], list[RegistrationOut]]:
    """Every registration of the session, and every one that matches as staff see it."""
    regs, needs, history = await _rows(session_id)
    positions = _positions(regs)
    names = await _staff_names(history)
    items = [
        registration_out(r, needs.get(r["id"], []), history.get(r["id"], []), positions.get(r["id"]), names)
        for r in regs
        if _matches(r, needs.get(r["id"], []), filters)
    ]
    return regs, items


async def list_registrations(session_id: int, filters: ListFilters) -> RegistrationPage:
    """One page of the session's registrations that match, the total that match, and counts by status (all)."""
    filters.check()
    regs, matching = await _matching(session_id, filters)
    page = matching[filters.offset : filters.offset + filters.limit]
    return RegistrationPage(items=page, total=len(matching), counts=status_counts(regs))


async def matching_registrations(session_id: int, filters: ListFilters) -> list[RegistrationOut]:
    """Every registration that matches the search and filters, whatever the paging says (for exports)."""
    filters.check(paged=False)
    return (await _matching(session_id, filters))[1]


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _csv_row(item: RegistrationOut) -> list[str]:
    accessibility = [n for n in item.needs if n.kind != "interpretation"]
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


def registrations_csv(items: Iterable[RegistrationOut]) -> str:
    """UTF-8 with a byte-order mark (spreadsheets then read it as UTF-8); formula-looking cells get a leading '."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for item in items:
        writer.writerow(_csv_row(item))
    return out.getvalue()
