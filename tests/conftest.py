"""Shared test fixtures: a real database (SQLite, or PostgreSQL from ``TEST_DATABASE_URL``), the real app
driven over ASGI in the test's own event loop, and staff accounts.

The same suite runs on both engines; ``make test`` runs it on SQLite, then again on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

# The engine must be chosen before Piccolo is imported anywhere (piccolo_conf reads it at import).
_TMP = Path(tempfile.mkdtemp(prefix="convene-test-"))
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_TMP}/test.db"
os.environ["DATABASE_URL"] = TEST_DATABASE_URL
os.environ["PICCOLO_CONF"] = "server.piccolo_conf"
os.environ["CONVENE_VAR_DIR"] = str(_TMP / "var")  # Settings.from_env() (commands run by tests) stays out of the repo

import argon2  # noqa: E402
import email_validator  # noqa: E402
import httpx  # noqa: E402
import pytest  # noqa: E402
from litestar import Litestar  # noqa: E402

from server.app import connect_signal_receivers, create_app  # noqa: E402
from server.auth import create_api_token, create_user, use_password_parameters  # noqa: E402
from server.db import all_tables, bind_engine, engine_from_url, run_migrations  # noqa: E402
from server.settings import Settings, parse_database_url  # noqa: E402

# Test addresses use the reserved `.test` domain, which email-validator refuses outside its test mode.
email_validator.TEST_ENVIRONMENT = True
# Real argon2, at its cheapest cost: the suite makes and logs in hundreds of accounts.
use_password_parameters(argon2.profiles.CHEAPEST)

# The SMTP server's fixtures (smtp, mail_settings and the guard against unexpected mail) for every test module;
# pytester runs the guard's own test.
pytest_plugins = ["pytester", "tests.smtp_server"]

IS_POSTGRES = not parse_database_url(TEST_DATABASE_URL).is_sqlite
TEST_SECRET = "test-secret-key-for-convene-tests"


async def _reset_postgres_schema(url: str) -> None:
    import asyncpg

    parsed = parse_database_url(url)
    connection = await asyncpg.connect(
        host=parsed.host, port=parsed.port, user=parsed.user, password=parsed.password, database=parsed.database
    )
    try:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await connection.close()


@pytest.fixture(scope="session")
async def database() -> AsyncIterator[str]:
    """An empty database with every real migration applied, once per test run."""
    if IS_POSTGRES:
        await _reset_postgres_schema(TEST_DATABASE_URL)
    await run_migrations(TEST_DATABASE_URL)
    bind_engine(engine_from_url(TEST_DATABASE_URL))
    yield TEST_DATABASE_URL


@pytest.fixture(autouse=True)
async def clean_tables(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Every test starts from empty tables (tests that need no database skip this)."""
    if request.node.get_closest_marker("engine_independent") and "database" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("database")
    tables = all_tables()
    engine = tables[0]._meta.db
    names = ", ".join(t._meta.tablename for t in tables)
    if IS_POSTGRES:
        await engine.run_ddl(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    else:
        for table in reversed(tables):
            await engine.run_ddl(f"DELETE FROM {table._meta.tablename}")
        if await engine.run_ddl("SELECT name FROM sqlite_master WHERE name = 'sqlite_sequence'"):
            await engine.run_ddl("DELETE FROM sqlite_sequence")  # ids restart at 1, as on PostgreSQL
    yield


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=TEST_DATABASE_URL,
        secret_key=TEST_SECRET,
        var_dir=tmp_path,
        public_url="http://convene.test",
        mail_from="Convene Secretariat <events@convene.test>",
        rate_limit=True,
    )


@pytest.fixture(autouse=True)
def signal_receivers(settings: Settings) -> None:
    """The domains' signal receivers, connected with this test's settings as the composition root connects them
    (a test that builds an app connects them again with that app's settings)."""
    connect_signal_receivers(settings)


@pytest.fixture
async def app(settings: Settings, database: str) -> Litestar:
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP through the real app, in this test's event loop, with its lifespan running."""
    started, stop = asyncio.Event(), asyncio.Event()

    async def run_lifespan() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(run_lifespan())
    await started.wait()
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://convene.test") as http:
        yield http
    stop.set()
    await task


@dataclass
class Staff:
    """A staff account made for a test, with its bearer token."""

    id: int
    email: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def make_staff(email: str, role: str) -> Staff:
    user_id, password = await create_user(email, role, name=email.split("@")[0].title())
    token = await create_api_token(user_id, "tests")
    return Staff(id=user_id, email=email, password=password, token=token)


@pytest.fixture
async def admin(database: str) -> Staff:
    return await make_staff("admin@convene.test", "admin")


@pytest.fixture
async def organiser(database: str) -> Staff:
    return await make_staff("organiser@convene.test", "organiser")


@pytest.fixture
async def other_organiser(database: str) -> Staff:
    return await make_staff("other.organiser@convene.test", "organiser")


async def login_cookie_client(client: httpx.AsyncClient, staff: Staff) -> httpx.AsyncClient:
    """Log ``client`` in through the real login form (CSRF token included); returns the same client."""
    page = await client.get("/staff/login")
    csrf = client.cookies.get("convene_csrf")
    assert page.status_code == 200 and csrf
    response = await client.post(
        "/staff/login",
        data={"email": staff.email, "password": staff.password, "next": "/staff", "_csrf_token": csrf},
    )
    assert response.status_code in (302, 303), response.text
    return client
