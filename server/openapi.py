"""The OpenAPI document says what the API does: who may call each route and which errors it answers with.

Routes declare their own ``security`` and ``responses`` where they know better (``events.controllers``,
``server.accounts``); every other route of the schema gets them here from its guards, once, when the app is built,
so a route added later is documented like its neighbours without anyone remembering to. A Struct that forbids
unknown fields says so in its schema (``ClosedStructSchemaPlugin``). Schemathesis checks the result against the
live server (``tests/server/test_api_fuzz.py``).
"""

from __future__ import annotations

__all__ = ["ClosedStructSchemaPlugin", "complete_options_allow", "document_routes", "download_operation"]

from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus

import msgspec
from litestar import Litestar
from litestar._openapi.schema_generation.plugins import StructSchemaPlugin
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, Operation, Schema
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType
from litestar.routes import HTTPRoute
from litestar.typing import FieldDefinition

from server.auth import STAFF_SECURITY, require_admin, require_session_manager, require_staff
from server.errors import PUBLIC_PROBLEMS, STAFF_PROBLEMS, problem_responses

#: Guards that make a route a staff route: it answers 401 without a valid bearer token, 403 to the wrong staff.
STAFF_GUARDS = frozenset({require_staff, require_admin, require_session_manager})


#: The errors of a change anyone may ask for (register, a registrant's own changes through the manage link): an
#: invitation missing (403), a state that forbids it (409), a body too large (413), too many at once (429).
PUBLIC_WRITE_PROBLEMS = problem_responses(400, 403, 404, 409, 413, 422, 429)


class ClosedStructSchemaPlugin(StructSchemaPlugin):
    """Litestar's schema of a msgspec Struct, plus ``additionalProperties: false`` when the Struct forbids unknown
    fields: a body with others is refused (400), and an answer has exactly its fields. So the staff view of a
    session (``SessionOut``, a superset) no longer also matches the public one (``SessionPublicOut``) in the
    ``oneOf`` of ``GET /api/v1/sessions/{id}``."""

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        info = msgspec.inspect.type_info(field_definition.type_)
        if info.forbid_unknown_fields:
            schema.additional_properties = False
        _state_zero_bounds(schema, info)
        return schema


_ZERO_BOUNDS = {"ge": "minimum", "le": "maximum", "gt": "exclusive_minimum", "lt": "exclusive_maximum"}


def _state_zero_bounds(schema: Schema, info: msgspec.inspect.StructType) -> None:
    """A bound of 0 on an integer or number field (``Meta(ge=0)``: a capacity, an agenda item's minutes), which
    Litestar (2.25) leaves out of the schema because it tests the bound for truth, not for presence."""
    for field in info.fields:
        field_type = field.type
        if isinstance(field_type, msgspec.inspect.UnionType):
            kinds = [t for t in field_type.types if not isinstance(t, msgspec.inspect.NoneType)]
            field_type = kinds[0] if len(kinds) == 1 else None
        if isinstance(field_type, msgspec.inspect.Metadata):
            field_type = field_type.type
        if not isinstance(field_type, msgspec.inspect.IntType | msgspec.inspect.FloatType):
            continue
        prop = (schema.properties or {}).get(field.encode_name)
        for bound, key in _ZERO_BOUNDS.items():
            if getattr(field_type, bound) == 0 and isinstance(prop, Schema) and getattr(prop, key) is None:
                setattr(prop, key, 0)


def download_operation(*media_types: str) -> type[Operation]:
    """The ``operation_class`` of a route that answers JSON, or a file with ``?format=``: its 200 lists the file's
    ``media_types`` beside JSON (Litestar documents one media type per status), so an answer in any of them is one
    the document names."""

    def __post_init__(self: Operation) -> None:
        answer = (self.responses or {}).get("200")
        if isinstance(answer, OpenAPIResponse) and answer.content is not None:
            for media_type in media_types:
                answer.content[media_type] = OpenAPIMediaType(
                    schema=Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY))

    return dataclass(type("DownloadOperation", (Operation,), {"__post_init__": __post_init__}))


def _page_errors(*statuses: int) -> dict[int, ResponseSpec]:
    """Errors of a route outside ``/api/`` (the calendars): they are answered as an HTML page, not problem+json."""
    return {
        status: ResponseSpec(data_container=str, media_type="text/html", generate_examples=False,
                             description=HTTPStatus(status).phrase)
        for status in statuses
    }


#: The errors of the routes outside the API that the schema shows (calendar files): a page, like every page's.
PAGE_PROBLEMS = _page_errors(400, 404, 422)


def is_staff_route(handler: HTTPRouteHandler) -> bool:
    """A route only staff may call: one of its guards (on any layer) asks for a staff member."""
    return any(guard in STAFF_GUARDS for guard in handler.resolve_guards())


def _declares_security(handler: HTTPRouteHandler) -> bool:
    return any(isinstance(layer.security, Sequence) and layer.security for layer in handler.ownership_layers)


def _document(path: str, handler: HTTPRouteHandler) -> None:
    if path == "/health":  # its only other answer, 503, is documented on the route
        return
    if not path.startswith("/api/"):
        handler.responses = {**PAGE_PROBLEMS, **(handler.responses or {})}
        return
    staff = is_staff_route(handler)
    if staff and not _declares_security(handler):
        handler.security = STAFF_SECURITY
    if staff:
        problems = STAFF_PROBLEMS
    else:
        problems = PUBLIC_PROBLEMS if handler.http_methods <= {"GET", "HEAD"} else PUBLIC_WRITE_PROBLEMS
    handler.responses = {**problems, **(handler.responses or {})}


def document_routes(app: Litestar) -> None:
    """Give every route in the schema that declares none its security (staff routes: the bearer token) and its
    errors (problem+json on the API, a page elsewhere); what a route declares itself wins."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if "OPTIONS" in handler.http_methods or not handler.resolve_include_in_schema():
                continue
            _document(route.path, handler)


def complete_options_allow(app: Litestar) -> None:
    """``OPTIONS`` answers ``Allow`` with every method of its path. Litestar (2.25) builds a path's OPTIONS handler
    with the first controller that serves the path and keeps it when a later controller adds methods to the same
    path, so its ``Allow`` named only the first controller's (``OPTIONS /api/v1/sessions/{id}``: GET, not PATCH):
    each such handler now answers from its route as built in the end."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if handler.http_methods == {"OPTIONS"} and handler.handler_name == "options_handler":
                handler._fn = route.create_options_handler(route.path).fn  # noqa: SLF001 (no public setter)
