"""HTTP for the speakers' list: organisers see, order and decide (``SessionSpeakersApi``); a registrant asks to
speak through the manage link (``ManageSpeakingApi``). Thin controllers over ``registrations/speakers.py``."""

from __future__ import annotations

__all__ = ["ManageSpeakingApi", "SessionSpeakersApi"]

from typing import Any

from litestar import Controller, Request, delete, get, patch, post, put
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from registrations import manage, speaker_decisions, speakers
from registrations.schemas import (
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
from registrations.tables import Speaker
from server.auth import require_session_manager
from server.errors import NotFound
from server.i18n import gettext as _


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
        items = await speaker_decisions.set_order(session_id, data.ids, settings=request.app.state.settings)
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
        await speaker_decisions.update_settings(session_id, data, settings=request.app.state.settings)
        return await _settings_out(session_id)

    @patch("/{speaker_id:int}")
    async def change(
        self, request: Request, session_id: FromPath[int], speaker_id: FromPath[int], data: JSONBody[SpeakerChange]
    ) -> SpeakerOut:
        """Accept, decline (with a reason), place, time, or mark spoke or absent with the minutes used."""
        return await speaker_decisions.change_speaker(session_id, speaker_id, data, settings=request.app.state.settings)


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
        return SpeakingCreated(id=await speakers.request_to_speak(reg, data), status=Speaker.Status.requested.value)

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
