"""Written inputs to a session: registrants send them through their manage link before the session's
``inputs_close_at`` (by default its start); organisers upload those received by other means, publish them on the
session page and mark them for the summary.

An input is a text or one file: a PDF, DOCX or ODT document, recognised by its content (never its name or declared
type), at most ``Settings.upload_max_bytes``. Files are kept under ``Settings.upload_dir`` with generated names;
a row and its file come and go together: the file is moved into place inside the row's transaction and removed
if that transaction fails; a row's file is removed once the row's deletion (erasure, purge, an organiser's) has
committed, and the purge sweeps files no row names (left by a crash between the two). The files themselves
(recognising, naming, removing, sweeping) are ``registrations/input_files.py``.
"""

from __future__ import annotations

__all__ = [
    "INPUT_KINDS", "FileTooLarge", "InputData", "add_to_session_page", "add_to_summary_page", "change", "closes_at",
    "delete",
    "download", "forget_inputs_of", "inputs_of_registration", "inputs_of_session", "published_inputs",
    "submit", "summary_inputs", "taking_from", "too_large", "upload",
]

import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import msgspec

from events.queries import PUBLIC_STATUSES, effective_status, load_row
from events.tables import Session
from events.validation import canonical_language, is_language_code
from registrations.input_files import FILE_TYPES, STORED_NAME, check_kind, checked_file_name, remove_files, sniff
from registrations.input_schemas import InputChange, InputOut
from registrations.tables import Registration, WrittenInput
from server.db import write_transaction
from server.errors import Conflict, ConveneError, FieldError, InvalidInput, NotFound
from server.i18n import format_datetime
from server.i18n import gettext as _
from server.settings import Settings
from server.validation import check_text

#: Sessions that take written inputs: those where stakeholders speak to governments.
INPUT_KINDS = (Session.Kind.listening_session.value, Session.Kind.regional_review.value)
_CHUNK = 64 * 1024


class FileTooLarge(ConveneError):
    status_code = 413
    title = "Content too large"


@dataclass
class InputData:
    """A written input as sent: a text, or a file (``file``, read from its start, named ``file_name`` by its
    sender) with its title and language."""

    title: str
    language: str
    text: str = ""
    file: BinaryIO | None = None
    file_name: str = ""
    registration_id: int | None = None


def too_large(settings: Settings) -> FileTooLarge:
    """The refusal of a file over the size limit, naming the field ``file``."""
    limit = settings.upload_max_bytes
    size = f"{limit // (1024 * 1024)} MB" if limit % (1024 * 1024) == 0 else f"{-(-limit // 1024)} KB"
    message = _("The file is larger than the limit of %(size)s.", size=size)
    return FileTooLarge(f"file: {message}", [FieldError("file", message)])


# --- Checks ---------------------------------------------------------------------------------------------------

def _field_errors(data: InputData) -> list[FieldError]:
    errors: list[FieldError] = []
    if not data.title.strip():
        errors.append(FieldError("title", _("Enter a title.")))
    elif len(data.title) > 300:
        errors.append(FieldError("title", _("At most %(count)s characters.", count=300)))
    check_text("title", data.title, errors)
    if not is_language_code(data.language or ""):
        errors.append(FieldError("language", _("Give the language it is written in, as a code such as en or fr.")))
    if len(data.text) > 20000:
        errors.append(FieldError("text", _("At most %(count)s characters.", count=20000)))
    check_text("text", data.text, errors, multiline=True)
    if data.file is None and not data.text.strip():
        errors.append(FieldError("text", _("Write a text or choose a file.")))
    if data.file is not None and data.text.strip():
        errors.append(FieldError("file", _("Send either a text or a file, not both.")))
    return errors


def _raise_if(errors: list[FieldError]) -> None:
    if errors:
        raise InvalidInput("; ".join(f"{e.field}: {e.message}" for e in errors), errors)


def _refuse_unless_taking_inputs(session: dict[str, Any]) -> None:
    if session["kind"] not in INPUT_KINDS:
        message = _("Written inputs are taken for listening sessions and regional reviews only.")
        raise Conflict(message, [FieldError("kind", message)])
    if effective_status(session) == Session.Status.cancelled.value:
        message = _("The session is cancelled.")
        raise Conflict(message, [FieldError("status", message)])


def closes_at(session: dict[str, Any]) -> datetime:
    """Until when registrants may send inputs: the session's ``inputs_close_at``, else its start."""
    return session["inputs_close_at"] or session["starts_at"]


