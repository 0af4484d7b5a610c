"""The staff session form: HTML form fields ⇄ the JSON shapes (SessionCreate / SessionUpdate).

Form values are strings in the session's own zone (``datetime-local``); titles come one field per UN
language (``title_en``, ``title_fr``…). Errors are keyed by the API's field names, so the services' field
errors land beside the same inputs.
"""

from __future__ import annotations

__all__ = ["FormErrors", "form_from_session", "parse_reschedule", "parse_session_form"]

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from events.schemas import Reschedule, SessionCreate, SessionOut, SessionUpdate
from server.errors import FieldError
from server.i18n import LANGUAGES
from server.i18n import gettext as _
from server.web import valid_timezone

MULTI_FIELDS = ("interpretation_languages", "accessibility_provisions", "organiser_ids")
TEXT_FIELDS = ("kind", "timezone", "floor_language", "audience", "region", "venue", "sign_languages", "agenda",
               "series_id", "capacity", "in_person_capacity", "starts_at", "ends_at", "registration_opens_at",
               "registration_closes_at", "join_url", "join_meeting_id", "join_passcode", "join_dial_in")
_PATH = re.compile(r"at `\$\.([a-z_]+)")


class FormErrors(Exception):
    """The form's problems, by field name."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("invalid form")
        self.errors = {}
        for error in errors:
            self.errors.setdefault(error.field, error.message)


def form_values(form: Any) -> dict[str, Any]:
    """The submitted form as a plain dict (lists for the checkbox groups), to re-fill the form."""
    values: dict[str, Any] = {name: (form.get(name) or "").strip() for name in TEXT_FIELDS}
    for language in LANGUAGES:
        values[f"title_{language}"] = (form.get(f"title_{language}") or "").strip()
        values[f"description_{language}"] = (form.get(f"description_{language}") or "").strip()
    for name in MULTI_FIELDS:
        values[name] = [value for value in form.getall(name, []) if value]
    return values


def _local_datetime(name: str, text: str, zone: str, errors: list[FieldError]) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        errors.append(FieldError(name, _("Enter a date and time.")))
        return None
    return value.replace(tzinfo=ZoneInfo(zone)) if valid_timezone(zone) else None


def _int(name: str, text: str, errors: list[FieldError]) -> int | None:
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        errors.append(FieldError(name, _("Enter a whole number.")))
        return None


def _agenda(text: str, errors: list[FieldError], floor_language: str) -> list[dict]:
    """One item a line: ``title | speakers | minutes``."""
    items = []
    for line in filter(None, (line.strip() for line in text.splitlines())):
        title, speakers, minutes = ([part.strip() for part in line.split("|")] + ["", ""])[:3]
        items.append({"title": {floor_language or "en": title}, "speakers": speakers,
                      "minutes": _int("agenda", minutes, errors)})
    return items


def _payload(values: dict[str, Any], errors: list[FieldError]) -> dict[str, Any]:
    zone = values["timezone"]
    if not valid_timezone(zone):
        errors.append(FieldError("timezone", _("Unknown time zone: use an IANA name such as Europe/Zurich.")))
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
    payload["sign_languages"] = [code.lower() for code in re.split(r"[\s,]+", values["sign_languages"]) if code]
    payload["join"] = {"url": values["join_url"], "meeting_id": values["join_meeting_id"],
                       "passcode": values["join_passcode"], "dial_in": values["join_dial_in"]}
    payload["agenda"] = _agenda(values["agenda"], errors, values["floor_language"])
    return payload


REQUIRED = ("kind", "starts_at", "ends_at", "timezone", "floor_language")


def _required(payload: dict[str, Any], errors: list[FieldError], names: tuple[str, ...] = REQUIRED) -> None:
    for name in names:
        if not payload.get(name) and not any(e.field == name for e in errors):
            errors.append(FieldError(name, _("This field is required.")))


def _convert(payload: dict[str, Any], shape: type) -> Any:
    try:
        return msgspec.convert(payload, shape)
    except msgspec.ValidationError as error:
        match = _PATH.search(str(error))
        raise FormErrors([FieldError(match.group(1) if match else "form", str(error))]) from error


def _keep_what_the_form_cannot_show(payload: dict[str, Any], values: dict[str, Any], current: SessionOut) -> None:
    """Texts in languages other than the six, and agenda titles in other languages, have no field: keep them."""
    for name in ("title", "description"):
        extra = {lang: text for lang, text in getattr(current, name).items() if lang not in LANGUAGES}
        payload[name] = {**extra, **payload[name]}
    if values["agenda"] == form_from_session(current)["agenda"]:
        del payload["agenda"]


def parse_session_form(
    form: Any, *, is_admin: bool, current: SessionOut | None = None
) -> SessionCreate | SessionUpdate:
    """The form as a SessionCreate (new) or, given the ``current`` session, a SessionUpdate of every field."""
    values = form_values(form)
    errors: list[FieldError] = []
    payload = _payload(values, errors)
    if current is not None:
        _keep_what_the_form_cannot_show(payload, values, current)
    _required(payload, errors)
    if is_admin:
        payload["organiser_ids"] = [_int("organiser_ids", v, errors) for v in values["organiser_ids"]]
    if errors:
        raise FormErrors(errors)
    return _convert(payload, SessionCreate if current is None else SessionUpdate)


def parse_reschedule(form: Any, zone: str) -> Reschedule:
    errors: list[FieldError] = []
    payload = {name: _local_datetime(name, (form.get(name) or "").strip(), zone, errors)
               for name in ("starts_at", "ends_at")}
    _required(payload, errors, ("starts_at", "ends_at"))
    if errors:
        raise FormErrors(errors)
    return _convert(payload, Reschedule)


def _local_text(value: datetime | None, zone: str) -> str:
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M") if value else ""


def form_from_session(session: SessionOut, explicit_registration: tuple[Any, Any] = (None, None)) -> dict[str, Any]:
    """A stored session as form values, for the edit form."""
    zone = session.timezone
    values: dict[str, Any] = {
        "kind": session.kind, "timezone": zone, "floor_language": session.floor_language,
        "audience": session.audience, "region": session.region, "venue": session.venue,
        "sign_languages": ", ".join(session.sign_languages),
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
