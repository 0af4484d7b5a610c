"""Rules on a session's fields that a type cannot say: real zones and language codes, end after start.

Each check returns field errors instead of raising, so a form shows every problem at once.
"""

from __future__ import annotations

__all__ = ["canonical_language", "canonical_texts", "is_language_code", "is_sign_language", "session_errors"]

import re
from datetime import datetime
from functools import cache

import pycountry

from server.dates import date_range_error
from server.errors import FieldError
from server.i18n import gettext as _
from server.timezones import timezone_error
from server.validation import is_web_link, text_error
from server.web import valid_timezone

# BCP 47 shape: a 2–3 letter primary subtag, then subtags of 1–8 letters or digits (script, region, variant).
_BCP47 = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*\Z")


@cache
def is_language_code(code: str) -> bool:
    """A BCP 47 tag whose primary subtag is a real ISO 639 language."""
    if not _BCP47.match(code):
        return False
    primary = code.split("-")[0].lower()
    found = pycountry.languages.get(alpha_2=primary) if len(primary) == 2 else pycountry.languages.get(alpha_3=primary)
    return found is not None


def canonical_language(code: str) -> str:
    """A BCP 47 tag in its conventional case (RFC 5646 §2.1.1): ``EN`` → ``en``, ``ZH-HANS`` → ``zh-Hans``,
    ``pt-br`` → ``pt-BR``, ``ES-419`` → ``es-419``; codes are compared and stored this way."""
    primary, *subtags = code.split("-")
    cased = [primary.lower()]
    for position, subtag in enumerate(subtags, start=1):
        if position == 1 and len(subtag) == 4 and subtag.isalpha():
            cased.append(subtag.title())  # script
        elif len(subtag) == 2 and subtag.isalpha() or len(subtag) == 3 and subtag.isdigit():
            cased.append(subtag.upper())  # region
        else:
            cased.append(subtag.lower())
    return "-".join(cased)


def canonical_texts(texts: dict[str, str]) -> dict[str, str]:
    """A multilingual text keyed by canonical codes."""
    return {canonical_language(code): text for code, text in texts.items()}


@cache
def is_sign_language(code: str) -> bool:
    """An ISO 639-3 code of a sign language (``ase``, ``bfi``, ``fsl``…)."""
    found = pycountry.languages.get(alpha_3=code.lower()) if len(code) == 3 else None
    return found is not None and "sign language" in found.name.lower()


def multilingual_errors(field: str, texts: dict[str, str] | None, *, multiline: bool = False) -> list[FieldError]:
    """A multilingual text's problems: keys that are no language code, texts with control characters (and line
    breaks, unless ``multiline``)."""
    bad = [key for key in (texts or {}) if not is_language_code(key)]
    if bad:
        return [FieldError(field, _("Unknown language code: %(codes)s.", codes=", ".join(sorted(bad))))]
    for text in (texts or {}).values():
        if message := text_error(text, multiline=multiline):
            return [FieldError(field, message)]
    return []


def _text_errors(values: dict) -> list[FieldError]:
    """Control characters in the session's other free texts (the join details come as JoinDetails from the API,
    as a dict from the staff form)."""
    join = values.get("join")

    def join_text(name: str) -> str:
        return (join.get(name) if isinstance(join, dict) else getattr(join, name, "")) or ""

    texts = [("venue", values.get("venue"), True), ("join.meeting_id", join_text("meeting_id"), False),
             ("join.passcode", join_text("passcode"), False), ("join.dial_in", join_text("dial_in"), True)]
    return [FieldError(field, message) for field, text, multiline in texts
            if (message := text_error(text, multiline=multiline))]


def _language_list_errors(field: str, codes: list[str]) -> list[FieldError]:
    bad = [code for code in codes if not is_language_code(code)]
    if bad:
        return [FieldError(field, _("Unknown language code: %(codes)s.", codes=", ".join(bad)))]
    return []


TIME_FIELDS = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")


def _time_errors(values: dict) -> list[FieldError]:
    """Times missing (a form whose zone or date could not be read) are not compared, nor are times out of the
    range people may enter (``server.dates``), which are refused first."""
    errors = [FieldError(name, message) for name in TIME_FIELDS
              if (message := date_range_error(values.get(name)))]
    if errors:
        return errors
    starts_at: datetime | None = values.get("starts_at")
    ends_at: datetime | None = values.get("ends_at")
    if starts_at and ends_at and ends_at <= starts_at:
        errors.append(FieldError("ends_at", _("The end must be after the start.")))
    opens_at: datetime | None = values.get("registration_opens_at")
    closes_at: datetime | None = values.get("registration_closes_at")
    if opens_at and (closes_at or starts_at) and opens_at >= (closes_at or starts_at):
        errors.append(FieldError("registration_opens_at", _("Registration must open before it closes.")))
    if closes_at and ends_at and closes_at > ends_at:
        errors.append(FieldError("registration_closes_at", _("Registration must close before the session ends.")))
    return errors


def _provision_errors(values: dict) -> list[FieldError]:
    provisions = [str(getattr(p, "value", p)) for p in values.get("accessibility_provisions", [])]
    sign_languages = values.get("sign_languages", [])
    bad = [code for code in sign_languages if not is_sign_language(code)]
    if bad:
        return [FieldError("sign_languages", _("Not an ISO 639-3 sign language code: %(codes)s.",
                                               codes=", ".join(bad)))]
    if "national_sign_language" in provisions and not sign_languages:
        return [FieldError("sign_languages", _("Name the national sign language offered (ISO 639-3 code)."))]
    if sign_languages and "national_sign_language" not in provisions:
        return [FieldError("accessibility_provisions",
                           _("Sign languages need the national_sign_language provision."))]
    return []


def session_errors(values: dict) -> list[FieldError]:
    """Every problem with a session's complete set of values (after a create or a merged update); the staff
    form also asks it about values it could only partly read, so that every problem is shown at once."""
    errors: list[FieldError] = []
    title = values.get("title") or {}
    floor_language_known = is_language_code(values.get("floor_language") or "")
    if floor_language_known and not (title.get(values["floor_language"]) or "").strip():
        errors.append(FieldError("title", _("A title in the floor language is required.")))
    errors += multilingual_errors("title", title)
    errors += multilingual_errors("description", values.get("description"), multiline=True)
    if not valid_timezone(values.get("timezone")):
        errors.append(FieldError("timezone", timezone_error(values.get("timezone"))))
    if not floor_language_known:
        errors.append(FieldError("floor_language", _("Unknown language code.")))
    errors += _language_list_errors("interpretation_languages", values.get("interpretation_languages", []))
    for item in values.get("agenda") or []:
        errors += multilingual_errors("agenda", item.title)
        if message := text_error(item.speakers):
            errors.append(FieldError("agenda", message))
    errors += _text_errors(values)
    errors += _time_errors(values)
    errors += _provision_errors(values)
    join = values.get("join")  # JoinDetails from the API, its dict from the staff form
    join_url = (join.get("url") if isinstance(join, dict) else getattr(join, "url", "")) or ""
    if join_url and not is_web_link(join_url):
        errors.append(FieldError("join.url", _("Not an http(s) link.")))
    return errors
