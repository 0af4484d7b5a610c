"""THE ROUTE WALK: every route of the real app is a staff route unless it is listed in PUBLIC_ROUTES below.

>>> Adding a route that anyone may call (no login)? Add its (method, path) to PUBLIC_ROUTES, with the DESIGN.md
>>> row it comes from. Everything else must refuse anonymous callers (API: 401 problem+json; pages: a redirect
>>> to /staff/login), and a route whose path holds a session id must refuse an organiser of another session (403)
>>> BEFORE it reads the body: use `guards=[require_session_manager]` from server.auth on such routes.

The walk reads the routes from the app, so routes added later are covered without touching this file; every route
also needs its one-line row in ROWS of tests/server/test_authorisation_matrix.py (who may call it, caller by caller).
Path parameters are filled with a real published session (owned by ``organiser``) and plausible values.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from fnmatch import fnmatchcase

import httpx
import pytest
from litestar import Litestar, get

from events.tables import Session, SessionOrganiser
from tests.conftest import Staff, login_cookie_client
from tests.server.helpers import csrf_token

#: (method, path) anyone may call; ``*`` matches anything, path parameters are written ``{}`` (any name).
PUBLIC_ROUTES: frozenset[tuple[str, str]] = frozenset({
    ("GET", "/health"),
    ("GET", "/schema*"),
    ("GET", "/static/*"),
    ("HEAD", "/static/*"),
    ("GET", "/"),  # the public listing of sessions
    ("GET", "/sessions/{}"),  # a published session's page
    ("GET", "/sessions/{}/calendar.ics"),
    ("GET", "/calendar.ics"),  # subscription feed
    ("GET", "/privacy"),  # the privacy notice, anyone
    ("POST", "/sessions/{}/register"),  # the registration form
    ("GET", "/api/v1/sessions"),  # published sessions
    ("GET", "/api/v1/sessions/{}"),  # one published session (drafts: staff only)
    ("GET", "/api/v1/series"),
    ("GET", "/api/v1/series/*"),
    ("POST", "/api/v1/sessions/{}/registrations"),  # register
    # A registrant's own registration, through the secret link.
    ("GET", "/api/v1/manage/{}"),
    ("PATCH", "/api/v1/manage/{}"),
    ("DELETE", "/api/v1/manage/{}"),
    ("GET", "/api/v1/manage/{}/export"),
    ("POST", "/api/v1/manage/{}/erase"),
    ("POST", "/api/v1/manage/{}/register-again"),
    ("POST", "/api/v1/manage/{}/speaking"),  # ask to take the floor (DESIGN.md); see, change, withdraw it
    ("GET", "/api/v1/manage/{}/speaking"),
    ("PATCH", "/api/v1/manage/{}/speaking"),
    ("DELETE", "/api/v1/manage/{}/speaking"),
    ("GET", "/api/v1/manage/{}/inputs"),  # written inputs through the manage link
    ("POST", "/api/v1/manage/{}/inputs"),
    ("GET", "/sessions/{}/inputs/{}/file"),  # a published written input, from the public session page
    ("GET", "/manage/{}*"),
    ("POST", "/manage/{}*"),
    ("GET", "/unsubscribe/*"),
    ("POST", "/unsubscribe/*"),
    # The staff login itself, the viewer's language and zone, and the staff landing (redirects when anonymous).
    ("GET", "/staff/login"),
    ("POST", "/staff/login"),
    ("GET", "/staff/password-reset*"),  # DESIGN.md: anyone asks for a reset link by mail, and uses it
    ("POST", "/staff/password-reset*"),
    ("POST", "/preferences"),
    ("GET", "/staff"),
})

#: Methods every route answers by itself (CORS preflight) or that mirror GET.
SKIPPED_METHODS = {"OPTIONS", "HEAD"}
#: Values for string path parameters, by name; any other string parameter gets "x".
PLAUSIBLE_TEXT = {"action": "publish", "token": "not-a-real-token", "file_path": "convene.css", "path": "swagger"}
_PARAMETER = re.compile(r"\{(\w+)(?::(\w+))?\}")


def generic_path(path: str) -> str:
    """``/sessions/{session_id:int}`` → ``/sessions/{}``, the form PUBLIC_ROUTES is written in."""
    return _PARAMETER.sub("{}", path)


def is_public(method: str, path: str) -> bool:
    path = generic_path(path)
    return any(method == m and fnmatchcase(path, pattern) for m, pattern in PUBLIC_ROUTES)


def is_session_scoped(path: str) -> bool:
    """A path that names a session: a ``session_id`` parameter, or any parameter right after ``sessions/``."""
    return "{session_id" in path or re.search(r"/sessions/\{", path) is not None


def every_route(app: Litestar) -> list[tuple[str, str]]:
    """(method, path template) of every HTTP route of the app."""
    return sorted(
        (method, route.path)
        for route in app.routes
        for method in getattr(route, "methods", ())
        if method not in SKIPPED_METHODS
    )


def staff_routes(app: Litestar) -> list[tuple[str, str]]:
    return [(method, path) for method, path in every_route(app) if not is_public(method, path)]


def fill(path: str, session_id: int) -> str:
    """A concrete URL for a path template: ids are the session's, strings plausible."""

    def value(match: re.Match) -> str:
        name, kind = match.group(1), match.group(2) or "str"
        if kind == "int":
            return str(session_id)
        if kind == "uuid":
            return "00000000-0000-4000-8000-000000000000"
        return PLAUSIBLE_TEXT.get(name, "x")

    return _PARAMETER.sub(value, path)


