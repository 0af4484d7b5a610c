"""Domain errors carry their HTTP status; one handler renders them as problem+json (API) or a page (HTML)."""

from __future__ import annotations

__all__ = [
    "PUBLIC_PROBLEMS",
    "STAFF_PROBLEMS",
    "Conflict",
    "ConveneError",
    "FieldError",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "Problem",
    "exception_handlers",
    "log_uncaught",
    "problem_responses",
]

import logging
import re
import sys
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import urlencode

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    SerializationException,
    ValidationException,
)
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from server.db import is_database_unreachable
from server.i18n import current_timezone, lazy_gettext, set_request_locale
from server.i18n import gettext as _

logger = logging.getLogger("convene.errors")

PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class FieldError:
    """One field that was refused, and why."""

    field: str
    message: str


class ConveneError(Exception):
    """Base of every domain error: services raise these, controllers never catch them."""

    status_code = 400
    title = "Bad request"

    def __init__(self, detail: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class InvalidInput(ConveneError):
    status_code = 422
    title = "Invalid input"

    @classmethod
    def field(cls, field: str, message: str) -> InvalidInput:
        return cls(f"{field}: {message}", [FieldError(field, message)])


class NotFound(ConveneError):
    status_code = 404
    title = "Not found"


class Forbidden(ConveneError):
    status_code = 403
    title = "Forbidden"


class Conflict(ConveneError):
    status_code = 409
    title = "Conflict"


class ProblemField(msgspec.Struct):
    """One field that was refused, and why (in the reader's language)."""

    field: str
    message: str


class Problem(msgspec.Struct):
    """How every API error is answered: ``application/problem+json`` (RFC 9457), field errors under ``errors``."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[ProblemField] = []


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI ``responses`` of a route: these statuses, each as a Problem."""
    return {
        status: ResponseSpec(data_container=Problem, media_type=PROBLEM_JSON, generate_examples=False,
                             description=HTTPStatus(status).phrase)
        for status in statuses
    }


#: The errors a public API route answers with, and those of a staff route (documented in the OpenAPI).
PUBLIC_PROBLEMS = problem_responses(400, 404, 422)
STAFF_PROBLEMS = problem_responses(400, 401, 403, 404, 409, 422)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _problem(status: int, title: str, detail: str, errors: list[FieldError]) -> Response:
    body: dict[str, object] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = [{"field": e.field, "message": e.message} for e in errors]
    return Response(content=body, status_code=status, media_type=PROBLEM_JSON)


# Page headings by status in the viewer's language (problem+json keeps the English titles of RFC 9457 use).
PAGE_TITLES = {
    400: lazy_gettext("Invalid input"),
    403: lazy_gettext("Not allowed"),
    404: lazy_gettext("Page not found"),
    405: lazy_gettext("Not allowed"),
    409: lazy_gettext("Conflict"),
    422: lazy_gettext("Invalid input"),
    429: lazy_gettext("Too many attempts"),
    500: lazy_gettext("Something went wrong"),
    503: lazy_gettext("Temporarily unavailable"),
}
# What to say when the error came from the framework, not from one of our services (which say it themselves).
PAGE_DETAILS = {
    404: lazy_gettext("There is no page at this address. It may have moved, or the link may be incomplete."),
    405: lazy_gettext("This address does not accept that kind of request."),
}


def _page_locale(request: Request) -> None:
    # An address that matches no route never passes through the locale middleware: choose the language here.
    from server.web import LANGUAGE_COOKIE, negotiate_language

    language = negotiate_language(request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language"))
    set_request_locale(language, current_timezone())


def _page(request: Request, status: int, title: str, detail: str, errors: list[FieldError]) -> Response:
    if request.scope.get("route_handler") is None:
        _page_locale(request)
    return Template(
        template_name="pages/error.html",
        context={"status": status, "title": str(PAGE_TITLES.get(status, title)), "detail": detail, "errors": errors},
        status_code=status,
        media_type=MediaType.HTML,
    )


def _render(request: Request, status: int, title: str, detail: str, errors: list[FieldError]) -> Response:
    render = _problem if _is_api(request) else (lambda *a: _page(request, *a))
    return render(status, title, detail, errors)


_UNKNOWN_FIELD = re.compile(r"(?:unknown|missing required) field `([^`]+)`")


def _field_name(key: str | None, source: str | None, message: str = "") -> str:
    """Litestar names body fields ``$.name`` or ``name``; query fields by their name; an unknown field is named
    in msgspec's message only (``Object contains unknown field `x```)."""
    name = (key or source or "body").removeprefix("$.")
    if unknown := _UNKNOWN_FIELD.search(message):
        return unknown.group(1) if name in ("data", "body", "$") else f"{name}.{unknown.group(1)}"
    return name or "body"


def handle_validation(request: Request, exc: ValidationException) -> Response:
    # server.validation builds on FieldError, defined here: imported when first needed.
    from server.validation import translated_message

    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            message = str(item.get("message"))
            field = _field_name(item.get("key"), item.get("source"), message)
            errors.append(FieldError(field, translated_message(message)))
    if not errors:
        detail, errors = _framework_error(exc)
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors) or detail
    return _render(request, 400, _("Invalid input"), detail, errors)


def _framework_error(exc: HTTPException) -> tuple[str, list[FieldError]]:
    """Litestar's own messages, in the viewer's language where we know what they mean (a body that is not JSON
    names the body as its field)."""
    text = str(exc.detail)
    if exc.status_code == 400 and isinstance(exc.__cause__, SerializationException):
        message = _("The request body is not valid JSON.")
        return message, [FieldError("body", message)]
    return str(PAGE_DETAILS.get(exc.status_code, text)), []


def handle_domain(request: Request, exc: ConveneError) -> Response:
    return _render(request, exc.status_code, exc.title, exc.detail, exc.errors)


def handle_http(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 401 and not _is_api(request):
        return Redirect(f"/staff/login?{urlencode({'next': request.url.path})}")
    detail, errors = _framework_error(exc)
    title = _("Invalid input") if errors else str(exc.detail)
    response = _render(request, exc.status_code, title, detail, errors)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


#: Seconds a client is asked to wait before trying again while the database is unreachable.
RETRY_AFTER_SECONDS = 30


def _unavailable(request: Request) -> Response:
    """503 with ``Retry-After``: the database is unreachable, the app is fine and will reconnect by itself."""
    response = _render(request, 503, "Service unavailable",
                       _("The service is briefly unavailable. Please try again in a minute."), [])
    response.headers["retry-after"] = str(RETRY_AFTER_SECONDS)
    return response


def handle_unexpected(request: Request, exc: Exception) -> Response:
    if is_database_unreachable(exc):
        logger.warning("database unreachable on %s %s: %s", request.method, request.scope.get("route_handler"),
                       type(exc).__name__)
        return _unavailable(request)
    # Logged with the request id by the logging config; the message never carries the request body.
    logger.exception("unhandled error on %s %s", request.method, request.scope.get("route_handler"))
    return _render(request, HTTP_500_INTERNAL_SERVER_ERROR, "Internal error", _("Something went wrong."), [])


def log_uncaught(log: logging.Logger, scope: dict, _traceback: list[str]) -> None:
    """Litestar's log of an exception a handler raised: errors this module answers as expected (the database
    unreachable, which ``handle_unexpected`` reports as a warning) are not logged as crashes; the rest are, with
    their traceback (redacted like every record, ``server.web``)."""
    error = sys.exc_info()[1]
    if error is not None and is_database_unreachable(error):
        return
    log.exception("Uncaught exception (connection_type=%s, path=%r):", scope["type"], scope["path"])


exception_handlers = {
    ValidationException: handle_validation,
    ConveneError: handle_domain,
    NotAuthorizedException: handle_http,
    PermissionDeniedException: handle_http,
    HTTPException: handle_http,
    Exception: handle_unexpected,
}
