"""The writes of a new registration: the same statements (``registrations.seats`` and the rows below), given to
the database by one of three drivers.

``register`` reads the session, checks the request, takes a place and writes the registration, its first history
line and its outbox row, all at once (nothing half-written), through one of these paths:

- ``PostgresPath``: on an asyncpg connection. Most registrations (open audience, no needs, questions or request to
  speak) are one read and ONE call, outside any transaction: a function of the connection's own runs the lock,
  the place and the three rows, and commits as the one statement it is. The others run in a transaction, the
  three rows in one statement. Measured by bench/registration_burst.py.
- ``PiccoloPath``: through Piccolo's ``raw`` in the current transaction, statement by statement, on either engine;
  tests/registrations/test_paths_contract.py checks on PostgreSQL that it writes the same rows as the lean path.
- ``SQLitePath``: Piccolo's path with its statements handed straight to SQLite's write connection (each is a call
  into the library, not a round trip): what SQLite runs.

All take a place the same way (see ``registrations.seats``): the session row is locked by a statement of its
own, and the claim or the waitlist place is decided in a later one, which sees every place committed before.
"""

from __future__ import annotations

__all__ = ["PiccoloPath", "Place", "PostgresPath", "SQLitePath", "has_lean_path", "lean_path", "path_for"]

import asyncio
import json
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
from piccolo.engine.postgres import PostgresEngine

from registrations import seats
from registrations.tables import Registration
from server.db import SerialSQLiteEngine

#: The registration's columns a new registration sets (besides its three times); the rest take their defaults.
COLUMNS = (
    "id", "session", "name", "email", "organisation", "stakeholder_category", "country", "preferred_language",
    "timezone", "gender", "delegation_role", "participation_mode", "interpretation_language", "personal_assistant",
    "consent_processing", "consent_listed", "consent_recorded", "consent_text_version", "status", "waitlist_order",
    "manage_nonce",
)
#: The outbox row's columns taken from the message (``registrant_message`` and a message id).
MESSAGE_COLUMNS = ("template", "to_address", "language", "timezone", "context", "message_id")

_REGISTRATION = (
    f"INSERT INTO registration ({', '.join(COLUMNS)}, consented_at, created_at, updated_at)"  # noqa: S608
    f" VALUES ({', '.join(f':{c}' for c in COLUMNS)}, :now, :now, :now)"
)
_HISTORY = (
    "INSERT INTO status_change (registration, from_status, to_status, actor, reason, created_at)"
    " VALUES (:id, '', :status, 'registrant', '', :now)"
)
_OUTBOX_COLUMNS = (
    f"{', '.join(MESSAGE_COLUMNS)}, status, attempts, next_attempt_at, last_error, created_at, session_id,"
    " registration_id"
)
_OUTBOX = (
    f"INSERT INTO outbox_message ({_OUTBOX_COLUMNS})"  # noqa: S608 (column names are constants)
    f" VALUES ({', '.join(f':message_{c}' for c in MESSAGE_COLUMNS)}, 'queued', 0, :now, '', :now, :session, :id)"
)
# PostgreSQL: the three as one statement, the registration's times the transaction's.
_ALL_NAMES = (*COLUMNS, *(f"message_{c}" for c in MESSAGE_COLUMNS))
_INSERT_ALL_NAMED = (
    f"WITH reg AS ({_REGISTRATION.replace(':now', 'now()')}), "
    f"history AS ({_HISTORY.replace(':now', 'now()')}) "
    f"{_OUTBOX.replace(':now', 'now()')}"
)
_INSERT_ALL = seats.numbered(_INSERT_ALL_NAMED, _ALL_NAMES)


@dataclass(frozen=True)
class Place:
    """Where a newcomer ends: ``status``, its waitlist ``order`` and ``position`` (None when seated), and the
    session's calendar ``sequence`` read under the lock."""

    status: str
    order: int | None
    position: int | None
    sequence: int


