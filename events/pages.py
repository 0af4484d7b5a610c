"""HTML pages: the public list and session page, and the staff pages to create, edit and run sessions."""

from __future__ import annotations

__all__ = ["PublicPages", "StaffSessionPages", "session_page_context", "session_view"]

from datetime import datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from events import queries, services
from events.access import can_manage, managed_session_ids
from events.forms import (
    form_from_session,
    form_values,
    page_errors,
    parse_reschedule,
    parse_session_form,
    setting_defaults,
)
from events.labels import (
    AUDIENCES,
    KINDS,
    OVERLAP_REASONS,
    PROVISIONS,
    REGIONS,
    STATUSES,
    label,
    sign_language_choices,
    sign_language_name,
)
from events.queries import PUBLIC_STATUSES, ListFilters, conflict_warnings, effective_status, load_row, now
from events.schemas import SessionOut, SessionPublicOut
from events.tables import Series, Session
from server import signals
from server.auth import Me, StaffUser, require_session_manager, require_staff
from server.errors import InvalidInput
from server.i18n import (
    current_timezone,
    format_datetime,
    format_list,
    format_time_range,
    language_name,
    pick_text,
)
from server.i18n import gettext as _
from server.schemas import PathId, QueryOffset
from server.tables import User

PAGE_SIZE = 20


async def _series_titles() -> dict[int, dict[str, str]]:
    rows = await Series.select(Series.id, Series.title).output(load_json=True)
    return {row["id"]: row["title"] for row in rows}


def _registration_state(session: SessionPublicOut, status: str) -> tuple[bool, str]:
    """Whether registration is open now, and a sentence saying so."""
    window = queries.RegistrationWindow(session.registration_opens_at, session.registration_closes_at)
    phase = window.phase(status, now())
    if phase is queries.RegistrationPhase.not_yet:
        return False, _("Registration opens on %(when)s.", when=format_datetime(session.registration_opens_at))
    if phase is not queries.RegistrationPhase.open:
        return False, _("Registration is closed.")
    return True, _("Registration is open until %(when)s.", when=format_datetime(session.registration_closes_at))


def session_view(session: SessionPublicOut, series_titles: dict[int, dict[str, str]]) -> dict[str, Any]:
    """What the templates show of a session, already translated and formatted for the viewer."""
    title, title_lang = pick_text(session.title, session.floor_language)
    description, description_lang = pick_text(session.description, session.floor_language)
    series = pick_text(series_titles.get(session.series_id or 0), session.floor_language)
    places_left = None if session.capacity is None else max(session.capacity - session.seats_taken, 0)
    registration_open, registration_state = _registration_state(session, session.status)
    return {
        "id": session.id, "title": title, "title_lang": title_lang,
        "description": description, "description_lang": description_lang,
        "kind": session.kind, "kind_label": label(KINDS, session.kind),
        "series_id": session.series_id, "series_title": series[0], "series_title_lang": series[1],
        "region": session.region, "region_label": label(REGIONS, session.region),
        "audience": session.audience, "audience_label": label(AUDIENCES, session.audience),
        "status": session.status, "status_label": label(STATUSES, session.status),
        "timezone": session.timezone, "starts_at": session.starts_at, "ends_at": session.ends_at,
        "time_local": format_time_range(session.starts_at, session.ends_at, session.timezone),
        "time_viewer": format_time_range(session.starts_at, session.ends_at, current_timezone()),
        "same_zone": session.timezone == current_timezone(),
        "floor_language": session.floor_language, "floor_language_name": language_name(session.floor_language),
        "interpretation_languages": session.interpretation_languages,
        "interpretation_names": [(code, language_name(code)) for code in session.interpretation_languages],
        "accessibility_provisions": session.accessibility_provisions,
        "provision_labels": [(code, label(PROVISIONS, code)) for code in session.accessibility_provisions],
        "sign_languages": session.sign_languages,
        "sign_language_names": [sign_language_name(code) for code in session.sign_languages],
        "capacity": session.capacity, "places_left": places_left, "seats_taken": session.seats_taken,
        "venue": session.venue, "in_person_capacity": session.in_person_capacity,
        "registration_open": registration_open, "registration_state": registration_state,
        "agenda": [
            dict(zip(("title", "title_lang"), pick_text(item.title, session.floor_language), strict=True),
                 speakers=item.speakers, minutes=item.minutes, position=item.position)
            for item in session.agenda
        ],
    }


async def session_page_context(session_id: int) -> dict[str, Any]:
    """The context of ``pages/session.html`` for a public session (NotFound for drafts).

    The registrations package re-renders the page with ``form`` and ``form_errors`` added, and adds what it shows
    there (the published speakers' list and written inputs) on ``session_page_shown``.
    """
    session = await queries.read_session(session_id, None)
    # Other packages add what they show on the page (registrations: the published speakers' list, under
    # ``extras``, and the published written inputs).
    context = {"session": session_view(session, await _series_titles()), "form": {}, "form_errors": {}, "extras": {}}
    await signals.send("session_page_shown", session_id=session_id, context=context)
    return context


