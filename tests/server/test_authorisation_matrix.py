"""THE AUTHORISATION MATRIX: every route of the real app × every kind of caller gets exactly what its row allows.

>>> Adding a route? Add ONE line to ROWS below: its (method, path) with path parameters written ``{}``, and who may
>>> call it: ANYONE, REGISTRANT (the secret link in the path is the credential), STAFF (any active staff member),
>>> MANAGER (the session's own organisers and admins) or ADMIN. A route without a row fails the test, named.

Callers: anonymous; a registrant of this session and one of another session (on manage routes with their own link,
elsewhere a browser that just used it); an organiser of another session; an organiser of this session; an admin; a
disabled account (its token and cookie were valid before it was disabled). The API is called with bearer tokens,
pages with the session cookie and the CSRF token, as browsers and scripts do.

Expected answers: refused unauthenticated is 401 problem+json on the API and a redirect to /staff/login on pages;
refused as the wrong staff member is 403; a manage link that is not one is 404; allowed is any answer that is
none of those and no 5xx (a 404 for an id that does not exist, or a 400/422 for the walk's empty body, is the
route's own answer: allowed in); a link that is no link gets a 404 (or a 400/422 for the body, read first).
tests/server/test_staff_routes.py also sends oversized and malformed bodies.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass

import httpx
import pytest
from litestar import Litestar, get

from events.tables import Session
from server.settings import Settings
from server.tables import User
from tests.conftest import Staff, login_cookie_client, make_staff
from tests.server.helpers import browser
from tests.server.test_staff_routes import SKIPPED_METHODS, call, generic_path, published_session

ANYONE, REGISTRANT, STAFF, MANAGER, ADMIN = "anyone", "registrant", "staff", "manager", "admin"

#: Who may call each route: one line per (method, path); see the module docstring.
ROWS: dict[tuple[str, str], str] = {
    ("GET", "/"): ANYONE,
    # Added by the branches merged with this one (questions, confirmations, password reset, series, duplicate,
    # messages to registrants, the privacy notice).
    ("GET", "/api/v1/sessions/{}/questions"): MANAGER,
    ("PUT", "/api/v1/sessions/{}/questions"): MANAGER,
    ("POST", "/api/v1/sessions/{}/duplicate"): MANAGER,
    ("POST", "/api/v1/sessions/{}/messages"): MANAGER,
    ("GET", "/manage/{}/cancel"): REGISTRANT,
    ("GET", "/manage/{}/erase"): REGISTRANT,
    ("GET", "/privacy"): ANYONE,
    ("GET", "/staff/password-reset"): ANYONE,
    ("POST", "/staff/password-reset"): ANYONE,
    ("GET", "/staff/password-reset/{}"): ANYONE,
    ("POST", "/staff/password-reset/{}"): ANYONE,
    ("GET", "/staff/series"): STAFF,
    ("GET", "/staff/series/new"): ADMIN,
    ("POST", "/staff/series/new"): ADMIN,
    ("GET", "/staff/series/{}"): ADMIN,
    ("POST", "/staff/series/{}"): ADMIN,
    ("GET", "/staff/sessions/{}/cancel"): MANAGER,
    ("GET", "/staff/sessions/{}/duplicate"): MANAGER,
    ("POST", "/staff/sessions/{}/duplicate"): MANAGER,
    ("GET", "/staff/sessions/{}/messages"): MANAGER,
    ("POST", "/staff/sessions/{}/messages"): MANAGER,
    ("GET", "/staff/sessions/{}/questions"): MANAGER,
    ("POST", "/staff/sessions/{}/questions"): MANAGER,
    ("DELETE", "/api/v1/manage/{}"): REGISTRANT,
    ("GET", "/api/v1/manage/{}"): REGISTRANT,
    ("PATCH", "/api/v1/manage/{}"): REGISTRANT,
    ("POST", "/api/v1/manage/{}/erase"): REGISTRANT,
    ("GET", "/api/v1/manage/{}/export"): REGISTRANT,
    ("GET", "/api/v1/manage/{}/inputs"): REGISTRANT,
    ("POST", "/api/v1/manage/{}/inputs"): REGISTRANT,
    ("POST", "/api/v1/manage/{}/register-again"): REGISTRANT,
    ("DELETE", "/api/v1/manage/{}/speaking"): REGISTRANT,
    ("GET", "/api/v1/manage/{}/speaking"): REGISTRANT,
    ("PATCH", "/api/v1/manage/{}/speaking"): REGISTRANT,
    ("POST", "/api/v1/manage/{}/speaking"): REGISTRANT,
    ("GET", "/api/v1/planning"): STAFF,
    ("GET", "/api/v1/reports/participation"): STAFF,
    ("GET", "/api/v1/series"): ANYONE,
    ("POST", "/api/v1/series"): ADMIN,
    ("GET", "/api/v1/series/{}"): ANYONE,
    ("PATCH", "/api/v1/series/{}"): ADMIN,
    ("GET", "/api/v1/sessions"): ANYONE,
    ("POST", "/api/v1/sessions"): STAFF,
    ("GET", "/api/v1/sessions/{}"): ANYONE,
    ("PATCH", "/api/v1/sessions/{}"): MANAGER,
    ("POST", "/api/v1/sessions/{}/attendance/import"): MANAGER,
    ("POST", "/api/v1/sessions/{}/cancel"): MANAGER,
    ("POST", "/api/v1/sessions/{}/complete"): MANAGER,
    ("GET", "/api/v1/sessions/{}/inputs"): MANAGER,
    ("POST", "/api/v1/sessions/{}/inputs"): MANAGER,
    ("DELETE", "/api/v1/sessions/{}/inputs/{}"): MANAGER,
    ("PATCH", "/api/v1/sessions/{}/inputs/{}"): MANAGER,
    ("GET", "/api/v1/sessions/{}/inputs/{}/file"): MANAGER,
    ("POST", "/api/v1/sessions/{}/interpretation-channels"): MANAGER,
    ("POST", "/api/v1/sessions/{}/invitations"): MANAGER,
    ("POST", "/api/v1/sessions/{}/invitations/import"): MANAGER,
    ("PUT", "/api/v1/sessions/{}/lead-times"): MANAGER,
    ("POST", "/api/v1/sessions/{}/needs"): MANAGER,
    ("POST", "/api/v1/sessions/{}/needs/{}"): MANAGER,
    ("POST", "/api/v1/sessions/{}/publish"): MANAGER,
    ("GET", "/api/v1/sessions/{}/registrations"): MANAGER,
    ("POST", "/api/v1/sessions/{}/registrations"): ANYONE,
    ("POST", "/api/v1/sessions/{}/registrations/approve"): MANAGER,
    ("POST", "/api/v1/sessions/{}/registrations/decline"): MANAGER,
    ("POST", "/api/v1/sessions/{}/registrations/{}/move"): MANAGER,
    ("POST", "/api/v1/sessions/{}/registrations/{}/rotate-link"): MANAGER,
    ("GET", "/api/v1/sessions/{}/report"): MANAGER,
    ("POST", "/api/v1/sessions/{}/reschedule"): MANAGER,
    ("GET", "/api/v1/sessions/{}/speakers"): MANAGER,
    ("PUT", "/api/v1/sessions/{}/speakers/order"): MANAGER,
    ("GET", "/api/v1/sessions/{}/speakers/settings"): MANAGER,
    ("PATCH", "/api/v1/sessions/{}/speakers/settings"): MANAGER,
    ("GET", "/api/v1/sessions/{}/speakers/suggestion"): MANAGER,
    ("PATCH", "/api/v1/sessions/{}/speakers/{}"): MANAGER,
    ("GET", "/api/v1/tokens"): STAFF,
    ("POST", "/api/v1/tokens"): STAFF,
    ("DELETE", "/api/v1/tokens/{}"): STAFF,
    ("GET", "/api/v1/users"): ADMIN,
    ("POST", "/api/v1/users"): ADMIN,
    ("GET", "/api/v1/users/{}"): ADMIN,
    ("PATCH", "/api/v1/users/{}"): ADMIN,
    ("POST", "/api/v1/users/{}/password"): ADMIN,
    ("GET", "/calendar.ics"): ANYONE,
    ("GET", "/health"): ANYONE,
    ("GET", "/manage/{}"): REGISTRANT,
    ("POST", "/manage/{}/cancel"): REGISTRANT,
    ("POST", "/manage/{}/erase"): REGISTRANT,
    ("POST", "/manage/{}/inputs"): REGISTRANT,
    ("POST", "/manage/{}/register-again"): REGISTRANT,
    ("POST", "/manage/{}/speaking"): REGISTRANT,
    ("POST", "/manage/{}/speaking/withdraw"): REGISTRANT,
    ("POST", "/manage/{}/update"): REGISTRANT,
    ("POST", "/preferences"): ANYONE,
    ("GET", "/schema"): ANYONE,
    ("GET", "/schema/openapi.json"): ANYONE,
    ("GET", "/schema/{}"): ANYONE,
    ("GET", "/sessions/{}"): ANYONE,
    ("GET", "/sessions/{}/calendar.ics"): ANYONE,
    ("GET", "/sessions/{}/inputs/{}/file"): ANYONE,
    ("POST", "/sessions/{}/register"): ANYONE,
    ("GET", "/staff"): STAFF,
    ("GET", "/staff/login"): ANYONE,
    ("POST", "/staff/login"): ANYONE,
    ("POST", "/staff/logout"): ANYONE,
    ("GET", "/staff/outbox"): STAFF,
    ("GET", "/staff/outbox/{}"): STAFF,
    ("GET", "/staff/outbox/{}/message.eml"): STAFF,
    ("GET", "/staff/outbox/{}/message.html"): STAFF,
    ("POST", "/staff/outbox/{}/retry"): STAFF,
    ("GET", "/staff/planning"): STAFF,
    ("GET", "/staff/planning/export.csv"): STAFF,
    ("GET", "/staff/planning/export.xlsx"): STAFF,
    ("GET", "/staff/profile"): STAFF,
    ("POST", "/staff/profile"): STAFF,
    ("POST", "/staff/profile/password"): STAFF,
    ("GET", "/staff/reports/participation"): STAFF,
    ("GET", "/staff/reports/participation/export.csv"): STAFF,
    ("GET", "/staff/reports/participation/export.xlsx"): STAFF,
    ("GET", "/staff/sessions"): STAFF,
    ("GET", "/staff/sessions/new"): STAFF,
    ("POST", "/staff/sessions/new"): STAFF,
    ("GET", "/staff/sessions/{}"): MANAGER,
    ("POST", "/staff/sessions/{}"): MANAGER,
    ("GET", "/staff/sessions/{}/attendance"): MANAGER,
    ("GET", "/staff/sessions/{}/attendance/review"): MANAGER,
    ("POST", "/staff/sessions/{}/attendance/review"): MANAGER,
    ("POST", "/staff/sessions/{}/attendance/mark"): MANAGER,
    ("POST", "/staff/sessions/{}/attendance/walk-in"): MANAGER,
    ("POST", "/staff/sessions/{}/attendance/close"): MANAGER,
    ("POST", "/staff/sessions/{}/attendance/threshold"): MANAGER,
    ("POST", "/staff/sessions/{}/attendance/import"): MANAGER,
    ("POST", "/staff/sessions/{}/cancel"): MANAGER,
    ("POST", "/staff/sessions/{}/complete"): MANAGER,
    ("GET", "/staff/sessions/{}/inputs"): MANAGER,
    ("POST", "/staff/sessions/{}/inputs"): MANAGER,
    ("POST", "/staff/sessions/{}/inputs/deadline"): MANAGER,
    ("POST", "/staff/sessions/{}/inputs/{}"): MANAGER,
    ("POST", "/staff/sessions/{}/inputs/{}/delete"): MANAGER,
    ("GET", "/staff/sessions/{}/inputs/{}/file"): MANAGER,
    ("POST", "/staff/sessions/{}/planning/needs"): MANAGER,
    ("POST", "/staff/sessions/{}/planning/channel"): MANAGER,
    ("POST", "/staff/sessions/{}/planning/lead-times"): MANAGER,
    ("POST", "/staff/sessions/{}/publish"): MANAGER,
    ("GET", "/staff/sessions/{}/registrations"): MANAGER,
    ("GET", "/staff/sessions/{}/registrations/export.csv"): MANAGER,
    ("POST", "/staff/sessions/{}/registrations/approve"): MANAGER,
    ("POST", "/staff/sessions/{}/registrations/decline"): MANAGER,
    ("POST", "/staff/sessions/{}/registrations/move"): MANAGER,
    ("POST", "/staff/sessions/{}/registrations/need"): MANAGER,
    ("POST", "/staff/sessions/{}/registrations/invite"): MANAGER,
    ("POST", "/staff/sessions/{}/registrations/rotate"): MANAGER,
    ("GET", "/staff/sessions/{}/report"): MANAGER,
    ("GET", "/staff/sessions/{}/report/export.csv"): MANAGER,
    ("GET", "/staff/sessions/{}/report/export.xlsx"): MANAGER,
    ("POST", "/staff/sessions/{}/reschedule"): MANAGER,
    ("GET", "/staff/sessions/{}/speakers"): MANAGER,
    ("POST", "/staff/sessions/{}/speakers/apply_suggestion"): MANAGER,
    ("POST", "/staff/sessions/{}/speakers/order"): MANAGER,
    ("POST", "/staff/sessions/{}/speakers/up"): MANAGER,
    ("POST", "/staff/sessions/{}/speakers/down"): MANAGER,
    ("POST", "/staff/sessions/{}/speakers/accept"): MANAGER,
    ("POST", "/staff/sessions/{}/speakers/decline"): MANAGER,
    ("POST", "/staff/sessions/{}/speakers/requeue"): MANAGER,
    ("POST", "/staff/sessions/{}/speakers/spoke"): MANAGER,
    ("POST", "/staff/sessions/{}/speakers/absent"): MANAGER,
    ("POST", "/staff/sessions/{}/speakers/minutes"): MANAGER,
    ("POST", "/staff/sessions/{}/speakers/settings"): MANAGER,
    ("POST", "/staff/sessions/{}/speakers/publish"): MANAGER,
    ("POST", "/staff/sessions/{}/speakers/unpublish"): MANAGER,
    ("GET", "/staff/sessions/{}/summary"): MANAGER,
    ("POST", "/staff/sessions/{}/summary"): MANAGER,
    ("POST", "/staff/sessions/{}/summary/send"): MANAGER,
    ("GET", "/staff/tokens"): STAFF,
    ("POST", "/staff/tokens"): STAFF,
    ("POST", "/staff/tokens/{}/revoke"): STAFF,
    ("GET", "/staff/users"): ADMIN,
    ("POST", "/staff/users"): ADMIN,
    ("GET", "/staff/users/{}"): ADMIN,
    ("POST", "/staff/users/{}"): ADMIN,
    ("POST", "/staff/users/{}/password"): ADMIN,
    ("GET", "/static/{}"): ANYONE,
    ("GET", "/unsubscribe/{}"): ANYONE,
    ("POST", "/unsubscribe/{}"): ANYONE,
}

CALLERS = ("anonymous", "registrant_this", "registrant_other", "organiser_other", "organiser_this", "admin",
           "disabled")
ALLOWED, UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, INVALID = "allowed", "401", "403", "404", "400/422"
#: What each kind of route answers each caller (by the position in CALLERS).
EXPECTED: dict[str, tuple[str, ...]] = {
    ANYONE: (ALLOWED,) * 7,
    REGISTRANT: (NOT_FOUND, ALLOWED, ALLOWED, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND),
    STAFF: (UNAUTHENTICATED,) * 3 + (ALLOWED,) * 3 + (UNAUTHENTICATED,),
    MANAGER: (UNAUTHENTICATED,) * 3 + (FORBIDDEN, ALLOWED, ALLOWED, UNAUTHENTICATED),
    ADMIN: (UNAUTHENTICATED,) * 3 + (FORBIDDEN, FORBIDDEN, ALLOWED, UNAUTHENTICATED),
}
_PARAMETER = re.compile(r"\{(\w+)(?::(\w+))?\}")
#: Ids of things that do not exist, for every path parameter other than the session's: a caller allowed in gets a
#: 404 from the route itself, and the walk never changes another test object by chance (a token, a user).
ABSENT_ID = "999999"
PLAUSIBLE_TEXT = {"action": "publish", "file_path": "convene.css", "path": "swagger"}


def missing_rows(app: Litestar) -> list[str]:
    """Routes of the app that have no row in ROWS, as ``METHOD path``."""
    return sorted(f"{method} {path}" for method, path in routes(app) if (method, generic_path(path)) not in ROWS)


def routes(app: Litestar) -> list[tuple[str, str]]:
    """(method, path template) of every HTTP route; logging out comes last, since it ends the caller's session."""
    found = {(method, route.path) for route in app.routes for method in getattr(route, "methods", ())
             if method not in SKIPPED_METHODS}
    return sorted(found, key=lambda route: (route[1] == "/staff/logout", route[1], route[0]))


