"""The registration hot path on PostgreSQL: the seat claim (or waitlist place), the registration row and its
first history line as three statements on the transaction's own asyncpg connection.

Same rules as the ORM path in ``registering`` / ``waitlist`` (which SQLite uses): the guarded claim is one
statement; when no seat is left the session row is locked, the claim tried once more, and the next waitlist
order taken, so places follow commit order. Measured by bench/registration_burst.py.
"""

from __future__ import annotations

__all__ = ["insert_registration", "place"]

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
_LOCK = "UPDATE event_session SET seats_taken = seats_taken WHERE id = $1 RETURNING sequence"
_WAITLIST = (
    "SELECT COALESCE(MAX(waitlist_order), 0) + 1 AS next_order, "
    "COUNT(*) FILTER (WHERE status = 'waitlisted') + 1 AS position "
    "FROM registration WHERE session = $1 AND participation_mode = $2"
)
_COLUMNS = (
    "session", "name", "email", "organisation", "stakeholder_category", "country", "preferred_language", "timezone",
    "gender", "delegation_role", "participation_mode", "interpretation_language", "personal_assistant",
    "consent_processing", "consent_listed", "consent_recorded", "consent_text_version", "status", "waitlist_order",
    "manage_nonce",
)
_INSERT = f"""
WITH reg AS (
    INSERT INTO registration ({", ".join(_COLUMNS)}, consented_at, created_at, updated_at)
    VALUES ({", ".join(f"${i}" for i in range(1, len(_COLUMNS) + 1))}, now(), now(), now())
    RETURNING id, status
), history AS (
    INSERT INTO status_change (registration, from_status, to_status, actor, reason, created_at)
    SELECT id, '', status, 'registrant', '', now() FROM reg
)
SELECT id FROM reg
"""  # noqa: S608 (column names are constants)


async def place(connection: asyncpg.Connection, session_id: int, mode: str) -> tuple[str, int | None, int | None, int]:
    """Claim a seat or take a waitlist place: (status, waitlist order, position, the session's sequence)."""
    sequence = await connection.fetchval(_CLAIM[mode], session_id)
    if sequence is not None:
        return "confirmed", None, None, sequence
    sequence = await connection.fetchval(_LOCK, session_id)
    again = await connection.fetchval(_CLAIM[mode], session_id)
    if again is not None:
        return "confirmed", None, None, again
    row = await connection.fetchrow(_WAITLIST, session_id, mode)
    return "waitlisted", row["next_order"], row["position"], sequence


async def insert_registration(connection: asyncpg.Connection, row: dict[str, Any]) -> int:
    """Insert the registration and its first history line; returns its id."""
    return await connection.fetchval(_INSERT, *(row[column] for column in _COLUMNS))
