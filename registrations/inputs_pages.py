"""HTTP for written inputs: reading an input from a request (JSON text or multipart with the file in ``file``),
the download response, and the pages: the registrant's form on the manage page, the staff list, the public file.

Upload routes take bodies up to a little more than the largest limit a configuration may set; the configured
limit is checked as the file is copied (413 naming ``file``), and an announced ``Content-Length`` beyond it is
refused before anything is read.
"""

from __future__ import annotations

__all__ = [
    "UPLOAD_BODY_CAP", "InputPages", "InputUploadOperation", "ManageInputPages", "PublicInputPages", "attachment",
    "content_disposition", "read_input", "upload_exception_handlers",
]

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import msgspec
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.openapi.spec import OpenAPIFormat, OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.params import FromPath
from litestar.response import File, Redirect, Template

from events import services
from events.forms import _local_datetime, _local_text
from events.queries import load_row
from events.schemas import LANGUAGE_CODE, SessionUpdate
from registrations import inputs
from registrations.input_schemas import InputChange, InputCreate
from registrations.pages import _manage_context, _registrant
from registrations.tables import Registration
from server.auth import Me, StaffUser, require_session_manager
from server.errors import ConveneError, FieldError, InvalidInput, NotFound, handle_domain
from server.i18n import gettext as _
from server.i18n import pick_text
from server.schemas import MULTILINE_TEXT, NON_BLANK_LINE
from server.settings import MAX_UPLOAD_BYTES, Settings
from server.validation import field_error, form_errors

#: Room for the multipart envelope and the other fields around the file.
MULTIPART_OVERHEAD = 1024 * 1024
#: The most an upload route reads: the largest configurable limit and its envelope (the configured limit is
#: checked on top, as the file is copied).
UPLOAD_BODY_CAP = MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD
#: A JSON text input is far smaller than any file.
JSON_BODY_CAP = 256 * 1024
_FORM_FIELDS = ("title", "language", "text", "registration_id")


def _refuse_announced_excess(request: Request, settings: Settings) -> None:
    """A body announced larger than the file limit allows is refused before a byte of it is read."""
    if (request.content_length or 0) > settings.upload_max_bytes + MULTIPART_OVERHEAD:
        raise inputs.too_large(settings)


