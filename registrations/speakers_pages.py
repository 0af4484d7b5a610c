"""HTML of the speakers' list: the registrant's request on the manage page, the organisers' page, the published
list on the session page and the speakers a post-session summary names (both through ``server.signals``, as the
events package may not import this one)."""

from __future__ import annotations

__all__ = [
    "ManageSpeakingPages", "StaffSpeakerPages", "add_to_session_page", "balance", "manage_speaking_context",
    "summary_speakers_labelled",
]

from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.datastructures import FormMultiDict
from litestar.params import FromPath
from litestar.response import Redirect, Template

from events.tables import Session
from registrations import speaker_decisions, speakers
from registrations.labels import CATEGORIES, REGIONAL_GROUPS
from registrations.schemas import SpeakerChange, SpeakerListSettings, SpeakingRequest, SpeakingRequestUpdate
from registrations.speaker_forms import DeclineForm, ListSettingsForm, MinutesForm, OrderForm, SpeakerForm, SpokeForm
from registrations.speaking_rules import SPEAKING_KINDS
from registrations.staff_forms import read_form
from server.auth import Me, StaffUser, require_session_manager
from server.errors import ConveneError, FieldError, InvalidInput
from server.i18n import format_datetime, language_name, pick_text
from server.i18n import gettext as _
from server.settings import Settings
from server.validation import decode_form, errors_by_field, form_errors

#: A form of one speaker's row (``speaker_forms``: each has ``speaker_id``).
F = TypeVar("F", SpeakerForm, DeclineForm, SpokeForm, MinutesForm)

_REQUEST_FIELDS = ("topic", "summary", "language", "on_behalf_of", "needs")


def request_form_values(form: FormMultiDict, prefix: str = "") -> dict[str, str]:
    """The request-to-speak fields of a form (``prefix`` ``speaking_`` on the registration form)."""
    return {name: str(form.get(prefix + name) or "").replace("\r\n", "\n").strip() for name in _REQUEST_FIELDS}


def request_struct(values: dict[str, str], target: type, field_prefix: str = "") -> Any:
    """Form values as ``target`` (a change leaves out the fields left empty); refused as ``decode_form`` says."""
    return decode_form({k: v for k, v in values.items() if v or target is SpeakingRequest}, target,
                       prefix=field_prefix)


def describe(category: str, regional_group: str) -> str:
    """How a speaker who gave no consent to be named is shown: their category and regional group."""
    category_label = str(CATEGORIES.get(category, category))
    if regional_group == "none":
        return category_label
    return _("%(category)s, %(region)s", category=category_label,
             region=str(REGIONAL_GROUPS.get(regional_group, regional_group)))


async def manage_speaking_context(reg: dict[str, Any], session: dict[str, Any]) -> dict[str, Any]:
    """What the manage page shows of the request to speak: the request, whether one may be made or changed now,
    the deadline and the languages offered."""
    if session["kind"] not in SPEAKING_KINDS:
        return {"speaking_offered": False}
    own = await speakers.own_request(reg)
    deadline = await speakers.request_deadline(reg["session"])
    offered = [session["floor_language"], *session["interpretation_languages"]]
    return {
        "speaking_offered": True,
        "speaking": own,
        "speaking_open": datetime.now(deadline.tzinfo) < deadline and reg["status"] in (
            "confirmed", "waitlisted", "pending"),
        "speaking_deadline": format_datetime(deadline),
        "speaking_languages": [(code, language_name(code)) for code in offered],
        "speaking_expected": format_datetime(own.expected_at) if own and own.expected_at else None,
    }


