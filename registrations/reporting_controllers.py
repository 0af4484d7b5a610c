"""HTTP for the planning board and the participation reports: ``...Api`` for JSON (and spreadsheet exports),
``...Pages`` for HTML. Thin: the rules are in planning.py, reports.py and report_exports.py."""

from __future__ import annotations

__all__ = ["route_handlers"]

from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from urllib.parse import urlencode

import msgspec
from babel.numbers import format_percent
from litestar import Controller, Request, Response, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_200_OK

from events.labels import REGIONS
from events.schemas import LANGUAGE_CODE
from events.tables import Series
from registrations import planning, report_exports, reports
from registrations.charts import Series as ChartSeries
from registrations.charts import bar_chart
from registrations.labels import CATEGORIES, GENDERS, REGIONAL_GROUPS, country_name
from registrations.pages import session_page_context_staff
from registrations.schemas import DecisionResult, SentText
from server.auth import Me, StaffUser, require_session_manager, require_staff
from server.errors import ConveneError, InvalidInput
from server.i18n import current_locale, language_name, pick_text, text_direction
from server.i18n import gettext as _
from server.openapi import download_operation
from server.schemas import DATE_OR_DATE_TIME, IN_RANGE_IDS, stated
from server.validation import form_errors

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("json", "csv", "xlsx")
#: ``?format=``: one of ``FORMATS`` (``_format`` refuses any other, naming the field).
Format = Annotated[str, QueryParameter(schema_extra={"enum": list(FORMATS)})]
#: ``?suppress_below=`` of the shared exports (``report_exports.check_suppress_below``; JSON never suppresses).
SuppressBelow = Annotated[int, QueryParameter(schema_extra={"minimum": 0,
                                                            "maximum": report_exports.MAX_SUPPRESS_BELOW})]
#: The OpenAPI operation of a route with ``?format=``: its 200 is JSON, CSV or XLSX.
SPREADSHEETS = download_operation("text/csv", XLSX)
NEED_DECISIONS = ("arranged", "not_possible")
#: ``?series=`` of the reports: empty (every series) or a series' id (1 or more); an unknown one is refused.
SERIES_ID = r"^([1-9][0-9]{0,9})?$"
#: Days before the start a need must be booked by (``planning.set_lead_days`` refuses others, naming the field).
LeadDays = Annotated[int, stated(minimum=0, maximum=365)]


class NeedsDecision(msgspec.Struct, forbid_unknown_fields=True):
    """Mark several needs of a session ``arranged`` or ``not_possible``, with one note to each registrant."""

    need_ids: Annotated[list[int], msgspec.Meta(min_length=1, max_length=1000), IN_RANGE_IDS]
    status: Annotated[str, msgspec.Meta(max_length=20), stated(enum=list(NEED_DECISIONS))]
    note: SentText = ""


class ChannelCreate(msgspec.Struct, forbid_unknown_fields=True):
    """An interpretation language (BCP 47) to offer in the session."""

    language: Annotated[str, msgspec.Meta(max_length=35), stated(pattern=LANGUAGE_CODE)]


class LeadTimes(msgspec.Struct, forbid_unknown_fields=True):
    """Days before the start by which each kind of need must be booked; null goes back to the default."""

    sign_language: LeadDays | None | msgspec.UnsetType = msgspec.UNSET
    captioning: LeadDays | None | msgspec.UnsetType = msgspec.UNSET
    interpretation: LeadDays | None | msgspec.UnsetType = msgspec.UNSET
    accessible_documents: LeadDays | None | msgspec.UnsetType = msgspec.UNSET


class ChannelsOut(msgspec.Struct):
    interpretation_languages: list[str]


def _format(value: str) -> str:
    if value not in FORMATS:
        raise InvalidInput.field("format", _("Choose json, csv or xlsx."))
    return value


def _download(sheets: list[report_exports.Sheet], kind: str, filename: str) -> Response:
    """A spreadsheet as an attachment."""
    if kind == "csv":
        body: str | bytes = report_exports.to_csv(sheets)
        media_type = "text/csv"
    else:
        body, media_type = report_exports.to_xlsx(sheets), XLSX
    return Response(body, media_type=media_type,
                    headers={"content-disposition": f'attachment; filename="{filename}.{kind}"'})


