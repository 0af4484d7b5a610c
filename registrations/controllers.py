"""HTTP for this package: thin controllers, ``...Api`` for JSON and ``...Pages`` for HTML."""

from __future__ import annotations

__all__ = ["route_handlers"]

from dataclasses import replace
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, JSONBody
from litestar.response import File
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from registrations import approvals, attendance, inputs, manage, questions, registering, speakers, staff
from registrations.attendance_pages import AttendancePages
from registrations.confirm_pages import StaffConfirmPages
from registrations.inputs_pages import (
    UPLOAD_BODY_CAP,
    InputPages,
    InputUploadOperation,
    ManageInputPages,
    PublicInputPages,
    attachment,
    read_input,
    upload_exception_handlers,
)
from registrations.message_pages import StaffMessagePages
from registrations.messages import MessageIn, MessageOut, send_to_registrants
from registrations.pages import ManagePages, RegistrationPages, StaffRegistrationPages
from registrations.questions_pages import QuestionPages
from registrations.ratelimit import limit_public_writes
from registrations.schemas import (
    AttendanceImportOut,
    BulkDecision,
    DecisionResult,
    InputChange,
    InputList,
    InputOut,
    InvitationCreate,
    InvitationResult,
    Move,
    NeedDecision,
    QuestionList,
    QuestionsIn,
    RegistrationCreate,
    RegistrationCreated,
    RegistrationOut,
    RegistrationUpdate,
    SpeakerChange,
    SpeakerListSettings,
    SpeakerListSettingsOut,
    SpeakerOrder,
    SpeakerOut,
    SpeakerPage,
    SpeakerSuggestion,
    SpeakingCreated,
    SpeakingOut,
    SpeakingRequest,
    SpeakingRequestUpdate,
)
from registrations.speakers_pages import ManageSpeakingPages, StaffSpeakerPages
from registrations.staff_forms import FILTERS, Filters
from registrations.workspace import staff_home
from server.auth import StaffUser, current_staff, require_session_manager
from server.errors import InvalidInput, NotFound
from server.i18n import gettext as _


async def _manager(request: Request, session_id: int) -> StaffUser:
    """The staff member of the request (the require_session_manager guard checked they manage the session)."""
    return await current_staff(request)


class SessionRegistrationsApi(Controller):
    """Registrations of one session: anyone registers; staff list and decide."""

    path = "/api/v1/sessions/{session_id:int}/registrations"
    tags = ["registrations"]

    @post("", guards=[limit_public_writes], status_code=HTTP_201_CREATED)
    async def register(
        self, request: Request, session_id: FromPath[int], data: JSONBody[RegistrationCreate]
    ) -> Response[RegistrationCreated]:
        """Register for the session: 201 (confirmed, waitlisted or pending); 200 for an address already registered."""
        outcome = await registering.register(session_id, data, settings=request.app.state.settings)
        return Response(outcome.reply, status_code=HTTP_201_CREATED if outcome.created else HTTP_200_OK)

    @get("", guards=[require_session_manager], dependencies=FILTERS)
    async def list_registrations(
        self,
        request: Request,
        session_id: FromPath[int],
        filters: Filters,
        limit: FromQuery[int] = 100,
        offset: FromQuery[int] = 0,
        format: FromQuery[str] = "json",
    ) -> Response[Any]:
        """Search and filter the session's registrations, with counts by status; ``?format=csv`` for a spreadsheet
        of every matching registration (``limit`` and ``offset`` page the JSON only)."""
        await _manager(request, session_id)
        if format not in ("json", "csv"):
            raise InvalidInput.field("format", _("Choose json or csv."))
        filters = replace(filters, limit=limit, offset=offset)
        if format == "csv":
            return Response(
                await staff.session_csv(session_id, filters),
                media_type="text/csv",
                headers={"content-disposition": f'attachment; filename="session-{session_id}-registrations.csv"'},
            )
        return Response(await staff.list_registrations(session_id, filters))

    @post("/approve", guards=[require_session_manager], status_code=HTTP_200_OK)
    async def approve(
        self, request: Request, session_id: FromPath[int], data: JSONBody[BulkDecision]
    ) -> DecisionResult:
        """Approve pending registrations (each takes a seat or joins the waitlist)."""
        user = await _manager(request, session_id)
        count = await approvals.approve(
            session_id, data.registration_ids, user=user, settings=request.app.state.settings
        )
        return DecisionResult(updated=count)

    @post("/decline", guards=[require_session_manager], status_code=HTTP_200_OK)
    async def decline(
        self, request: Request, session_id: FromPath[int], data: JSONBody[BulkDecision]
    ) -> DecisionResult:
        """Decline registrations with a reason; freed seats go to the waitlist."""
        user = await _manager(request, session_id)
        count = await approvals.decline(
            session_id, data.registration_ids, data.reason, user=user, settings=request.app.state.settings
        )
        return DecisionResult(updated=count)

    @post("/{registration_id:int}/move", guards=[require_session_manager], status_code=HTTP_200_OK)
    async def move(
        self, request: Request, session_id: FromPath[int], registration_id: FromPath[int], data: JSONBody[Move]
    ) -> DecisionResult:
        """Move between the waitlist and the confirmed list, within capacity."""
        user = await _manager(request, session_id)
        await approvals.move(session_id, registration_id, data.to, user=user, settings=request.app.state.settings)
        return DecisionResult(updated=1)

    @post("/{registration_id:int}/rotate-link", guards=[require_session_manager], status_code=HTTP_200_OK)
    async def rotate_link(
        self, request: Request, session_id: FromPath[int], registration_id: FromPath[int]
    ) -> DecisionResult:
        """Revoke the registrant's manage link (a new one is mailed to them)."""
        await _manager(request, session_id)
        await manage.rotate_and_resend(session_id, registration_id, settings=request.app.state.settings)
        return DecisionResult(updated=1)


