"""HTTP for this package: thin controllers, ``...Api`` for JSON and ``...Pages`` for HTML. This module holds the
registrations' own API (registrations, needs, invitations, attendance import, manage link, questions, messages) and
gathers every controller of the package in ``route_handlers``; the speakers' list and the written inputs have theirs
in ``speaker_controllers.py`` and ``input_controllers.py``."""

from __future__ import annotations

__all__ = ["route_handlers"]

from dataclasses import replace
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.enums import RequestEncodingType
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Body, FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from registrations import approvals, attendance, manage, questions, registering, staff
from registrations.attendance_pages import AttendancePages
from registrations.confirm_pages import StaffConfirmPages
from registrations.input_controllers import ManageInputsApi, SessionInputsApi
from registrations.inputs_pages import (
    InputPages,
    ManageInputPages,
    PublicInputPages,
)
from registrations.message_pages import StaffMessagePages
from registrations.messages import MessageIn, MessageOut, send_to_registrants
from registrations.pages import ManagePages, RegistrationPages, StaffRegistrationPages
from registrations.question_schemas import QuestionList, QuestionsIn
from registrations.questions_pages import QuestionPages
from registrations.ratelimit import limit_public_writes
from registrations.schemas import (
    AttendanceImportOut,
    BulkDecision,
    DecisionResult,
    InvitationCreate,
    InvitationResult,
    Move,
    NeedDecision,
    RegistrationCreate,
    RegistrationCreated,
    RegistrationOut,
    RegistrationUpdate,
)
from registrations.speaker_controllers import ManageSpeakingApi, SessionSpeakersApi
from registrations.speakers_pages import ManageSpeakingPages, StaffSpeakerPages
from registrations.staff_forms import FILTERS, Filters
from registrations.workspace import staff_home
from server.auth import Me, require_session_manager
from server.errors import InvalidInput
from server.i18n import gettext as _
from server.openapi import download_operation
from server.schemas import MAX_INT, ZONE_NAMES

#: A multipart upload: the file in the field ``file`` (its content is read and checked by the service).
_UPLOAD = {"properties": {"file": {"type": "string", "format": "binary"}}, "required": ["file"]}
#: An attendance report, with the zone of its times (default the session's).
_REPORT_UPLOAD = {"properties": {**_UPLOAD["properties"], "timezone": {"type": "string", "enum": ZONE_NAMES}},
                  "required": ["file"]}


