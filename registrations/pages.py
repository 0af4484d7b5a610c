"""HTML for registrants and organisers: the registration form's submission, the manage page, the staff list.

Forms are URL-encoded with the CSRF field; field errors come back beside the fields with an error summary.
"""

from __future__ import annotations

__all__ = ["ManagePages", "RegistrationPages", "StaffRegistrationPages"]

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from events.access import ensure_can_manage
from events.pages import session_page_context
from events.queries import load_row
from registrations import approvals, confirm_pages, inputs, manage, questions, registering, staff, staff_forms
from registrations.links import manage_path
from registrations.ratelimit import limit_public_writes
from registrations.schemas import RegistrationCreate, RegistrationUpdate, SpeakingRequest
from registrations.speakers_pages import manage_speaking_context, request_form_values, request_struct
from registrations.staff_forms import FILTERS, Filters
from server.auth import Me, StaffUser, require_session_manager
from server.errors import Conflict, ConveneError, InvalidInput
from server.i18n import LANGUAGES, set_request_locale
from server.i18n import gettext as _
from server.validation import decode_form, form_errors
from server.web import LANGUAGE_COOKIE, TIMEZONE_COOKIE, valid_timezone

_TEXT = ("name", "email", "organisation", "stakeholder_category", "country", "preferred_language", "timezone",
         "gender", "delegation_role", "participation_mode", "interpretation_language",
         "interpretation_language_other", "sign_language", "accessibility_other", "invitation")
_CHECKBOXES = ("consent_processing", "consent_listed", "consent_recorded", "personal_assistant")
_OPTIONAL = ("gender", "delegation_role", "participation_mode", "interpretation_language", "sign_language",
             "invitation")
#: Rows on one page of the staff list; the CSV holds every match.
PAGE_SIZE = 200
_FILTERS = ("search", "status", "category", "region", "language", "need")


def form_values(form: FormMultiDict) -> dict[str, Any]:
    """The submitted form as plain values, to fill the form again."""
    # Browsers send a textarea's line breaks as CRLF: keep them as plain line breaks.
    values: dict[str, Any] = {name: str(form.get(name) or "").replace("\r\n", "\n").strip() for name in _TEXT}
    values.update({name: bool(form.get(name)) for name in _CHECKBOXES})
    values["accessibility_needs"] = [str(v) for v in form.getall("accessibility_needs", []) if v]
    return values


def _struct(values: dict[str, Any], target: type, fields: tuple[str, ...]) -> Any:
    """The registration or manage form's values as ``target``: a language typed in "another language" stands for
    the list's choice, and an optional choice left empty is none."""
    data = {k: v for k, v in values.items() if k in fields}
    if values.get("interpretation_language_other"):
        data["interpretation_language"] = values["interpretation_language_other"]
    for name in _OPTIONAL:
        if name in data and not data[name]:
            data[name] = None
    return decode_form(data, target)


def _form_errors(error: ConveneError, values: dict[str, Any]) -> dict[str, str]:
    """Field errors of the registration form: a language typed in the "another language" field is checked as
    the interpretation language, and its error belongs beside that field, not the list."""
    errors = form_errors(error, rename=lambda name: name.replace("speaking_request.", "speaking_"))
    if values.get("interpretation_language_other") and "interpretation_language" in errors:
        errors["interpretation_language_other"] = errors.pop("interpretation_language")
    return errors


class RegistrationPages(Controller):
    """The public registration form's submission (the form itself is on the session page)."""

    include_in_schema = False

    @post("/sessions/{session_id:int}/register", guards=[limit_public_writes])
    async def submit(self, request: Request, session_id: FromPath[int]) -> Template | Redirect:
        """Register; on errors show the session page again with the messages beside the fields (400)."""
        form = await request.form()
        values = form_values(form)
        speaking = request_form_values(form, "speaking_")
        values.update({f"speaking_{name}": value for name, value in speaking.items()})
        given = questions.form_answers(form, await questions.session_questions(session_id))
        values["answers"] = {key: value for key, value in given.items() if value is not None}
        try:
            data = _struct(values, RegistrationCreate, tuple(RegistrationCreate.__struct_fields__))
            if speaking["topic"] or speaking["summary"] or speaking["on_behalf_of"] or speaking["needs"]:
                data.speaking_request = request_struct(speaking, SpeakingRequest, "speaking_request.")
            outcome = await registering.register(session_id, data, settings=request.app.state.settings)
        except (InvalidInput, registering.RegistrationClosed, ConveneError) as error:
            if error.status_code == 404:
                raise
            context = await session_page_context(session_id)
            context.update(form=values, form_errors=_form_errors(error, values))
            return Template("pages/session.html", context=context, status_code=400)
        if not outcome.created:
            # The same page for every repeat, whatever the registration's status: it tells nothing of it.
            return Template("pages/registrations/repeat.html", context={"session_id": session_id})
        token_path = outcome.reply.manage_url.split("/manage/", 1)[1]
        return Redirect(f"/manage/{token_path}?registered=1", status_code=303)


