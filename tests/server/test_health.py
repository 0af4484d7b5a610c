import dataclasses
import logging
import socket
from urllib.parse import urlsplit, urlunsplit

import pytest
from litestar.datastructures import MutableScopeHeaders
from piccolo.engine.sqlite import SQLiteEngine

from server.app import create_app
from server.db import all_tables, bind_engine
from server.errors import RETRY_AFTER_SECONDS
from server.i18n import gettext, use_locale
from server.settings import parse_database_url
from server.web import SECURITY_HEADERS, _add_headers
from tests.conftest import IS_POSTGRES, TEST_DATABASE_URL
from tests.server.helpers import running


async def test_health_reports_ok_when_database_answers(client):
    response = await client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_health_is_503_when_database_unreachable(app, client):
    # A database file in a folder that does not exist cannot be opened: the engine is down.
    app.state.engine = SQLiteEngine(path="/nonexistent/convene/health.db")

    response = await client.get("/health")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unreachable"}


async def test_responses_carry_security_headers_and_request_id(client):
    response = await client.get("/health")

    assert response.headers["content-security-policy"].startswith("default-src 'self'; script-src 'self';")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert len(response.headers["x-request-id"]) == 16


async def test_openapi_schema_is_served(client):
    response = await client.get("/schema/openapi.json")

    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Convene API"


def closed_port() -> int:
    """A local port nothing listens on: bound once, then let go."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


#: Piccolo's PostgresEngine connects when made, to read the server's version and add an extension, and warns when
#: it cannot: expected here.
piccolo_cannot_connect = pytest.mark.filterwarnings(
    r"ignore:.*Unable to (fetch server version|create uuid-ossp extension)")


@pytest.fixture
def restore_tables_engine():
    """Apps made here bind every table to their engine: give them back the test database's afterwards."""
    engine = all_tables()[0]._meta.db
    yield
    bind_engine(engine)


def url_with_closed_port() -> str:
    """The test database's URL (PostgreSQL, so that there is a pool to start) on a port nothing listens on."""
    if not IS_POSTGRES:
        return f"postgresql://postgres@127.0.0.1:{closed_port()}/convene"
    parts = urlsplit(TEST_DATABASE_URL)
    userinfo, _at, _address = parts.netloc.rpartition("@")
    address = f"{parse_database_url(TEST_DATABASE_URL).host}:{closed_port()}"
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{address}" if userinfo else address))


@pytest.fixture
def app_without_database(settings, database, restore_tables_engine):
    """An app whose PostgreSQL is down when it starts (made before the test, as the logging capture needs)."""
    return create_app(dataclasses.replace(settings, database_url=url_with_closed_port()))


@piccolo_cannot_connect
async def test_health_is_503_when_postgresql_is_down_at_startup(app_without_database, caplog):
    async with running(app_without_database) as http:  # starting does not fail
        response = await http.get("/health")
        again = await http.get("/health")

    assert (response.status_code, again.status_code) == (503, 503)
    assert response.json() == {"status": "error", "database": "unreachable"}
    # Tried at startup; requests within the retry interval (5 s) do not each wait for a failed pool.
    warnings = [r.getMessage() for r in caplog.records if r.name == "convene.db"]
    assert len(warnings) == 1
    assert warnings[0].startswith("database unreachable, connection pool not started (ConnectionRefusedError: ")


@pytest.mark.skipif(not IS_POSTGRES, reason="the database coming back needs PostgreSQL")
@piccolo_cannot_connect
async def test_health_recovers_when_postgresql_comes_back(app_without_database):
    app_without_database.state.pool.retry_seconds = 0
    async with running(app_without_database) as http:
        down = await http.get("/health")
        # The database is reachable again.
        app_without_database.state.engine.config["port"] = parse_database_url(TEST_DATABASE_URL).port
        back = await http.get("/health")
        pool_started = not app_without_database.state.pool.needed

    assert (down.status_code, back.status_code) == (503, 200)
    assert back.json() == {"status": "ok", "database": "ok"}
    assert pool_started


#: Pages and API routes that read the database: 503 with Retry-After while it is unreachable, not 500.
PAGES = ["/", "/sessions/1", "/sessions/1/calendar.ics", "/calendar.ics"]
API = ["/api/v1/sessions", "/api/v1/sessions/1", "/api/v1/series"]


def _assert_unavailable(responses: dict, language: str = "en") -> None:
    with use_locale(language):
        title, detail = gettext("Temporarily unavailable"), gettext(
            "The service is briefly unavailable. Please try again in a minute.")
    for path, response in responses.items():
        assert (path, response.status_code, response.headers["retry-after"]) == (path, 503, str(RETRY_AFTER_SECONDS))
        if path.startswith("/api/"):
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["status"] == 503
            assert response.json()["detail"] == detail
        elif not path.endswith(".ics"):
            assert f"<h1>{title}</h1>" in response.text


@piccolo_cannot_connect
async def test_postgresql_down_answers_503_with_retry_after(app_without_database, caplog):
    async with running(app_without_database) as http:
        responses = {path: await http.get(path, headers={"Accept-Language": "fr"}) for path in PAGES + API}

    _assert_unavailable(responses, "fr")
    # Said once per request as a warning, not logged as a crash.
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_sqlite_file_unreachable_answers_503_with_retry_after(app, client, restore_tables_engine):
    bind_engine(SQLiteEngine(path="/nonexistent/convene/down.db"))

    responses = {path: await client.get(path) for path in PAGES + API}

    _assert_unavailable(responses)


@pytest.mark.parametrize("path", ["/", "/api/v1/sessions"])
async def test_database_up_answers_200(client, path):
    assert (await client.get(path)).status_code == 200


@pytest.mark.engine_independent
@pytest.mark.parametrize("personal", [False, True])
@pytest.mark.parametrize("headers", [
    [(b"content-type", b"application/json"), (b"content-length", b"2")],
    [(b"content-type", b"text/html"), (b"Content-Security-Policy", b"default-src 'none'"),
     (b"x-frame-options", b"SAMEORIGIN")],
    [(b"cache-control", b"max-age=60"), (b"vary", b"accept")],
    [(b"X-Request-Id", b"theirs"), (b"cache-control", b"public"), (b"cache-control", b"max-age=5")],
    ((b"content-type", b"text/plain"),),
    [],
])
def test_added_headers_are_those_mutable_scope_headers_would_give(headers, personal):
    """The middleware appends its headers to the raw list itself: the same list, in the same order, as setting them
    through Litestar's MutableScopeHeaders (request id and no-store replaced, security headers only if missing)."""
    copy = tuple if isinstance(headers, tuple) else list
    message = {"type": "http.response.start", "status": 200, "headers": copy(headers)}
    expected = {"type": "http.response.start", "status": 200, "headers": copy(headers)}
    reference = MutableScopeHeaders.from_message(expected)
    reference["x-request-id"] = "0123456789abcdef"
    for name, value in SECURITY_HEADERS.items():
        reference.setdefault(name, value)
    if personal:
        reference["cache-control"] = "no-store"

    _add_headers(message, "0123456789abcdef", personal=personal)

    assert message == expected