def taking_from(session: dict[str, Any], reg: dict[str, Any]) -> bool:
    """Whether the registrant may send an input now (the manage page shows its form then)."""
    try:
        _refuse_registrant(session, reg)
    except Conflict:
        return False
    return True


def _refuse_registrant(session: dict[str, Any], reg: dict[str, Any]) -> None:
    _refuse_unless_taking_inputs(session)
    if reg["status"] in (Registration.Status.cancelled.value, Registration.Status.declined.value):
        message = _("This registration is closed.")
        raise Conflict(message, [FieldError("status", message)])
    if datetime.now(UTC) >= closes_at(session):
        message = _("Written inputs were taken until %(when)s.", when=format_datetime(closes_at(session)))
        raise Conflict(message, [FieldError("inputs_close_at", message)])


# --- Storing ----------------------------------------------------------------------------------------------------

def _receive(source: BinaryIO, directory: Path, settings: Settings) -> tuple[Path, int]:
    """Copy the file into a temporary file under ``directory``, a chunk at a time, stopping (413) as soon as it
    passes the size limit. Returns the copy and its size; the caller removes it."""
    directory.mkdir(parents=True, exist_ok=True)
    partial = directory / f".{uuid.uuid4().hex}.part"
    size = 0
    try:
        with partial.open("wb") as out:
            while chunk := source.read(_CHUNK):
                size += len(chunk)
                if size > settings.upload_max_bytes:
                    raise too_large(settings)
                out.write(chunk)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return partial, size


def _discard(*paths: Path | None) -> None:
    for path in paths:
        if path is not None:
            path.unlink(missing_ok=True)


async def _create(session_id: int, data: InputData, *, settings: Settings, source: str,
                  registration_id: int | None, uploaded_by: int | None) -> dict[str, Any]:
    """Check and store one input; a file is in place exactly when its row is committed."""
    _raise_if(_field_errors(data))
    row = WrittenInput(session=session_id, registration=registration_id, source=source, uploaded_by=uploaded_by,
                       title=data.title.strip(), language=canonical_language(data.language), text=data.text.strip())
    if data.file is None:
        async with write_transaction(WrittenInput._meta.db):
            return (await WrittenInput.insert(row).returning(*WrittenInput.all_columns()))[0]
    name = checked_file_name(data.file_name)
    directory = settings.upload_dir
    partial, size = _receive(data.file, directory, settings)
    final: Path | None = None
    try:
        kind = sniff(partial)
        check_kind(kind, name)
        assert kind is not None
        row.stored_name, row.file_name, row.file_kind, row.size = f"{uuid.uuid4().hex}.{kind}", name, kind, size
        final = directory / row.stored_name
        async with write_transaction(WrittenInput._meta.db):
            created = (await WrittenInput.insert(row).returning(*WrittenInput.all_columns()))[0]
            os.replace(partial, final)
    except BaseException:
        _discard(partial, final)
        raise
    return created


async def submit(reg: dict[str, Any], data: InputData, *, settings: Settings) -> dict[str, Any]:
    """A registrant sends an input through their manage link, before the deadline, to a session taking them."""
    session = await load_row(reg["session"])
    _refuse_registrant(session, reg)
    return await _create(session["id"], data, settings=settings, source=WrittenInput.Source.registrant.value,
                         registration_id=reg["id"], uploaded_by=None)


async def upload(session_id: int, data: InputData, *, user_id: int, settings: Settings) -> dict[str, Any]:
    """An organiser uploads an input received by other means (no deadline), linked to a registration of the
    session when ``registration_id`` is given (its erasure then removes the input)."""
    session = await load_row(session_id)
    _refuse_unless_taking_inputs(session)
    if data.registration_id is not None and not await Registration.exists().where(
        (Registration.id == data.registration_id) & (Registration.session == session_id)
        & Registration.anonymised_at.is_null()
    ):
        raise InvalidInput.field("registration_id", _("No such registration on this session."))
    return await _create(session_id, data, settings=settings, source=WrittenInput.Source.staff.value,
                         registration_id=data.registration_id, uploaded_by=user_id)


# --- Reading and deciding ----------------------------------------------------------------------------------------

