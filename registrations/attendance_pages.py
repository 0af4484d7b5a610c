"""Organisers' attendance pages: the check-in desk (search, marks one by one or in bulk, walk-ins, closing), the
import of a platform's report, the partial threshold, and the review list of people an import could not match.

Every form works without JavaScript; server/static/convene.js only filters the list as one types."""

from __future__ import annotations

__all__ = ["AttendancePages"]

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import FormMultiDict
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from events.tables import Session
from registrations import attendance, checkin
from registrations.staff_forms import ImportForm, MarkForm, ThresholdForm, WalkInForm, read_form
from registrations.tables import AttendanceImport, Registration
from server.auth import Me, StaffUser, require_session_manager
from server.errors import ConveneError, InvalidInput
from server.i18n import gettext as _
from server.validation import form_errors

_DONE = ("marked", "walk_in", "closed", "threshold", "settled")


async def _session_context(session_id: int) -> dict[str, Any]:
    row = await Session.select(
        Session.id, Session.title, Session.floor_language, Session.starts_at, Session.ends_at, Session.timezone,
        Session.status, Session.attendance_threshold_minutes,
    ).where(Session.id == session_id).first().output(load_json=True)
    return {"session_row": row, "threshold": attendance.session_threshold(row)}


def _counts(rows: list[checkin.CheckinRow]) -> dict[str, int]:
    counts = {key: 0 for key in (*Registration.Attendance._value2member_map_, "unknown")}
    for row in rows:
        counts[row.attendance or "unknown"] += 1
    return counts


async def _checkin_context(session_id: int, search: str, user: StaffUser, **extra: Any) -> dict[str, Any]:
    everyone = await checkin.checkin_rows(session_id)
    rows = await checkin.checkin_rows(session_id, search) if search else everyone
    return {
        **await _session_context(session_id), "rows": rows, "counts": _counts(everyone), "search": search,
        "imports": await checkin.imports(session_id), "waiting": len(await checkin.review_rows(session_id)),
        "user": user, "errors": {}, "message": None, "summary": None, **extra,
    }