class SessionNeedsApi(Controller):
    """Organisers settle registrants' needs."""

    path = "/api/v1/sessions/{session_id:int}/needs"
    tags = ["registrations"]
    guards = [require_session_manager]

    @post("/{need_id:int}", status_code=HTTP_200_OK)
    async def decide(
        self, request: Request, session_id: FromPath[int], need_id: FromPath[int], data: JSONBody[NeedDecision]
    ) -> DecisionResult:
        """Mark a need ``arranged`` or ``not_possible`` (the registrant is told)."""
        await _manager(request, session_id)
        await approvals.decide_need(session_id, need_id, data.status, data.note, settings=request.app.state.settings)
        return DecisionResult(updated=1)


class SessionInvitationsApi(Controller):
    """Invitations to ``invitation`` sessions: a list of addresses, or a CSV upload (field ``file``)."""

    path = "/api/v1/sessions/{session_id:int}/invitations"
    tags = ["registrations"]
    guards = [require_session_manager]

    @post("", status_code=HTTP_200_OK)
    async def invite(
        self, request: Request, session_id: FromPath[int], data: JSONBody[InvitationCreate]
    ) -> InvitationResult:
        """Invite addresses; each new one is mailed."""
        await _manager(request, session_id)
        invited, known = await approvals.invite(session_id, data.emails, settings=request.app.state.settings)
        return InvitationResult(invited=invited, already_invited=known)

    @post("/import", status_code=HTTP_200_OK)
    async def import_csv(
        self,
        request: Request,
        session_id: FromPath[int],
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> InvitationResult:
        """Invite every address found in an uploaded CSV (multipart, field ``file``)."""
        await _manager(request, session_id)
        emails = await approvals.emails_from_upload(data.get("file"))
        invited, known = await approvals.invite(session_id, emails, settings=request.app.state.settings)
        return InvitationResult(invited=invited, already_invited=known)


class SessionAttendanceApi(Controller):
    """Attendance of one session from the meeting platform's export."""

    path = "/api/v1/sessions/{session_id:int}/attendance"
    tags = ["attendance"]
    guards = [require_session_manager]

    @post("/import", status_code=HTTP_200_OK)
    async def import_report(
        self,
        request: Request,
        session_id: FromPath[int],
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> AttendanceImportOut:
        """Import a Zoom webinar attendee report, a Zoom meeting participants export or a Teams attendance report
        (multipart, field ``file``; optional ``timezone`` of the report's times, default the session's). Answers
        the summary; the same file again changes nothing (``already_imported``)."""
        user = await _manager(request, session_id)
        content = await attendance.read_upload(data.get("file"))
        timezone = data.get("timezone") if isinstance(data.get("timezone"), str) else None
        summary = await attendance.import_attendance(session_id, content, timezone=timezone, user=user)
        return AttendanceImportOut(**summary.__dict__)


class ManageApi(Controller):
    """The registrant's own registration, through the manage link (no account, no cookies)."""

    path = "/api/v1/manage/{token:str}"
    tags = ["registrant"]

    @get("")
    async def show(self, request: Request, token: FromPath[str]) -> RegistrationOut:
        """The registration with its needs, history and waitlist position."""
        reg = await manage.registration_by_token(token, request.app.state.settings)
        return await manage.registration_view(reg)

    @patch("")
    async def change(
        self, request: Request, token: FromPath[str], data: JSONBody[RegistrationUpdate]
    ) -> RegistrationOut:
        """Change language, time zone, needs or optional consents."""
        reg = await manage.registration_by_token(token, request.app.state.settings)
        return await manage.registration_view(await manage.update(reg, data))

    @delete("", status_code=HTTP_200_OK)
    async def cancel(self, request: Request, token: FromPath[str]) -> RegistrationOut:
        """Cancel: the seat goes to the next in line."""
        settings = request.app.state.settings
        reg = await manage.registration_by_token(token, settings)
        await manage.cancel(reg, settings=settings)
        return await manage.registration_view(await manage.registration_by_token(token, settings))

    @post("/register-again", status_code=HTTP_200_OK)
    async def register_again(self, request: Request, token: FromPath[str]) -> RegistrationOut:
        """Who cancelled takes a place again (confirmed, waitlisted or pending), while registration is open."""
        settings = request.app.state.settings
        await registering.register_again(await manage.registration_by_token(token, settings), settings=settings)
        return await manage.registration_view(await manage.registration_by_token(token, settings))

    @get("/export")
    async def export(self, request: Request, token: FromPath[str]) -> Response[dict]:
        """Everything kept about the registrant, as a JSON download."""
        reg = await manage.registration_by_token(token, request.app.state.settings)
        return Response(
            await manage.export(reg),
            headers={"content-disposition": f'attachment; filename="registration-{reg["id"]}.json"'},
        )

    @post("/erase", status_code=HTTP_200_OK)
    async def erase(self, request: Request, token: FromPath[str]) -> dict[str, str]:
        """Erase personal data; the link stops working."""
        settings = request.app.state.settings
        await manage.erase(await manage.registration_by_token(token, settings), settings=settings)
        return {"status": "erased"}


class SessionQuestionsApi(Controller):
    """A session's extra questions: organisers read and replace the list."""

    path = "/api/v1/sessions/{session_id:int}/questions"
    tags = ["registrations"]
    guards = [require_session_manager]

    @get("")
    async def list_questions(self, session_id: FromPath[int]) -> QuestionList:
        """The questions the session asks, in order."""
        return QuestionList([questions.question_out(q) for q in await questions.session_questions(session_id)])

    @put("")
    async def replace(self, session_id: FromPath[int], data: JSONBody[QuestionsIn]) -> QuestionList:
        """Replace the list: items with an ``id`` change, the others are added, those left out are removed (their
        answers stay in the exports)."""
        asked = await questions.replace_questions(session_id, data.items)
        return QuestionList([questions.question_out(q) for q in asked])


class SessionSpeakersApi(Controller):
    """The speakers' list of a listening session or regional review: organisers see, order and decide."""

    path = "/api/v1/sessions/{session_id:int}/speakers"
    tags = ["speakers"]
    guards = [require_session_manager]

    @get("")
    async def list_speakers(self, session_id: FromPath[int]) -> SpeakerPage:
        """Every request to speak: those on the list in its order, then the others in request order."""
        items = await speakers.list_speakers(session_id)
        return SpeakerPage(items=items, total=len(items))

    @get("/suggestion")
    async def suggestion(self, session_id: FromPath[int]) -> SpeakerSuggestion:
        """The balanced order (DESIGN.md's rule) of the requests not declined whose registration is confirmed;
        changes nothing."""
        return SpeakerSuggestion(items=await speakers.suggestion(session_id))

    @put("/order")
    async def set_order(self, request: Request, session_id: FromPath[int], data: JSONBody[SpeakerOrder]) -> SpeakerPage:
        """Accept these requests in this order; the speakers are told."""
        items = await speakers.set_order(session_id, data.ids, settings=request.app.state.settings)
        return SpeakerPage(items=items, total=len(items))

    @get("/settings")
    async def read_settings(self, session_id: FromPath[int]) -> SpeakerListSettingsOut:
        """Deadline for requests, slot, offset, default minutes, publication, and the minutes the list takes."""
        return await _settings_out(session_id)

    @patch("/settings")
    async def change_settings(
        self, request: Request, session_id: FromPath[int], data: JSONBody[SpeakerListSettings]
    ) -> SpeakerListSettingsOut:
        """Change the list's settings, or publish it on the session page (``published``)."""
        await speakers.update_settings(session_id, data, settings=request.app.state.settings)
        return await _settings_out(session_id)

    @patch("/{speaker_id:int}")
    async def change(
        self, request: Request, session_id: FromPath[int], speaker_id: FromPath[int], data: JSONBody[SpeakerChange]
    ) -> SpeakerOut:
        """Accept, decline (with a reason), place, time, or mark spoke or absent with the minutes used."""
        return await speakers.change_speaker(session_id, speaker_id, data, settings=request.app.state.settings)


async def _settings_out(session_id: int) -> SpeakerListSettingsOut:
    current = await speakers.list_settings(session_id)
    return SpeakerListSettingsOut(
        requests_close_at=current.requests_close_at, slot_minutes=current.slot_minutes,
        offset_minutes=current.offset_minutes, default_minutes=current.default_minutes,
        published=current.published_at is not None, minutes_on_list=await speakers.minutes_on_list(session_id),
    )


class ManageSpeakingApi(Controller):
    """The registrant's request to speak, through the manage link."""

    path = "/api/v1/manage/{token:str}/speaking"
    tags = ["registrant"]

    @post("", status_code=HTTP_201_CREATED)
    async def request_to_speak(
        self, request: Request, token: FromPath[str], data: JSONBody[SpeakingRequest]
    ) -> SpeakingCreated:
        """Ask to take the floor (one request per registration: a second is refused with 409)."""
        reg = await manage.registration_by_token(token, request.app.state.settings)
        return SpeakingCreated(id=await speakers.request_to_speak(reg, data), status="requested")

    @get("")
    async def show(self, request: Request, token: FromPath[str]) -> SpeakingOut:
        """The request and where it stands: status, place, minutes and expected time once accepted."""
        reg = await manage.registration_by_token(token, request.app.state.settings)
        return await _own(reg)

    @patch("")
    async def change(
        self, request: Request, token: FromPath[str], data: JSONBody[SpeakingRequestUpdate]
    ) -> SpeakingOut:
        """Change the request until the deadline."""
        reg = await manage.registration_by_token(token, request.app.state.settings)
        await speakers.change_request(reg, data)
        return await _own(reg)

    @delete("", status_code=HTTP_200_OK)
    async def withdraw(self, request: Request, token: FromPath[str]) -> dict[str, str]:
        """Withdraw the request."""
        settings = request.app.state.settings
        await speakers.withdraw_request(await manage.registration_by_token(token, settings), settings=settings)
        return {"status": "withdrawn"}


async def _own(reg: dict[str, Any]) -> SpeakingOut:
    found = await speakers.own_request(reg)
    if found is None:
        raise NotFound(_("You have not asked to speak."))
    return found


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
    async def upload(self, request: Request, session_id: FromPath[int]) -> InputOut:
        """Upload an input received by other means: JSON ``{"title", "language", "text"}`` (``InputCreate``), or
        multipart with ``title``, ``language`` and the document (PDF, DOCX or ODT, recognised by its content) in
        ``file``; an optional ``registration_id`` links it to its registrant."""
        user = await _manager(request, session_id)
        settings = request.app.state.settings
        row = await inputs.upload(session_id, await read_input(request, settings, staff=True), user_id=user.id,
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


class SessionMessagesApi(Controller):
    """Organisers write to a session's registrants."""

    path = "/api/v1/sessions/{session_id:int}/messages"
    tags = ["registrations"]
    guards = [require_session_manager]

    @post("", status_code=HTTP_200_OK)
    async def send(self, request: Request, session_id: FromPath[int], data: JSONBody[MessageIn]) -> MessageOut:
        """To all or some registrants (``statuses``, ``languages``, ``needs``), each in their language; with
        ``dry_run`` only the count and the preview per language."""
        await _manager(request, session_id)
        return await send_to_registrants(session_id, data, settings=request.app.state.settings)


route_handlers: list = [
    SessionRegistrationsApi, SessionNeedsApi, SessionInvitationsApi, SessionAttendanceApi, ManageApi,
    SessionSpeakersApi, ManageSpeakingApi, SessionInputsApi, ManageInputsApi, SessionMessagesApi, RegistrationPages,
    ManagePages, StaffRegistrationPages, AttendancePages, ManageSpeakingPages, StaffSpeakerPages, ManageInputPages,
    InputPages, PublicInputPages, StaffConfirmPages, StaffMessagePages, staff_home, SessionQuestionsApi,
    QuestionPages,
]
