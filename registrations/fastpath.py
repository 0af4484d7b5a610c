"""The writes of a new registration: the same statements (``registrations.seats`` and the rows below), given to
the database by one of three drivers.

``register`` reads the session, checks the request, takes a place and writes the registration, its first history
line and its outbox row, all in one write transaction, through one of these paths:

- ``PostgresPath``: on the transaction's own asyncpg connection, in few round trips (the registration, its
  history line and its message in ONE statement). Measured by bench/registration_burst.py.
- ``PiccoloPath``: through Piccolo's ``raw`` in the current transaction, statement by statement, on either engine;
  tests/registrations/test_paths_contract.py checks on PostgreSQL that it writes the same rows as the lean path.
- ``SQLitePath``: Piccolo's path with its statements handed straight to SQLite's write connection (each is a call
  into the library, not a round trip): what SQLite runs.

Both take a place the same way (see ``registrations.seats``): the session row is locked by a statement of its
own, and the claim or the waitlist place is decided in a later one, which sees every place committed before.
"""

from __future__ import annotations

__all__ = ["PiccoloPath", "Place", "PostgresPath", "SQLitePath", "path_for"]

import json
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
_INSERT_ALL = seats.numbered(
    f"WITH reg AS ({_REGISTRATION.replace(':now', 'now()')}), "
    f"history AS ({_HISTORY.replace(':now', 'now()')}) "
    f"{_OUTBOX.replace(':now', 'now()')}",
    _ALL_NAMES,
)


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

    async def place(self, session_id: int, mode: str) -> Place:
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

    async def place(self, session_id: int, mode: str) -> Place:
        sequence = (await self._fetch(seats.LOCK_SESSION, session=session_id))[0]["sequence"]
        if await self._fetch(seats.claim(mode, behind_waitlist=True), session=session_id, mode=mode):
            return Place("confirmed", None, None, sequence)
        line = (await self._fetch(seats.NEXT_IN_LINE, session=session_id, mode=mode))[0]
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


def path_for(transaction: Any) -> PostgresPath | PiccoloPath:
    """The path for the engine of ``transaction``: the lean one of each engine, else Piccolo's."""
    if isinstance(transaction.engine, PostgresEngine):
        return PostgresPath(transaction.connection)
    if isinstance(transaction.engine, SerialSQLiteEngine):
        return SQLitePath(transaction.connection)
    return PiccoloPath(transaction.engine.engine_type)