def _optional_int(form: FormMultiDict, name: str) -> int | None:
    text = str(form.get(name) or "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError as error:
        raise InvalidInput.field(name, _("Give a whole number.")) from error


async def _answer(request: Request, session_id: int, user: StaffUser,
                  run: Callable[[FormMultiDict], Awaitable[str]]) -> Template | Redirect:
    """Run one form of the check-in page, which answers with what to say (a word of ``_DONE``) or
    ``import:<id>[:again]``: back to the page saying it, or the page again with the refusal beside its field."""
    form = await request.form()
    try:
        done = await run(form)
    except ConveneError as error:
        context = await _checkin_context(session_id, "", user, errors=form_errors(error), form=dict(form.items()))
        return Template("pages/staff/attendance.html", context=context, status_code=error.status_code)
    if done.startswith("import:"):
        _word, import_id, *again = done.split(":")
        suffix = "&again=1" if again else ""
        return Redirect(f"/staff/sessions/{session_id}/attendance?imported={import_id}{suffix}", status_code=303)
    return Redirect(f"/staff/sessions/{session_id}/attendance?done={done}", status_code=303)


class AttendancePages(Controller):
    """Check-in, import and review of a session's attendance."""

    path = "/staff/sessions/{session_id:int}/attendance"
    include_in_schema = False
    guards = [require_session_manager]

    @get("")
    async def checkin_page(
        self, me: Me, session_id: FromPath[int], search: FromQuery[str] = "",
        done: FromQuery[str] = "", imported: FromQuery[int | None] = None, again: FromQuery[str] = "",
    ) -> Template:
        """The check-in list (searched by name, organisation or address), counts, and the other attendance forms."""
        context = await _checkin_context(session_id, search[:200], me)
        context["message"] = done if done in _DONE else None
        if imported is not None:
            context["summary"] = await AttendanceImport.select().where(
                (AttendanceImport.id == imported) & (AttendanceImport.session == session_id)
            ).first()
            context["again"] = bool(again)
        return Template("pages/staff/attendance.html", context=context)

    @get("/review")
    async def review_page(
        self, me: Me, session_id: FromPath[int], done: FromQuery[str] = ""
    ) -> Template:
        """People of the imports whom no registration matched, each to match, record as a walk-in or dismiss."""
        return Template("pages/staff/attendance_review.html", context=await _review_context(
            session_id, me, message=done if done in _DONE else None,
        ))

    @post("/review")
    async def settle(self, request: Request, me: Me, session_id: FromPath[int]) -> Template | Redirect:
        """Settle one row of the review list."""
        form = await request.form()
        try:
            row_id = _optional_int(form, "row_id")
            if row_id is None:
                raise InvalidInput.field("row_id", _("Choose a row of the list."))
            await checkin.settle(session_id, row_id, str(form.get("outcome") or ""),
                                 registration_id=_optional_int(form, f"registration_id_{row_id}"), user=me)
        except ConveneError as error:
            errors = form_errors(error)
            context = await _review_context(session_id, me, errors=errors, row_id=form.get("row_id"))
            return Template("pages/staff/attendance_review.html", context=context, status_code=error.status_code)
        return Redirect(f"/staff/sessions/{session_id}/attendance/review?done=settled", status_code=303)

    @post("/mark")
    async def mark(self, request: Request, me: Me, session_id: FromPath[int]) -> Template | Redirect:
        """Mark the ticked registrations attended, excused or absent, or clear their mark."""
        async def run(form: FormMultiDict) -> str:
            data = read_form(form, MarkForm)
            await checkin.mark(session_id, data.registration_ids, data.attendance)
            return "marked"

        return await _answer(request, session_id, me, run)

    @post("/walk-in")
    async def walk_in(self, request: Request, me: Me, session_id: FromPath[int]) -> Template | Redirect:
        """Record someone who came without registering."""
        async def run(form: FormMultiDict) -> str:
            data = read_form(form, WalkInForm)
            await checkin.add_walk_in(session_id, name=data.name, email=data.email, organisation=data.organisation,
                                      user=me)
            return "walk_in"

        return await _answer(request, session_id, me, run)

    @post("/close")
    async def close(self, request: Request, me: Me, session_id: FromPath[int]) -> Template | Redirect:
        """Close the check-in: everyone confirmed and not marked becomes absent."""
        async def run(_form: FormMultiDict) -> str:
            await checkin.close_checkin(session_id)
            return "closed"

        return await _answer(request, session_id, me, run)

    @post("/threshold")
    async def threshold(self, request: Request, me: Me, session_id: FromPath[int]) -> Template | Redirect:
        """The minutes of presence that count as attended (none: the default)."""
        async def run(form: FormMultiDict) -> str:
            await checkin.set_threshold(session_id, read_form(form, ThresholdForm).threshold)
            return "threshold"

        return await _answer(request, session_id, me, run)

    @post("/import")
    async def import_report(self, request: Request, me: Me, session_id: FromPath[int]) -> Template | Redirect:
        """Import a meeting platform's report: its summary on the page (said again when the file came before)."""
        async def run(form: FormMultiDict) -> str:
            data = read_form(form, ImportForm)
            content = await attendance.read_upload(form.get("file"))
            summary = await attendance.import_attendance(session_id, content, timezone=data.timezone.strip() or None,
                                                         user=me)
            return f"import:{summary.id}" + (":again" if summary.already_imported else "")

        return await _answer(request, session_id, me, run)


async def _review_context(session_id: int, user: StaffUser, **extra: Any) -> dict[str, Any]:
    # The candidates: registrations nobody saw yet (absent or unknown), not every registration (a list of thousands
    # in every row's menu would make the page unusable).
    registrations = await Registration.select(
        Registration.id, Registration.name, Registration.email, Registration.organisation
    ).where(
        (Registration.session == session_id) & Registration.anonymised_at.is_null()
        & Registration.status.is_in([Registration.Status.confirmed, Registration.Status.waitlisted,
                                     Registration.Status.pending])
        & (Registration.attendance.is_null() | (Registration.attendance == Registration.Attendance.absent))
    ).order_by(Registration.name)
    return {
        **await _session_context(session_id), "rows": await checkin.review_rows(session_id),
        "registrations": registrations, "user": user, "errors": {}, "message": None, "row_id": None, **extra,
    }