async def _json_body(request: Request) -> bytes:
    """The JSON body, read a chunk at a time up to ``JSON_BODY_CAP`` (the text field is bounded far below)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > JSON_BODY_CAP:
            raise InvalidInput.field("text", _("At most %(count)s characters.", count=20000))
        chunks.append(chunk)
    return b"".join(chunks)


def _registration_id(value: str) -> int | None:
    if not value.strip():
        return None
    try:
        return int(value)
    except ValueError as error:
        raise InvalidInput.field("registration_id", _("Choose from the list.")) from error


async def read_input(request: Request, settings: Settings, *, staff: bool) -> inputs.InputData:
    """The input a request sends: multipart (``title``, ``language``, ``text`` or the file in ``file``) or a JSON
    object (``InputCreate``). ``registration_id`` is for staff only."""
    _refuse_announced_excess(request, settings)
    content_type, _options = request.content_type
    if content_type == RequestEncodingType.MULTI_PART:
        form = await request.form()
        values = {name: str(form.get(name) or "") if not isinstance(form.get(name), UploadFile) else ""
                  for name in _FORM_FIELDS}
        upload = form.get("file")
        sent_file = isinstance(upload, UploadFile) and upload.filename
        if sent_file:
            await upload.seek(0)
        data = inputs.InputData(
            title=values["title"].strip(), language=values["language"].strip(),
            text=values["text"].replace("\r\n", "\n"),
            file=upload.file if sent_file else None, file_name=upload.filename if sent_file else "",
            registration_id=_registration_id(values["registration_id"]),
        )
    else:
        try:
            sent = msgspec.json.decode(await _json_body(request), type=InputCreate)
        except msgspec.ValidationError as error:
            found = field_error(error)
            raise InvalidInput(f"{found.field}: {found.message}", [found]) from error
        except msgspec.DecodeError as error:
            raise InvalidInput.field("body", _("The request body is not valid JSON.")) from error
        data = inputs.InputData(title=sent.title, language=sent.language, text=sent.text,
                                registration_id=sent.registration_id)
    if not staff and data.registration_id is not None:
        raise InvalidInput.field("registration_id", _("Only organisers link an input to a registration."))
    return data


def content_disposition(file_name: str) -> str:
    """``attachment`` with the name as sent: an ASCII fallback (anything else, quotes and backslashes become
    ``_``) and the exact name in RFC 5987 form (``filename*``)."""
    fallback = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\;' else "_" for ch in file_name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"


def attachment(found: inputs.Download) -> File:
    """The file as a download: its real type, never rendered inline, never sniffed, not cached by the way."""
    if not found.path.is_file():  # its row is there, so it should be: say so rather than fail
        raise NotFound(_("No such written input on this session."))
    return File(
        found.path,
        media_type=found.media_type,
        headers={
            "content-disposition": content_disposition(found.file_name),
            "x-content-type-options": "nosniff",
            "cache-control": "no-store",
        },
    )


def _field(kind: OpenAPIType, description: str, **extra: Any) -> Schema:
    return Schema(type=kind, description=description, **extra)


_TEXT_FIELDS = {
    "title": _field(OpenAPIType.STRING, "The input's title.", max_length=300, pattern=NON_BLANK_LINE),
    "language": _field(OpenAPIType.STRING, "The language it is written in (BCP 47).", max_length=40,
                       pattern=LANGUAGE_CODE),
    "text": _field(OpenAPIType.STRING, "The text of a text input (not with a file).", max_length=20000,
                   pattern=MULTILINE_TEXT),
    "registration_id": _field(OpenAPIType.INTEGER, "Staff only: the registration it came from."),
}


@dataclass
class InputUploadOperation(Operation):
    """The upload routes read their body themselves (JSON or multipart): the OpenAPI says what they take."""

    def __post_init__(self) -> None:
        file = _field(OpenAPIType.STRING, "A PDF, DOCX or ODT document, recognised by its content.",
                      format=OpenAPIFormat.BINARY)
        self.request_body = RequestBody(required=True, content={
            # Another field is refused (422, naming it): the body has exactly these.
            "application/json": OpenAPIMediaType(schema=Schema(
                type=OpenAPIType.OBJECT, properties=_TEXT_FIELDS, required=["title", "language", "text"],
                additional_properties=False)),
            "multipart/form-data": OpenAPIMediaType(schema=Schema(
                type=OpenAPIType.OBJECT, properties={**_TEXT_FIELDS, "file": file}, required=["title", "language"],
                additional_properties=False)),
        })


def _too_large(request: Request, _exc: RequestEntityTooLarge) -> Response:
    """A body beyond even the routes' cap is still refused naming ``file``."""
    return handle_domain(request, inputs.too_large(request.app.state.settings))


#: Upload routes answer an oversized body as a file too large, not as an anonymous 413.
upload_exception_handlers: dict = {RequestEntityTooLarge: _too_large}


class ManageInputPages(Controller):
    """The registrant's written inputs, on the manage page."""

    path = "/manage/{token:str}/inputs"
    include_in_schema = False

    @post("", request_max_body_size=UPLOAD_BODY_CAP, exception_handlers=upload_exception_handlers)
    async def submit(self, request: Request, token: FromPath[str]) -> Template | Redirect:
        """Send a written input (a text or a file); errors come back beside the fields."""
        settings = request.app.state.settings
        reg = await _registrant(token, request)
        try:
            await inputs.submit(reg, await read_input(request, settings, staff=False), settings=settings)
        except ConveneError as error:
            if error.status_code == 404:
                raise
            form = await request.form()
            values = {name: str(form.get(name) or "") for name in ("title", "language", "text")}
            context = await _manage_context(token, request, input_form=values, input_errors=form_errors(error))
            context["written_inputs"] = await inputs.inputs_of_registration(reg["id"])
            return Template("pages/manage.html", context=context, status_code=error.status_code)
        return Redirect(f"/manage/{token}?input_sent=1#inputs-heading", status_code=303)


class PublicInputPages(Controller):
    """Published written inputs, downloadable by anyone from the public session page."""

    include_in_schema = False

    @get("/sessions/{session_id:int}/inputs/{input_id:int}/file")
    async def file(self, request: Request, session_id: FromPath[int], input_id: FromPath[int]) -> File:
        """The file of a published input (404 for anything else)."""
        found = await inputs.download(session_id, input_id, settings=request.app.state.settings, public=True)
        return attachment(found)


