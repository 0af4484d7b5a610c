"""Human, translated names for the codes sessions use (kinds, regions, audiences, statuses, provisions)."""

from __future__ import annotations

__all__ = [
    "AUDIENCES",
    "KINDS",
    "OVERLAP_REASONS",
    "PROVISIONS",
    "REGIONS",
    "STATUSES",
    "label",
    "sign_language_choices",
    "sign_language_name",
]

import gettext
from functools import cache

import pycountry

from events.schemas import Provision
from server.i18n import current_locale
from server.i18n import lazy_gettext as _l

KINDS = {
    "webinar": _l("Webinar"),
    "listening_session": _l("Listening session"),
    "regional_review": _l("Regional review"),
    "briefing": _l("Briefing"),
    "meeting": _l("Meeting"),
}
REGIONS = {
    "global": _l("Global"),
    "ECA": _l("Economic Commission for Africa (ECA)"),
    "ECE": _l("Economic Commission for Europe (ECE)"),
    "ECLAC": _l("Economic Commission for Latin America and the Caribbean (ECLAC)"),
    "ESCAP": _l("Economic and Social Commission for Asia and the Pacific (ESCAP)"),
    "ESCWA": _l("Economic and Social Commission for Western Asia (ESCWA)"),
}
AUDIENCES = {
    "open": _l("Open to all"),
    "approval": _l("Registration subject to approval"),
    "invitation": _l("By invitation only"),
}
STATUSES = {
    "draft": _l("Draft"),
    "published": _l("Published"),
    "cancelled": _l("Cancelled"),
    "completed": _l("Completed"),
}
#: Why an overlap is worth a warning (``ConflictWarning.reason``).
OVERLAP_REASONS = {
    "same_series": _l("same series"),
    "same_organiser": _l("an organiser in common"),
}
PROVISIONS = {
    Provision.captions_cart.value: _l("Real-time human captioning (CART)"),
    Provision.captions_auto.value: _l("Automatic captions"),
    Provision.international_sign.value: _l("International Sign interpretation"),
    Provision.national_sign_language.value: _l("National sign language interpretation"),
    Provision.accessible_documents.value: _l("Accessible documents"),
    Provision.easy_read.value: _l("Easy Read documents"),
    Provision.other.value: _l("Other accessibility support"),
}


def label(labels: dict, code: str) -> str:
    """The translated label of ``code``, or the code itself when it has none."""
    return str(labels[code]) if code in labels else code


#: Where pycountry keeps a UN language's translations of ISO 639-3 names, when it is not the code itself.
_PYCOUNTRY_LOCALES = {"zh": "zh_CN"}


def sign_language_name(code: str) -> str:
    """An ISO 639-3 sign language's name in the current locale (pycountry's translations, which CLDR lacks for
    most sign languages), else in English, else the code."""
    name = _iso639_name(code)
    return _iso639_translations(current_locale()).gettext(name) if name else code


def sign_language_choices() -> list[tuple[str, str]]:
    """Every sign language of ISO 639-3 as ``(code, name)``, sorted by its name in the current locale."""
    names = [(code, sign_language_name(code)) for code in _sign_language_codes()]
    return sorted(names, key=lambda choice: choice[1].casefold())


@cache
def _sign_language_codes() -> tuple[str, ...]:
    return tuple(language.alpha_3 for language in pycountry.languages if "Sign Language" in language.name)


@cache
def _iso639_name(code: str) -> str | None:
    language = pycountry.languages.get(alpha_3=code)
    return language.name if language else None


@cache
def _iso639_translations(language: str) -> gettext.NullTranslations:
    return gettext.translation(
        "iso639-3", pycountry.LOCALES_DIR, languages=[_PYCOUNTRY_LOCALES.get(language, language)], fallback=True
    )
