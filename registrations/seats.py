"""Seats: each participation mode's pool on the session row, and the SQL every registration path runs on it.

The statements are written once, with named parameters (``:session``, ``:mode``): sqlite3 takes them as they
are, ``numbered`` gives asyncpg its ``$1, $2``, ``for_piccolo`` gives Piccolo's ``raw`` its ``{}`` and values.

The rule they keep: a newcomer (registering, being approved) takes a seat only while a seat of its mode is left
and nobody of its mode waits for one, so nobody passes the waitlist (after the promotion cutoff, or after an
organiser moved someone there, a seat may be free while people wait). Taking a place first locks the session row
(``LOCK_SESSION``) in a statement of its own, and decides in a LATER statement: on PostgreSQL a statement reads the
snapshot taken when it started, so a check made in the statement that waited for the lock could miss a waitlist
place committed during the wait; the next statement sees every place committed before the lock was granted, and
no other can commit while it is held. On SQLite the write transaction (BEGIN IMMEDIATE) serialises it all anyway.
(Before, one statement locked and claimed: a seat taken, a waitlist place and the seat given back after the
promotion cutoff, all during its wait, let a newcomer pass the waitlist; tests/registrations/test_seats.py.)
"""

from __future__ import annotations

__all__ = [
    "LOCK_SESSION",
    "POOLS",
    "Pool",
    "claim",
    "for_piccolo",
    "next_in_line",
    "numbered",
    "place_in_one",
    "release",
    "seat_free",
    "session_read",
    "variables",
]

import re
from typing import Any, NamedTuple


class Pool(NamedTuple):
    """One participation mode's seats: the session row's limit (NULL: unlimited), how many are taken and how many
    registrations wait for one (kept by the database: triggers on ``registration``)."""

    capacity: str
    taken: str
    waiting: str


#: Each participation mode has its own pool of seats on the session row.
POOLS = {
    "online": Pool(capacity="capacity", taken="seats_taken", waiting="waiting"),
    "in_person": Pool(capacity="in_person_capacity", taken="in_person_seats_taken", waiting="in_person_waiting"),
}

#: Hold the session row until commit (a write that changes nothing), and read its calendar sequence.
LOCK_SESSION = "UPDATE event_session SET sequence = sequence WHERE id = :session RETURNING sequence"


def next_in_line(mode: str) -> str:
    """Under that lock: the next waitlist order of ``mode`` and the position it would hold (1 is next in line),
    whatever the line's length. Only the waitlisted have an order (leaving the line clears it): the last one comes
    from the ``registration_line`` index (session, participation_mode, status, waitlist_order); the line's length
    from the session row, where the database keeps it (counting it under the lock cost more with each place).
    Parameters ``:session`` and ``:mode``."""
    return (
        "SELECT (SELECT COALESCE(MAX(waitlist_order), 0) + 1 FROM registration"  # noqa: S608 (names from POOLS)
        " WHERE session = :session AND participation_mode = :mode AND status = 'waitlisted') AS next_order,"
        f" {POOLS[mode].waiting} + 1 AS position FROM event_session WHERE id = :session"
    )


# What registering reads of the session, with the new registration's id (so its manage link and first message
# are built before the place is taken) and whether the session asks questions (most don't: no query for them).
_SESSION_READ = (
    "SELECT id, status, audience, kind, venue, starts_at, registration_opens_at, registration_closes_at, sequence,"
    " {next_id} AS next_registration_id,"
    " EXISTS (SELECT 1 FROM question WHERE question.session = event_session.id) AS has_questions"
    " FROM event_session WHERE id = :session"
)
_NEXT_ID = {
    # The sequence: an id drawn and then unused is only a gap.
    "postgres": "nextval(pg_get_serial_sequence('registration', 'id'))",
    # Under BEGIN IMMEDIATE nobody else inserts: the id SQLite itself would give the next row.
    "sqlite": "(SELECT COALESCE(MAX(id), 0) + 1 FROM registration)",
}


def session_read(engine_type: str) -> str:
    """The session read for ``engine_type`` (``postgres`` or ``sqlite``); parameter ``:session``."""
    return _SESSION_READ.format(next_id=_NEXT_ID[engine_type])


def claim(mode: str, *, behind_waitlist: bool) -> str:
    """Take one seat of ``mode`` if one is left: one guarded UPDATE, never above capacity; a row comes back when
    a seat was taken. ``behind_waitlist`` (newcomers): only while nobody of the mode waits (the line's length on
    the same row). Parameter ``:session``. Unlimited sessions seat everyone."""
    pool = POOLS[mode]
    guard = f" AND {pool.waiting} = 0" if behind_waitlist else ""
    return (
        f"UPDATE event_session SET {pool.taken} = {pool.taken} + 1"  # noqa: S608 (column names from POOLS)
        f" WHERE id = :session AND ({pool.capacity} IS NULL OR ({pool.taken} < {pool.capacity}{guard}))"
        f" RETURNING {pool.taken}"
    )


def place_in_one(mode: str) -> str:
    """A newcomer's claim and, for when it gets no seat, its place in line, in one statement (PostgreSQL: a
    data-modifying WITH); run under ``LOCK_SESSION``. Columns ``claimed``, ``next_order``, ``position``."""
    return (
        f"WITH claim AS ({claim(mode, behind_waitlist=True)}) "  # noqa: S608 (column names from POOLS)
        "SELECT EXISTS (SELECT 1 FROM claim) AS claimed, line.next_order, line.position"
        f" FROM ({next_in_line(mode)}) AS line"
    )


def release(mode: str) -> str:
    """Give one seat of ``mode`` back (never below zero); parameter ``:session``."""
    taken = POOLS[mode].taken
    return f"UPDATE event_session SET {taken} = {taken} - 1 WHERE id = :session AND {taken} > 0"  # noqa: S608


def seat_free(mode: str) -> str:
    """A row when a seat of ``mode`` is free now (always without a limit); parameter ``:session``."""
    pool = POOLS[mode]
    return (
        f"SELECT 1 AS free FROM event_session WHERE id = :session"  # noqa: S608 (column names from POOLS)
        f" AND ({pool.capacity} IS NULL OR {pool.taken} < {pool.capacity})"
    )


_PARAMETER = re.compile(r"(?<![:\w]):([a-z_]+)")


def numbered(sql: str, names: tuple[str, ...]) -> str:
    """``sql`` for asyncpg: each ``:name`` becomes ``$n``, n its place in ``names`` (from 1)."""
    return _PARAMETER.sub(lambda match: f"${names.index(match[1]) + 1}", sql)


def variables(sql: str, prefix: str) -> str:
    """``sql`` inside a PL/pgSQL function: each ``:name`` becomes the function's variable ``<prefix>name``."""
    return _PARAMETER.sub(lambda match: f"{prefix}{match[1]}", sql)


def for_piccolo(sql: str, values: dict[str, Any]) -> tuple[str, list[Any]]:
    """``sql`` and its values for Piccolo's ``raw``: each ``:name`` becomes ``{}``, its value in that order."""
    ordered: list[Any] = []

    def slot(match: re.Match[str]) -> str:
        ordered.append(values[match[1]])
        return "{}"

    return _PARAMETER.sub(slot, sql), ordered