async def _report_download(report: reports.ParticipationReport, kind: str, filename: str,
                           suppress_below: int) -> Response:
    below = report_exports.check_suppress_below(suppress_below)
    return _download(report_exports.report_sheets(report, suppress_below=below), kind, filename)


class PlanningApi(Controller):
    """The planning board across the upcoming sessions the caller manages (admins: all)."""

    path = "/api/v1/planning"
    tags = ["planning"]
    guards = [require_staff]

    @get("", operation_class=SPREADSHEETS)
    async def board(self, me: Me, format: Format = "json") -> Response[Any]:
        """Sessions by urgency, each with what was asked for, what is open and the date to book it by;
        ``?format=csv`` or ``xlsx`` for the planning sheet."""
        kind = _format(format)
        board = await planning.planning_board(me)
        if kind == "json":
            return Response(board)
        return _download(report_exports.planning_sheets(board), kind, "planning")


class SessionPlanningApi(Controller):
    """Acting on one session from the board: settle needs in bulk, add a channel, set lead times."""

    path = "/api/v1/sessions/{session_id:int}"
    tags = ["planning"]
    guards = [require_session_manager]

    @post("/needs", status_code=HTTP_200_OK)
    async def decide_needs(
        self, request: Request, session_id: FromPath[int], data: JSONBody[NeedsDecision]
    ) -> DecisionResult:
        """Mark several needs ``arranged`` or ``not_possible`` at once; each registrant is told."""
        count = await planning.decide_needs(session_id, data.need_ids, data.status, data.note,
                                            settings=request.app.state.settings)
        return DecisionResult(updated=count)

    @post("/interpretation-channels", status_code=HTTP_200_OK)
    async def add_channel(
        self, me: Me, session_id: FromPath[int], data: JSONBody[ChannelCreate]
    ) -> ChannelsOut:
        """Offer one more interpretation language; participants get the update if their invite changes."""
        languages = await planning.add_interpretation_channel(me, session_id, data.language)
        return ChannelsOut(languages)

    @put("/lead-times")
    async def set_lead_times(
        self, me: Me, session_id: FromPath[int], data: JSONBody[LeadTimes]
    ) -> dict[str, int]:
        """Set the session's own lead times (days); the answer holds all four in force."""
        values = {k: getattr(data, k) for k in planning.LEAD_KINDS if getattr(data, k) is not msgspec.UNSET}
        return await planning.set_lead_days(me, session_id, values)

    @get("/report", operation_class=SPREADSHEETS)
    async def report(
        self, session_id: FromPath[int], format: Format = "json",
        suppress_below: SuppressBelow = report_exports.DEFAULT_SUPPRESS_BELOW,
    ) -> Response[Any]:
        """The session's participation report (DESIGN.md shape); ``?format=csv|xlsx`` for the shared export, in
        which counts under ``suppress_below`` (default 5) are suppressed. JSON never suppresses."""
        kind = _format(format)
        report = await reports.session_report(session_id)
        if kind == "json":
            return Response(report)
        return await _report_download(report, kind, f"session-{session_id}-report", suppress_below)


class ReportsApi(Controller):
    """Participation across sessions: those the caller manages (admins: all)."""

    path = "/api/v1/reports"
    tags = ["reports"]
    guards = [require_staff]

    @get("/participation", operation_class=SPREADSHEETS)
    async def participation(
        self, me: Me, series: Annotated[str, QueryParameter(schema_extra={"pattern": SERIES_ID})] = "",
        starts_from: Annotated[str, QueryParameter(name="from", schema_extra=DATE_OR_DATE_TIME)] = "",
        starts_to: Annotated[str, QueryParameter(name="to", schema_extra=DATE_OR_DATE_TIME)] = "",
        format: Format = "json", suppress_below: SuppressBelow = report_exports.DEFAULT_SUPPRESS_BELOW,
    ) -> Response[Any]:
        """Filters ``series`` (id), ``from`` and ``to`` (the session's start; a date or an RFC 3339 date-time);
        ``?format=csv|xlsx`` for the shared export with small counts suppressed."""
        kind = _format(format)
        scope = await reports.participation_scope(me, series, starts_from, starts_to)
        report = await reports.participation_report(scope)
        if kind == "json":
            return Response(report)
        return await _report_download(report, kind, "participation-report", suppress_below)