class InputPages(Controller):
    """Organisers' page of a session's written inputs: list, upload, publish, mark for the summary, remove."""

    path = "/staff/sessions/{session_id:int}/inputs"
    include_in_schema = False
    guards = [require_session_manager]

    async def _page(self, request: Request, me: StaffUser, session_id: int, status: int = 200,
                    **extra: Any) -> Template:
        session = await load_row(session_id)
        title = pick_text(session["title"], session["floor_language"])
        registrations = await Registration.select(Registration.id, Registration.name, Registration.organisation).where(
            (Registration.session == session_id) & Registration.anonymised_at.is_null()
        ).order_by(Registration.name)
        context = {
            "user": me, "session_row": session, "title": title,
            "items": await inputs.inputs_of_session(session_id), "registrations": registrations,
            "takes_inputs": session["kind"] in inputs.INPUT_KINDS, "closes_at": inputs.closes_at(session),
            "deadline_text": _local_text(session["inputs_close_at"], session["timezone"]),
            "form": {}, "errors": {}, "done": request.query_params.get("done"), **extra,
        }
        return Template("pages/staff/inputs.html", context=context, status_code=status, media_type=MediaType.HTML)

    @get("")
    async def list_page(self, request: Request, me: Me, session_id: FromPath[int]) -> Template:
        """Every input of the session, with the upload form."""
        return await self._page(request, me, session_id)

    @post("", request_max_body_size=UPLOAD_BODY_CAP, exception_handlers=upload_exception_handlers)
    async def upload(self, request: Request, me: Me, session_id: FromPath[int]) -> Template | Redirect:
        """Upload an input received by other means."""
        settings = request.app.state.settings
        try:
            await inputs.upload(session_id, await read_input(request, settings, staff=True), user_id=me.id,
                                settings=settings)
        except ConveneError as error:
            if error.status_code == 404:
                raise
            form = await request.form()
            values = {name: str(form.get(name) or "") for name in _FORM_FIELDS}
            return await self._page(request, me, session_id, error.status_code, form=values, errors=form_errors(error))
        return Redirect(f"/staff/sessions/{session_id}/inputs?done=uploaded", status_code=303)

    @post("/deadline")
    async def deadline(self, request: Request, me: Me, session_id: FromPath[int]) -> Template | Redirect:
        """Set until when registrants may send inputs (a time in the session's zone; empty: until the start)."""
        form = await request.form()
        text = str(form.get("inputs_close_at") or "").strip()
        errors: list[FieldError] = []
        value = _local_datetime("inputs_close_at", text, (await load_row(session_id))["timezone"], errors)
        try:
            if errors:
                raise InvalidInput("; ".join(f"{e.field}: {e.message}" for e in errors), errors)
            await services.update_session(me, session_id, SessionUpdate(inputs_close_at=value))
        except ConveneError as error:
            if error.status_code in (403, 404):
                raise
            return await self._page(request, me, session_id, error.status_code, deadline_text=text,
                                    errors=form_errors(error))
        return Redirect(f"/staff/sessions/{session_id}/inputs?done=deadline", status_code=303)

    @post("/{input_id:int}")
    async def decide(self, request: Request, session_id: FromPath[int], input_id: FromPath[int]) -> Redirect:
        """Publish or withdraw, mark for the summary or not (the form's ``published`` and ``for_summary``)."""
        form = await request.form()
        await inputs.change(session_id, input_id, InputChange(
            published=bool(form.get("published")), for_summary=bool(form.get("for_summary"))
        ))
        return Redirect(f"/staff/sessions/{session_id}/inputs?done=saved", status_code=303)

    @post("/{input_id:int}/delete")
    async def remove(self, request: Request, session_id: FromPath[int], input_id: FromPath[int]) -> Redirect:
        """Remove an input and its file."""
        await inputs.delete(session_id, input_id, settings=request.app.state.settings)
        return Redirect(f"/staff/sessions/{session_id}/inputs?done=removed", status_code=303)

    @get("/{input_id:int}/file")
    async def file(self, request: Request, session_id: FromPath[int], input_id: FromPath[int]) -> File:
        """The file of any input of the session, as a download."""
        return attachment(await inputs.download(session_id, input_id, settings=request.app.state.settings,
                                                public=False))
