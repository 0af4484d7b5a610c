"""The staff session form: HTML form fields ⇄ the JSON shapes (SessionCreate / SessionUpdate).

Form values are strings in the session's own zone (``datetime-local``); titles come one field per UN
language (``title_en``, ``title_fr``…). Errors are keyed by the API's field names, so the services' field
errors land beside the same inputs.
"""

from __future__ import annotations

__all__ = [
    "FormErrors", "form_from_session", "page_errors", "parse_reschedule", "parse_session_form", "setting_defaults",
]

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from events.schemas import Reschedule, SessionCreate, SessionOut, SessionUpdate
from events.validation import session_errors
from server.dates import date_range_error
from server.errors import FieldError, InvalidInput
from server.i18n import LANGUAGES
from server.i18n import gettext as _
from server.timezones import timezone_error
from server.validation import decode_form, errors_by_field, field_error
from server.web import valid_timezone

MULTI_FIELDS = ("interpretation_languages", "accessibility_provisions", "organiser_ids", "sign_languages")
TEXT_FIELDS = ("kind", "timezone", "floor_language", "audience", "region", "venue", "agenda",
               "series_id", "capacity", "in_person_capacity", "starts_at", "ends_at", "registration_opens_at",
               "registration_closes_at", "join_url", "join_meeting_id", "join_passcode", "join_dial_in",
               "waitlist_cutoff_minutes", "reminder_offsets", "retention_days")
#: Settings with a default: left empty (or absent from the form), the default applies on create and the stored
#: value stays on edit.
SETTING_FIELDS = ("waitlist_cutoff_minutes", "retention_days")
_FIELD = re.compile(r"\w+")


def form_field(name: str) -> str:
    """The form field an error of the JSON shape belongs beside: ``join.url`` → ``join_url``,
    ``organiser_ids[0]`` → ``organiser_ids``, ``title[...]`` → ``title``."""
    if name.startswith("join."):
        name = name.replace(".", "_", 1)
    found = _FIELD.match(name)
    return found.group(0) if found else name


class FormErrors(InvalidInput):
    """The session or series form's problems, every one found at once."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors), errors)


def page_errors(error: InvalidInput) -> dict[str, str]:
    """The form's problems by form field name (the first of each field), those of the services included."""
    return errors_by_field(error.errors, form_field)


def _text(form: Any, name: str) -> str:
    """A field's text, its lines ended as we store them (browsers send a textarea's line breaks as CR LF)."""
    return (form.get(name) or "").replace("\r\n", "\n").strip()


def form_values(form: Any) -> dict[str, Any]:
    """The submitted form as a plain dict (lists for the checkbox groups), to re-fill the form."""
    values: dict[str, Any] = {name: _text(form, name) for name in TEXT_FIELDS}
    # An older form without the reminders field leaves them as they are; an emptied field means none.
    values["reminder_offsets"] = None if form.get("reminder_offsets") is None else values["reminder_offsets"]
    for language in LANGUAGES:
        values[f"title_{language}"] = _text(form, f"title_{language}")
        values[f"description_{language}"] = _text(form, f"description_{language}")
    for name in MULTI_FIELDS:
        values[name] = [value for value in form.getall(name, []) if value]
    return values