# --- Pages ---------------------------------------------------------------------------------------------------


def _lead_kind_label(kind: str) -> str:
    return {
        "sign_language": _("Sign language interpretation"),
        "captioning": _("Human captioning"),
        "interpretation": _("Interpretation"),
        "accessible_documents": _("Accessible documents"),
    }[kind]


def _need_item_name(item: Any) -> str:
    """A language or provision asked for, in words (sign languages by their ISO 639-3 name)."""
    return report_exports.need_name(item.kind, item.code, item.sign_language)


def _percent(share: float | None) -> str:
    if share is None:
        return "–"
    return format_percent(share, format="#,##0.#%", locale=current_locale())


def _society_tables(report: reports.ParticipationReport) -> list[tuple[str, list]]:
    """The whole-of-society tables: every region together, then each regional group."""
    society = report.society
    return [("all", society.categories), *((r.regional_group, r.categories) for r in society.by_region)]


#: Helpers both pages' templates use.
HELPERS = {"need_item_name": _need_item_name, "percent": _percent, "lead_kind_label": _lead_kind_label,
           "society_tables": _society_tables}


async def _board_context(request: Request, user: StaffUser, **extra: Any) -> dict[str, Any]:
    return {"user": user, "board": await planning.planning_board(user), "lead_kinds": planning.LEAD_KINDS,
            "message": request.query_params.get("done"), "errors": {}, "error_session": None, **HELPERS, **extra}


class PlanningPages(Controller):
    """The planning board page, its exports, and the forms that act on one session from it."""

    include_in_schema = False

    @get("/staff/planning", guards=[require_staff])
    async def board(self, request: Request, me: Me) -> Template:
        """Upcoming sessions by urgency with their needs, deadlines and the forms to settle them."""
        return Template("pages/staff/planning.html", context=await _board_context(request, me))

    @get("/staff/planning/export.csv", guards=[require_staff])
    async def export_csv(self, me: Me) -> Response:
        """The planning sheet as CSV."""
        return _download(report_exports.planning_sheets(await planning.planning_board(me)),
                         "csv", "planning")

    @get("/staff/planning/export.xlsx", guards=[require_staff])
    async def export_xlsx(self, me: Me) -> Response:
        """The planning sheet as XLSX."""
        return _download(report_exports.planning_sheets(await planning.planning_board(me)),
                         "xlsx", "planning")

    @post("/staff/sessions/{session_id:int}/planning/needs", guards=[require_session_manager])
    async def decide_needs(self, request: Request, me: Me, session_id: FromPath[int]) -> Template | Redirect:
        """Settle the ticked needs (arranged or not possible, with a note)."""
        form = await request.form()

        async def decide() -> None:
            ids = _int_list(form.getall("need_ids", []))
            await planning.decide_needs(session_id, ids, str(form.get("status") or ""),
                                        str(form.get("note") or "")[:2000], settings=request.app.state.settings)
        return await _board_answer(request, me, session_id, "needs", decide)

    @post("/staff/sessions/{session_id:int}/planning/channel", guards=[require_session_manager])
    async def add_channel(self, request: Request, me: Me, session_id: FromPath[int]) -> Template | Redirect:
        """Add an interpretation language to the session."""
        language = str((await request.form()).get("language") or "")
        return await _board_answer(request, me, session_id, "channel",
                                   lambda: planning.add_interpretation_channel(me, session_id, language))

    @post("/staff/sessions/{session_id:int}/planning/lead-times", guards=[require_session_manager])
    async def set_lead_times(self, request: Request, me: Me, session_id: FromPath[int]) -> Template | Redirect:
        """The days ahead each provision must be arranged for this session."""
        form = await request.form()
        return await _board_answer(request, me, session_id, "lead-times",
                                   lambda: planning.set_lead_days(me, session_id, _lead_values(form)))


