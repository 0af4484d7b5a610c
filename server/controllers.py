"""Health, the staff login, and the viewer's language and time-zone choice."""

from __future__ import annotations

__all__ = ["route_handlers"]

from typing import Annotated
from urllib.parse import urlsplit

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotAuthorizedException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_503_SERVICE_UNAVAILABLE

from server.auth import (
    SESSION_COOKIE,
    TooManyAttempts,
    authenticate,
    end_sessions,
    login,
    session_cookie,
)
from server.db import is_database_up
from server.errors import InvalidInput
from server.i18n import LANGUAGES
from server.i18n import gettext as _
from server.timezones import timezone_error
from server.web import LANGUAGE_COOKIE, TIMEZONE_COOKIE, client_address, valid_timezone

ONE_YEAR = 365 * 24 * 3600


class Health(msgspec.Struct):
    status: str
    database: str


@get("/health", tags=["system"], cache=False,
     responses={503: ResponseSpec(data_container=Health, description="The database is unreachable")})
async def health(request: Request) -> Response[Health]:
    """Liveness and database reachability: 200 when the database answers, 503 when it doesn't."""
    if await is_database_up(request.app.state.engine):
        return Response(Health(status="ok", database="ok"))
    return Response(Health(status="error", database="unreachable"), status_code=HTTP_503_SERVICE_UNAVAILABLE)


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: a login or preference form must not redirect elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        return default
    return target


class LoginForm(msgspec.Struct):
    email: Annotated[str, msgspec.Meta(max_length=254)] = ""
    password: Annotated[str, msgspec.Meta(max_length=1000)] = ""
    next: Annotated[str, msgspec.Meta(max_length=2000)] = "/staff"


class PreferencesForm(msgspec.Struct):
    language: str = ""
    timezone: str = ""
    next: Annotated[str, msgspec.Meta(max_length=2000)] = "/"


def _login_failed(data: LoginForm, error: str, status_code: int, headers: dict[str, str] | None = None) -> Template:
    return Template(
        "pages/staff/login.html",
        context={"next": safe_next(data.next, "/staff"), "error": error, "email": data.email},
        status_code=status_code,
        headers=headers,
    )


class StaffLoginPages(Controller):
    path = "/staff"
    include_in_schema = False

    @get("/login")
    async def login_page(self, next: FromQuery[str] = "/staff") -> Template:
        """The login form."""
        return Template("pages/staff/login.html", context={"next": safe_next(next, "/staff"), "error": None})

    @post("/login")
    async def login_submit(
        self, request: Request, data: URLEncodedBody[LoginForm]
    ) -> Response:
        """Check the password; on success set the signed session cookie and go on."""
        settings = request.app.state.settings
        try:
            user, version = await login(
                data.email, data.password, client_address(request), rate_limit=settings.rate_limit
            )
        except NotAuthorizedException:
            return _login_failed(data, _("Wrong email or password."), 401)
        except TooManyAttempts as error:
            return _login_failed(data, error.detail, 429, headers={"Retry-After": str(error.retry_after)})
        response = Redirect(safe_next(data.next, "/staff"))
        response.set_cookie(session_cookie(settings, user.id, version))
        return response

    @post("/logout")
    async def logout(self, request: Request) -> Redirect:
        """End the session: the cookie is forgotten here, and refused everywhere if it was copied."""
        if user := await authenticate(request):
            await end_sessions(user.id)
        response = Redirect("/staff/login")
        response.delete_cookie(SESSION_COOKIE)
        return response


@post("/preferences", include_in_schema=False)
async def set_preferences(
    data: URLEncodedBody[PreferencesForm],
) -> Redirect:
    """Remember the viewer's language and time zone in cookies (the switchers on every page post here); a value
    that is not one is refused rather than silently ignored (empty keeps the current one)."""
    if data.language and data.language not in LANGUAGES:
        raise InvalidInput.field("language", _("Choose one of the languages offered."))
    if data.timezone and not valid_timezone(data.timezone):
        raise InvalidInput.field("timezone", timezone_error(data.timezone))
    response = Redirect(safe_next(data.next))
    if data.language in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, data.language, max_age=ONE_YEAR, samesite="lax")
    if valid_timezone(data.timezone):
        response.set_cookie(TIMEZONE_COOKIE, data.timezone, max_age=ONE_YEAR, samesite="lax")
    return response


# The staff landing page, /staff, is the workspace: registrations/workspace.py (it counts registrations).
route_handlers = [health, StaffLoginPages, set_preferences]
