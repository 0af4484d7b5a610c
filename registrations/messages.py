"""Organisers write to a session's registrants: all or some (by status, preferred language, need), a subject and
a plain-text body per language, each recipient getting their own language (else the session's floor language,
else English, else any). A dry run counts and previews; sending queues one outbox message per person in one
transaction. Bodies are plain text (escaped in the HTML part); the subject is one line (no header injection).
"""

from __future__ import annotations

__all__ = ["MessageIn", "MessageOut", "MessagePreview", "send_to_registrants"]

from collections import Counter
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from events.calendar import clean_text
from events.queries import load_row
from registrations import notifications
from registrations.tables import ACTIVE_STATUSES, Need, Registration
from server.db import write_transaction
from server.errors import FieldError, InvalidInput
from server.i18n import LANGUAGES, pick_text, use_locale
from server.i18n import gettext as _
from server.schemas import NON_BLANK_MULTILINE, stated
from server.settings import Settings

Code = Annotated[str, Meta(max_length=35)]
Subject = Annotated[str, Meta(max_length=200)]
Body = Annotated[str, Meta(max_length=10000)]
#: Whom a message may go to: people who hold or wait for a place.
STATUSES = ACTIVE_STATUSES
_CONTROL = frozenset(chr(c) for c in (*range(0, 32), 127)) - {"\n", "\t"}


def _one_of(values: Any) -> dict[str, Any]:
    return {"type": "string", "enum": list(values)}


def _texts_stated(max_length: int, pattern: str) -> Meta:
    """What ``_texts`` checks in a subject or body, stated in the document: texts keyed by UN language, one at
    least, each without the characters it refuses (``_texts`` drops a blank one; the document asks for none)."""
    return stated(min_properties=1, property_names=_one_of(LANGUAGES),
                  additional_properties={"type": "string", "maxLength": max_length, "pattern": pattern})


class MessageIn(msgspec.Struct, forbid_unknown_fields=True):
    """A message to a session's registrants; ``statuses`` (default confirmed), ``languages`` (preferred
    languages; empty: all), ``needs`` (need kinds or codes, e.g. ``captions_cart``, ``fr``; empty: anyone)."""

    subject: Annotated[dict[Code, Subject], Meta(max_length=20),
                       _texts_stated(200, r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$")]
    body: Annotated[dict[Code, Body], Meta(max_length=20), _texts_stated(10000, NON_BLANK_MULTILINE)]
    statuses: Annotated[list[Code], Meta(max_length=3), stated(min_items=1, items=_one_of(STATUSES))] = \
        msgspec.field(default_factory=lambda: [Registration.Status.confirmed.value])
    languages: Annotated[list[Code], Meta(max_length=6), stated(items=_one_of(LANGUAGES))] = \
        msgspec.field(default_factory=list)
    needs: Annotated[list[Code], Meta(max_length=20)] = msgspec.field(default_factory=list)
    dry_run: bool = False


class MessagePreview(msgspec.Struct):
    """What readers of one language get."""

    language: str
    recipients: int
    subject: str
    body: str


class MessageOut(msgspec.Struct):
    """How many it goes (or went) to, by status and by language, with a preview per language."""

    count: int
    by_status: dict[str, int]
    previews: list[MessagePreview]
    sent: bool


def _texts(field: str, texts: dict[str, str], *, one_line: bool) -> tuple[dict[str, str], list[FieldError]]:
    cleaned = {code: text.replace("\r\n", "\n").strip() for code, text in texts.items() if text.strip()}
    errors = []
    if not cleaned:
        errors.append(FieldError(field, _("Write it in at least one language.")))
    unknown = sorted(code for code in cleaned if code not in LANGUAGES)
    if unknown:
        errors.append(FieldError(field, _("Unknown language code: %(codes)s.", codes=", ".join(unknown))))
    forbidden = _CONTROL | ({"\n", "\t"} if one_line else set())
    if any(set(text) & forbidden for text in cleaned.values()):
        errors.append(FieldError(field, _("One line of plain text, please.") if one_line
                                 else _("Control characters are not allowed.")))
    return cleaned, errors


def _check(data: MessageIn) -> tuple[dict[str, str], dict[str, str]]:
    subject, errors = _texts("subject", data.subject, one_line=True)
    body, body_errors = _texts("body", data.body, one_line=False)
    errors += body_errors
    if not errors and set(subject) != set(body):
        errors.append(FieldError("body", _("Give a subject and a body in the same languages.")))
    if set(data.statuses) - set(STATUSES) or not data.statuses:
        errors.append(FieldError("statuses", _("Choose among confirmed, waitlisted and pending.")))
    if set(data.languages) - set(LANGUAGES):
        errors.append(FieldError("languages", _("Choose one of the six UN languages.")))
    if errors:
        raise InvalidInput("; ".join(f"{e.field}: {e.message}" for e in errors), errors)
    return subject, body


async def recipients(session_id: int, data: MessageIn) -> list[dict[str, Any]]:
    """The registrations the message goes to, in id order (erased ones never)."""
    where = ((Registration.session == session_id) & Registration.status.is_in(list(data.statuses))
             & Registration.anonymised_at.is_null())
    if data.languages:
        where &= Registration.preferred_language.is_in(list(data.languages))
    if data.needs:
        with_need = Need.select(Need.registration).where(Need.code.is_in(list(data.needs))
                                                         | Need.kind.is_in(list(data.needs)))
        where &= Registration.id.is_in(with_need)
    return await Registration.select().where(where).order_by(Registration.id)


async def send_to_registrants(session_id: int, data: MessageIn, *, settings: Settings) -> MessageOut:
    """Count and preview the message for the chosen registrants; unless ``dry_run``, queue it to each of them
    in their language (one transaction: all or none)."""
    subject, body = _check(data)
    session = await load_row(session_id)
    floor = session["floor_language"]
    regs = await recipients(session_id, data)
    chosen: dict[int, str] = {}
    for reg in regs:
        with use_locale(reg["preferred_language"], reg["timezone"]):
            chosen[reg["id"]] = pick_text(subject, floor)[1]
    by_language = Counter(chosen.values())
    previews = [MessagePreview(language=code, recipients=by_language[code], subject=subject[code], body=body[code])
                for code in subject if by_language[code]]
    if not data.dry_run and regs:
        async with write_transaction(Registration._meta.db):
            for reg in regs:
                code = chosen[reg["id"]]
                await notifications.notify_registrants_message(
                    reg, settings=settings, subject=clean_text(subject[code]), body=clean_text(body[code]),
                    text_language=code)
    return MessageOut(count=len(regs), by_status=dict(Counter(reg["status"] for reg in regs)), previews=previews,
                      sent=not data.dry_run and bool(regs))
