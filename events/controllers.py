"""HTTP for this package: thin controllers, ``...Api`` for JSON and ``...Pages`` for HTML."""

from __future__ import annotations

__all__ = ["route_handlers"]

from typing import Annotated

from litestar import Controller, Request, get, patch, post
from litestar.params import JSONBody, QueryParameter

from events import queries, series, services
from events.pages import PublicPages, StaffSessionPages
from events.queries import ListFilters
from events.schemas import (
    Reschedule,
    SeriesCreate,
    SeriesOut,
    SeriesUpdate,
    SessionCancel,
    SessionCreate,
    SessionList,
    SessionOut,
    SessionPublicOut,
    SessionUpdate,
)
from events.series_pages import StaffSeriesPages
from events.tables import Session
from server.auth import (
    OPTIONAL_SECURITY,
    STAFF_SECURITY,
    Me,
    authenticate,
    require_admin,
    require_session_manager,
    require_staff,
)
from server.errors import PUBLIC_PROBLEMS, STAFF_PROBLEMS
from server.schemas import DATE_TIME, OptionalQueryId, PathId, QueryOffset, empty_or_one_of

Limit = Annotated[int, QueryParameter(ge=1, le=200)]
_KINDS, _REGIONS = empty_or_one_of(Session.Kind), empty_or_one_of(Session.Region)
#: ``?from=`` / ``?to=`` of the list (``queries.parse_instant``): empty, or an RFC 3339 date-time in 2000..2100.
_INSTANT = {"any_of": [{"type": "string", "maxLength": 0}, {"type": "string", **DATE_TIME}, {"type": "null"}]}


class SessionsApi(Controller):
    path = "/api/v1/sessions"
    tags = ["sessions"]

    @post("/", guards=[require_staff], security=STAFF_SECURITY, responses=STAFF_PROBLEMS)
    async def create_session(self, me: Me, data: JSONBody[SessionCreate]) -> SessionOut:
        """Create a draft session; the reply lists overlapping sessions under ``warnings``."""
        return await services.create_session(me, data)

    @get("/", responses=PUBLIC_PROBLEMS)
    async def list_sessions(
        self,
        kind: Annotated[str | None, QueryParameter(max_length=32, schema_extra=_KINDS)] = None,
        region: Annotated[str | None, QueryParameter(max_length=8, schema_extra=_REGIONS)] = None,
        language: Annotated[str | None, QueryParameter(max_length=35)] = None,
        starts_from: Annotated[str | None, QueryParameter(name="from", max_length=40, schema_extra=_INSTANT)] = None,
        starts_to: Annotated[str | None, QueryParameter(name="to", max_length=40, schema_extra=_INSTANT)] = None,
        series: OptionalQueryId = None,
        limit: Limit = 50,
        offset: QueryOffset = 0,
    ) -> SessionList:
        """Published sessions, ordered by start then id; filter by kind, region, language, series, start range."""
        filters = ListFilters(kind=kind or None, region=region or None, language=language or None,
                              starts_from=queries.parse_instant("from", starts_from),
                              starts_to=queries.parse_instant("to", starts_to), series_id=series)
        return await queries.list_public_sessions(filters, limit=limit, offset=offset)

    @get("/{session_id:int}", security=OPTIONAL_SECURITY, responses=STAFF_PROBLEMS)
    async def get_session(self, request: Request, session_id: PathId) -> SessionOut | SessionPublicOut:
        """A published session for anyone (no join details); everything for staff who manage it."""
        return await queries.read_session(session_id, await authenticate(request))

    @patch("/{session_id:int}", guards=[require_session_manager], security=STAFF_SECURITY,
           responses=STAFF_PROBLEMS)
    async def update_session(self, me: Me, session_id: PathId,
                             data: JSONBody[SessionUpdate]) -> SessionOut:
        """Change the fields sent."""
        return await services.update_session(me, session_id, data)

    @post("/{session_id:int}/publish", guards=[require_session_manager], status_code=200,
          security=STAFF_SECURITY, responses=STAFF_PROBLEMS)
    async def publish(self, me: Me, session_id: PathId) -> SessionOut:
        """draft → published."""
        return await services.publish(me, session_id)

    @post("/{session_id:int}/cancel", guards=[require_session_manager], status_code=200,
          security=STAFF_SECURITY, responses=STAFF_PROBLEMS)
    async def cancel(self, me: Me, session_id: PathId,
                     data: JSONBody[SessionCancel | None] = None) -> SessionOut:
        """draft or published → cancelled; an optional ``reason`` by language goes into every cancellation mail."""
        return await services.cancel(me, session_id, data)

    @post("/{session_id:int}/complete", guards=[require_session_manager], status_code=200,
          security=STAFF_SECURITY, responses=STAFF_PROBLEMS)
    async def complete(self, me: Me, session_id: PathId) -> SessionOut:
        """published → completed."""
        return await services.complete(me, session_id)

    @post("/{session_id:int}/reschedule", guards=[require_session_manager], status_code=200,
          security=STAFF_SECURITY, responses=STAFF_PROBLEMS)
    async def reschedule(self, me: Me, session_id: PathId,
                         data: JSONBody[Reschedule]) -> SessionOut:
        """Move the session; it keeps its id and its sequence rises."""
        return await services.reschedule(me, session_id, data)

    @post("/{session_id:int}/duplicate", guards=[require_session_manager], status_code=201,
          security=STAFF_SECURITY, responses=STAFF_PROBLEMS)
    async def duplicate(self, me: Me, session_id: PathId,
                        data: JSONBody[Reschedule]) -> SessionOut:
        """A draft copy (settings, agenda, organisers) at the new times; the reply is the copy, with its ``id``."""
        return await services.duplicate_session(me, session_id, data)


class SeriesApi(Controller):
    path = "/api/v1/series"
    tags = ["series"]

    @get("/")
    async def list_series(self) -> list[SeriesOut]:
        """Every series."""
        return await series.list_series()

    @get("/{series_id:int}", responses=PUBLIC_PROBLEMS)
    async def get_series(self, series_id: PathId) -> SeriesOut:
        """One series."""
        return await series.get_series(series_id)

    @post("/", guards=[require_admin], security=STAFF_SECURITY, responses=STAFF_PROBLEMS)
    async def create_series(self, data: JSONBody[SeriesCreate]) -> SeriesOut:
        """A new series (admins)."""
        return await series.create_series(data)

    @patch("/{series_id:int}", guards=[require_admin], security=STAFF_SECURITY, responses=STAFF_PROBLEMS)
    async def update_series(self, series_id: PathId, data: JSONBody[SeriesUpdate]) -> SeriesOut:
        """Change a series' title or description (admins)."""
        return await series.update_series(series_id, data)


route_handlers = [SessionsApi, SeriesApi, PublicPages, StaffSessionPages, StaffSeriesPages]
