import dataclasses
import socket
from urllib.parse import urlsplit, urlunsplit

import pytest
from piccolo.engine.sqlite import SQLiteEngine

from server.app import create_app
from server.db import all_tables, bind_engine
from server.settings import parse_database_url
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
