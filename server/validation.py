"""msgspec's validation errors as field errors in the reader's language, for the API and the pages alike.

msgspec says what it expected in English (``Expected `int` >= 0 - at `$.capacity```); people read
``capacity: Must be a whole number of 0 or more.`` in their own language instead. Every HTML form decodes through
``decode_form`` and shows its refusals with ``form_errors``, so a form says what the API says, in the same words.
"""

from __future__ import annotations

__all__ = [
    "check_text",
    "decode_form",
    "errors_by_field",
    "field_error",
    "form_errors",
    "is_web_link",
    "normalised_email",
    "text_error",
    "translated_message",
]

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

import msgspec
from email_validator import EmailNotValidError, validate_email

from server.errors import ConveneError, FieldError, InvalidInput
from server.i18n import format_number, ngettext
from server.i18n import gettext as _

_AT = re.compile(r"^(?P<message>.*?) - at `\$(?P<path>[^`]*)`\Z", re.DOTALL)
_NAMED_FIELD = re.compile(r"^Object (?:contains unknown|missing required) field `(?P<name>[^`]+)`\Z")
_BOUND = re.compile(r"^Expected `(?P<type>\w+)`(?: of length)? (?P<op>[<>]=?) (?P<limit>-?[\d.e+]+)\Z")
_WRONG_TYPE = re.compile(r"^Expected `(?P<type>\w+)(?: \| [^`]*)?`, got `\w+`\Z")