def use_registrant_locale(request: Request, reg: dict[str, Any]) -> None:
    """The manage page speaks the registrant's language and shows their time zone, unless the visitor chose a
    language or time zone with the page's switchers (their cookies) — not Accept-Language, which is a guess."""
    language = request.cookies.get(LANGUAGE_COOKIE)
    timezone = request.cookies.get(TIMEZONE_COOKIE)
    set_request_locale(
        language if language in LANGUAGES else reg["preferred_language"],
        timezone if valid_timezone(timezone) else reg["timezone"],
    )


async def _registrant(token: str, request: Request) -> dict[str, Any]:
    """The registration behind the link, with the request switched to the registrant's language."""
    reg = await manage.registration_by_token(token, request.app.state.settings)
    use_registrant_locale(request, reg)
    return reg


async def _manage_context(token: str, request: Request, **extra: Any) -> dict[str, Any]:
    settings = request.app.state.settings
    reg = await _registrant(token, request)
    view = await manage.registration_view(reg)
    context = await session_page_context(reg["session"])
    session = await load_row(reg["session"])
    speaking = await manage_speaking_context(reg, context["session"])
    return {"registration": view, "session": context["session"], "token": token, "join": await _join_details(view),
            "manage_path": manage_path(settings.secret_key, reg["id"], reg["manage_nonce"]),
            "form": _manage_form(view), "form_errors": {}, "speaking_errors": {}, **speaking,
            "written_inputs": await inputs.inputs_of_registration(reg["id"]),
            "inputs_taken": session["kind"] in inputs.INPUT_KINDS, "inputs_close_at": inputs.closes_at(session),
            "inputs_open": inputs.taking_from(session, reg), "input_form": {}, "input_errors": {},
            "questions": context.get("questions", []), **extra}


def _manage_form(view: Any) -> dict[str, Any]:
    """The manage form filled with what the registration holds now (after an error: what was submitted)."""
    stated = manage.stated_needs(view.interpretation_language, msgspec.to_builtins(view.needs))
    return {
        **stated,
        "interpretation_language": stated["interpretation_language"] or "",
        "sign_language": stated["sign_language"] or "",
        **{name: getattr(view, name) for name in ("preferred_language", "timezone", *_CHECKBOXES)},
        "answers": view.answers,
    }


async def _join_details(view: Any) -> dict[str, Any] | None:
    """How to join: shown to confirmed participants only."""
    from events.tables import Session

    if view.status != "confirmed":
        return None
    return await Session.select(
        Session.join_url, Session.join_meeting_id, Session.join_passcode, Session.join_dial_in, Session.venue
    ).where(Session.id == view.session_id).first()


async def _manage_fields(session_id: int) -> tuple[str, ...]:
    """The fields the manage form shows: consent to recording only for listening sessions (a checkbox the form
    does not show must not read as unticked)."""
    from events.tables import Session

    session = await Session.select(Session.kind).where(Session.id == session_id).first()
    fields = tuple(RegistrationUpdate.__struct_fields__)
    if session["kind"] == Session.Kind.listening_session.value:
        return fields
    return tuple(f for f in fields if f != "consent_recorded")


