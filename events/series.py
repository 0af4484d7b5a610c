"""Series of sessions: anyone reads them, admins make and change them."""

from __future__ import annotations

__all__ = ["create_series", "get_series", "list_series", "update_series"]

from msgspec import UNSET

from events.schemas import SeriesCreate, SeriesOut, SeriesUpdate
from events.tables import Series
from events.validation import canonical_texts, multilingual_errors
from server.errors import FieldError, InvalidInput, NotFound
from server.i18n import gettext as _


def _out(row: dict) -> SeriesOut:
    return SeriesOut(id=row["id"], title=row["title"], description=row["description"])


def _check(title: dict[str, str], description: dict[str, str]) -> None:
    errors: list[FieldError] = []
    if not any(text.strip() for text in title.values()):
        errors.append(FieldError("title", _("A title is required.")))
    errors += multilingual_errors("title", title) + multilingual_errors("description", description, multiline=True)
    if errors:
        raise InvalidInput("; ".join(f"{e.field}: {e.message}" for e in errors), errors)


async def _row(series_id: int) -> dict:
    row = await Series.select().where(Series.id == series_id).output(load_json=True).first()
    if row is None:
        raise NotFound(_("No series with id %(id)s.", id=series_id))
    return row


async def list_series() -> list[SeriesOut]:
    return [_out(row) for row in await Series.select().order_by(Series.id).output(load_json=True)]


async def get_series(series_id: int) -> SeriesOut:
    return _out(await _row(series_id))


async def create_series(data: SeriesCreate) -> SeriesOut:
    title, description = canonical_texts(data.title), canonical_texts(data.description)
    _check(title, description)
    rows = await Series.insert(Series(title=title, description=description)).returning(Series.id)
    return await get_series(rows[0]["id"])


async def update_series(series_id: int, data: SeriesUpdate) -> SeriesOut:
    row = await _row(series_id)
    title = row["title"] if data.title is UNSET else canonical_texts(data.title)
    description = row["description"] if data.description is UNSET else canonical_texts(data.description)
    _check(title, description)
    await Series.update({Series.title: title, Series.description: description}).where(Series.id == series_id)
    return await get_series(series_id)