class SessionRegistrationsApi(Controller):
    """Registrations of one session: anyone registers; staff list and decide."""

    path = "/api/v1/sessions/{session_id:int}/registrations"
    tags = ["registrations"]

    @post("", guards=[limit_public_writes], status_code=HTTP_201_CREATED, responses={
        HTTP_200_OK: ResponseSpec(data_container=RegistrationCreated, generate_examples=False,
                                  description="The address is registered already: every field is null, and the "
                                              "manage link is mailed to it again")})
    async def register(
        self, request: Request, session_id: FromPath[int], data: JSONBody[RegistrationCreate]
    ) -> Response[RegistrationCreated]:
        """Register for the session: 201 (confirmed, waitlisted or pending); 200 for an address already registered."""
        outcome = await registering.register(session_id, data, settings=request.app.state.settings)
        return Response(outcome.reply, status_code=HTTP_201_CREATED if outcome.created else HTTP_200_OK)

    @get("", guards=[require_session_manager], dependencies=FILTERS, operation_class=download_operation("text/csv"))
    async def list_registrations(
        self,
        request: Request,
        session_id: FromPath[int],
        filters: Filters,
        limit: Annotated[int, QueryParameter(schema_extra={"minimum": 1, "maximum": staff.MAX_LIMIT})] = 100,
        # Past what a column holds it is a 400 naming ``offset`` (Litestar); below 0, the list's own 422.
        offset: Annotated[int, QueryParameter(le=MAX_INT, schema_extra={"minimum": 0})] = 0,
        format: Annotated[str, QueryParameter(schema_extra={"enum": ["json", "csv"]})] = "json",
    ) -> Response[Any]:
        """Search and filter the session's registrations, with counts by status; ``?format=csv`` for a spreadsheet
        of every matching registration (``limit`` and ``offset`` page the JSON only)."""
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
        self, request: Request, session_id: FromPath[int], data: JSONBody[BulkDecision], me: Me
    ) -> DecisionResult:
        """Approve pending registrations (each takes a seat or joins the waitlist)."""
        count = await approvals.approve(
            session_id, data.registration_ids, user=me, settings=request.app.state.settings
        )
        return DecisionResult(updated=count)

    @post("/decline", guards=[require_session_manager], status_code=HTTP_200_OK)
    async def decline(
        self, request: Request, session_id: FromPath[int], data: JSONBody[BulkDecision], me: Me
    ) -> DecisionResult:
        """Decline registrations with a reason; freed seats go to the waitlist."""
        count = await approvals.decline(
            session_id, data.registration_ids, data.reason, user=me, settings=request.app.state.settings
        )
        return DecisionResult(updated=count)

    @post("/{registration_id:int}/move", guards=[require_session_manager], status_code=HTTP_200_OK)
    async def move(
        self,
        request: Request,
        session_id: FromPath[int],
        registration_id: FromPath[int],
        data: JSONBody[Move],
        me: Me,
    ) -> DecisionResult:
        """Move between the waitlist and the confirmed list, within capacity; a walk-in, who took no seat, is not
        moved (409)."""
        await approvals.move(session_id, registration_id, data.to, user=me, settings=request.app.state.settings)
        return DecisionResult(updated=1)

    @post("/{registration_id:int}/rotate-link", guards=[require_session_manager], status_code=HTTP_200_OK)
    async def rotate_link(
        self, request: Request, session_id: FromPath[int], registration_id: FromPath[int]
    ) -> DecisionResult:
        """Revoke the registrant's manage link (a new one is mailed to them)."""
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
        invited, known = await approvals.invite(session_id, data.emails, settings=request.app.state.settings)
        return InvitationResult(invited=invited, already_invited=known)

    @post("/import", status_code=HTTP_200_OK)
    async def import_csv(
        self,
        request: Request,
        session_id: FromPath[int],
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART, schema_extra=_UPLOAD)],
    ) -> InvitationResult:
        """Invite every address found in an uploaded CSV (multipart, field ``file``)."""
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
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART, schema_extra=_REPORT_UPLOAD)],
        me: Me,
    ) -> AttendanceImportOut:
        """Import a Zoom webinar attendee report, a Zoom meeting participants export or a Teams attendance report
        (multipart, field ``file``; optional ``timezone`` of the report's times, default the session's). Answers
        the summary; the same file again changes nothing (``already_imported``)."""
        content = await attendance.read_upload(data.get("file"))
        timezone = data.get("timezone") if isinstance(data.get("timezone"), str) else None
        return await attendance.import_attendance(session_id, content, timezone=timezone, user=me)


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


class SessionMessagesApi(Controller):
    """Organisers write to a session's registrants."""

    path = "/api/v1/sessions/{session_id:int}/messages"
    tags = ["registrations"]
    guards = [require_session_manager]

    @post("", status_code=HTTP_200_OK)
    async def send(self, request: Request, session_id: FromPath[int], data: JSONBody[MessageIn]) -> MessageOut:
        """To all or some registrants (``statuses``, ``languages``, ``needs``), each in their language; with
        ``dry_run`` only the count and the preview per language."""
        return await send_to_registrants(session_id, data, settings=request.app.state.settings)


route_handlers: list = [
    SessionRegistrationsApi, SessionNeedsApi, SessionInvitationsApi, SessionAttendanceApi, ManageApi,
    SessionSpeakersApi, ManageSpeakingApi, SessionInputsApi, ManageInputsApi, SessionMessagesApi, RegistrationPages,
    ManagePages, StaffRegistrationPages, AttendancePages, ManageSpeakingPages, StaffSpeakerPages, ManageInputPages,
    InputPages, PublicInputPages, StaffConfirmPages, StaffMessagePages, staff_home, SessionQuestionsApi,
    QuestionPages,
]