def fill(path: str, session_id: int, token: str) -> str:
    """A concrete URL: the session's id after ``sessions/``, the caller's link as ``token``, absent ids elsewhere."""
    after_sessions = re.compile(r"(?<=/sessions/)\{")

    def value(match: re.Match) -> str:
        name, kind = match.group(1), match.group(2) or "str"
        if name == "session_id" or after_sessions.search(path[max(0, match.start() - 10):match.start() + 1]):
            return str(session_id)
        if name == "token":
            return token
        return ABSENT_ID if kind == "int" else PLAUSIBLE_TEXT.get(name, "x")

    return _PARAMETER.sub(value, path)


def outcome(url: str, response: httpx.Response) -> str:
    """How the route answered, in the words of EXPECTED (or the status when it is none of them)."""
    status = response.status_code
    if status >= 500:
        return str(status)
    if url.startswith("/api/"):
        if status == 401:
            problem = response.headers.get("content-type") == "application/problem+json"
            return UNAUTHENTICATED if problem else "401 (not problem+json)"
    elif status in (302, 303) and response.headers.get("location", "").startswith("/staff/login"):
        # Signing out ends on the login page too, whoever asks: there it is the route's answer, not a refusal.
        return ALLOWED if url == "/staff/logout" else UNAUTHENTICATED
    if status == 403:
        return FORBIDDEN
    return NOT_FOUND if status == 404 else ALLOWED if status < 400 or status == 409 else INVALID