async def _board_answer(request: Request, me: StaffUser, session_id: int, done: str,
                        change: Callable[[], Awaitable[Any]]) -> Template | Redirect:
    """Make the change and go back to the board at the session, or show the board with the refusal."""
    try:
        await change()
    except ConveneError as error:
        context = await _board_context(request, me, errors=form_errors(error), error_session=session_id)
        return Template("pages/staff/planning.html", context=context, status_code=400)
    return Redirect(f"/staff/planning?done={done}#session-{session_id}", status_code=303)


def _int_list(values: list[Any]) -> list[int]:
    try:
        return [int(v) for v in values]
    except ValueError:
        raise InvalidInput.field("need_ids", _("Choose needs of this session from the list.")) from None


def _lead_values(form: Any) -> dict[str, int | None]:
    values: dict[str, int | None] = {}
    for name in planning.LEAD_KINDS:
        text = str(form.get(name) or "").strip()
        if not text:
            values[name] = None
            continue
        if not text.isdigit():
            raise InvalidInput.field(name, _("Give a number of days from 0 to 365."))
        values[name] = int(text)
    return values


#: Dimensions drawn as charts on the report pages (the others are tables only).
CHARTED = ("stakeholder_category", "regional_group", "commission")


def _charts(report: reports.ParticipationReport, label_of: dict[str, Any]) -> dict[str, Any]:
    """An SVG chart per charted dimension (and per session across sessions), in the page's direction."""
    rtl = text_direction() == "rtl"
    names = [_("Registered"), _("Confirmed"), _("Attended")]
    charts = {}
    for dimension in CHARTED:
        groups = report.by[dimension]
        charts[dimension] = bar_chart(
            # Commissions by their short codes in the chart: their full names are in the table beside it.
            dimension.replace("_", "-"), str(label_of[dimension]),
            [g.key if dimension == "commission" else label_of["key"](dimension, g.key) for g in groups],
            [ChartSeries(names[0], tuple(g.registered for g in groups)),
             ChartSeries(names[1], tuple(g.confirmed for g in groups)),
             ChartSeries(names[2], tuple(g.attended for g in groups))],
            rtl=rtl,
        )
    if report.sessions:
        charts["sessions"] = bar_chart(
            "sessions", _("Registered and attended, by session"),
            [pick_text(s.title, "en")[0] for s in report.sessions],
            [ChartSeries(names[0], tuple(s.registered for s in report.sessions)),
             ChartSeries(names[2], tuple(s.attended for s in report.sessions))],
            rtl=rtl,
        )
    return charts


def _dimension_labels() -> dict[str, Any]:
    def key_label(dimension: str, key: str) -> str:
        if key == reports.NONE_KEY and dimension in ("gender", "interpretation_language"):
            return _("Not given") if dimension == "gender" else _("None asked for")
        if dimension == "stakeholder_category":
            return str(CATEGORIES.get(key, key))
        if dimension == "regional_group":
            return str(REGIONAL_GROUPS.get(key, key))
        if dimension == "commission":
            return str(REGIONS.get(key, key))
        if dimension == "country":
            return country_name(key)
        if dimension == "gender":
            return str(GENDERS.get(key, key))
        return language_name(key)

    return {
        "stakeholder_category": _("By stakeholder category"),
        "regional_group": _("By regional group"),
        "commission": _("By Regional Commission (a country in several counts in each)"),
        "country": _("By country"),
        "preferred_language": _("By preferred language"),
        "gender": _("By gender"),
        "interpretation_language": _("By interpretation language asked for"),
        "key": key_label,
    }


def _report_context(report: reports.ParticipationReport, **extra: Any) -> dict[str, Any]:
    labels = _dimension_labels()
    return {"report": report, "dimensions": reports.DIMENSIONS, "labels": labels, "charts": _charts(report, labels),
            "suppress_below": report_exports.DEFAULT_SUPPRESS_BELOW, **HELPERS, **extra}