def _choices() -> dict[str, Any]:
    return {"kinds": KINDS, "regions": REGIONS, "audiences": AUDIENCES, "provisions": PROVISIONS,
            "sign_language_choices": sign_language_choices()}


class PublicPages(Controller):
    include_in_schema = False

    @get("/")
    async def index(
        self,
        kind: Annotated[str | None, QueryParameter(max_length=32)] = None,
        region: Annotated[str | None, QueryParameter(max_length=8)] = None,
        language: Annotated[str | None, QueryParameter(max_length=35)] = None,
        offset: QueryOffset = 0,
    ) -> Template:
        """Upcoming published sessions, filtered by kind, region and language."""
        filters = ListFilters(kind=kind or None, region=region or None, language=language or None,
                              upcoming_only=True)
        listing = await queries.list_public_sessions(filters, limit=PAGE_SIZE, offset=offset)
        titles = await _series_titles()
        return Template("pages/index.html", context={
            "sessions": [session_view(item, titles) for item in listing.items], "total": listing.total,
            "offset": offset, "page_size": PAGE_SIZE, "filters": filters, **_choices(),
        })

    @get("/sessions/{session_id:int}")
    async def session_page(
        self, session_id: PathId, invitation: Annotated[str, QueryParameter(max_length=500)] = ""
    ) -> Template:
        """One published session: times, agenda, languages and accessibility offered, how to register. The link in
        an invitation mail adds ``?invitation=<token>``, which the registration form carries (the registration
        checks it)."""
        context = await session_page_context(session_id)
        context["form"] = {"invitation": invitation} if invitation else {}
        return Template("pages/session.html", context=context)


async def _organiser_choices(user: StaffUser) -> list[dict]:
    if not user.is_admin:
        return []
    return await User.select(User.id, User.name, User.email).where(User.active == True).order_by(User.id)  # noqa: E712


async def _managed_rows(user: StaffUser) -> list[dict[str, Any]]:
    ids = await managed_session_ids(user)
    query = Session.select().output(load_json=True).order_by(Session.starts_at, ascending=False)
    if ids is not None:
        if not ids:
            return []
        query = query.where(Session.id.is_in(ids))
    return [{"row": row, "title": pick_text(row["title"], row["floor_language"]),
             "status_label": label(STATUSES, effective_status(row)),
             "time": format_time_range(row["starts_at"], row["ends_at"], row["timezone"])} for row in await query]


async def _form_context(user: StaffUser, **context: Any) -> dict[str, Any]:
    series = [{"id": sid, "title": pick_text(title, "en")[0]} for sid, title in (await _series_titles()).items()]
    return {"user": user, "series": series, "organisers": await _organiser_choices(user), "form": {},
            "errors": {}, **_choices(), **context}


async def _overlaps(user: StaffUser, session_id: int) -> list[dict[str, Any]]:
    """The sessions this one overlaps (same series or an organiser in common), as the detail page warns of them.

    Another session's title is shown when the viewer manages it or it is public; a draft of someone else's is
    named by its number only."""
    reasons: dict[int, list[str]] = {}
    for warning in await conflict_warnings(session_id):
        reasons.setdefault(warning.session_id, []).append(label(OVERLAP_REASONS, warning.reason))
    if not reasons:
        return []
    rows = await Session.select(
        Session.id, Session.title, Session.floor_language, Session.starts_at, Session.ends_at, Session.timezone,
        Session.status,
    ).where(Session.id.is_in(sorted(reasons))).order_by(Session.starts_at).order_by(Session.id).output(load_json=True)
    overlaps = []
    for row in rows:
        manages = await can_manage(user, row["id"])
        title, title_lang = pick_text(row["title"], row["floor_language"])
        if not manages and row["status"] not in PUBLIC_STATUSES:
            title, title_lang = _("Session %(id)s", id=row["id"]), None
        overlaps.append({
            "id": row["id"], "title": title, "title_lang": title_lang, "manages": manages,
            "time": format_time_range(row["starts_at"], row["ends_at"], row["timezone"]),
            "reasons": format_list(reasons[row["id"]]),
        })
    return overlaps


async def _detail_context(user: StaffUser, session_id: int, **context: Any) -> dict[str, Any]:
    session = await queries.staff_view(session_id)
    row = await load_row(session_id)
    explicit = (row["registration_opens_at"], row["registration_closes_at"])
    view = session_view(session, await _series_titles())
    form = form_from_session(session, explicit)
    status = effective_status(row)
    upcoming = status in (Session.Status.draft.value, Session.Status.published.value)
    base = {"session": session, "view": view, "status": status, "started": row["starts_at"] <= now(),
            "overlaps": await _overlaps(user, session_id) if upcoming else [], "form": form,
            "reschedule_errors": {}, "reschedule_form": {"starts_at": form["starts_at"], "ends_at": form["ends_at"]}}
    return await _form_context(user, **{**base, **context})


