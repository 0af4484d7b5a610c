"""Languages: the six UN languages, gettext catalogs, the current locale and Babel formatting.

The current locale and time zone live in context variables, set per request by middleware and per
message by the mail worker, so code and templates translate without passing them around.
"""

from __future__ import annotations

__all__ = [
    "LANGUAGES",
    "RTL_LANGUAGES",
    "current_locale",
    "current_timezone",
    "format_datetime",
    "format_time_range",
    "language_name",
    "gettext",
    "lazy_gettext",
    "ngettext",
    "pick_text",
    "text_direction",
    "use_locale",
]

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel import dates as babel_dates
from babel.support import LazyProxy, NullTranslations, Translations

#: The six UN languages, in the UN's order of their English names.
LANGUAGES = ("ar", "zh", "en", "fr", "ru", "es")
RTL_LANGUAGES = frozenset({"ar"})
DEFAULT_LANGUAGE = "en"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_locale: contextvars.ContextVar[str] = contextvars.ContextVar("locale", default=DEFAULT_LANGUAGE)
_timezone: contextvars.ContextVar[str] = contextvars.ContextVar("timezone", default="UTC")


def current_locale() -> str:
    return _locale.get()


def current_timezone() -> str:
    return _timezone.get()


@contextmanager
def use_locale(language: str, timezone: str | None = None) -> Iterator[None]:
    """Translate and format in ``language`` (and ``timezone``) inside the block."""
    locale_token = _locale.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)
    tz_token = _timezone.set(timezone) if timezone else None
    try:
        yield
    finally:
        _locale.reset(locale_token)
        if tz_token is not None:
            _timezone.reset(tz_token)


def set_request_locale(language: str, timezone: str) -> None:
    """Set for the rest of the current request (middleware calls this once per request task)."""
    _locale.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)
    _timezone.set(timezone)


@cache
def translations(language: str) -> NullTranslations:
    """Compiled catalog for ``language``; English and missing catalogs fall back to the source strings."""
    return Translations.load(str(LOCALE_DIR), [language], domain="messages")


def gettext(message: str, **variables: object) -> str:
    text = translations(current_locale()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
    text = translations(current_locale()).ngettext(singular, plural, n)
    return text % {"num": n, **variables}


def lazy_gettext(message: str) -> LazyProxy:
    """For strings defined at import time (labels, enum names), translated when shown."""
    return LazyProxy(gettext, message, enable_cache=False)


def text_direction(language: str | None = None) -> str:
    return "rtl" if (language or current_locale()) in RTL_LANGUAGES else "ltr"


def pick_text(texts: dict[str, str] | None, fallback_language: str) -> tuple[str, str]:
    """A multilingual text in the current language, else the fallback (the floor language), else any.

    Returns ``(text, language)`` so pages can mark text shown in another language with ``lang``.
    """
    texts = texts or {}
    for language in (current_locale(), fallback_language, DEFAULT_LANGUAGE):
        if texts.get(language):
            return texts[language], language
    for language, text in texts.items():
        if text:
            return text, language
    return "", fallback_language


def _babel_locale() -> Locale:
    return Locale.parse(current_locale())


def format_datetime(value: datetime, timezone: str | None = None, format: str = "full_short") -> str:
    """A date and time in the current locale and ``timezone`` (default: the viewer's), zone named."""
    zone = ZoneInfo(timezone or current_timezone())
    local = value.astimezone(zone)
    locale = _babel_locale()
    day = babel_dates.format_date(local, format="full" if format == "full_short" else "medium", locale=locale)
    time = babel_dates.format_time(local, format="short", locale=locale)
    return f"{day}, {time} ({zone_label(zone.key, local)})"


def format_time_range(starts_at: datetime, ends_at: datetime, timezone: str | None = None) -> str:
    """``Tuesday 3 March 2026, 14:00–15:30 (Central European Time)`` in the current locale."""
    zone = ZoneInfo(timezone or current_timezone())
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    locale = _babel_locale()
    day = babel_dates.format_date(start, format="full", locale=locale)
    start_time = babel_dates.format_time(start, format="short", locale=locale)
    end_time = babel_dates.format_time(end, format="short", locale=locale)
    if start.date() != end.date():
        end_time = f"{babel_dates.format_date(end, format='medium', locale=locale)} {end_time}"
    return f"{day}, {start_time}–{end_time} ({zone_label(zone.key, start)})"


def zone_label(zone_key: str, moment: datetime) -> str:
    """The zone's IANA name with its UTC offset at that moment: ``Europe/Zurich, UTC+01:00``."""
    offset = moment.strftime("%z")
    return f"{zone_key}, UTC{offset[:3]}:{offset[3:]}"


def language_name(code: str) -> str:
    """A language's name in the current locale (``fr`` → ``French`` in English, ``français`` in French)."""
    try:
        return Locale.parse(code.replace("-", "_")).get_display_name(_babel_locale()) or code
    except (ValueError, TypeError):
        return code
