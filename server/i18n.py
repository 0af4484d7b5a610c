"""Languages: the six UN languages, gettext catalogs, the current locale and Babel formatting.

The current locale and time zone live in context variables, set per request by middleware and per
message by the mail worker, so code and templates translate without passing them around.
"""

from __future__ import annotations

__all__ = [
    "LANGUAGES",
    "RTL_LANGUAGES",
    "autonym",
    "bdi",
    "bdi_link",
    "bidi_isolate",
    "current_locale",
    "current_timezone",
    "format_date",
    "format_datetime",
    "format_list",
    "format_number",
    "format_time_range",
    "install_jinja",
    "lang_attrs",
    "language_choices",
    "language_name",
    "ltr",
    "ltr_isolate",
    "language_note",
    "gettext",
    "lazy_gettext",
    "ngettext",
    "pick_text",
    "text_direction",
    "translate",
    "translate_plural",
    "use_locale",
]

import contextvars
import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel import dates as babel_dates
from babel import lists as babel_lists
from babel import numbers as babel_numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import LazyProxy, NullTranslations, Translations
from jinja2 import Environment, pass_context, pass_eval_context
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from markupsafe import Markup, escape

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
    """Compiled catalog for ``language``; English and missing catalogs fall back to the source strings.

    ``make install`` compiles the ``.mo`` files; a checkout where a ``.po`` is newer than its ``.mo`` (or has
    none) reads the ``.po`` instead, so a developer never sees stale translations.
    """
    mo_path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.mo"
    po_path = mo_path.with_suffix(".po")
    if po_path.exists() and (not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime):
        return _translations_from_po(po_path, language)
    return Translations.load(str(LOCALE_DIR), [language], domain="messages")


def _translations_from_po(po_path: Path, language: str) -> Translations:
    with po_path.open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)  # leaves out fuzzy entries, as pybabel compile does
    compiled.seek(0)
    return Translations(compiled, domain="messages")


def translate(message: str) -> str:
    """The translation of ``message`` in the current language, unformatted (Jinja formats it itself)."""
    return translations(current_locale()).gettext(message)


def translate_plural(singular: str, plural: str, n: int) -> str:
    """The plural form for ``n`` in the current language, unformatted (Jinja formats it itself)."""
    return translations(current_locale()).ngettext(singular, plural, n)


@pass_context
def _jinja_ngettext(context: Context, singular: str, plural: str, num: int, **variables: object) -> str:
    # Jinja's own newstyle ngettext passes ``num`` unformatted; ours gives the locale's digits, as ngettext() does.
    text = translate_plural(singular, plural, num)
    if context.eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 -- our own catalog, as Jinja trusts it; the values are escaped
    variables.setdefault("num", format_number(num))
    return text % variables


def install_jinja(env: Environment) -> None:
    """Newstyle gettext in templates (``{{ _("Hello %(name)s", name=x) }}``, values autoescaped) and the
    ``bdi`` and ``bdi_link`` filters that isolate inserted names, emails and URLs."""
    env.install_gettext_callables(translate, translate_plural, newstyle=True)  # type: ignore[attr-defined]
    env.globals["ngettext"] = _jinja_ngettext
    env.filters["bdi"] = bdi
    env.filters["bdi_link"] = bdi_link
    env.filters["ltr"] = ltr


