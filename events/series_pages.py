"""The staff pages of series: the list, and the forms to create and edit one (admins), over ``events.series``."""

from __future__ import annotations

__all__ = ["StaffSeriesPages"]

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from piccolo.query.functions.aggregate import Count

from events import series
from events.forms import page_errors
from events.schemas import SeriesCreate, SeriesOut, SeriesUpdate
from events.tables import Session
from server.auth import Me, require_admin, require_staff
from server.errors import InvalidInput
from server.i18n import LANGUAGES, pick_text
from server.schemas import PathId
from server.validation import decode_form

#: Form fields: a title and a description per UN language.
TEXT_NAMES = ("title", "description")


def _form_values(form: Any) -> dict[str, str]:
    return {f"{name}_{lang}": (form.get(f"{name}_{lang}") or "").strip() for name in TEXT_NAMES for lang in LANGUAGES}


def _form_from_series(item: SeriesOut) -> dict[str, str]:
    return {f"{name}_{lang}": getattr(item, name).get(lang, "") for name in TEXT_NAMES for lang in LANGUAGES}


def _parse(values: dict[str, str], shape: type, current: SeriesOut | None = None) -> Any:
    """The form as the API's shape; texts in languages the form has no field for are kept."""
    payload = {}
    for name in TEXT_NAMES:
        kept = {lang: text for lang, text in (getattr(current, name) if current else {}).items()
                if lang not in LANGUAGES}
        payload[name] = {**kept, **{lang: values[f"{name}_{lang}"] for lang in LANGUAGES
                                    if values[f"{name}_{lang}"]}}
    return decode_form(payload, shape)




async def _session_counts() -> dict[int, int]:
    """Sessions per series, counted by the database."""
    rows = await Session.select(Session.series, Count(Session.id, alias="sessions")).where(
        Session.series.is_not_null()).group_by(Session.series)
    return {row["series"]: row["sessions"] for row in rows}


def _form_page(template_context: dict[str, Any], status_code: int = 200) -> Template:
    return Template("pages/staff/series_form.html", status_code=status_code,
                    context={"errors": {}, **template_context})


class StaffSeriesPages(Controller):
    path = "/staff/series"
    guards = [require_staff]
    include_in_schema = False

    @get("/")
    async def list_series(self, me: Me) -> Template:
        """Every series with its number of sessions; admins see the links to create and edit."""
        counts = await _session_counts()
        items = [{"id": item.id, "title": pick_text(item.title, "en"), "description": pick_text(item.description, "en"),
                  "sessions": counts.get(item.id, 0)} for item in await series.list_series()]
        return Template("pages/staff/series.html", context={"user": me, "items": items})

    @get("/new", guards=[require_admin])
    async def new_form(self, me: Me) -> Template:
        """An empty series form."""
        return _form_page({"user": me, "form": {}, "series_id": None})

    @post("/new", guards=[require_admin])
    async def create(self, request: Request, me: Me) -> Template | Redirect:
        """Create the series and go back to the list, or show the form again with the errors beside the fields."""
        values = _form_values(await request.form())
        try:
            await series.create_series(_parse(values, SeriesCreate))
        except InvalidInput as error:
            return _form_page({"user": me, "form": values, "series_id": None,
                               "errors": page_errors(error)}, status_code=422)
        return Redirect("/staff/series", status_code=303)

    @get("/{series_id:int}", guards=[require_admin])
    async def edit_form(self, me: Me, series_id: PathId) -> Template:
        """The series' form, filled in."""
        item = await series.get_series(series_id)
        return _form_page({"user": me, "form": _form_from_series(item),
                           "series_id": series_id})

    @post("/{series_id:int}", guards=[require_admin])
    async def update(self, request: Request, me: Me, series_id: PathId) -> Template | Redirect:
        """Save the series, or show the form again with the errors beside the fields."""
        values = _form_values(await request.form())
        try:
            current = await series.get_series(series_id)
            await series.update_series(series_id, _parse(values, SeriesUpdate, current))
        except InvalidInput as error:
            return _form_page({"user": me, "form": values, "series_id": series_id,
                               "errors": page_errors(error)}, status_code=422)
        return Redirect("/staff/series", status_code=303)
