"""The one rule on dates people enter, and the guard on dates the database gives back.

A person may enter dates from the year 2000 to the year 2100, as written (in the zone or offset they wrote it
in): nothing a secretariat schedules lies outside, and every such date can be moved into any time zone, shown,
put in a calendar and compared without overflowing (PostgreSQL stores 9999-12-31T23:59:59.999999Z as
``infinity``, year 1 as ``-infinity``; Python cannot show year 9999 in a zone ahead of UTC).

Reading is guarded too: whatever a row holds (``infinity``, a naive time, a year no one meant), what comes back
is an aware UTC datetime between 1900 and 2200, so one bad row cannot take pages, listings, feeds or mail down.
"""

from __future__ import annotations

__all__ = [
    "EARLIEST_YEAR", "LATEST_YEAR", "READ_CEILING", "READ_FLOOR", "date_range_error", "readable", "readable_from_text",
]

from datetime import UTC, date, datetime

from server.i18n import gettext as _

#: The first and last year a person may enter (API bodies and filters, staff forms).
EARLIEST_YEAR = 2000
LATEST_YEAR = 2100
#: What reading a stored time yields at worst: far beyond what anyone enters, far inside what Python can shift.
READ_FLOOR = datetime(1900, 1, 1, tzinfo=UTC)
READ_CEILING = datetime(2200, 1, 1, tzinfo=UTC)


def date_range_error(value: date | None) -> str | None:
    """Why a date or time someone entered is refused (its year, as written, is outside 2000..2100), in the
    current language; None when it is fine or absent."""
    if value is None or EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        return None
    return _("Must be between the years %(earliest)s and %(latest)s.", earliest=str(EARLIEST_YEAR),
             latest=str(LATEST_YEAR))


def readable(value: datetime) -> datetime:
    """A stored time as the app may use it: aware, in UTC, held between 1900 and 2200 (a naive one is UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if value <= READ_FLOOR:
        return READ_FLOOR
    if value >= READ_CEILING:
        return READ_CEILING
    return value.astimezone(UTC)


def readable_from_text(text: str) -> datetime:
    """A time stored as text (SQLite) as ``readable`` gives it; ``infinity`` and ``-infinity`` included."""
    word = text.strip().lower()
    if word in ("infinity", "+infinity"):
        return READ_CEILING
    if word == "-infinity":
        return READ_FLOOR
    return readable(datetime.fromisoformat(text))