class ReportPages(Controller):
    """The session report and the cross-session report pages, with their shared exports."""

    include_in_schema = False

    @get("/staff/sessions/{session_id:int}/report", guards=[require_session_manager])
    async def session_page(self, me: Me, session_id: FromPath[int]) -> Template:
        """One session's participation with charts and tables (never suppressed: a staff view)."""
        context = await session_page_context_staff(session_id)
        report = await reports.session_report(session_id)
        return Template("pages/staff/report_session.html", context={
            **_report_context(report), **context, "user": me,
            "export_base": f"/staff/sessions/{session_id}/report/export"})

    @get("/staff/sessions/{session_id:int}/report/export.csv", guards=[require_session_manager])
    async def session_csv(
        self, session_id: FromPath[int], suppress_below: FromQuery[int] = report_exports.DEFAULT_SUPPRESS_BELOW
    ) -> Response:
        """The shared export as CSV, small counts suppressed."""
        return await _report_download(await reports.session_report(session_id), "csv",
                                      f"session-{session_id}-report", suppress_below)

    @get("/staff/sessions/{session_id:int}/report/export.xlsx", guards=[require_session_manager])
    async def session_xlsx(
        self, session_id: FromPath[int], suppress_below: FromQuery[int] = report_exports.DEFAULT_SUPPRESS_BELOW
    ) -> Response:
        """The shared export as XLSX, small counts suppressed."""
        return await _report_download(await reports.session_report(session_id), "xlsx",
                                      f"session-{session_id}-report", suppress_below)

    @get("/staff/reports/participation", guards=[require_staff])
    async def participation_page(self, request: Request, me: Me, series: FromQuery[str] = "") -> Template:
        """Participation across the sessions the viewer manages, filtered by series and period."""
        query = request.query_params
        form = {"series": series, "from": query.get("from", ""), "to": query.get("to", "")}
        errors: dict[str, str] = {}
        try:
            scope = await reports.participation_scope(me, series, form["from"], form["to"])
        except InvalidInput as error:
            errors = form_errors(error)
            scope = await reports.participation_scope(me)
        report = await reports.participation_report(scope)
        export_query = "" if errors else urlencode({k: v for k, v in form.items() if v})
        series_rows = await Series.select(Series.id, Series.title).order_by(Series.id).output(load_json=True)
        return Template("pages/staff/report_participation.html", status_code=400 if errors else 200, context={
            **_report_context(report), "user": me, "form": form, "errors": errors, "series": series_rows,
            "export_base": "/staff/reports/participation/export", "export_query": export_query})

    @get("/staff/reports/participation/export.csv", guards=[require_staff])
    async def participation_csv(
        self, request: Request, me: Me, series: FromQuery[str] = "",
        suppress_below: FromQuery[int] = report_exports.DEFAULT_SUPPRESS_BELOW,
    ) -> Response:
        """The shared export of the cross-session report as CSV, small counts suppressed."""
        return await _participation_download(request, me, series, "csv", suppress_below)

    @get("/staff/reports/participation/export.xlsx", guards=[require_staff])
    async def participation_xlsx(
        self, request: Request, me: Me, series: FromQuery[str] = "",
        suppress_below: FromQuery[int] = report_exports.DEFAULT_SUPPRESS_BELOW,
    ) -> Response:
        """The shared export of the cross-session report as XLSX, small counts suppressed."""
        return await _participation_download(request, me, series, "xlsx", suppress_below)


async def _participation_download(request: Request, user: StaffUser, series: str, kind: str,
                                   suppress_below: int) -> Response:
    query = request.query_params
    scope = await reports.participation_scope(user, series, query.get("from", ""),
                                              query.get("to", ""))
    return await _report_download(await reports.participation_report(scope), kind, "participation-report",
                                  suppress_below)


route_handlers: list = [PlanningApi, SessionPlanningApi, ReportsApi, PlanningPages, ReportPages]