def matches(expected: str, answered: str) -> bool:
    """Allowed in: the route itself answered (what it says of ids that do not exist or of a body it refuses is
    its own business). A link that is no link: refused, whether for the link or for the body it came with."""
    if expected == ALLOWED:
        return answered in (ALLOWED, NOT_FOUND, INVALID)
    if expected == NOT_FOUND:
        return answered in (NOT_FOUND, INVALID)
    return answered == expected


@dataclass
class Caller:
    """One kind of caller: a browser of its own, and its credentials."""

    name: str
    client: httpx.AsyncClient
    staff: Staff | None = None
    own_session: int | None = None  # the session of a registrant's link

    @property
    def headers(self) -> dict[str, str] | None:
        return self.staff.headers if self.staff else None


_emails = itertools.count()


async def manage_token(client: httpx.AsyncClient, session_id: int) -> str:
    """A fresh registration for the session, through the API: its manage link's token."""
    response = await client.post(f"/api/v1/sessions/{session_id}/registrations", json={
        "name": "Matrix Registrant", "email": f"matrix{next(_emails)}@example.org", "organisation": "Matrix",
        "stakeholder_category": "civil_society", "country": "CH", "preferred_language": "en",
        "timezone": "Europe/Zurich", "consent_processing": True,
    })
    assert response.status_code == 201, response.text
    return response.json()["manage_url"].rsplit("/", 1)[-1]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """No rate limit: the walk registers many times from one address."""
    return dataclasses.replace(settings, rate_limit=False)