class ManageSpeakingPages(Controller):
    """The request to speak on the manage page: ask or change (one form), withdraw."""

    path = "/manage/{token:str}/speaking"
    include_in_schema = False

    @post("")
    async def save(self, request: Request, token: FromPath[str]) -> Template | Redirect:
        """Ask to speak, or change the request made before."""
        from registrations.pages import _manage_context, _registrant

        reg = await _registrant(token, request)
        values = request_form_values(await request.form())
        try:
            if await speakers.own_request(reg) is None:
                await speakers.request_to_speak(reg, request_struct(values, SpeakingRequest))
            else:
                await speakers.change_request(reg, request_struct(values, SpeakingRequestUpdate))
        except ConveneError as error:
            if error.status_code == 404:
                raise
            errors = errors_by_field(error.errors or [FieldError("topic", error.detail)], "speaking_{}".format)
            context = await _manage_context(token, request, speaking_form=values, speaking_errors=errors)
            return Template("pages/manage.html", context=context, status_code=error.status_code)
        return Redirect(f"/manage/{token}#speaking-heading", status_code=303)

    @post("/withdraw")
    async def withdraw(self, request: Request, token: FromPath[str]) -> Template | Redirect:
        """Withdraw the request to speak."""
        from registrations.pages import _manage_context, _registrant

        reg = await _registrant(token, request)
        try:
            await speakers.withdraw_request(reg, settings=request.app.state.settings)
        except ConveneError as error:
            if error.status_code == 404:
                raise
            errors = errors_by_field(error.errors, "speaking_{}".format)
            context = await _manage_context(token, request, speaking_errors=errors)
            return Template("pages/manage.html", context=context, status_code=error.status_code)
        return Redirect(f"/manage/{token}#speaking-heading", status_code=303)


# --- The organisers' page ------------------------------------------------------------------------------------

def _shares(items: list[Any], key: str) -> dict[str, int]:
    return dict(Counter(getattr(item, key) for item in items))


def balance(items: list[Any]) -> list[dict[str, Any]]:
    """Shares of categories, regional groups and languages among speakers on the list, against all requests
    (declined ones included: they were asked for). Each dimension: rows ``{key, label, requested, requested_pct,
    accepted, accepted_pct}`` sorted by requests."""
    on_list = [s for s in items if s.position is not None]
    dimensions = (
        ("stakeholder_category", _("Stakeholder categories"), lambda code: str(CATEGORIES.get(code, code))),
        ("regional_group", _("Regional groups"), lambda code: str(REGIONAL_GROUPS.get(code, code))),
        ("language", _("Languages"), language_name),
    )
    result = []
    for key, caption, label in dimensions:
        requested, accepted = _shares(items, key), _shares(on_list, key)
        rows = [
            {"key": code, "label": label(code), "requested": count,
             "requested_pct": round(100 * count / len(items)), "accepted": accepted.get(code, 0),
             "accepted_pct": round(100 * accepted.get(code, 0) / len(on_list)) if on_list else 0}
            for code, count in sorted(requested.items(), key=lambda pair: (-pair[1], pair[0]))
        ]
        result.append({"key": key, "caption": caption, "rows": rows})
    return result


async def _page_context(session_id: int, user: Any, **extra: Any) -> dict[str, Any]:
    session = await Session.select().where(Session.id == session_id).output(load_json=True).first()
    items = await speakers.list_speakers(session_id)
    current = await speakers.list_settings(session_id)
    title, title_lang = pick_text(session["title"], session["floor_language"])
    used = await speakers.minutes_on_list(session_id)
    zone = ZoneInfo(session["timezone"])
    return {
        "user": user, "session_row": session, "session_title": title, "session_title_lang": title_lang,
        "on_list": [s for s in items if s.position is not None],
        "requests": [s for s in items if s.position is None],
        "suggested": await speakers.suggestion(session_id),
        "balance": balance(items), "list_settings": current, "minutes_used": used,
        "over_slot": used > current.slot_minutes,
        "deadline_local": current.requests_close_at.astimezone(zone).strftime("%Y-%m-%dT%H:%M"),
        "expected": {s.id: format_datetime(s.expected_at, session["timezone"]) for s in items if s.expected_at},
        "describe": describe, "errors": {}, "message": None, "error_row": "", "sent_form": {}, **extra,
    }


def _local_time(text: str, zone: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))
    except ValueError as error:
        raise InvalidInput.field("requests_close_at", _("Give a date and time.")) from error