def normalised_email(address: str) -> str | None:
    """The address as we store and compare it — validated and normalised by email-validator (no DNS lookup), then
    lower-cased, surrounding white space ignored — or None when it is not an address."""
    try:
        return validate_email(address.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def is_web_link(value: str) -> bool:
    """An http(s) address with a host: anything else (``javascript:``, ``data:``) must never become a link."""
    parts = urlsplit(value.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def text_error(value: str | None, *, multiline: bool = False) -> str | None:
    """Why free text someone typed is refused, in the current language: control characters (a NUL even fails on
    PostgreSQL; ESC and the like corrupt mail and calendars), and line breaks unless ``multiline``; tabs pass, and
    a multiline text may end its lines the way browsers send them (CR LF). The rule registrations apply too."""
    text = (value or "").replace("\r\n", "\n") if multiline else value or ""
    if any(ord(ch) < 32 and ch not in "\t\n" or ch == "\x7f" for ch in text) or (not multiline and "\n" in text):
        return _("Remove line breaks and control characters.")
    return None


def check_text(field: str, value: str | None, errors: list[FieldError], *, multiline: bool = False) -> None:
    """Add to ``errors`` why ``field``'s text is refused (``text_error``), if it is."""
    if message := text_error(value, multiline=multiline):
        errors.append(FieldError(field, message))


def _number(text: str) -> str:
    return format_number(int(text) if text.lstrip("-").isdigit() else float(text))


def _int_bound(op: str, limit: str) -> str:
    if op == ">=":
        return _("Must be a whole number of %(min)s or more.", min=_number(limit))
    return _("Must be a whole number of at most %(max)s.", max=_number(limit))


def _float_bound(op: str, limit: str) -> str:
    return {
        ">=": lambda: _("Must be a number of %(min)s or more.", min=_number(limit)),
        ">": lambda: _("Must be a number greater than %(min)s.", min=_number(limit)),
        "<=": lambda: _("Must be a number of at most %(max)s.", max=_number(limit)),
        "<": lambda: _("Must be a number less than %(max)s.", max=_number(limit)),
    }[op]()


def _length_bound(kind: str, op: str, limit: str) -> str:
    n = int(limit)
    if kind == "str":
        if op == ">=":
            return ngettext("Must be at least %(num)s character.", "Must be at least %(num)s characters.", n)
        return ngettext("Must be at most %(num)s character.", "Must be at most %(num)s characters.", n)
    if op == ">=":
        return ngettext("Give at least %(num)s item.", "Give at least %(num)s items.", n)
    return ngettext("Give at most %(num)s item.", "Give at most %(num)s items.", n)


#: What a value of the wrong type should have been, by msgspec's name of the expected type.
_EXPECTED: dict[str, Callable[[], str]] = {
    "int": lambda: _("Enter a whole number."),
    "float": lambda: _("Enter a number."),
    "str": lambda: _("Must be text."),
    "bool": lambda: _("Must be true or false."),
    "array": lambda: _("Must be a list."),
    "object": lambda: _("Must be an object of named values."),
    "datetime": lambda: _("A date and time with its UTC offset is required (RFC 3339)."),
    "date": lambda: _("Enter a date (YYYY-MM-DD)."),
}


def translated_message(message: str) -> str:
    """One msgspec message (without its ``- at `$…``` suffix) as a sentence in the current language."""
    if message.startswith("Object missing required field"):
        return _("This field is required.")
    if message.startswith("Object contains unknown field"):
        return _("Unknown field.")
    if message.startswith("Invalid enum value"):
        return _("Not one of the allowed values.")
    if message in ("Invalid RFC3339 encoded datetime", "Expected `datetime` with a timezone component"):
        return _("A date and time with its UTC offset is required (RFC 3339).")
    if message == "Invalid RFC3339 encoded date":
        return _("Enter a date (YYYY-MM-DD).")
    if bound := _BOUND.match(message):
        kind, op, limit = bound.group("type", "op", "limit")
        if " of length " in message:
            return _length_bound(kind, op, limit)
        return _int_bound(op, limit) if kind == "int" else _float_bound(op, limit)
    if "matching regex" in message:
        return _("Not in the expected format.")
    if wrong := _WRONG_TYPE.match(message):
        if expected := _EXPECTED.get(wrong.group("type")):
            return expected()
    return _("This value is not valid.")


def _field_name(field: str, path: str, message: str) -> str:
    """``$.join.url`` → ``join.url``, ``$.agenda[0].title`` → ``agenda[0].title``; with ``field`` given (a value
    converted on its own), its path goes under it: ``organiser_ids`` + ``$[0]`` → ``organiser_ids[0]``. An unknown
    or missing field is named in the message only, and belongs under the path where it was found."""
    name = f"{field}{path}" if field else path.removeprefix(".")
    if named := _NAMED_FIELD.match(message):
        return f"{name}.{named.group('name')}" if name else named.group("name")
    return name or "body"


def field_error(error: msgspec.ValidationError, field: str = "") -> FieldError:
    """The field msgspec refused (by its path in the data, under ``field`` when the value of that one field was
    converted on its own) and why, in the current language."""
    text = str(error)
    if located := _AT.match(text):
        message, path = located.group("message", "path")
    else:
        message, path = text, ""
    return FieldError(_field_name(field, path, message), translated_message(message))


T = TypeVar("T")


def decode_form(values: Mapping[str, Any], target: type[T], *, prefix: str = "", strict: bool = True) -> T:
    """A form's values (read from the form by its page) as ``target``, refused the way the JSON API refuses a body:
    an InvalidInput naming the field (``prefix`` before its name, when the Struct is one part of a larger form)
    with msgspec's reason in the reader's language (too long, missing, wrong type, not a choice). ``strict=False``
    reads numbers from the form's text."""
    try:
        return msgspec.convert(dict(values), target, strict=strict)
    except msgspec.ValidationError as error:
        found = field_error(error)
        raise InvalidInput.field(prefix + found.field, found.message) from error


def errors_by_field(errors: Iterable[FieldError], rename: Callable[[str], str] = str) -> dict[str, str]:
    """``{field: message}`` for a page's form, the first message of each field; ``rename`` maps a field as the
    services name it to the form field it belongs beside."""
    found: dict[str, str] = {}
    for error in errors:
        found.setdefault(rename(error.field), error.message)
    return found


def form_errors(error: ConveneError, rename: Callable[[str], str] = str) -> dict[str, str]:
    """What a page shows beside its fields for a refusal; one that names no field is said under ``form`` (the
    error summary's own line)."""
    return errors_by_field(error.errors or [FieldError("form", error.detail)], rename)
