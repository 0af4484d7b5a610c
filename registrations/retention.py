"""Retention: personal data of a session's registrants is kept ``Session.retention_days`` after it ends, then
anonymised (``convene purge``). What remains per registration — category, country (hence region), status,
attendance — keeps the aggregate counts. Sent mail about such sessions, and any sent mail older than
``DELIVERY_LOG_DAYS``, loses its address and facts too."""

from __future__ import annotations

__all__ = ["purge_expired"]

from datetime import UTC, datetime, timedelta

from events.tables import Session
from registrations.manage import anonymise
from registrations.tables import Invitation, Registration
from server.db import write_transaction
from server.mail import outbox


async def _expired_session_ids(now: datetime) -> list[int]:
    rows = await Session.select(Session.id, Session.ends_at, Session.retention_days)
    return [r["id"] for r in rows if r["ends_at"] + timedelta(days=r["retention_days"]) < now]


async def purge_expired(now: datetime | None = None) -> int:
    """Anonymise every registration whose session's retention has run out, and forget old delivered mail;
    prints both counts and returns the first."""
    now = now or datetime.now(UTC)
    session_ids = await _expired_session_ids(now)
    count = 0
    async with write_transaction(Registration._meta.db):
        forgotten = await outbox.forget_delivered(now, set(session_ids))
    if session_ids:
        async with write_transaction(Registration._meta.db):
            rows = await Registration.select(Registration.id).where(
                Registration.session.is_in(session_ids) & Registration.anonymised_at.is_null()
            )
            for row in rows:
                await anonymise(row["id"])
            await Invitation.delete().where(Invitation.session.is_in(session_ids))
            count = len(rows)
    print(f"purged: {count} registrations anonymised, {forgotten} sent messages forgotten")
    return count
