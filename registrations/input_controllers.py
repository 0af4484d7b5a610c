"""HTTP for written inputs: organisers list, upload, publish and remove them (``SessionInputsApi``); a registrant
sends and reads their own through the manage link (``ManageInputsApi``). Thin controllers over
``registrations/inputs.py``."""

from __future__ import annotations

__all__ = ["ManageInputsApi", "SessionInputsApi"]

from typing import Any

from litestar import Controller, Request, delete, get, patch, post
from litestar.params import FromPath, JSONBody
from litestar.response import File
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from registrations import inputs, manage
from registrations.input_schemas import InputChange, InputList, InputOut
from registrations.inputs_pages import (
    UPLOAD_BODY_CAP,
    InputUploadOperation,
    attachment,
    read_input,
    upload_exception_handlers,
)
from registrations.schemas import DecisionResult
from server.auth import Me, require_session_manager


def _staff_input_out(row: dict[str, Any]) -> InputOut:
    return inputs.input_out(row, f"/api/v1/sessions/{row['session']}/inputs/{row['id']}/file")


def _public_input_out(row: dict[str, Any]) -> InputOut:
    """A registrant sees the public download of their input once it is published."""
    return inputs.input_out(row, f"/sessions/{row['session']}/inputs/{row['id']}/file" if row["published"] else None)


class SessionInputsApi(Controller):
    """Written inputs of one session: organisers list, upload, publish, mark for the summary, remove."""

    path = "/api/v1/sessions/{session_id:int}/inputs"
    tags = ["inputs"]
    guards = [require_session_manager]

    @get("")
    async def list_inputs(self, session_id: FromPath[int]) -> InputList:
        """Every written input of the session, oldest first."""
        items = [_staff_input_out(row) for row in await inputs.inputs_of_session(session_id)]
        return InputList(items=items, total=len(items))

    @post("", status_code=HTTP_201_CREATED, request_max_body_size=UPLOAD_BODY_CAP,
          exception_handlers=upload_exception_handlers, operation_class=InputUploadOperation)
    async def upload(self, request: Request, session_id: FromPath[int], me: Me) -> InputOut:
        """Upload an input received by other means: JSON ``{"title", "language", "text"}`` (``InputCreate``), or
        multipart with ``title``, ``language`` and the document (PDF, DOCX or ODT, recognised by its content) in
        ``file``; an optional ``registration_id`` links it to its registrant."""
        settings = request.app.state.settings
        row = await inputs.upload(session_id, await read_input(request, settings, staff=True), user_id=me.id,
                                  settings=settings)
        return _staff_input_out(row)

    @patch("/{input_id:int}")
    async def change(self, session_id: FromPath[int], input_id: FromPath[int], data: JSONBody[InputChange]) -> InputOut:
        """Publish it on the session page (``published``) or mark it for the summary (``for_summary``)."""
        return _staff_input_out(await inputs.change(session_id, input_id, data))

    @delete("/{input_id:int}", status_code=HTTP_200_OK)
    async def remove(self, request: Request, session_id: FromPath[int], input_id: FromPath[int]) -> DecisionResult:
        """Remove the input and its file."""
        await inputs.delete(session_id, input_id, settings=request.app.state.settings)
        return DecisionResult(updated=1)

    @get("/{input_id:int}/file")
    async def file(self, request: Request, session_id: FromPath[int], input_id: FromPath[int]) -> File:
        """The input's file as a download (attachment, its real type)."""
        return attachment(await inputs.download(session_id, input_id, settings=request.app.state.settings,
                                                public=False))


class ManageInputsApi(Controller):
    """A registrant's written inputs, through the manage link."""

    path = "/api/v1/manage/{token:str}/inputs"
    tags = ["registrant"]

    @get("")
    async def list_inputs(self, request: Request, token: FromPath[str]) -> InputList:
        """The inputs this registrant sent (and those organisers linked to them)."""
        reg = await manage.registration_by_token(token, request.app.state.settings)
        items = [_public_input_out(row) for row in await inputs.inputs_of_registration(reg["id"])]
        return InputList(items=items, total=len(items))

    @post("", status_code=HTTP_201_CREATED, request_max_body_size=UPLOAD_BODY_CAP,
          exception_handlers=upload_exception_handlers, operation_class=InputUploadOperation)
    async def submit(self, request: Request, token: FromPath[str]) -> InputOut:
        """Send a written input before the session's ``inputs_close_at`` (by default its start): JSON
        ``{"title", "language", "text"}``, or multipart with ``title``, ``language`` and the document (PDF, DOCX or
        ODT, recognised by its content) in ``file``."""
        settings = request.app.state.settings
        reg = await manage.registration_by_token(token, settings)
        return _public_input_out(await inputs.submit(reg, await read_input(request, settings, staff=False),
                                                     settings=settings))