@pytest.fixture
async def callers(app, client, organiser, other_organiser, admin) -> AsyncIterator[dict[str, Caller]]:
    this_session = await published_session(organiser)
    other_session = await published_session(other_organiser)
    # A zone every page can show (the route walk's sessions are only ever refused, so any name does there).
    await Session.update({Session.timezone: "Europe/Zurich"}).where(Session.id.is_in([this_session, other_session]))
    disabled = await make_staff("disabled@example.org", "admin")
    async with AsyncExitStack() as stack:
        browsers = [await stack.enter_async_context(browser(app)) for _caller in CALLERS]
        found = dict(zip(CALLERS, browsers, strict=True))
        for name, staff in (("organiser_other", other_organiser), ("organiser_this", organiser), ("admin", admin),
                            ("disabled", disabled)):
            await login_cookie_client(found[name], staff)
        await User.update({User.active: False}).where(User.id == disabled.id)
        yield {
            "anonymous": Caller("anonymous", found["anonymous"]),
            "registrant_this": Caller("registrant_this", found["registrant_this"], own_session=this_session),
            "registrant_other": Caller("registrant_other", found["registrant_other"], own_session=other_session),
            "organiser_other": Caller("organiser_other", found["organiser_other"], other_organiser),
            "organiser_this": Caller("organiser_this", found["organiser_this"], organiser),
            "admin": Caller("admin", found["admin"], admin),
            "disabled": Caller("disabled", found["disabled"], disabled),
            "session": this_session,
        }


