"""The registration hot path on PostgreSQL, on the transaction's own asyncpg connection.

Same rules and rows as the ORM path in ``registering`` / ``waitlist`` (which SQLite uses), in fewer round trips
while the session row is locked: the id is drawn from the sequence first (no lock), so the manage link and the
outbox row are ready before the seat is claimed; then one statement that locks the session row and makes the
guarded claim, and ONE statement writing the registration, its first history line and its outbox row. When no
seat is left, the next waitlist order is read under that lock (a later statement, so it sees every committed
place: places follow commit order). Measured by bench/registration_burst.py.

A newcomer takes a seat only while nobody of its mode is waitlisted. That check runs inside the claim statement
(no extra round trip), so it reads the statement's snapshot: it can miss a waitlist place committed while this
statement waited for the lock. That matters only if a seat was also freed without promotion during the same wait
(a cancellation after the promotion cutoff, an organiser's move); the SQLite path, serialised by BEGIN IMMEDIATE,
has no such window.
"""

from __future__ import annotations

__all__ = ["insert_all", "place", "read_session"]

import json
from typing import Any

import asyncpg

_SEATS = {"online": ("capacity", "seats_taken"), "in_person": ("in_person_capacity", "in_person_seats_taken")}
# One statement: lock the session row (waiting for it, then reading its latest version), and take a seat with
# the guarded UPDATE if one is left and nobody of the mode waits for one (newcomers never pass the waitlist; the
# registration_waitlist index answers it). Either way the row stays locked until commit, so a registrant without
# a seat reads the waitlist next under the same lock instead of queueing for it twice.
_CLAIM = """
WITH locked AS (
    SELECT id, sequence, {capacity} AS capacity, {taken} AS taken FROM event_session WHERE id = $1 FOR UPDATE
), claim AS (
    UPDATE event_session SET {taken} = event_session.{taken} + 1 FROM locked
    WHERE event_session.id = locked.id AND (locked.capacity IS NULL OR (
        event_session.{taken} < locked.capacity AND NOT EXISTS (
            SELECT 1 FROM registration
            WHERE session = $1 AND status = 'waitlisted' AND participation_mode = '{mode}'
        )
    ))
    RETURNING event_session.id
)
SELECT locked.sequence, EXISTS (SELECT 1 FROM claim) AS claimed FROM locked
"""
_CLAIMS = {
    mode: _CLAIM.format(capacity=capacity, taken=taken, mode=mode) for mode, (capacity, taken) in _SEATS.items()
}
_READ_SESSION = (
    "SELECT id, status, audience, kind, venue, starts_at, registration_opens_at, registration_closes_at, sequence, "
    "nextval(pg_get_serial_sequence('registration', 'id')) AS next_registration_id FROM event_session WHERE id = $1"
)
# Under the lock (a later statement, so its snapshot holds every committed place): the next order and position.
_NEXT_IN_LINE = """
SELECT COALESCE(MAX(waitlist_order), 0) + 1 AS next_order,
       COUNT(*) FILTER (WHERE status = 'waitlisted') + 1 AS position
FROM registration WHERE session = $1 AND participation_mode = $2
"""
_COLUMNS = (
    "id", "session", "name", "email", "organisation", "stakeholder_category", "country", "preferred_language",
    "timezone", "gender", "delegation_role", "participation_mode", "interpretation_language", "personal_assistant",
    "consent_processing", "consent_listed", "consent_recorded", "consent_text_version", "status", "waitlist_order",
    "manage_nonce",
)
_N = len(_COLUMNS)
_INSERT_ALL = f"""
WITH reg AS (
    INSERT INTO registration ({", ".join(_COLUMNS)}, consented_at, created_at, updated_at)
    VALUES ({", ".join(f"${i}" for i in range(1, _N + 1))}, now(), now(), now())
    RETURNING id, status
), history AS (
    INSERT INTO status_change (registration, from_status, to_status, actor, reason, created_at)
    SELECT id, '', status, 'registrant', '', now() FROM reg
)
INSERT INTO outbox_message (template, to_address, language, timezone, context, message_id, status, attempts,
                            next_attempt_at, last_error, created_at, session_id, registration_id)
SELECT ${_N + 1}, ${_N + 2}, ${_N + 3}, ${_N + 4}, ${_N + 5}, ${_N + 6}, 'queued', 0, now(), '', now(), $2, id
FROM reg
"""  # noqa: S608 (column names are constants)


async def read_session(connection: asyncpg.Connection, session_id: int) -> dict[str, Any] | None:
    """What registering reads of the session, and the new registration's id drawn from its sequence (so the
    manage link and the message are built before the seat is claimed; an unused id is only a gap)."""
    row = await connection.fetchrow(_READ_SESSION, session_id)
    return dict(row) if row else None


async def place(connection: asyncpg.Connection, session_id: int, mode: str) -> tuple[str, int | None, int | None, int]:
    """Claim a seat or take a waitlist place: (status, waitlist order, position, the session's sequence)."""
    claim = await connection.fetchrow(_CLAIMS[mode], session_id)
    if claim["claimed"]:
        return "confirmed", None, None, claim["sequence"]
    line = await connection.fetchrow(_NEXT_IN_LINE, session_id, mode)
    return "waitlisted", line["next_order"], line["position"], claim["sequence"]


async def insert_all(connection: asyncpg.Connection, row: dict[str, Any], message: dict[str, Any]) -> None:
    """The registration, its first history line and its outbox row, in one statement."""
    await connection.execute(
        _INSERT_ALL,
        *(row[column] for column in _COLUMNS),
        message["template"], message["to_address"], message["language"], message["timezone"],
        json.dumps(message["context"]), message["message_id"],
    )
