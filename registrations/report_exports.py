"""Reports and the planning sheet as spreadsheets: CSV (UTF-8 with BOM) and XLSX (openpyxl).

A report export is meant to be shared, so counts from 1 to ``suppress_below - 1`` are written ``<N`` (and the
shares and rates they would give away are left out); ``suppress_below=0`` or ``1`` writes every count. Staff
pages and the JSON API never suppress. The planning sheet holds counts of needs for the teams that book them
and is never suppressed.
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_SUPPRESS_BELOW", "Sheet", "check_suppress_below", "planning_sheets", "report_sheets", "to_csv", "to_xlsx",
]

import csv
import io
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook

from events.labels import PROVISIONS, label, sign_language_name
from registrations.planning import PlanningBoard
from registrations.reports import DIMENSIONS, ParticipationReport
from registrations.staff import _cell
from registrations.tables import Need
from server.errors import InvalidInput
from server.i18n import gettext as _
from server.i18n import language_name, pick_text

#: Counts below this are suppressed in shared exports unless the caller sets another threshold.
DEFAULT_SUPPRESS_BELOW = 5
MAX_SUPPRESS_BELOW = 100


@dataclass
class Sheet:
    """One table: a name (the XLSX sheet, a title line in CSV), its header and rows."""

    name: str
    header: list[str]
    rows: list[list[Any]] = field(default_factory=list)


def check_suppress_below(value: int) -> int:
    if not 0 <= value <= MAX_SUPPRESS_BELOW:
        raise InvalidInput.field("suppress_below", _("Give a number from 0 to %(max)s.", max=MAX_SUPPRESS_BELOW))
    return value


class _Suppressor:
    def __init__(self, below: int) -> None:
        self.below = below

    def hidden(self, count: int) -> bool:
        return 0 < count < self.below

    def count(self, value: int) -> int | str:
        return f"<{self.below}" if self.hidden(value) else value

    def share(self, value: float | None, *counts: int) -> float | str | None:
        return "" if any(self.hidden(c) for c in counts) else value


def report_sheets(report: ParticipationReport, *, suppress_below: int) -> list[Sheet]:
    """The report as tables: summary, one per ``by`` dimension, needs, the whole-of-society view, sessions."""
    s = _Suppressor(suppress_below)
    summary = Sheet("summary", ["measure", "value"], [
        [name, s.count(getattr(report, name))]
        for name in ("registered", "confirmed", "waitlisted", "attended", "absent", "excused")
    ])
    summary.rows.append(["no_show_rate", s.share(report.no_show_rate, report.confirmed, report.absent)])
    sheets = [summary]
    for dimension in DIMENSIONS:
        sheets.append(Sheet(dimension, ["key", "registered", "confirmed", "attended", "speakers"], [
            [g.key, s.count(g.registered), s.count(g.confirmed), s.count(g.attended), s.count(g.speakers)]
            for g in report.by[dimension]
        ]))
    sheets.append(Sheet("needs", ["kind", "code", "sign_language", "requested", "arranged", "not_possible", "open"], [
        [n.kind, n.code, n.sign_language or "", s.count(n.requested), s.count(n.arranged), s.count(n.not_possible),
         s.count(n.open)] for n in report.needs
    ]))
    society = Sheet("society", ["regional_group", "stakeholder_category", "registrants", "attendees", "speakers",
                                "registrant_share", "attendee_share", "speaker_share"])
    regions = [("all", report.society.categories)] + [(r.regional_group, r.categories)
                                                      for r in report.society.by_region]
    for group, categories in regions:
        society.rows += [
            [group, c.category, s.count(c.registrants), s.count(c.attendees), s.count(c.speakers),
             s.share(c.registrant_share, c.registrants), s.share(c.attendee_share, c.attendees),
             s.share(c.speaker_share, c.speakers)]
            for c in categories
        ]
    sheets.append(society)
    if report.sessions:
        sheets.append(Sheet("sessions", ["id", "title", "starts_at", "registered", "confirmed", "attended"], [
            [x.id, pick_text(x.title, "en")[0], x.starts_at.isoformat(), s.count(x.registered), s.count(x.confirmed),
             s.count(x.attended)] for x in report.sessions
        ]))
    return sheets


def need_name(kind: str, code: str, sign_language: str | None) -> str:
    """A language or provision in the reader's words; a national sign language by its ISO 639-3 name."""
    if kind == Need.Kind.interpretation:
        return language_name(code)
    if kind == Need.Kind.other:
        return _("Other needs (free text)")
    if sign_language:
        return f"{label(PROVISIONS, code)}: {sign_language_name(sign_language)}"
    return label(PROVISIONS, code)


def planning_sheets(board: PlanningBoard) -> list[Sheet]:
    """The planning board as one table for the interpretation and accessibility teams: a row per session and
    language or provision asked for, and one for personal assistants."""
    sheet = Sheet("planning", [
        "session_id", "session", "starts_at", "timezone", "kind", "code", "sign_language", "name", "offered",
        "asked", "requested", "arranged", "not_possible", "lead_days", "book_by", "overdue",
    ])
    for session in board.sessions:
        title = pick_text(session.title, session.floor_language)[0]
        starts = session.starts_at.astimezone(ZoneInfo(session.timezone)).isoformat()
        first = [session.id, title, starts, session.timezone]
        for item in session.items:
            sheet.rows.append([
                *first, item.kind, item.code, item.sign_language or "",
                need_name(item.kind, item.code, item.sign_language), "yes" if item.offered else "no", item.asked,
                item.requested, item.arranged, item.not_possible, "" if item.lead_days is None else item.lead_days,
                item.book_by.isoformat() if item.book_by else "", "yes" if item.overdue else "no",
            ])
        sheet.rows.append([*first, "personal_assistant", "", "", _("Personal assistants"), "",
                           session.personal_assistants, "", "", "", "", "", ""])
    return [sheet]


def to_csv(sheets: list[Sheet]) -> str:
    """The tables one after another (a title line, the header, the rows, a blank line); UTF-8 with a byte-order
    mark, formula-looking cells neutralised."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    for index, sheet in enumerate(sheets):
        if len(sheets) > 1:
            if index:
                writer.writerow([])
            writer.writerow([f"# {sheet.name}"])
        writer.writerow(sheet.header)
        for row in sheet.rows:
            writer.writerow([_cell(value) for value in row])
    return out.getvalue()


def _xlsx_value(value: Any) -> Any:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else _cell(value)


def to_xlsx(sheets: list[Sheet]) -> bytes:
    """One worksheet per table; numbers stay numbers, text that looks like a formula is neutralised."""
    book = Workbook()
    book.remove(book.active)
    for sheet in sheets:
        worksheet = book.create_sheet(sheet.name[:31])
        worksheet.append(sheet.header)
        for row in sheet.rows:
            worksheet.append([_xlsx_value(value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
