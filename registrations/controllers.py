"""HTTP for this package: thin controllers, ``...Api`` for JSON and ``...Pages`` for HTML."""

from __future__ import annotations

__all__ = ["route_handlers"]

from litestar import Controller, Request, Response, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from registrations import registering
from registrations.ratelimit import limit_public_writes
from registrations.schemas import RegistrationCreate, RegistrationCreated


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


route_handlers: list = [SessionRegistrationsApi]