class ManagePages(Controller):
    """The registrant's page behind the manage link: see, change, cancel, export, erase."""

    path = "/manage/{token:str}"
    include_in_schema = False

    @get("")
    async def show(self, request: Request, token: FromPath[str], registered: FromQuery[str] = "",
                   input_sent: FromQuery[str] = "") -> Template:
        """The registration, its status (and waitlist position), needs, written inputs and history, with the forms
        to change it."""
        context = await _manage_context(token, request, just_registered=bool(registered), input_sent=bool(input_sent))
        return Template("pages/manage.html", context=context)

    @post("/update")
    async def update(self, request: Request, token: FromPath[str]) -> Template | Redirect:
        """Change language, time zone and needs."""
        reg = await _registrant(token, request)
        form = await request.form()
        values = form_values(form)
        if form.get("answers_shown"):  # the form asks the questions only while registration is open
            values["answers"] = questions.form_answers(form, await questions.session_questions(reg["session"]))
        try:
            await manage.update(reg, _struct(values, RegistrationUpdate, await _manage_fields(reg["session"])))
        except ConveneError as error:
            context = await _manage_context(token, request, form=values, form_errors=_form_errors(error, values))
            return Template("pages/manage.html", context=context, status_code=400)
        return Redirect(f"/manage/{token}", status_code=303)

    @get("/cancel")
    async def cancel_page(self, request: Request, token: FromPath[str]) -> Template | Redirect:
        """What cancelling the registration does and what mail follows, with the button that does it."""
        return await self._cancel(request, token, confirmed=False)

    @post("/cancel")
    async def cancel(self, request: Request, token: FromPath[str]) -> Template | Redirect:
        """Cancel the registration once confirmed (else the confirmation page): the seat goes to the next in
        line."""
        return await self._cancel(request, token, confirmed=confirm_pages.confirmed(await request.form()))

    async def _cancel(self, request: Request, token: str, *, confirmed: bool) -> Template | Redirect:
        reg = await _registrant(token, request)
        try:
            if not confirmed:
                await manage.ensure_cancellable(reg)
                return await _confirmation(request, reg, "cancel")
            await manage.cancel(reg, settings=request.app.state.settings)
        except Conflict as error:  # the session was cancelled or ended meanwhile
            context = await _manage_context(token, request, form_errors=form_errors(error))
            return Template("pages/manage.html", context=context, status_code=409)
        return Redirect(f"/manage/{token}", status_code=303)

    @post("/register-again")
    async def register_again(self, request: Request, token: FromPath[str]) -> Template | Redirect:
        """Who cancelled takes a place again; refused (409, said on the page) once registration has closed."""
        settings = request.app.state.settings
        try:
            await registering.register_again(await _registrant(token, request), settings=settings)
        except Conflict as error:
            context = await _manage_context(token, request, form_errors=form_errors(error))
            return Template("pages/manage.html", context=context, status_code=409)
        return Redirect(f"/manage/{token}", status_code=303)

    @get("/erase")
    async def erase_page(self, request: Request, token: FromPath[str]) -> Template:
        """What erasing one's data does and what mail follows, with the button that does it."""
        return await _confirmation(request, await _registrant(token, request), "erase")

    @post("/erase")
    async def erase(self, request: Request, token: FromPath[str]) -> Template:
        """Erase personal data once confirmed; the link stops working."""
        if not confirm_pages.confirmed(await request.form()):
            return await _confirmation(request, await _registrant(token, request), "erase")
        await manage.erase(await _registrant(token, request), settings=request.app.state.settings)
        return Template("pages/registrations/erased.html", context={})


async def _confirmation(request: Request, reg: dict[str, Any], kind: str) -> Template:
    path = manage_path(request.app.state.settings.secret_key, reg["id"], reg["manage_nonce"])
    return await confirm_pages.manage_confirmation(reg, path, kind)