def _values(row: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
    values = {column: row[column] for column in COLUMNS}
    values.update({f"message_{c}": message[c] for c in MESSAGE_COLUMNS})
    values["message_context"] = json.dumps(message["context"])
    return values


# PostgreSQL: the place and the three rows in ONE call of a function of the connection's own (pg_temp), so the
# session row is held for no round trip at all (before: three, and the message built between them). PL/pgSQL
# takes a fresh snapshot for each statement, so the place is decided after the lock, as ``registrations.seats``
# requires. The function runs the statements above, written once; a connection defines it on first use.
_TAKEN_BY_SQL = ("status", "waitlist_order", "message_template", "message_context")
_ARGUMENTS = [
    *(f"p_{c} registration.{c}%TYPE" for c in COLUMNS if c not in _TAKEN_BY_SQL),
    *(f"p_message_{c} outbox_message.{c}%TYPE" for c in MESSAGE_COLUMNS if f"message_{c}" not in _TAKEN_BY_SQL),
    "p_mode text", "p_confirmed_template text", "p_confirmed_context text", "p_waitlisted_template text",
    "p_waitlisted_context text",
]
_FUNCTION = "pg_temp.convene_take_place"
_PLACE_BY_MODE = "\n  ELS".join(
    f"IF p_mode = '{mode}' THEN {seats.variables(seats.place_in_one(mode), 'p_')} INTO place;"
    for mode in seats.POOLS
)
_DEFINE = f"""CREATE OR REPLACE FUNCTION {_FUNCTION}({", ".join(_ARGUMENTS)},
  OUT o_status text, OUT o_order integer, OUT o_position integer, OUT o_sequence integer)
LANGUAGE plpgsql AS $$
DECLARE
  place record;
  p_status registration.status%TYPE;
  p_waitlist_order registration.waitlist_order%TYPE;
  p_message_template outbox_message.template%TYPE;
  p_message_context outbox_message.context%TYPE;
BEGIN
  {seats.variables(seats.LOCK_SESSION, 'p_')} INTO o_sequence;
  {_PLACE_BY_MODE}
  END IF;
  IF place.claimed THEN
    p_status := 'confirmed';
    p_message_template := p_confirmed_template;
    p_message_context := (p_confirmed_context::jsonb || jsonb_build_object('sequence', o_sequence))::json;
  ELSE
    p_status := 'waitlisted';
    p_waitlist_order := place.next_order;
    o_position := place.position;
    p_message_template := p_waitlisted_template;
    p_message_context := (p_waitlisted_context::jsonb
      || jsonb_build_object('sequence', o_sequence, 'position', place.position))::json;
  END IF;
  {seats.variables(_INSERT_ALL_NAMED, 'p_')};
  o_status := p_status;
  o_order := p_waitlist_order;
END $$"""
_CALL_NAMES = tuple(argument.split()[0].removeprefix("p_") for argument in _ARGUMENTS)
_CALL = f"SELECT * FROM {_FUNCTION}({', '.join(f'${n}' for n in range(1, len(_CALL_NAMES) + 1))})"  # noqa: S608 (constants)


async def _in_steps(path: Any, session_id: int, mode: str, row: dict[str, Any], first_message: Any) -> Place:
    """The place, then the registration, its history line and its first message (``first_message`` of the
    registration, its waitlist position and the calendar sequence), statement by statement."""
    place = await path.place(session_id, mode)
    reg = {**row, "status": place.status, "waitlist_order": place.order}
    await path.insert_all(reg, first_message(reg, place.position, place.sequence))
    return place


class PostgresPath:
    """The lean path on the transaction's asyncpg connection."""

    _READ = seats.numbered(seats.session_read("postgres"), ("session",))
    _LOCK = seats.numbered(seats.LOCK_SESSION, ("session",))
    _PLACES = {mode: seats.numbered(seats.place_in_one(mode), ("session", "mode")) for mode in seats.POOLS}

    def __init__(self, connection: asyncpg.Connection) -> None:
        self.connection = connection

    async def read_session(self, session_id: int) -> dict[str, Any] | None:
        row = await self.connection.fetchrow(self._READ, session_id)
        return dict(row) if row else None

    async def take_place(self, session_id: int, mode: str, row: dict[str, Any], first_message: Any) -> Place:
        """The place, the registration, its history line and its first message. Outside a transaction, in one
        call that commits alone: the first message is built beforehand for either place, and the function adds
        what only the lock can tell, the calendar sequence and the waitlist position. Inside one (a registration
        that writes more), statement by statement."""
        if self.connection.is_in_transaction():
            return await _in_steps(self, session_id, mode, row, first_message)
        confirmed = first_message({**row, "status": "confirmed", "waitlist_order": None}, None, 0)
        waitlisted = first_message({**row, "status": "waitlisted", "waitlist_order": 0}, 0, 0)
        values = {
            **{column: row[column] for column in COLUMNS if column not in _TAKEN_BY_SQL},
            **{f"message_{c}": confirmed[c] for c in MESSAGE_COLUMNS if f"message_{c}" not in _TAKEN_BY_SQL},
            "mode": mode,
            "confirmed_template": confirmed["template"], "confirmed_context": json.dumps(confirmed["context"]),
            "waitlisted_template": waitlisted["template"], "waitlisted_context": json.dumps(waitlisted["context"]),
        }
        arguments = [values[name] for name in _CALL_NAMES]
        try:
            placed = await self.connection.fetchrow(_CALL, *arguments)
        except (asyncpg.UndefinedFunctionError, asyncpg.InvalidSchemaNameError):
            # This connection's first registration (no pg_temp schema yet, or no function in it): nothing written.
            await self.connection.execute(_DEFINE)
            placed = await self.connection.fetchrow(_CALL, *arguments)
        return Place(placed["o_status"], placed["o_order"], placed["o_position"], placed["o_sequence"])

    async def place(self, session_id: int, mode: str) -> Place:
        """The place alone (registering again, where the registration exists): the lock, then the claim or the
        line in one statement."""
        sequence = await self.connection.fetchval(self._LOCK, session_id)
        line = await self.connection.fetchrow(self._PLACES[mode], session_id, mode)
        if line["claimed"]:
            return Place("confirmed", None, None, sequence)
        return Place("waitlisted", line["next_order"], line["position"], sequence)

    async def insert_all(self, row: dict[str, Any], message: dict[str, Any]) -> None:
        values = _values(row, message)
        await self.connection.execute(_INSERT_ALL, *(values[name] for name in _ALL_NAMES))


class PiccoloPath:
    """The same statements through Piccolo's ``raw``, in the current transaction, on either engine."""

    def __init__(self, engine_type: str) -> None:
        self._read = seats.session_read(engine_type)

    async def _fetch(self, sql: str, **values: Any) -> list[dict[str, Any]]:
        query, ordered = seats.for_piccolo(sql, values)
        return await Registration.raw(query, *ordered)

    async def read_session(self, session_id: int) -> dict[str, Any] | None:
        rows = await self._fetch(self._read, session=session_id)
        return rows[0] if rows else None

    async def take_place(self, session_id: int, mode: str, row: dict[str, Any], first_message: Any) -> Place:
        return await _in_steps(self, session_id, mode, row, first_message)

    async def place(self, session_id: int, mode: str) -> Place:
        sequence = (await self._fetch(seats.LOCK_SESSION, session=session_id))[0]["sequence"]
        if await self._fetch(seats.claim(mode, behind_waitlist=True), session=session_id, mode=mode):
            return Place("confirmed", None, None, sequence)
        line = (await self._fetch(seats.next_in_line(mode), session=session_id, mode=mode))[0]
        return Place("waitlisted", line["next_order"], line["position"], sequence)

    async def insert_all(self, row: dict[str, Any], message: dict[str, Any]) -> None:
        values = {**_values(row, message), "now": datetime.now(UTC)}
        for statement in (_REGISTRATION, _HISTORY, _OUTBOX):
            await self._fetch(statement, **values)


class SQLitePath(PiccoloPath):
    """Piccolo's path run straight on SQLite's write connection, which the transaction holds (sqlite3 takes the
    named parameters as they are, and converts as Piccolo's engine does): no query object per statement."""

    def __init__(self, connection: Any) -> None:
        super().__init__("sqlite")
        self.connection = connection

    async def _fetch(self, sql: str, **values: Any) -> list[dict[str, Any]]:
        return self.connection.run(sql, values)


def has_lean_path(engine: Any) -> bool:
    """Whether ``engine`` runs the lean path outside a transaction: PostgreSQL, and no transaction around."""
    return isinstance(engine, PostgresEngine) and engine.current_transaction.get() is None


#: Registrations take pooled connections in arrival order: asyncpg's pool hands a freed connection to whoever
#: asks first, so under a burst a waiting request could lose its turn to newcomers again and again (p99 at
#: concurrency 100 was 4 to 7 times p50). Fewer than the pool's 20, so other requests still find connections.
#: One queue per event loop (a semaphore belongs to the loop it first waited in).
LEAN_TURNS = 16
_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


@asynccontextmanager
async def lean_path(engine: PostgresEngine) -> AsyncIterator[PostgresPath]:
    """The lean path on a pooled connection outside any transaction: each statement commits on its own."""
    if engine.pool is None:  # the pool not started yet (the database was down at startup): a connection of its own
        connection = await engine.get_new_connection()
        try:
            yield PostgresPath(connection)
        finally:
            await connection.close()
        return
    turns = _turns.setdefault(asyncio.get_running_loop(), asyncio.Semaphore(LEAN_TURNS))
    async with turns, engine.pool.acquire() as connection:
        yield PostgresPath(connection)


def path_for(transaction: Any) -> PostgresPath | PiccoloPath:
    """The path for the engine of ``transaction``: the lean one of each engine, else Piccolo's."""
    if isinstance(transaction.engine, PostgresEngine):
        return PostgresPath(transaction.connection)
    if isinstance(transaction.engine, SerialSQLiteEngine):
        return SQLitePath(transaction.connection)
    return PiccoloPath(transaction.engine.engine_type)
