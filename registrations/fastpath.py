"""The registration hot path on PostgreSQL, on the transaction's own asyncpg connection.

Same rules and rows as the ORM path in ``registering`` / ``waitlist`` (which SQLite uses), in fewer round trips
while the session row is locked: the id is drawn from the sequence first (no lock), so the manage link and the
outbox row are ready before the seat is claimed; then one guarded claim, and ONE statement writing the
registration, its first history line and its outbox row. When no seat is left the session row is locked, and a
second claim together with the next waitlist order is read in one statement (taken after the lock, so it sees
every committed place: places follow commit order). Measured by bench/registration_burst.py.
"""

from __future__ import annotations

__all__ = ["insert_all", "place", "read_session"]

import json
from typing import Any

import asyncpg

_CLAIM = {
    "online": (
        "UPDATE event_session SET seats_taken = seats_taken + 1 "
        "WHERE id = $1 AND (capacity IS NULL OR seats_taken < capacity) RETURNING sequence"
    ),
    "in_person": (
        "UPDATE event_session SET in_person_seats_taken = in_person_seats_taken + 1 "
        "WHERE id = $1 AND (in_person_capacity IS NULL OR in_person_seats_taken < in_person_capacity) "
        "RETURNING sequence"
    ),
}
_READ_SESSION = (
    "SELECT id, status, audience, kind, venue, starts_at, registration_opens_at, registration_closes_at, sequence, "
    "nextval(pg_get_serial_sequence('registration', 'id')) AS next_registration_id FROM event_session WHERE id = $1"
)
_LOCK = "UPDATE event_session SET seats_taken = seats_taken WHERE id = $1 RETURNING sequence"
# Under the lock: claim once more, and read the next waitlist order and position in the same snapshot.
_CLAIM_OR_WAIT = """
WITH claim AS ({claim})
SELECT (SELECT sequence FROM claim) AS claimed,
       COALESCE(MAX(waitlist_order), 0) + 1 AS next_order,
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
                            next_attempt_at, last_error, created_at)
SELECT ${_N + 1}, ${_N + 2}, ${_N + 3}, ${_N + 4}, ${_N + 5}, ${_N + 6}, 'queued', 0, now(), '', now() FROM reg
"""  # noqa: S608 (column names are constants)


async def read_session(connection: asyncpg.Connection, session_id: int) -> dict[str, Any] | None:
    """What registering reads of the session, and the new registration's id drawn from its sequence (so the
    manage link and the message are built before the seat is claimed; an unused id is only a gap)."""
    row = await connection.fetchrow(_READ_SESSION, session_id)
    return dict(row) if row else None


async def place(connection: asyncpg.Connection, session_id: int, mode: str) -> tuple[str, int | None, int | None, int]:
    """Claim a seat or take a waitlist place: (status, waitlist order, position, the session's sequence)."""
    sequence = await connection.fetchval(_CLAIM[mode], session_id)
    if sequence is not None:
        return "confirmed", None, None, sequence
    sequence = await connection.fetchval(_LOCK, session_id)
    row = await connection.fetchrow(_CLAIM_OR_WAIT.format(claim=_CLAIM[mode]), session_id, mode)
    if row["claimed"] is not None:
        return "confirmed", None, None, row["claimed"]
    return "waitlisted", row["next_order"], row["position"], sequence


async def insert_all(connection: asyncpg.Connection, row: dict[str, Any], message: dict[str, Any]) -> None:
    """The registration, its first history line and its outbox row, in one statement."""
    await connection.execute(
        _INSERT_ALL,
        *(row[column] for column in _COLUMNS),
        message["template"], message["to_address"], message["language"], message["timezone"],
        json.dumps(message["context"]), message["message_id"],
    )