def _local_datetime(name: str, text: str, zone: str, errors: list[FieldError]) -> datetime | None:
    """A wall-clock time in ``zone``; one the clocks skip, or pass twice, is refused rather than guessed."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        errors.append(FieldError(name, _("Enter a date and time.")))
        return None
    if out_of_range := date_range_error(value):  # before moving it between zones, where year 9999 overflows
        errors.append(FieldError(name, out_of_range))
        return None
    if not valid_timezone(zone):
        return None
    local = value.replace(tzinfo=ZoneInfo(zone))
    if local.astimezone(UTC).astimezone(local.tzinfo).replace(tzinfo=None) != value:
        errors.append(FieldError(name, _("This time does not exist in %(zone)s: the clocks go forward then.",
                                         zone=zone)))
        return None
    if local.utcoffset() != local.replace(fold=1).utcoffset():
        errors.append(FieldError(name, _("This time happens twice in %(zone)s (the clocks go back): choose "
                                         "another.", zone=zone)))
        return None
    return local


def _int(name: str, text: str, errors: list[FieldError]) -> int | None:
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        errors.append(FieldError(name, _("Enter a whole number.")))
        return None


def _reminders(text: str, errors: list[FieldError]) -> list[int]:
    """Minutes before the start, separated by commas or spaces: ``1440, 60``; empty means no reminders."""
    minutes = [_int("reminder_offsets", part, errors) for part in re.split(r"[\s,]+", text) if part]
    return [value for value in minutes if value is not None]


def _agenda(text: str, errors: list[FieldError], floor_language: str) -> list[dict]:
    """One item a line: ``title | speakers | minutes``."""
    items = []
    for line in filter(None, (line.strip() for line in text.splitlines())):
        title, speakers, minutes = ([part.strip() for part in line.split("|")] + ["", ""])[:3]
        items.append({"title": {floor_language or "en": title}, "speakers": speakers,
                      "minutes": _int("agenda", minutes, errors)})
    return items


def _payload(values: dict[str, Any], errors: list[FieldError], *, agenda_unchanged: bool = False) -> dict[str, Any]:
    """The JSON shape of the form's values; an ``agenda_unchanged`` is left out (kept as stored)."""
    zone = values["timezone"]
    if zone and not valid_timezone(zone):
        errors.append(FieldError("timezone", timezone_error(zone)))
    payload: dict[str, Any] = {
        name: values[name] for name in ("kind", "timezone", "floor_language", "audience", "region", "venue")
    }
    payload["title"] = {lang: values[f"title_{lang}"] for lang in LANGUAGES if values[f"title_{lang}"]}
    payload["description"] = {lang: values[f"description_{lang}"] for lang in LANGUAGES
                              if values[f"description_{lang}"]}
    for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
        payload[name] = _local_datetime(name, values[name], zone, errors)
    for name in ("series_id", "capacity", "in_person_capacity"):
        payload[name] = _int(name, values[name], errors)
    payload["interpretation_languages"] = values["interpretation_languages"]
    payload["accessibility_provisions"] = values["accessibility_provisions"]
    payload["sign_languages"] = [code.lower() for code in values["sign_languages"]]
    payload["join"] = {"url": values["join_url"], "meeting_id": values["join_meeting_id"],
                       "passcode": values["join_passcode"], "dial_in": values["join_dial_in"]}
    if not agenda_unchanged:
        payload["agenda"] = _agenda(values["agenda"], errors, values["floor_language"])
    for name in SETTING_FIELDS:
        if values[name]:
            payload[name] = _int(name, values[name], errors)
    if values["reminder_offsets"] is not None:
        payload["reminder_offsets"] = _reminders(values["reminder_offsets"], errors)
    return payload


REQUIRED = ("kind", "starts_at", "ends_at", "timezone", "floor_language")


def _required(texts: dict[str, Any], errors: list[FieldError], names: tuple[str, ...] = REQUIRED) -> None:
    """Fields left empty. A time that was given but could not be read (its zone is unknown) is not missing."""
    for name in names:
        if not texts.get(name) and not any(e.field == name for e in errors):
            errors.append(FieldError(name, _("This field is required.")))


def _type_errors(payload: dict[str, Any], shape: type, errors: list[FieldError]) -> None:
    """What the JSON shape refuses, every field on its own (converting the whole stops at the first problem);
    fields that already have a problem are left as they are."""
    flagged = {form_field(error.field) for error in errors}
    # A time not read (empty, or in an unknown zone) has its problem said already.
    unread = {name for name in ("starts_at", "ends_at") if payload.get(name) is None}
    for info in msgspec.structs.fields(shape):
        if info.name in payload and form_field(info.name) not in flagged | unread:
            try:
                msgspec.convert(payload[info.name], info.type)
            except msgspec.ValidationError as error:
                errors.append(field_error(error, info.name))


def _rule_errors(payload: dict[str, Any], errors: list[FieldError]) -> None:
    """The services' rules on what could be read, so the form shows their problems with its own at once
    (agenda items are checked by the services, once readable)."""
    flagged = {form_field(error.field) for error in errors}
    errors += [error for error in session_errors({**payload, "agenda": []}) if error.field not in flagged]


