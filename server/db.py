"""The database engine: built from ``DATABASE_URL``, bound to every table before the first query."""

from __future__ import annotations

__all__ = [
    "ConnectionPool",
    "SerialSQLiteEngine",
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

import asyncio
import logging
import os
import socket
import sqlite3
import time
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from piccolo.conf.apps import AppRegistry
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory
from piccolo.querystring import QueryString
from piccolo.table import Table

from server.dates import READ_CEILING, READ_FLOOR, readable, readable_from_text
from server.settings import parse_database_url

# Every Piccolo app, in dependency order; piccolo_conf.py and the migration runner read it.
APPS = ["server.piccolo_app", "events.piccolo_app", "registrations.piccolo_app"]

# Only a writer in another process (a separate `convene worker`, `convene purge` from cron) waits on it: writers
# of this process queue on SerialSQLiteEngine's lock instead.
SQLITE_BUSY_TIMEOUT_SECONDS = 30

logger = logging.getLogger("convene.db")


#: PostgreSQL's epoch for timestamps on the wire: microseconds since then.
_PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_READ_MIN, _READ_MAX = ((bound - _PG_EPOCH) // _MICROSECOND for bound in (READ_FLOOR, READ_CEILING))


def _encode_timestamptz(value: datetime) -> tuple[int]:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return ((value - _PG_EPOCH) // _MICROSECOND,)


def _decode_timestamptz(value: tuple[int]) -> datetime:
    # ``infinity`` comes as the largest int64, ``-infinity`` as the smallest: beyond what datetime holds.
    microseconds = max(min(value[0], _READ_MAX), _READ_MIN)
    return readable(_PG_EPOCH + timedelta(microseconds=microseconds))


async def _guard_timestamps(connection) -> None:
    """Every ``timestamptz`` this connection reads comes back through ``server.dates.readable``."""
    await connection.set_type_codec("timestamptz", schema="pg_catalog", encoder=_encode_timestamptz,
                                    decoder=_decode_timestamptz, format="tuple")


async def _nothing_more_to_reset(connection) -> None:
    """A connection given back to the pool is only rolled back (asyncpg does that before calling this): Convene
    sets no session state (no SET, LISTEN, cursor or advisory lock) for the default reset query to undo, and that
    query was one more round trip on every request."""


class GuardedPostgresEngine(PostgresEngine):
    """Piccolo's PostgreSQL engine whose connections (pooled or not) read times through ``readable``: a row
    holding ``infinity`` reads as a far but usable date instead of a naive one that breaks every comparison.
    Pooled connections are given back without a reset query (``_nothing_more_to_reset``)."""

    async def start_connection_pool(self, **kwargs) -> None:
        await super().start_connection_pool(init=_guard_timestamps, reset=_nothing_more_to_reset, **kwargs)

    async def get_new_connection(self):
        connection = await super().get_new_connection()
        await _guard_timestamps(connection)
        return connection


# SQLite stores times as text: read them through the same guard (Piccolo's converter would take a naive text,
# or one with another offset, as UTC as written, and overflow on year 9999 shown ahead of UTC).
sqlite3.register_converter("TIMESTAMPTZ", lambda raw: readable_from_text(raw.decode("utf8")))


def engine_from_url(url: str) -> Engine:
    """A Piccolo engine for ``DATABASE_URL``; SQLite gets WAL and a busy timeout."""
    parsed = parse_database_url(url)
    if parsed.is_sqlite:
        assert parsed.path is not None
        parsed.path.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(parsed.path) as connection:
            # WAL persists in the file: readers no longer block the writer.
            connection.execute("PRAGMA journal_mode=WAL")
        return SerialSQLiteEngine(path=str(parsed.path), timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
    config = {"host": parsed.host, "port": parsed.port, "database": parsed.database}
    if parsed.user:
        config["user"] = parsed.user
    if parsed.password:
        config["password"] = parsed.password
    return GuardedPostgresEngine(config=config)


async def _in_thread(function: Any, *args: Any) -> Any:
    """``function(*args)`` in a thread; a cancelled caller still waits for it to finish, so the write connection
    is never used by two at once (a thread cannot be stopped halfway)."""
    call = asyncio.ensure_future(asyncio.to_thread(function, *args))
    try:
        return await asyncio.shield(call)
    except asyncio.CancelledError:
        await asyncio.wait([call])
        raise


class _WriteConnection:
    """The process's one SQLite write connection (stdlib sqlite3, opened once with its pragmas), behind the
    awaitable ``execute`` that Piccolo's transaction and savepoints call. Statements run at once in the event
    loop's thread (microseconds on a local file: less than handing them to a thread; COMMIT as the stdlib
    baseline does). Only taking the write lock may wait, for another process: BEGIN IMMEDIATE (and a write
    outside a transaction) is tried at once without waiting, and when another process holds the lock, again in a
    thread that waits up to the busy timeout, so the server keeps answering meanwhile. Only the holder of the
    writer lock uses it, one thread at a time."""

    def __init__(self, connection_kwargs: dict[str, Any]) -> None:
        self.busy_timeout_ms = int(connection_kwargs.get("timeout", 5.0) * 1000)
        self.raw = sqlite3.connect(**{**connection_kwargs, "timeout": 0}, check_same_thread=False)
        self.raw.row_factory = dict_factory
        self.raw.execute("PRAGMA foreign_keys = 1")

    async def execute(self, sql: str, args: Any = ()) -> sqlite3.Cursor:
        if sql.startswith("BEGIN"):
            return await self.taking_the_lock(self.raw.execute, sql, args)
        return self.raw.execute(sql, args)

    def run(self, sql: str, args: Any = ()) -> list[dict[str, Any]]:
        return self.raw.execute(sql, args).fetchall()

    async def taking_the_lock(self, function: Any, *args: Any) -> Any:
        """``function(*args)``, which takes SQLite's write lock: at once, or in a thread waiting for it."""
        try:
            return function(*args)
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                raise
        return await _in_thread(self._waiting, function, *args)

    def _waiting(self, function: Any, *args: Any) -> Any:
        self.raw.execute(f"PRAGMA busy_timeout = {self.busy_timeout_ms}")
        try:
            return function(*args)
        finally:
            self.raw.execute("PRAGMA busy_timeout = 0")

    async def close(self) -> None:
        """Kept open for the next writer (``SerialSQLiteEngine.close_write_connections`` closes it)."""


@dataclass
class _Writer:
    """One event loop's writer lock and write connection (opened on first use)."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    connection: _WriteConnection | None = None


class _SerialTransaction(SQLiteTransaction):
    """A transaction on the write connection, holding the writer lock from before BEGIN until after COMMIT or
    ROLLBACK (a nested one runs inside its parent's). Should the COMMIT or ROLLBACK itself fail, the connection is
    dropped (closing it rolls back) and the next writer opens a fresh one."""

    async def get_connection(self) -> _WriteConnection:
        return self.engine.write_connection()

    async def begin(self) -> None:
        # Every transaction here is a writer's: take SQLite's write lock at once (a deferred one could fail on
        # upgrading its lock while another process writes).
        await self.connection.execute("BEGIN IMMEDIATE")

    async def __aenter__(self) -> SQLiteTransaction:
        if self._parent is not None:
            return self._parent
        writer = self.engine.writer()
        await writer.lock.acquire()
        try:
            return await super().__aenter__()
        except BaseException:  # a BEGIN cancelled after it took effect leaves a transaction open: drop it
            if writer.connection is not None and writer.connection.raw.in_transaction:
                self.engine.drop_write_connection()
            writer.lock.release()
            raise

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        if self._parent is not None:
            return exception is None
        try:
            if exception is not None:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
        except BaseException:
            self.engine.drop_write_connection()
            raise
        finally:
            self.engine.current_transaction.reset(self.context)
            self.engine.writer().lock.release()
        return exception is None


def _is_read(sql: str) -> bool:
    """A SELECT, or a PRAGMA that only reads a setting."""
    start = sql.lstrip()[:6].upper()
    return start == "SELECT" or (start == "PRAGMA" and "=" not in sql)


class SerialSQLiteEngine(SQLiteEngine):
    """SQLite with one writer at a time per process, queued in the app, on one long-lived write connection.

    Every transaction, and every statement outside one that is not a read (``SELECT``), waits for the process's writer
    lock and then runs on the write connection: writers (requests, the in-process mail worker, the periodic jobs)
    take turns in order instead of polling in SQLite's busy handler, where a burst made some wait out the busy
    timeout and fail with "database is locked"; and a write costs no new connection, thread or pragma. Reads
    outside a transaction take no lock and a connection of their own (WAL: they never block the writer). One
    process only: several serving processes need PostgreSQL (``convene serve --workers``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One writer per event loop (an asyncio.Lock belongs to the loop it first waited in); a server has one.
        self._writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Writer] = weakref.WeakKeyDictionary()

    def writer(self) -> _Writer:
        """The running event loop's writer."""
        loop = asyncio.get_running_loop()
        writer = self._writers.get(loop)
        if writer is None:
            writer = self._writers[loop] = _Writer()
        return writer

    def write_connection(self) -> _WriteConnection:
        """The running loop's write connection; only for the holder of ``writer().lock``."""
        writer = self.writer()
        if writer.connection is None:
            writer.connection = _WriteConnection(self.connection_kwargs)
        return writer.connection

    def drop_write_connection(self) -> None:
        writer = self.writer()
        if writer.connection is not None:
            writer.connection.raw.close()
            writer.connection = None

    def close_write_connections(self) -> None:
        """Close every write connection (the app's lifespan and the CLI call it at the end)."""
        for writer in list(self._writers.values()):
            if writer.connection is not None:
                writer.connection.raw.close()
                writer.connection = None

    def transaction(
        self, transaction_type: TransactionType = TransactionType.deferred, allow_nested: bool = True
    ) -> SQLiteTransaction:
        return _SerialTransaction(engine=self, transaction_type=transaction_type, allow_nested=allow_nested)

    async def _run_in_existing_connection(self, connection: Any, query: str, args: Any = None, *rest: Any, **kw: Any):
        if isinstance(connection, _WriteConnection):  # its pragmas were set once, when it was opened
            return connection.run(query, args or ())
        return await super()._run_in_existing_connection(connection, query, args, *rest, **kw)

    async def _run_outside_transaction(self, query: str, args: Any, run_alone: Any):
        if _is_read(query):
            return await run_alone()
        async with self.writer().lock:
            connection = self.write_connection()
            try:
                return await connection.taking_the_lock(connection.run, query, args)
            except sqlite3.DatabaseError as error:
                if not isinstance(error, sqlite3.IntegrityError | sqlite3.OperationalError):
                    self.drop_write_connection()
                raise

    async def run_querystring(self, querystring: QueryString, in_pool: bool = False):
        if self.current_transaction.get() is not None:
            return await super().run_querystring(querystring, in_pool)
        query, args = querystring.compile_string(engine_type=self.engine_type)
        return await self._run_outside_transaction(
            query, args,
            lambda: self._run_in_new_connection(query, args, querystring.query_type, querystring.table),
        )

    async def run_ddl(self, ddl: str, in_pool: bool = False):
        if self.current_transaction.get() is not None:
            return await super().run_ddl(ddl, in_pool)
        return await self._run_outside_transaction(ddl, (), lambda: self._run_in_new_connection(ddl))


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
        await close_engine(self.engine)


async def start_engine(engine: Engine) -> None:
    """PostgreSQL: start the pool, else Piccolo opens a connection per query (raises if the database is down;
    the app uses ``ConnectionPool``, which does not)."""
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(max_size=20)


#: Seconds closing the pool waits for connections still in use before terminating them.
POOL_CLOSE_SECONDS = 10.0


async def close_engine(engine: Engine) -> None:
    """Close the engine's connections. A connection that a cancelled task never gave back must not keep the
    process from stopping: after ``POOL_CLOSE_SECONDS`` the pool's connections are terminated."""
    if isinstance(engine, SerialSQLiteEngine):
        engine.close_write_connections()
    if isinstance(engine, PostgresEngine) and (pool := engine.pool) is not None:
        try:
            await asyncio.wait_for(pool.close(), timeout=POOL_CLOSE_SECONDS)
        except TimeoutError:
            logger.warning("connection pool: a connection still in use after %s s, terminated", POOL_CLOSE_SECONDS)
            pool.terminate()
        engine.pool = None


def write_transaction(engine: Engine):
    """A transaction that takes the write lock at once on SQLite (``BEGIN IMMEDIATE``, after the process's writer
    lock, see ``SerialSQLiteEngine``), so a writer of another process cannot make it fail on lock upgrade."""
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