async def _answer(request: Request, session_id: int, user: StaffUser, action: str,
                  run: Callable[[FormMultiDict, Settings], Awaitable[None]]) -> Template | Redirect:
    """Run one form of the organisers' page: back to the page with the word for its message, or the page again
    with the refusal said beside its field."""
    form = await request.form()
    try:
        await run(form, request.app.state.settings)
    except ConveneError as error:
        # The row's fields keep what was sent, beside the refusal (the form of one speaker: ``error_row``).
        sent = {name: str(form.get(name)) for name in ("minutes", "quote", "minutes_used", "reason") if name in form}
        context = await _page_context(session_id, user, errors=form_errors(error), sent_form=sent,
                                      error_row=str(form.get("speaker_id") or ""))
        return Template("pages/staff/speakers.html", context=context, status_code=error.status_code)
    return Redirect(f"/staff/sessions/{session_id}/speakers?done={action}", status_code=303)


async def _change_speaker(request: Request, user: StaffUser, session_id: int, action: str, form_type: type[F],
                          change: Callable[[F], SpeakerChange]) -> Template | Redirect:
    """The forms that change one request (``form_type`` names it by ``speaker_id``), as ``change`` says."""
    async def run(form: FormMultiDict, settings: Settings) -> None:
        data = read_form(form, form_type)
        await speaker_decisions.change_speaker(session_id, data.speaker_id, change(data), settings=settings)

    return await _answer(request, session_id, user, action, run)


async def _move(request: Request, user: StaffUser, session_id: int, action: str, step: int) -> Template | Redirect:
    """Move one speaker a place up (``step`` -1) or down (+1)."""
    async def run(form: FormMultiDict, settings: Settings) -> None:
        data = read_form(form, SpeakerForm)
        await speaker_decisions.move_speaker(session_id, data.speaker_id, step, settings=settings)

    return await _answer(request, session_id, user, action, run)


async def _publish(request: Request, user: StaffUser, session_id: int, action: str,
                   published: bool) -> Template | Redirect:
    """Show the list on the session page, or withdraw it."""
    async def run(_form: FormMultiDict, settings: Settings) -> None:
        await speaker_decisions.update_settings(session_id, SpeakerListSettings(published=published), settings=settings)

    return await _answer(request, session_id, user, action, run)