def _keep_what_the_form_cannot_show(payload: dict[str, Any], current: SessionOut) -> None:
    """Texts in languages other than the six have no field: keep them (an agenda left as shown is kept whole,
    its titles in other languages and any text its one-line-per-item form cannot say included)."""
    for name in ("title", "description"):
        extra = {lang: text for lang, text in getattr(current, name).items() if lang not in LANGUAGES}
        payload[name] = {**extra, **payload[name]}


def parse_session_form(
    form: Any, *, is_admin: bool, current: SessionOut | None = None
) -> SessionCreate | SessionUpdate:
    """The form as a SessionCreate (new) or, given the ``current`` session, a SessionUpdate of every field."""
    values = form_values(form)
    errors: list[FieldError] = []
    agenda_unchanged = current is not None and values["agenda"] == form_from_session(current)["agenda"].strip()
    payload = _payload(values, errors, agenda_unchanged=agenda_unchanged)
    if current is not None:
        _keep_what_the_form_cannot_show(payload, current)
    _required(values, errors)
    if is_admin:
        payload["organiser_ids"] = [_int("organiser_ids", v, errors) for v in values["organiser_ids"]]
    shape = SessionCreate if current is None else SessionUpdate
    _type_errors(payload, shape, errors)
    if errors:
        _rule_errors(payload, errors)
        raise FormErrors(errors)
    return decode_form(payload, shape)


def parse_reschedule(form: Any, zone: str) -> Reschedule:
    errors: list[FieldError] = []
    texts = {name: (form.get(name) or "").strip() for name in ("starts_at", "ends_at")}
    payload = {name: _local_datetime(name, text, zone, errors) for name, text in texts.items()}
    _required(texts, errors, ("starts_at", "ends_at"))
    if errors:
        raise FormErrors(errors)
    return decode_form(payload, Reschedule)


def setting_defaults() -> dict[str, str]:
    """The API's defaults of the settings, as the new-session form shows them."""
    defaults = {info.name: info.default if info.default_factory is msgspec.NODEFAULT else info.default_factory()
                for info in msgspec.structs.fields(SessionCreate)}
    return {"waitlist_cutoff_minutes": str(defaults["waitlist_cutoff_minutes"]),
            "reminder_offsets": ", ".join(map(str, defaults["reminder_offsets"])),
            "retention_days": str(defaults["retention_days"])}


def _local_text(value: datetime | None, zone: str) -> str:
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M") if value else ""


def form_from_session(session: SessionOut, explicit_registration: tuple[Any, Any] = (None, None)) -> dict[str, Any]:
    """A stored session as form values, for the edit form."""
    zone = session.timezone
    values: dict[str, Any] = {
        "kind": session.kind, "timezone": zone, "floor_language": session.floor_language,
        "audience": session.audience, "region": session.region, "venue": session.venue,
        "sign_languages": list(session.sign_languages),
        "series_id": "" if session.series_id is None else str(session.series_id),
        "capacity": "" if session.capacity is None else str(session.capacity),
        "in_person_capacity": "" if session.in_person_capacity is None else str(session.in_person_capacity),
        "starts_at": _local_text(session.starts_at, zone), "ends_at": _local_text(session.ends_at, zone),
        "registration_opens_at": _local_text(explicit_registration[0], zone),
        "registration_closes_at": _local_text(explicit_registration[1], zone),
        "join_url": session.join.url, "join_meeting_id": session.join.meeting_id,
        "join_passcode": session.join.passcode, "join_dial_in": session.join.dial_in,
        "interpretation_languages": list(session.interpretation_languages),
        "accessibility_provisions": list(session.accessibility_provisions),
        "organiser_ids": [str(uid) for uid in session.organiser_ids],
        "waitlist_cutoff_minutes": str(session.waitlist_cutoff_minutes),
        "reminder_offsets": ", ".join(map(str, session.reminder_offsets)),
        "retention_days": str(session.retention_days),
        "agenda": "\n".join(
            " | ".join([next(iter(item.title.values()), ""), item.speakers,
                        "" if item.minutes is None else str(item.minutes)])
            for item in session.agenda
        ),
    }
    for language in LANGUAGES:
        values[f"title_{language}"] = session.title.get(language, "")
        values[f"description_{language}"] = session.description.get(language, "")
    return values
