"""Confirmation pages for the actions that cannot be undone and mail people: cancelling a session, declining in
bulk (staff), cancelling a registration and erasing one's data (registrant).

Each is a GET page (or, for a bulk decline, the answer to the list's form) saying what will happen and who will
be emailed, with a POST form carrying ``confirm=yes``. A POST without that field changes nothing: it shows the
confirmation page, so no single click (or a stale form) mails anyone.
"""

from __future__ import annotations

__all__ = ["StaffConfirmPages", "confirmed", "decline_confirmation", "manage_confirmation"]

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import FormMultiDict
from litestar.params import FromPath
from litestar.response import Redirect, Template
from piccolo.query.functions.aggregate import Count

from events import services as session_services
from events.access import ensure_can_manage
from events.queries import effective_status, load_row
from events.schemas import SessionCancel
from events.tables import Session
from registrations.staff_forms import DecisionForm, decision_ids
from registrations.tables import ACTIVE_STATUSES, Registration
from server.auth import Me, require_session_manager
from server.errors import InvalidInput
from server.i18n import gettext as _
from server.i18n import language_name, ngettext, pick_text

#: The field the confirmation form adds: without it a destructive POST only shows the confirmation.
CONFIRM_FIELD = "confirm"
#: The statuses a decline applies to (registrations.approvals).
DECLINABLE = ("pending", "waitlisted", "confirmed")


def confirmed(form: FormMultiDict) -> bool:
    """Whether the form came from a confirmation page."""
    return form.get(CONFIRM_FIELD) == "yes"


async def count_by_status(session_id: int, ids: list[int] | None = None) -> dict[str, int]:
    """How many of a session's registrations (all, or those in ``ids``) hold each status, erased ones left out."""
    where = (Registration.session == session_id) & Registration.anonymised_at.is_null()
    if ids is not None:
        where &= Registration.id.is_in(ids or [0])
    rows = await Registration.select(Registration.status, Count(Registration.id).as_alias("n")).where(
        where).group_by(Registration.status)
    return {row["status"]: row["n"] for row in rows}


def mailed_lines(counts: dict[str, int]) -> list[str]:
    """Who a session-wide message or decision mails, by status."""
    lines = []
    if counts.get("confirmed"):
        lines.append(ngettext("%(num)s confirmed participant, whose invite is withdrawn from their calendar.",
                              "%(num)s confirmed participants, whose invite is withdrawn from their calendars.",
                              counts["confirmed"]))
    if counts.get("waitlisted"):
        lines.append(ngettext("%(num)s person on the waitlist.", "%(num)s people on the waitlist.",
                              counts["waitlisted"]))
    if counts.get("pending"):
        lines.append(ngettext("%(num)s person awaiting approval.", "%(num)s people awaiting approval.",
                              counts["pending"]))
    return lines


def _page(base: str, **context: Any) -> dict[str, Any]:
    return {"base_template": base, "subject": "", "subject_lang": None, "hidden": [], "reason_fields": [],
            "errors": {}, "back_label": _("Go back without changing anything"), **context}


def session_languages(row: dict[str, Any]) -> list[str]:
    """The languages a session uses: its floor language, its interpretation, its title's."""
    codes = [row["floor_language"], *(row["interpretation_languages"] or []), *(row["title"] or {})]
    return list(dict.fromkeys(code for code in codes if code))


async def _session_cancel_context(session_id: int, reason: dict[str, str], errors: dict[str, str]) -> dict:
    row = await load_row(session_id)
    title, title_lang = pick_text(row["title"], row["floor_language"])
    counts = await count_by_status(session_id)
    fields = [(code, language_name(code), reason.get(code, "")) for code in session_languages(row)]
    return _page(
        "pages/staff/base.html", heading=_("Cancel this session?"), subject=title, subject_lang=title_lang,
        happens=[_("The session is cancelled: it leaves the public listings and registration closes. This "
                   "cannot be undone.")],
        mailed=mailed_lines({k: v for k, v in counts.items() if k in ACTIVE_STATUSES}),
        action=f"/staff/sessions/{session_id}/cancel", reason_fields=fields, errors=errors,
        confirm_label=_("Cancel the session and send the emails"), back_url=f"/staff/sessions/{session_id}",
    )