async def published_session(owner: Staff) -> int:
    """A published session a week from now, organised by ``owner`` only."""
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)
    rows = await Session.insert(
        Session(
            kind=Session.Kind.webinar.value,
            title={"en": "Route walk"},
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            timezone="Europe/Geneva",
            floor_language="en",
            status=Session.Status.published.value,
            published_at=starts - timedelta(days=8),
        )
    ).returning(Session.id)
    await SessionOrganiser.insert(SessionOrganiser(session=rows[0]["id"], user=owner.id))
    return rows[0]["id"]


#: One byte past the app's limit on request bodies (``request_max_body_size``): a route that read it would say 413.
OVERSIZED_BODY = b"x" * (10 * 1024 * 1024 + 1)
#: Bodies the walk sends to a route that takes one: a guard that runs first refuses them all alike; a route that
#: reads the body before deciding who may call it answers 413 (oversized) or 400 (malformed JSON) instead.
BODIES = {"plausible": {}, "oversized": {"content": OVERSIZED_BODY},
          "malformed": {"content": b"{not json", "headers": {"content-type": "application/json"}}}
API_BODIES = ("plausible", "oversized", "malformed")
PAGE_BODIES = ("plausible", "oversized")


def bodies(method: str, url: str) -> tuple[str, ...]:
    if method not in ("POST", "PUT", "PATCH"):
        return ("plausible",)
    return API_BODIES if url.startswith("/api/") else PAGE_BODIES


async def call(client: httpx.AsyncClient, method: str, url: str, headers: dict | None = None,
               body: str = "plausible") -> httpx.Response:
    """One request as a browser or script would send it: pages with the CSRF token, the API with a JSON body;
    ``body`` names the body a route that takes one gets (see BODIES)."""
    headers = dict(headers or {})
    is_api = url.startswith("/api/")
    if not is_api and method != "GET":
        headers["x-csrftoken"] = await csrf_token(client)
    if method not in ("POST", "PUT", "PATCH") or (body == "plausible" and not is_api):
        return await client.request(method, url, headers=headers)
    if body == "plausible":
        return await client.request(method, url, headers=headers, json={})
    sent = dict(BODIES[body])
    return await client.request(method, url, headers={**headers, **sent.pop("headers", {})}, **sent)