class StaffSpeakerPages(Controller):
    """Organisers build the speakers' list: requests, balance, order, minutes, publication, who spoke; one handler
    per form of the page, each reading its own Struct (``registrations.speaker_forms``)."""

    path = "/staff/sessions/{session_id:int}/speakers"
    include_in_schema = False
    guards = [require_session_manager]

    @get("")
    async def list_page(self, request: Request, me: Me, session_id: FromPath[int]) -> Template:
        """The requests, the list in its order, the balance beside it, the suggestion and the settings."""
        context = await _page_context(session_id, me, message=request.query_params.get("done"))
        return Template("pages/staff/speakers.html", context=context)

    @post("/apply_suggestion")
    async def apply_suggestion(self, request: Request, me: Me, session_id: FromPath[int]) -> Template | Redirect:
        """Put the requests on the list in the suggested order."""
        async def run(_form: FormMultiDict, settings: Settings) -> None:
            suggested = [s.id for s in await speakers.suggestion(session_id)]
            await speaker_decisions.set_order(session_id, suggested, settings=settings)

        return await _answer(request, session_id, me, "apply_suggestion", run)

    @post("/order")
    async def order(self, request: Request, me: Me, session_id: FromPath[int]) -> Template | Redirect:
        """The list in the order dragging left it."""
        async def run(form: FormMultiDict, settings: Settings) -> None:
            await speaker_decisions.set_order(session_id, read_form(form, OrderForm).speaker_ids, settings=settings)

        return await _answer(request, session_id, me, "order", run)

    @post("/up")
    async def up(self, request: Request, me: Me, session_id: FromPath[int]) -> Template | Redirect:
        """Move one speaker a place up."""
        return await _move(request, me, session_id, "up", -1)

    @post("/down")
    async def down(self, request: Request, me: Me, session_id: FromPath[int]) -> Template | Redirect:
        """Move one speaker a place down."""
        return await _move(request, me, session_id, "down", 1)

    @post("/accept")
    async def accept(self, request: Request, me: Me, session_id: FromPath[int]) -> Template | Redirect:
        """Put one request at the end of the list."""
        return await _change_speaker(request, me, session_id, "accept", SpeakerForm,
                                     lambda _data: SpeakerChange(status="accepted"))

    @post("/requeue")
    async def requeue(self, request: Request, me: Me, session_id: FromPath[int]) -> Template | Redirect:
        """Take one speaker off the list, back among the requests."""
        return await _change_speaker(request, me, session_id, "requeue", SpeakerForm,
                                     lambda _data: SpeakerChange(status="requested"))

    @post("/absent")
    async def absent(self, request: Request, me: Me, session_id: FromPath[int]) -> Template | Redirect:
        """Mark one speaker absent."""
        return await _change_speaker(request, me, session_id, "absent", SpeakerForm,
                                     lambda _data: SpeakerChange(status="absent"))

    @post("/decline")
    async def decline(self, request: Request, me: Me, session_id: FromPath[int]) -> Template | Redirect:
        """Decline one request with the reason the requester reads."""
        return await _change_speaker(request, me, session_id, "decline", DeclineForm,
                                     lambda data: SpeakerChange(status="declined", reason=data.reason or None))

    @post("/spoke")
    async def spoke(self, request: Request, me: Me, session_id: FromPath[int]) -> Template | Redirect:
        """Mark one speaker as having spoken, with the minutes used if known."""
        return await _change_speaker(request, me, session_id, "spoke", SpokeForm,
                                     lambda data: SpeakerChange(status="spoke", minutes_used=data.minutes_used))

    @post("/minutes")
    async def minutes(self, request: Request, me: Me, session_id: FromPath[int]) -> Template | Redirect:
        """The minutes given to one speaker and the quotation for the summary."""
        return await _change_speaker(request, me, session_id, "minutes", MinutesForm,
                                     lambda data: SpeakerChange(minutes=data.minutes, quote=data.quote))

    @post("/settings")
    async def list_settings(self, request: Request, me: Me, session_id: FromPath[int]) -> Template | Redirect:
        """The deadline for requests (the session's local time), the slot, where it starts, the default minutes."""
        async def run(form: FormMultiDict, settings: Settings) -> None:
            data = read_form(form, ListSettingsForm)
            zone = (await Session.select(Session.timezone).where(Session.id == session_id).first())["timezone"]
            await speaker_decisions.update_settings(session_id, SpeakerListSettings(
                requests_close_at=_local_time(data.requests_close_at, zone), slot_minutes=data.slot_minutes,
                offset_minutes=data.offset_minutes, default_minutes=data.default_minutes,
            ), settings=settings)

        return await _answer(request, session_id, me, "settings", run)

    @post("/publish")
    async def publish(self, request: Request, me: Me, session_id: FromPath[int]) -> Template | Redirect:
        """Show the list on the session page."""
        return await _publish(request, me, session_id, "publish", True)

    @post("/unpublish")
    async def unpublish(self, request: Request, me: Me, session_id: FromPath[int]) -> Template | Redirect:
        """Withdraw the list from the session page."""
        return await _publish(request, me, session_id, "unpublish", False)


# --- What the events package shows: the published list, the speakers of a summary --------------------------

async def add_to_session_page(session_id: int, context: dict[str, Any], **_: Any) -> None:
    """On ``session_page_shown`` (server.app connects it): the session page shows the published list: names of
    those who consented to be listed, the others as their category and regional group."""
    listed = await speakers.public_list(session_id)
    if listed is not None:
        context["extras"]["speakers"] = [
            {**item, "label": item["name"] or describe(item["stakeholder_category"], item["regional_group"])}
            for item in listed
        ]


async def summary_speakers_labelled(session_id: int) -> list[dict[str, Any]]:
    """The speakers a summary lists (the summary mail, and the events package's summary page through server.app),
    each as a reader sees them: the name of those who consented to be recorded and quoted by name, the others as
    their category and regional group (``label``, in the current language)."""
    return [
        {**item, "label": item["name"] or describe(item["stakeholder_category"], item["regional_group"])}
        for item in await speakers.summary_speakers(session_id)
    ]