def input_out(row: dict[str, Any], download_url: str | None) -> InputOut:
    """An input row as the API shows it; ``download_url`` for a file where the reader may fetch it."""
    return InputOut(
        id=row["id"], session_id=row["session"], registration_id=row["registration"], source=row["source"],
        title=row["title"], language=row["language"], kind=row["file_kind"] or "text", text=row["text"],
        file_name=row["file_name"], size=row["size"], published=row["published"], for_summary=row["for_summary"],
        created_at=row["created_at"], download_url=download_url if row["stored_name"] else None,
    )


async def inputs_of_session(session_id: int) -> list[dict[str, Any]]:
    """Every input of the session, oldest first, with the sender's name and organisation when there is one."""
    rows = await WrittenInput.select(
        *WrittenInput.all_columns(), WrittenInput.registration.name.as_alias("sender_name"),
        WrittenInput.registration.organisation.as_alias("sender_organisation"),
    ).where(WrittenInput.session == session_id).order_by(WrittenInput.id)
    return rows


async def inputs_of_registration(registration_id: int) -> list[dict[str, Any]]:
    return await WrittenInput.select().where(WrittenInput.registration == registration_id).order_by(WrittenInput.id)


async def published_inputs(session_id: int) -> list[dict[str, Any]]:
    return await WrittenInput.select().where(
        (WrittenInput.session == session_id) & (WrittenInput.published == True)  # noqa: E712
    ).order_by(WrittenInput.id)


async def summary_inputs(session_id: int) -> list[dict[str, Any]]:
    return await WrittenInput.select().where(
        (WrittenInput.session == session_id) & (WrittenInput.for_summary == True)  # noqa: E712
    ).order_by(WrittenInput.id)


async def _one(session_id: int, input_id: int) -> dict[str, Any]:
    row = await WrittenInput.select().where(
        (WrittenInput.id == input_id) & (WrittenInput.session == session_id)
    ).first()
    if row is None:
        raise NotFound(_("No such written input on this session."))
    return row


async def change(session_id: int, input_id: int, data: InputChange) -> dict[str, Any]:
    """Publish or withdraw an input from the session page; mark it for the summary or not."""
    await _one(session_id, input_id)
    values = {getattr(WrittenInput, name): getattr(data, name) for name in ("published", "for_summary")
              if getattr(data, name) is not msgspec.UNSET}
    if values:
        await WrittenInput.update(values).where(WrittenInput.id == input_id)
    return await _one(session_id, input_id)


async def delete(session_id: int, input_id: int, *, settings: Settings) -> None:
    """Remove an input; its file goes once the row's removal has committed."""
    row = await _one(session_id, input_id)
    async with write_transaction(WrittenInput._meta.db):
        await WrittenInput.delete().where(WrittenInput.id == input_id)
    remove_files([row["stored_name"]], settings.upload_dir)


@dataclass(frozen=True)
class Download:
    """A file to send as an attachment."""

    path: Path
    file_name: str
    media_type: str


async def download(session_id: int, input_id: int, *, settings: Settings, public: bool) -> Download:
    """The file of an input; ``public`` callers get only published inputs of public sessions (404 otherwise)."""
    row = await _one(session_id, input_id)
    if public:
        session = await load_row(session_id)
        if not row["published"] or session["status"] not in PUBLIC_STATUSES:
            raise NotFound(_("No such written input on this session."))
    if not row["stored_name"] or not STORED_NAME.match(row["stored_name"]):
        raise NotFound(_("This written input is a text, not a file."))
    return Download(settings.upload_dir / row["stored_name"], row["file_name"], FILE_TYPES[row["file_kind"]][0])


# --- Forgetting ----------------------------------------------------------------------------------------------------

async def forget_inputs_of(registration_id: int) -> list[str]:
    """Delete the registration's inputs in the caller's transaction; returns their files' names, for
    ``remove_files`` once that transaction has committed."""
    gone = await WrittenInput.delete().where(WrittenInput.registration == registration_id).returning(
        WrittenInput.stored_name
    )
    return [row["stored_name"] for row in gone if row["stored_name"]]


# --- Pages of other packages (server.app connects these to the events package's signals) ---------------------------

async def add_to_session_page(session_id: int, context: dict[str, Any], **_: Any) -> None:
    """On ``session_page_shown``: the public session page lists the published inputs, each downloadable."""
    context["written_inputs"] = await published_inputs(session_id)


async def add_to_summary_page(session_id: int, context: dict[str, Any], **_: Any) -> None:
    """On ``summary_page_shown``: the staff summary page shows the inputs marked for the summary."""
    context["summary_inputs"] = await summary_inputs(session_id)