def refuses_anonymous(url: str, response: httpx.Response) -> bool:
    if url.startswith("/api/"):
        return response.status_code == 401 and response.headers.get("content-type") == "application/problem+json"
    return response.status_code in (302, 303) and response.headers.get("location", "").startswith("/staff/login")


async def anonymous_failures(app: Litestar, client: httpx.AsyncClient, session_id: int) -> list[str]:
    failures = []
    for method, path in staff_routes(app):
        url = fill(path, session_id)
        response = await call(client, method, url)
        if not refuses_anonymous(url, response):
            failures.append(f"{method} {path} -> {response.status_code} {response.headers.get('location', '')}")
    return failures


async def test_every_staff_route_refuses_anonymous_callers(app, client, organiser):
    session_id = await published_session(organiser)

    failures = await anonymous_failures(app, client, session_id)

    hint = "not refused to anonymous callers (add to PUBLIC_ROUTES only if DESIGN.md says so):\n"
    assert failures == [], hint + "\n".join(failures)


async def test_every_session_route_refuses_an_organiser_of_another_session(app, client, organiser, other_organiser):
    session_id = await published_session(organiser)
    await login_cookie_client(client, other_organiser)
    failures = []

    for method, path in staff_routes(app):
        if not is_session_scoped(path):
            continue
        url = fill(path, session_id)
        headers = other_organiser.headers if url.startswith("/api/") else None
        for body in bodies(method, url):
            response = await call(client, method, url, headers, body)
            if response.status_code != 403:
                failures.append(f"{method} {path} ({body} body) -> {response.status_code}")

    hint = "not 403 for an organiser of another session (use guards=[server.auth.require_session_manager]):\n"
    assert failures == [], hint + "\n".join(failures)


async def test_walk_covers_staff_routes_of_every_part(app):
    routes = staff_routes(app)
    session_routes = [route for route in routes if is_session_scoped(route[1])]

    assert ("GET", "/staff/users") in routes
    assert ("POST", "/api/v1/tokens") in routes
    assert ("PATCH", "/api/v1/sessions/{session_id:int}") in session_routes
    # The workspace's own: duplicating a session (API and page) is session-scoped; the series pages are staff-only.
    assert ("POST", "/api/v1/sessions/{session_id:int}/duplicate") in session_routes
    assert ("POST", "/staff/sessions/{session_id:int}/duplicate") in session_routes
    assert {("GET", "/staff/series"), ("POST", "/staff/series/new"), ("POST", "/staff/series/{series_id:int}")} <= set(
        routes)
    assert ("GET", "/health") not in routes
    assert {("GET", "/api/v1/planning"), ("GET", "/api/v1/reports/participation"), ("GET", "/staff/planning"),
            ("GET", "/staff/reports/participation")} <= set(routes)
    assert {("GET", "/api/v1/sessions/{session_id:int}/report"), ("POST", "/api/v1/sessions/{session_id:int}/needs"),
            ("GET", "/staff/sessions/{session_id:int}/report"),
            ("POST", "/staff/sessions/{session_id:int}/planning/needs")} <= set(session_routes)


async def test_walk_catches_a_new_route_left_open(app, client, organiser):
    @get("/staff/forgotten-report", sync_to_thread=False)
    def forgotten_report() -> str:
        """A route someone forgot to guard."""
        return "secret figures"

    app.register(forgotten_report)
    session_id = await published_session(organiser)

    failures = await anonymous_failures(app, client, session_id)

    assert failures == ["GET /staff/forgotten-report -> 200 "]


@pytest.mark.engine_independent
def test_public_routes_match_with_any_parameter_name():
    assert is_public("GET", "/sessions/{session_id:int}")
    assert is_public("GET", "/sessions/{id:int}/calendar.ics")
    assert is_public("POST", "/manage/{token:str}/cancel")
    assert not is_public("PATCH", "/api/v1/sessions/{session_id:int}")
    assert not is_public("GET", "/api/v1/sessions/{session_id:int}/registrations")