def gettext(message: str, **variables: object) -> str:
    text = translate(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
    """Plural form for ``n``; ``%(num)s`` in the message is ``n`` formatted for the locale."""
    text = translate_plural(singular, plural, n)
    return text % {"num": format_number(n), **variables}


def lazy_gettext(message: str) -> LazyProxy:
    """For strings defined at import time (labels, enum names), translated when shown."""
    return LazyProxy(gettext, message, enable_cache=False)


def text_direction(language: str | None = None) -> str:
    return "rtl" if (language or current_locale()) in RTL_LANGUAGES else "ltr"


def bidi_isolate(text: str) -> str:
    """``text`` between Unicode isolates (FSI…PDI) for plain-text output: a Latin name, an email or a URL
    inside an Arabic sentence keeps its own direction and does not reorder the words around it."""
    return f"\u2068{text}\u2069"


@pass_eval_context
def bdi(eval_ctx: EvalContext, value: object) -> Markup | str:
    """Jinja filter: ``{{ _("Registered as %(name)s", name=person.name|bdi) }}`` isolates the inserted value:
    in HTML with ``<bdi>`` (escaped), the element made for text of unknown direction; in plain text (mail's
    text part, rendered without autoescape) with Unicode isolates when the language reads right to left."""
    if eval_ctx.autoescape:
        return Markup("<bdi>%s</bdi>") % escape(value)
    return bidi_isolate(str(value)) if text_direction() == "rtl" else str(value)


def ltr_isolate(text: str) -> str:
    """``text`` between LRI…PDI for right-to-left plain text: digits, phone numbers, codes, emails and URLs
    read left to right whole (``123 456 789`` stays so, not ``789 456 123``)."""
    return f"\u2066{text}\u2069"


@pass_eval_context
def ltr(eval_ctx: EvalContext, value: object) -> Markup | str:
    """Jinja filter for a value that always reads left to right (a meeting ID, a phone number, an email, a URL):
    ``<bdi dir="ltr">`` in HTML; in right-to-left plain text, between LRI and PDI."""
    if eval_ctx.autoescape:
        return Markup('<bdi dir="ltr">%s</bdi>') % escape(value)
    return ltr_isolate(str(value)) if text_direction() == "rtl" else str(value)


@pass_eval_context
def bdi_link(eval_ctx: EvalContext, value: object) -> Markup | str:
    """``bdi`` for a URL in a sentence: in right-to-left plain text a space ends the URL before the closing
    isolate, so mail programs that turn text into links do not take the invisible mark into the address."""
    if eval_ctx.autoescape or text_direction() != "rtl":
        return bdi(eval_ctx, value)
    return bidi_isolate(f"{value} ")


def lang_attrs(language: str | None) -> Markup:
    """`` lang="…" dir="…"`` for text in another language than the page's (nothing when it is the page's):
    screen readers switch voice, and an English title keeps its punctuation in place on an Arabic page."""
    if not language or language == current_locale():
        return Markup("")
    return Markup(' lang="%s" dir="%s"') % (language, text_direction(language.split("-")[0]))


def language_note(language: str | None) -> Markup:
    """A visible ``(in English)`` after text shown in another language than the page's, e.g. the floor language
    when the organisers wrote no version in the viewer's language."""
    if not language or language == current_locale():
        return Markup("")
    note = gettext("(in %(language)s)", language=language_name(language))
    return Markup(' <span class="language-note">%s</span>') % note


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


def format_number(value: int | float | Decimal) -> str:
    """A number with the locale's digits and separators (``1,234.5``; ``1 234,5`` in French)."""
    return babel_numbers.format_decimal(value, locale=_babel_locale())


def format_list(items: Iterable[object], style: str = "standard") -> str:
    """``A, B and C`` in the locale's words (``A، وB وC`` in Arabic); ``style="or"`` for alternatives."""
    return babel_lists.format_list([str(item) for item in items], style=style, locale=_babel_locale())


def format_date(value: date | datetime, timezone: str | None = None, format: str = "long") -> str:
    """A date in the current locale; an aware datetime is first moved into ``timezone`` (default: the viewer's)."""
    if isinstance(value, datetime):
        value = value.astimezone(ZoneInfo(timezone or current_timezone())).date()
    return babel_dates.format_date(value, format=format, locale=_babel_locale())


def format_datetime(value: datetime, timezone: str | None = None, format: str = "full_short") -> str:
    """A date and time in the current locale and ``timezone`` (default: the viewer's), zone named."""
    zone = ZoneInfo(timezone or current_timezone())
    local = value.astimezone(zone)
    locale = _babel_locale()
    day = babel_dates.format_date(local, format="full" if format == "full_short" else "medium", locale=locale)
    time = babel_dates.format_time(local, format="short", locale=locale)
    return f"{_join_date_time(locale, day, time)} ({zone_label(zone.key, local)})"


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
    return f"{_join_date_time(locale, day, f'{start_time}–{end_time}')} ({zone_label(zone.key, start)})"


def _join_date_time(locale: Locale, day: str, time: str) -> str:
    """Date and time joined the locale's way (``{1}, {0}`` in English, ``{1}، {0}`` in Arabic, a space in Chinese)."""
    return locale.datetime_formats["medium"].format(time, day)


def zone_label(zone_key: str, moment: datetime) -> str:
    """The zone's IANA name with its UTC offset at that moment: ``Europe/Zurich, UTC+01:00``.

    In a right-to-left language the Latin label is isolated so it keeps its order inside the sentence.
    """
    offset = moment.strftime("%z")
    label = f"{zone_key}, UTC{offset[:3]}:{offset[3:]}"
    return bidi_isolate(label) if text_direction() == "rtl" else label


def language_name(code: str) -> str:
    """A language's name in the current locale (``fr`` → ``French`` in English, ``français`` in French)."""
    try:
        return Locale.parse(code.replace("-", "_")).get_display_name(_babel_locale()) or code
    except (ValueError, TypeError):
        return code


@cache
def _language_choices(language: str) -> list[tuple[str, str]]:
    locale = Locale.parse(language)
    names = {code: name for code, name in locale.languages.items() if len(code) == 2}
    return sorted(names.items(), key=lambda choice: choice[1].casefold())


def language_choices() -> list[tuple[str, str]]:
    """Every language with a two-letter code (ISO 639-1) that CLDR names, as ``(code, name)``, sorted by its
    name in the reader's language."""
    return _language_choices(current_locale())


def autonym(code: str) -> str:
    """A language's name in itself, as a language switcher shows it: ``العربية``, ``中文``, ``Français``."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]