async def walk(app: Litestar, client: httpx.AsyncClient, callers: dict, only: set[str] | None = None) -> list[str]:
    """Every route with a row (or ``only`` these, as ``METHOD path``) × every caller: the answers that differ from
    the row, one line each."""
    session_id = callers.pop("session")
    walked = [(method, path) for method, path in routes(app) if only is None or f"{method} {path}" in only]
    # Links made before the walk, one per route that takes one: the walk cancels sessions and erases registrations.
    with_token = sum(1 for _method, path in walked if "{token" in path)
    links = {name: [await manage_token(client, caller.own_session) for _route in range(with_token)]
             for name, caller in callers.items() if caller.own_session is not None}
    failures = []
    for method, path in walked:
        row = ROWS.get((method, generic_path(path)))
        if row is None:
            continue
        for name, expected in zip(CALLERS, EXPECTED[row], strict=True):
            caller = callers[name]
            token = "not-a-real-token"
            if caller.own_session is not None and "{token" in path:
                token = links[name].pop()
            url = fill(path, session_id, token)
            headers = caller.headers if url.startswith("/api/") else None
            answered = outcome(url, await call(caller.client, method, url, headers))
            if not matches(expected, answered):
                failures.append(f"{method} {path} as {name}: {answered}, row {row} says {expected}")
    return failures


async def test_every_route_answers_every_caller_as_its_row_allows(app, client, callers):
    assert missing_rows(app) == [], "routes without a row in ROWS (add one line each):"

    failures = await walk(app, client, callers)

    assert failures == [], "\n".join(failures)


async def test_a_route_without_a_row_fails_naming_it(app):
    @get("/staff/forgotten-report", sync_to_thread=False)
    def forgotten_report() -> str:
        """A route someone forgot to give a row."""
        return "secret figures"

    app.register(forgotten_report)

    assert missing_rows(app) == ["GET /staff/forgotten-report"]


async def test_a_route_whose_row_is_wrong_is_named(app, client, callers):
    ROWS[("GET", "/api/v1/sessions/{}/report")] = ADMIN
    try:
        failures = await walk(app, client, callers, only={"GET /api/v1/sessions/{session_id:int}/report"})
    finally:
        ROWS[("GET", "/api/v1/sessions/{}/report")] = MANAGER

    assert failures == ["GET /api/v1/sessions/{session_id:int}/report as organiser_this: allowed, row admin says 403"]
