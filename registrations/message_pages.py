"""The organisers' page to write to a session's registrants: choose who, write per language, see the count and
a preview per language, then send (the send button only comes with the preview)."""

from __future__ import annotations

__all__ = ["StaffMessagePages"]

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import FormMultiDict
from litestar.params import FromPath
from litestar.response import Template

from events.labels import PROVISIONS, label
from events.queries import load_row
from registrations import messages
from registrations.confirm_pages import confirmed, session_languages
from server.auth import Me, StaffUser, require_session_manager
from server.errors import ConveneError
from server.i18n import LANGUAGES, language_name, pick_text
from server.validation import decode_form, form_errors


def _languages_to_write(row: dict[str, Any]) -> list[str]:
    """The UN languages the session uses (readers' languages are UN languages), English when it uses none."""
    return [code for code in session_languages(row) if code in LANGUAGES] or ["en"]


def _needs(row: dict[str, Any]) -> list[tuple[str, str]]:
    """The needs one may filter on: the provisions and interpretation the session offers."""
    provisions = [(code, label(PROVISIONS, code)) for code in row["accessibility_provisions"] or []]
    return provisions + [(code, language_name(code)) for code in row["interpretation_languages"] or []]


def _form(form: FormMultiDict | None) -> dict[str, Any]:
    if form is None:
        return {"statuses": ["confirmed"], "languages": [], "needs": [], "subject": {}, "body": {}}
    return {
        "statuses": [str(v) for v in form.getall("statuses", [])],
        "languages": [str(v) for v in form.getall("languages", [])],
        "needs": [str(v) for v in form.getall("needs", [])],
        "subject": {name.removeprefix("subject_"): str(v) for name, v in form.items() if name.startswith("subject_")},
        "body": {name.removeprefix("body_"): str(v).replace("\r\n", "\n") for name, v in form.items()
                 if name.startswith("body_")},
    }


async def _context(user: StaffUser, session_id: int, values: dict[str, Any], **extra: Any) -> dict[str, Any]:
    row = await load_row(session_id)
    title, title_lang = pick_text(row["title"], row["floor_language"])
    return {"user": user, "session_id": session_id, "title": title,
            "title_lang": title_lang, "write_in": [(code, language_name(code)) for code in _languages_to_write(row)],
            "need_choices": _needs(row), "language_choices": [(code, language_name(code)) for code in LANGUAGES],
            "status_choices": messages.STATUSES, "values": values, "errors": {}, "result": None, **extra}


class StaffMessagePages(Controller):
    path = "/staff/sessions/{session_id:int}/messages"
    include_in_schema = False
    guards = [require_session_manager]

    @get("")
    async def form(self, me: Me, session_id: FromPath[int]) -> Template:
        """The empty message form."""
        return Template("pages/staff/messages.html", context=await _context(me, session_id, _form(None)))

    @post("")
    async def preview_or_send(self, request: Request, me: Me, session_id: FromPath[int]) -> Template:
        """Without the confirmation field: the count and the preview, with the send button. With it: send."""
        form = await request.form()
        values = _form(form)
        sending = confirmed(form)
        try:
            data = decode_form({**values, "dry_run": not sending}, messages.MessageIn)
            result = await messages.send_to_registrants(session_id, data, settings=request.app.state.settings)
        except ConveneError as error:
            context = await _context(me, session_id, values, errors=form_errors(error))
            return Template("pages/staff/messages.html", status_code=422, context=context)
        return Template("pages/staff/messages.html", context=await _context(me, session_id, values,
                                                                             result=result))