def _reason(form: FormMultiDict) -> dict[str, str]:
    return {name.removeprefix("reason_"): str(value).replace("\r\n", "\n").strip()
            for name, value in form.items() if name.startswith("reason_") and str(value).strip()}


async def decline_confirmation(session_id: int, data: DecisionForm) -> Template:
    """The page confirming a bulk decline: how many of the chosen registrations are declined, by status, and
    the reason they will read. The reason is checked first, so a missing one is said on the list."""
    ids = sorted(decision_ids(data))
    reason = data.reason.strip()
    if not reason:
        raise InvalidInput.field("reason", _("Give the reason for declining; the registrant is told."))
    counts = {k: v for k, v in (await count_by_status(session_id, ids)).items() if k in DECLINABLE}
    total = sum(counts.values())
    context = _page(
        "pages/staff/base.html", heading=_("Decline these registrations?"),
        happens=[ngettext("%(num)s registration is declined; a seat it held goes to the next in line.",
                          "%(num)s registrations are declined; the seats they held go to the next in line.", total),
                 _("Reason given: %(reason)s", reason=reason)],
        mailed=mailed_lines(counts), action=f"/staff/sessions/{session_id}/registrations/decline",
        hidden=[("reason", reason), *(("registration_ids", str(i)) for i in ids)],
        confirm_label=_("Decline and send the emails"), back_url=f"/staff/sessions/{session_id}/registrations",
    )
    return Template("pages/confirm.html", context=context)


class StaffConfirmPages(Controller):
    """Cancelling a session, from the staff session page."""

    path = "/staff/sessions/{session_id:int}/cancel"
    include_in_schema = False
    guards = [require_session_manager]

    @get("")
    async def cancel_page(self, me: Me, session_id: FromPath[int]) -> Template:
        """What cancelling does and who is emailed, with a reason field per language the session uses."""
        await ensure_can_manage(me, session_id)
        return Template("pages/confirm.html", context=await _session_cancel_context(session_id, {}, {}))

    @post("")
    async def cancel(self, request: Request, me: Me, session_id: FromPath[int]) -> Template | Redirect:
        """Cancel with the reason given, once confirmed; without the confirmation, the confirmation page."""
        await ensure_can_manage(me, session_id)
        form = await request.form()
        reason = _reason(form)
        if not confirmed(form):
            return Template("pages/confirm.html", context=await _session_cancel_context(session_id, reason, {}))
        try:
            await session_services.cancel(me, session_id, SessionCancel(reason=reason))
        except InvalidInput as error:
            errors = {"reason": error.detail}
            return Template("pages/confirm.html", status_code=422,
                            context=await _session_cancel_context(session_id, reason, errors))
        return Redirect(f"/staff/sessions/{session_id}", status_code=303)


async def _manage_confirm_context(kind: str, reg: dict[str, Any], path: str) -> dict[str, Any]:
    session = await load_row(reg["session"])
    title, title_lang = pick_text(session["title"], session["floor_language"])
    holds_seat = reg["status"] == Registration.Status.confirmed.value
    if kind == "cancel":
        happens = [_("Your registration is cancelled.")]
        if holds_seat:
            happens.append(_("Your place goes to the next person waiting, if there is one."))
        mailed = [_("You: an email confirming the cancellation, with an update that removes the session from "
                    "your calendar.") if holds_seat else _("You: an email confirming the cancellation.")]
        heading, label = _("Cancel your registration?"), _("Cancel my registration")
    else:
        happens = [_("Your name, email address, organisation and needs are removed; only anonymous counts "
                     "remain. This cannot be undone."),
                   _("Your registration is cancelled and this link stops working.")]
        published = effective_status(session) == Session.Status.published.value
        mailed = [_("You: an update that removes the session from your calendar.")] if holds_seat and published \
            else []
        heading, label = _("Erase your data?"), _("Erase my data (this cancels the registration)")
    return _page("pages/base.html", heading=heading, subject=title, subject_lang=title_lang, happens=happens,
                 mailed=mailed, action=f"{path}/{kind}", confirm_label=label, back_url=path)


async def manage_confirmation(reg: dict[str, Any], path: str, kind: str) -> Template:
    """The registrant's confirmation page of ``kind`` (``cancel`` or ``erase``) for the registration behind the
    manage link at ``path``."""
    return Template("pages/confirm.html", context=await _manage_confirm_context(kind, reg, path))