class StaffSessionPages(Controller):
    path = "/staff/sessions"
    guards = [require_staff]
    include_in_schema = False

    @get("/")
    async def list_sessions(self, me: Me) -> Template:
        """The sessions this staff member may manage, latest first."""
        return Template("pages/staff/sessions.html", context={"user": me, "sessions": await _managed_rows(me)})

    @get("/new")
    async def new_form(self, me: Me) -> Template:
        """An empty session form."""
        defaults = {"timezone": current_timezone(), "floor_language": "en", "kind": "webinar",
                    "audience": "open", "region": "global", **setting_defaults()}
        return Template("pages/staff/sessions_new.html", context=await _form_context(me, form=defaults))

    @post("/new")
    async def create(self, request: Request, me: Me) -> Template | Redirect:
        """Create a draft from the form, or show the form again with the errors beside the fields."""
        form = await request.form()
        try:
            session = await services.create_session(me, parse_session_form(form, is_admin=me.is_admin))
        except InvalidInput as error:
            return Template("pages/staff/sessions_new.html", status_code=422, context=await _form_context(
                me, form=_refill(form), errors=page_errors(error)))
        return Redirect(f"/staff/sessions/{session.id}", status_code=303)

    @get("/{session_id:int}", guards=[require_session_manager])
    async def detail(self, me: Me, session_id: PathId) -> Template:
        """One session: its state, the lifecycle buttons, the edit and reschedule forms."""
        return Template("pages/staff/sessions_detail.html", context=await _detail_context(me, session_id))

    @post("/{session_id:int}", guards=[require_session_manager])
    async def update(self, request: Request, me: Me, session_id: PathId) -> Template | Redirect:
        """Save the edit form, or show it again with the errors beside the fields."""
        form = await request.form()
        try:
            data = parse_session_form(form, is_admin=me.is_admin, current=await queries.staff_view(session_id))
            await services.update_session(me, session_id, data)
        except InvalidInput as error:
            return Template("pages/staff/sessions_detail.html", status_code=422, context=await _detail_context(
                me, session_id, form=_refill(form), errors=page_errors(error)))
        return Redirect(f"/staff/sessions/{session_id}", status_code=303)

    @post("/{session_id:int}/reschedule", guards=[require_session_manager])
    async def reschedule(self, request: Request, me: Me, session_id: PathId) -> Template | Redirect:
        """Move the session to the new times given in its own zone."""
        form = await request.form()
        zone = (await load_row(session_id))["timezone"]
        try:
            await services.reschedule(me, session_id, parse_reschedule(form, zone))
        except InvalidInput as error:
            return Template("pages/staff/sessions_detail.html", status_code=422, context=await _detail_context(
                me, session_id, reschedule_errors=page_errors(error),
                reschedule_form={"starts_at": form.get("starts_at", ""), "ends_at": form.get("ends_at", "")}))
        return Redirect(f"/staff/sessions/{session_id}", status_code=303)

    @get("/{session_id:int}/duplicate", guards=[require_session_manager])
    async def duplicate_form(self, request: Request, session_id: PathId) -> Template:
        """Ask for the copy's start and end in the session's zone (a week after the original, to begin with)."""
        session = await queries.staff_view(session_id)
        week_later = {name: _local_input(getattr(session, name) + timedelta(days=7), session.timezone)
                      for name in ("starts_at", "ends_at")}
        return await _duplicate_page(session, week_later)

    @post("/{session_id:int}/duplicate", guards=[require_session_manager])
    async def duplicate(self, request: Request, me: Me, session_id: PathId) -> Template | Redirect:
        """Make the draft copy and open it, or show the form again with the errors beside the fields."""
        form = await request.form()
        session = await queries.staff_view(session_id)
        try:
            copy = await services.duplicate_session(me, session_id, parse_reschedule(form, session.timezone))
        except InvalidInput as error:
            texts = {name: (form.get(name) or "").strip() for name in ("starts_at", "ends_at")}
            return await _duplicate_page(session, texts, page_errors(error), status_code=422)
        return Redirect(f"/staff/sessions/{copy.id}", status_code=303)

    @post("/{session_id:int}/publish", guards=[require_session_manager])
    async def publish(self, me: Me, session_id: PathId) -> Redirect:
        """The Publish button."""
        await services.publish(me, session_id)
        return Redirect(f"/staff/sessions/{session_id}", status_code=303)

    @post("/{session_id:int}/complete", guards=[require_session_manager])
    async def complete(self, me: Me, session_id: PathId) -> Redirect:
        """The Mark completed button."""
        await services.complete(me, session_id)
        return Redirect(f"/staff/sessions/{session_id}", status_code=303)


def _local_input(value: datetime, zone: str) -> str:
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


async def _duplicate_page(session: SessionOut, form: dict[str, str], errors: dict[str, str] | None = None,
                          status_code: int = 200) -> Template:
    view = session_view(session, await _series_titles())
    return Template("pages/staff/sessions_duplicate.html", status_code=status_code, context={
        "session": session, "view": view, "form": form, "errors": errors or {}})


def _refill(form: Any) -> dict[str, Any]:
    return {name: "" if value is None else value for name, value in form_values(form).items()}