class StaffRegistrationPages(Controller):
    """Organisers' page of a session's registrations: filters, counts, decisions, needs, invitations; one handler
    per form of the page, each reading its own Struct (``registrations.staff_forms``)."""

    path = "/staff/sessions/{session_id:int}/registrations"
    include_in_schema = False
    guards = [require_session_manager]
    dependencies = FILTERS

    @get("")
    async def list_page(
        self, request: Request, session_id: FromPath[int], me: Me, filters: Filters, offset: FromQuery[int] = 0
    ) -> Template:
        """The list with search, filters and counts, a page at a time."""
        await ensure_can_manage(me, session_id)
        filters = replace(filters, limit=PAGE_SIZE, offset=max(offset, 0))
        listed, filter_errors = filters, {}
        try:
            page = await staff.list_registrations(session_id, filters)
        except InvalidInput as error:
            # The form keeps what was typed, beside the error; the list shows every registration meanwhile.
            listed, filter_errors = staff.ListFilters(limit=PAGE_SIZE), form_errors(error)
            page = await staff.list_registrations(session_id, listed)
        context = await session_page_context_staff(session_id)
        context.update(page=page, filters=filters, filter_errors=filter_errors, paging=_paging(listed, page.total),
                       message=request.query_params.get("done"), user=me,
                       answered_questions=await questions.staff_questions(session_id))
        return Template("pages/staff/registrations.html", context=context)

    @get("/export.csv")
    async def export_csv(self, session_id: FromPath[int], filters: Filters) -> Response[str]:
        """Every registration that matches the list's filters as CSV (UTF-8 with BOM, formulas neutralised)."""
        return Response(
            await staff.session_csv(session_id, filters),
            media_type="text/csv",
            headers={"content-disposition": f'attachment; filename="session-{session_id}-registrations.csv"'},
        )

    @post("/approve")
    async def approve(self, request: Request, session_id: FromPath[int], me: Me) -> Redirect | Template:
        """Approve the ticked registrations."""
        async def run(form: FormMultiDict) -> None:
            ids = staff_forms.decision_ids(staff_forms.read_form(form, staff_forms.DecisionForm))
            await approvals.approve(session_id, ids, user=me, settings=request.app.state.settings)

        return await _act(request, session_id, me, "approve", run)

    @post("/decline")
    async def decline(self, request: Request, session_id: FromPath[int], me: Me) -> Redirect | Template:
        """Decline the ticked registrations with a reason, once confirmed (else the confirmation page)."""
        async def run(form: FormMultiDict) -> Template | None:
            data = staff_forms.read_form(form, staff_forms.DecisionForm)
            if not confirm_pages.confirmed(form):
                return await confirm_pages.decline_confirmation(session_id, data)
            await approvals.decline(session_id, staff_forms.decision_ids(data), data.reason, user=me,
                                    settings=request.app.state.settings)
            return None

        return await _act(request, session_id, me, "decline", run)

    @post("/move")
    async def move(self, request: Request, session_id: FromPath[int], me: Me) -> Redirect | Template:
        """Move one registration between the waitlist and the confirmed list."""
        async def run(form: FormMultiDict) -> None:
            data = staff_forms.read_form(form, staff_forms.MoveForm)
            await approvals.move(session_id, data.registration_id, data.to, user=me,
                                 settings=request.app.state.settings)

        return await _act(request, session_id, me, "move", run)

    @post("/need")
    async def need(self, request: Request, session_id: FromPath[int], me: Me) -> Redirect | Template:
        """Mark one need arranged or not possible, with a note to the registrant."""
        async def run(form: FormMultiDict) -> None:
            data = staff_forms.read_form(form, staff_forms.NeedForm)
            await approvals.decide_need(session_id, data.need_id, data.status, data.note,
                                        settings=request.app.state.settings)

        return await _act(request, session_id, me, "need", run)

    @post("/invite")
    async def invite(self, request: Request, session_id: FromPath[int], me: Me) -> Redirect | Template:
        """Invite the addresses typed, and those of a CSV file sent with them."""
        async def run(form: FormMultiDict) -> None:
            emails = staff_forms.read_form(form, staff_forms.InviteForm).addresses
            upload = form.get("file")
            if upload is not None and hasattr(upload, "read"):
                emails += await approvals.emails_from_upload(upload)
            if not emails:
                raise InvalidInput.field("emails", _("Give at least one address."))
            await approvals.invite(session_id, emails, settings=request.app.state.settings)

        return await _act(request, session_id, me, "invite", run)

    @post("/rotate")
    async def rotate(self, request: Request, session_id: FromPath[int], me: Me) -> Redirect | Template:
        """Give one registrant a new manage link and mail it."""
        async def run(form: FormMultiDict) -> None:
            data = staff_forms.read_form(form, staff_forms.RotateForm)
            await manage.rotate_and_resend(session_id, data.registration_id, settings=request.app.state.settings)

        return await _act(request, session_id, me, "rotate", run)


async def _act(request: Request, session_id: int, user: StaffUser, action: str,
               run: Callable[[FormMultiDict], Awaitable[Template | None]]) -> Redirect | Template:
    """Run one form of the list page: back to the list with the word for its message, or the list again with the
    refusal said (400); a form may answer with a page of its own (the decline's confirmation)."""
    await ensure_can_manage(user, session_id)
    try:
        answer = await run(await request.form())
    except ConveneError as error:
        context = await session_page_context_staff(session_id)
        filters = staff.ListFilters(limit=PAGE_SIZE)
        page = await staff.list_registrations(session_id, filters)
        context.update(page=page, filters=filters, filter_errors={}, action_errors=form_errors(error),
                       paging=_paging(filters, page.total), message=None, user=user)
        return Template("pages/staff/registrations.html", context=context, status_code=400)
    if answer is not None:
        return answer
    return Redirect(f"/staff/sessions/{session_id}/registrations?done={action}", status_code=303)


def _paging(filters: staff.ListFilters, total: int) -> dict[str, Any]:
    """Where this page of the list starts and ends, and the links to the pages before and after it and to the CSV
    of every match, each keeping the search and filters."""
    kept = {name: getattr(filters, name) for name in _FILTERS if getattr(filters, name)}
    before = max(filters.offset - filters.limit, 0) if filters.offset > 0 else None
    after = filters.offset + filters.limit if filters.offset + filters.limit < total else None
    return {
        "first": min(filters.offset + 1, total),
        "last": min(filters.offset + filters.limit, total),
        "total": total,
        "previous": None if before is None else "?" + urlencode({**kept, "offset": before}),
        "next": None if after is None else "?" + urlencode({**kept, "offset": after}),
        "csv_query": "?" + urlencode(kept) if kept else "",
    }


async def session_page_context_staff(session_id: int) -> dict[str, Any]:
    from events.tables import Session

    columns = (
        Session.id, Session.title, Session.floor_language, Session.capacity, Session.seats_taken, Session.audience,
        Session.in_person_capacity, Session.in_person_seats_taken, Session.venue, Session.interpretation_languages,
    )
    row = await Session.select(*columns).where(Session.id == session_id).first().output(load_json=True)
    return {"session_row": row}
