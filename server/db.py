"""The database engine: built from ``DATABASE_URL``, bound to every table before the first query."""

from __future__ import annotations

__all__ = [
    "ConnectionPool",
    "all_tables",
    "bind_engine",
    "close_engine",
    "engine_from_url",
    "is_database_up",
    "is_database_unreachable",
    "run_migrations",
    "start_engine",
    "write_transaction",
]

import logging
import os
import socket
import sqlite3
import time

import asyncpg
from piccolo.conf.apps import AppRegistry
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.table import Table

from server.settings import parse_database_url

# Every Piccolo app, in dependency order; piccolo_conf.py and the migration runner read it.
APPS = ["server.piccolo_app", "events.piccolo_app", "registrations.piccolo_app"]

SQLITE_BUSY_TIMEOUT_SECONDS = 30

logger = logging.getLogger("convene.db")


def engine_from_url(url: str) -> Engine:
    """A Piccolo engine for ``DATABASE_URL``; SQLite gets WAL and a busy timeout."""
    parsed = parse_database_url(url)
    if parsed.is_sqlite:
        assert parsed.path is not None
        parsed.path.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(parsed.path) as connection:
            # WAL persists in the file: readers no longer block the writer.
            connection.execute("PRAGMA journal_mode=WAL")
        return SQLiteEngine(path=str(parsed.path), timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
    config = {"host": parsed.host, "port": parsed.port, "database": parsed.database}
    if parsed.user:
        config["user"] = parsed.user
    if parsed.password:
        config["password"] = parsed.password
    return PostgresEngine(config=config)


def all_tables() -> list[type[Table]]:
    """Every table of every app, in the order the apps are listed."""
    registry = AppRegistry(apps=APPS)
    return [table for config in registry.app_configs.values() for table in config.table_classes]


def bind_engine(engine: Engine) -> None:
    """Point every table at ``engine``: Piccolo would otherwise resolve it lazily from piccolo_conf."""
    for table in all_tables():
        table._meta.db = engine


class ConnectionPool:
    """PostgreSQL's connection pool, started with the app and, if the database could not be reached then, on a
    later request (at most one attempt every ``retry_seconds``): the app serves meanwhile, ``/health`` answers 503
    and queries open a connection each, until the database is back. SQLite has no pool: nothing to do."""

    def __init__(self, engine: Engine, retry_seconds: float = 5.0) -> None:
        self.engine = engine
        #: Seconds between two attempts to start the pool while the database is unreachable.
        self.retry_seconds = retry_seconds
        self._next_attempt = 0.0
        self._starting = False

    @property
    def needed(self) -> bool:
        return isinstance(self.engine, PostgresEngine) and self.engine.pool is None

    async def start(self) -> None:
        """Start the pool unless it runs, another request is starting it, or the last attempt was too recent."""
        if not self.needed or self._starting or time.monotonic() < self._next_attempt:
            return
        assert isinstance(self.engine, PostgresEngine)
        self._starting = True
        try:
            await self.engine.start_connection_pool(max_size=20)
        except Exception as error:  # whatever keeps the database from answering, the app keeps serving
            self._next_attempt = time.monotonic() + self.retry_seconds
            logger.warning("database unreachable, connection pool not started (%s: %s); retrying on a later request",
                           type(error).__name__, error)
        finally:
            self._starting = False

    async def close(self) -> None:
        if isinstance(self.engine, PostgresEngine) and self.engine.pool is not None:
            await self.engine.close_connection_pool()


async def start_engine(engine: Engine) -> None:
    """PostgreSQL: start the pool, else Piccolo opens a connection per query (raises if the database is down;
    the app uses ``ConnectionPool``, which does not)."""
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(max_size=20)


async def close_engine(engine: Engine) -> None:
    if isinstance(engine, PostgresEngine) and engine.pool is not None:
        await engine.close_connection_pool()


def write_transaction(engine: Engine):
    """A transaction that takes the write lock at once on SQLite (``BEGIN IMMEDIATE``), so concurrent
    writers queue on the busy timeout instead of failing on lock upgrade."""
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()


#: SQLite's words for a database file it cannot reach (gone, unreadable, held too long by another writer).
_SQLITE_UNREACHABLE = ("unable to open database file", "disk i/o error", "database is locked")


def is_database_unreachable(error: BaseException) -> bool:
    """Whether ``error`` (or what caused it) says the database cannot be reached, rather than that a query is
    wrong: refused or lost connections, timeouts, a PostgreSQL that is starting or full, an SQLite file gone."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (ConnectionError, TimeoutError, socket.gaierror, asyncpg.PostgresConnectionError,
                                asyncpg.CannotConnectNowError, asyncpg.TooManyConnectionsError,
                                asyncpg.AdminShutdownError, asyncpg.CrashShutdownError)):
            return True
        # A PostgreSQL shutting down ends the connection under a query: asyncpg then finds it mid-operation.
        if isinstance(current, asyncpg.InternalClientError) and "cannot switch to state" in str(current):
            return True
        if isinstance(current, asyncpg.InterfaceError) and "connection" in str(current).lower():
            return True
        if isinstance(current, sqlite3.OperationalError) and str(current).lower() in _SQLITE_UNREACHABLE:
            return True
        current = current.__cause__ or current.__context__
    return False


async def is_database_up(engine: Engine) -> bool:
    try:
        await engine.run_ddl("SELECT 1")
    except Exception:  # any failure to reach the database means it is down
        return False
    return True


async def run_migrations(database_url: str) -> None:
    """Apply every app's migrations, as ``convene migrate`` does."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    # The runner finds its engine through piccolo_conf, which reads these.
    os.environ["DATABASE_URL"] = database_url
    os.environ["PICCOLO_CONF"] = "server.piccolo_conf"
    result = await run_forwards(app_name="all", migration_id="all", fake=False)
    if not result.success:
        raise RuntimeError(f"migrations failed: {result.message}")
