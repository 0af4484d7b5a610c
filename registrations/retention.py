"""Retention: personal data of a session's registrants is kept ``Session.retention_days`` after it ends, then
anonymised (``convene purge``). What remains per registration — category, country (hence region), status,
attendance — keeps the aggregate counts. Sent mail about such sessions, and any sent mail older than
``DELIVERY_LOG_DAYS``, loses its address and facts too."""

from __future__ import annotations

__all__ = ["purge_expired"]

from datetime import UTC, datetime, timedelta

from events.tables import Session
from registrations import input_files
from registrations.manage import anonymise
from registrations.tables import Invitation, Registration
from server.db import write_transaction
from server.mail import outbox
from server.settings import Settings


async def _expired_session_ids(now: datetime) -> list[int]:
    rows = await Session.select(Session.id, Session.ends_at, Session.retention_days)
    return [r["id"] for r in rows if r["ends_at"] + timedelta(days=r["retention_days"]) < now]


async def purge_expired(settings: Settings, now: datetime | None = None) -> int:
    """Anonymise every registration whose session's retention has run out (their written inputs' files go once
    that has committed), sweep files no written input names, and forget old delivered mail; prints the counts of
    registrations and messages and returns the first. The files are those under ``settings``' directories."""
    now = now or datetime.now(UTC)
    session_ids = await _expired_session_ids(now)
    count = 0
    files: list[str] = []
    async with write_transaction(Registration._meta.db):
        forgotten = await outbox.forget_delivered(now, set(session_ids), mail_dir=settings.mail_dir)
    if session_ids:
        async with write_transaction(Registration._meta.db):
            rows = await Registration.select(Registration.id).where(
                Registration.session.is_in(session_ids) & Registration.anonymised_at.is_null()
            )
            for row in rows:
                files += await anonymise(row["id"], mail_dir=settings.mail_dir)
            await Invitation.delete().where(Invitation.session.is_in(session_ids))
            count = len(rows)
    input_files.remove_files(files, settings.upload_dir)
    await input_files.sweep_orphan_files(settings.upload_dir)
    print(f"purged: {count} registrations anonymised, {forgotten} sent messages forgotten")
    return count
