"""Retention: personal data of a session's registrants is kept ``Session.retention_days`` after it ends, then
anonymised (``convene purge``). What remains per registration — category, country (hence region), status,
attendance — keeps the aggregate counts."""

from __future__ import annotations

__all__ = ["purge_expired"]

from datetime import UTC, datetime, timedelta

from events.tables import Session
from registrations.manage import anonymise
from registrations.tables import Invitation, Registration
from server.db import write_transaction


async def _expired_session_ids(now: datetime) -> list[int]:
    rows = await Session.select(Session.id, Session.ends_at, Session.retention_days)
    return [r["id"] for r in rows if r["ends_at"] + timedelta(days=r["retention_days"]) < now]


async def purge_expired(now: datetime | None = None) -> int:
    """Anonymise every registration whose session's retention has run out; prints and returns how many."""
    session_ids = await _expired_session_ids(now or datetime.now(UTC))
    count = 0
    if session_ids:
        async with write_transaction(Registration._meta.db):
            rows = await Registration.select(Registration.id).where(
                Registration.session.is_in(session_ids) & Registration.anonymised_at.is_null()
            )
            for row in rows:
                await anonymise(row["id"])
            await Invitation.delete().where(Invitation.session.is_in(session_ids))
            count = len(rows)
    print(f"purged: {count} registrations anonymised")
    return count
