"""The outbox worker: claims due messages with a lease, renders and sends them, retries with backoff,
and runs the periodic jobs (reminders…) about once a minute.

Several workers may run at once: on PostgreSQL the claim takes rows with ``FOR UPDATE SKIP LOCKED``, on SQLite
inside ``BEGIN IMMEDIATE``; either way a row is held by one worker until its lease ends, and a worker renews
the lease of the rows it still holds when a slow server makes a batch outlast it. A worker that dies leaves
its lease to expire, and the row is claimed again. A message goes out again only if the worker died
between the SMTP server's acceptance and the commit that records it (its Message-ID stays the same).
"""

from __future__ import annotations

__all__ = ["WorkerOptions", "claim_batch", "deliver_due", "run_worker"]

import asyncio
import json
import logging
import os
import random
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from piccolo.engine.postgres import PostgresEngine

from server.db import write_transaction
from server.jobs import Jobs, run_jobs
from server.mail.outbox import forgotten_fields
from server.mail.render import MailBuilders, MessageObsolete, build_mime, render_message
from server.mail.transport import PermanentFailure, ServerUnreachable, TemporaryFailure, Transport, transport_for
from server.settings import Settings
from server.tables import OutboxMessage

logger = logging.getLogger("convene.mail")

# Errors of a database that is away for a moment (rendering reads rows): the message is retried, not failed.
_TRANSIENT = (OSError, TimeoutError, sqlite3.OperationalError, asyncpg.PostgresConnectionError,
              asyncpg.InterfaceError, asyncpg.CannotConnectNowError)

@dataclass(frozen=True)
class WorkerOptions:
    """How the worker paces itself; the defaults suit production, tests shorten them."""

    batch_size: int = 50
    """Rows claimed at once."""
    lease_seconds: float = 300
    """How long a claim holds; a dead worker's rows are free again after it."""
    poll_seconds: float = 2.0
    """Pause when nothing is due."""
    jobs_every_seconds: float = 60.0
    """How often the periodic jobs run."""
    max_attempts: int = 70
    """Temporary refusals (4xx) after which a message is marked failed: about two days of retries, as mail
    servers do. An unreachable server is never counted against a message: an outage only delays mail."""
    backoff_seconds: float = 30.0
    """First retry delay; doubled on every counted attempt, with jitter. While the server is unreachable every
    retry waits this first delay: the outage is not the message's, and mail goes soon after it ends."""
    backoff_max_seconds: float = 3600.0
    lease_margin_seconds: float = 120.0
    """A batch whose lease has less than this left renews it before the next send (longer than one send can
    take), so no other worker can claim a row this one is still sending."""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> WorkerOptions:
        """``CONVENE_MAIL_LEASE_SECONDS``, ``…_BATCH``, ``…_POLL_SECONDS``, ``…_BACKOFF_SECONDS`` override."""
        env = os.environ if environ is None else environ
        defaults = cls()
        return cls(
            batch_size=int(env.get("CONVENE_MAIL_BATCH", defaults.batch_size)),
            lease_seconds=float(env.get("CONVENE_MAIL_LEASE_SECONDS", defaults.lease_seconds)),
            poll_seconds=float(env.get("CONVENE_MAIL_POLL_SECONDS", defaults.poll_seconds)),
            backoff_seconds=float(env.get("CONVENE_MAIL_BACKOFF_SECONDS", defaults.backoff_seconds)),
        )


def _now() -> datetime:
    return datetime.now(UTC)


async def claim_batch(
    limit: int, lease_seconds: float, *, due_by: datetime | None = None
) -> tuple[list[dict[str, Any]], datetime]:
    """Claim up to ``limit`` rows due by ``due_by`` (default now) for ``lease_seconds``; returns them and
    the lease they carry."""
    now = _now()
    due_by = due_by or now
    lease_until = now + timedelta(seconds=lease_seconds)
    engine = OutboxMessage._meta.db
    async with write_transaction(engine):
        if isinstance(engine, PostgresEngine):
            due = await OutboxMessage.raw(
                "SELECT id FROM outbox_message WHERE status = 'queued' AND next_attempt_at <= {} "
                "AND (lease_until IS NULL OR lease_until < {}) ORDER BY next_attempt_at, id LIMIT {} "
                "FOR UPDATE SKIP LOCKED",
                due_by, now, limit,
            )
        else:  # BEGIN IMMEDIATE already holds SQLite's single write lock
            due = await (
                OutboxMessage.select(OutboxMessage.id)
                .where(
                    (OutboxMessage.status == OutboxMessage.Status.queued)
                    & (OutboxMessage.next_attempt_at <= due_by)
                    & (OutboxMessage.lease_until.is_null() | (OutboxMessage.lease_until < now))
                )
                .order_by(OutboxMessage.next_attempt_at)
                .order_by(OutboxMessage.id)
                .limit(limit)
            )
        if not due:
            return [], lease_until
        rows = await (
            OutboxMessage.update({OutboxMessage.lease_until: lease_until})
            .where(OutboxMessage.id.is_in([row["id"] for row in due]))
            .returning(*OutboxMessage.all_columns())
        )
    for row in rows:  # the JSON column comes back as text on both engines
        if isinstance(row["context"], str):
            row["context"] = json.loads(row["context"] or "{}")
    rows.sort(key=lambda row: row["id"])
    return rows, lease_until


async def renew_lease(
    row_ids: list[int], lease_until: datetime, options: WorkerOptions
) -> tuple[set[int], datetime]:
    """Extend this worker's lease on the rows it still holds (a retry button or an erasure may have taken some
    back); returns those rows and the new lease."""
    renewed_until = _now() + timedelta(seconds=options.lease_seconds)
    rows = await (
        OutboxMessage.update({OutboxMessage.lease_until: renewed_until})
        .where(
            OutboxMessage.id.is_in(row_ids)
            & (OutboxMessage.lease_until == lease_until)
            & (OutboxMessage.status == OutboxMessage.Status.queued)
        )
        .returning(OutboxMessage.id)
    )
    return {row["id"] for row in rows}, renewed_until


def _held(row: dict[str, Any], lease_until: datetime):
    """Only the worker whose lease still stands may record the outcome."""
    return (OutboxMessage.id == row["id"]) & (OutboxMessage.lease_until == lease_until)


def _forgotten_once_delivered(row: dict[str, Any]) -> dict[Any, Any]:
    """A message to someone whose data was erased keeps the address only until it is delivered or fails."""
    return forgotten_fields(row) if row["context"].get("forget_when_delivered") else {}


def _without_address(row: dict[str, Any], reason: str) -> str:
    """A refusal often quotes the address: not kept for a message whose address is to be forgotten."""
    if row["context"].get("forget_when_delivered") and row["to_address"]:
        return re.sub(re.escape(row["to_address"]), "(erased)", reason, flags=re.IGNORECASE)
    return reason


async def _mark_sent(row: dict[str, Any], lease_until: datetime) -> None:
    await OutboxMessage.update(
        {
            OutboxMessage.status: OutboxMessage.Status.sent,
            OutboxMessage.sent_at: _now(),
            OutboxMessage.attempts: row["attempts"] + 1,
            OutboxMessage.lease_until: None,
            OutboxMessage.last_error: "",
            **_forgotten_once_delivered(row),
        }
    ).where(_held(row, lease_until))


async def _mark_failed(row: dict[str, Any], lease_until: datetime, reason: str) -> None:
    await OutboxMessage.update(
        {
            OutboxMessage.status: OutboxMessage.Status.failed,
            OutboxMessage.attempts: row["attempts"] + 1,
            OutboxMessage.lease_until: None,
            OutboxMessage.last_error: _without_address(row, reason)[:2000],
            **_forgotten_once_delivered(row),
        }
    ).where(_held(row, lease_until))


def retry_delay(attempts: int, options: WorkerOptions) -> float:
    """Exponential backoff with jitter (half fixed, half random), so retries of many messages spread out."""
    delay = min(options.backoff_max_seconds, options.backoff_seconds * 2 ** max(0, attempts - 1))
    return delay / 2 + random.uniform(0, delay / 2)  # noqa: S311 (jitter, not security)


async def _schedule_retry(
    row: dict[str, Any], lease_until: datetime, reason: str, options: WorkerOptions, *, counted: bool = True
) -> None:
    """Try again later. A counted attempt (the server answered 4xx) moves toward giving up and lengthens the
    backoff; an uncounted one (server unreachable, database away) does neither: it retries after the first delay."""
    attempts = row["attempts"] + 1 if counted else row["attempts"]
    if counted and attempts >= options.max_attempts:
        await _mark_failed(row, lease_until, f"gave up after {attempts} attempts: {reason}")
        return
    await OutboxMessage.update(
        {
            OutboxMessage.attempts: attempts,
            OutboxMessage.next_attempt_at: _now() + timedelta(seconds=retry_delay(attempts if counted else 1, options)),
            OutboxMessage.lease_until: None,
            OutboxMessage.last_error: reason[:2000],
        }
    ).where(_held(row, lease_until))


async def _deliver(
    row: dict[str, Any], lease_until: datetime, settings: Settings, builders: MailBuilders, transport: Transport,
    options: WorkerOptions,
) -> bool:
    """Render and send one row, then record the outcome; True when the server accepted it."""
    try:
        message = build_mime(row, await render_message(row, settings, builders), settings)
    except MessageObsolete as error:
        await _mark_failed(row, lease_until, f"obsolete: {error}")
        return False
    except _TRANSIENT as error:  # the database was away for a moment: not the message's fault
        logger.warning("mail %s (%s): rendering interrupted, will retry: %s", row["id"], row["template"], error)
        await _schedule_retry(row, lease_until, f"rendering interrupted: {error}", options, counted=False)
        return False
    except Exception as error:  # a template or data bug must not stop the other messages
        logger.exception("mail %s (%s): rendering failed", row["id"], row["template"])
        await _mark_failed(row, lease_until, f"rendering failed: {type(error).__name__}: {error}")
        return False
    try:
        await transport.send(message, row["to_address"])
    except PermanentFailure as error:
        logger.warning("mail %s (%s): refused: %s", row["id"], row["template"], error)
        await _mark_failed(row, lease_until, str(error))
        return False
    except TemporaryFailure as error:
        logger.info("mail %s (%s): will retry: %s", row["id"], row["template"], error)
        await _schedule_retry(row, lease_until, str(error), options, counted=not isinstance(error, ServerUnreachable))
        return False
    await _mark_sent(row, lease_until)
    return True


async def deliver_due(
    settings: Settings, *, builders: MailBuilders, transport: Transport | None = None,
    options: WorkerOptions | None = None, stop: asyncio.Event | None = None,
) -> int:
    """Deliver every row due now, batch by batch, each rendered with its template's builder in ``builders``;
    returns how many rows were handled. Rows retried meanwhile wait for a later call, even when their backoff is
    short. Once ``stop`` is set, the batch in hand is finished and no other is claimed (a backlog of thousands
    must not delay a shutdown)."""
    options = options or WorkerOptions()
    started_at = _now()
    own_transport = transport is None
    transport = transport or transport_for(settings)
    handled = 0
    try:
        while stop is None or not stop.is_set():
            rows, lease_until = await claim_batch(options.batch_size, options.lease_seconds, due_by=started_at)
            if not rows:
                return handled
            held = {row["id"] for row in rows}
            for index, row in enumerate(rows):
                if (lease_until - _now()).total_seconds() < options.lease_margin_seconds:
                    held, lease_until = await renew_lease([r["id"] for r in rows[index:]], lease_until, options)
                if row["id"] in held:
                    await _deliver(row, lease_until, settings, builders, transport, options)
            handled += len(rows)
        return handled
    finally:
        if own_transport:
            await transport.close()


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass


async def run_worker(
    settings: Settings, *, builders: MailBuilders, jobs: Jobs, stop: asyncio.Event | None = None,
    options: WorkerOptions | None = None,
) -> None:
    """Deliver the outbox until ``stop`` is set (or the task is cancelled); run the periodic ``jobs`` each minute.

    The composition root (server.app, server.cli) hands it the domains' mail context ``builders`` and ``jobs``.
    """
    options = options or WorkerOptions.from_env()
    stop = stop or asyncio.Event()
    transport = transport_for(settings)
    loop = asyncio.get_running_loop()
    next_jobs_at = loop.time()
    logger.info("mail worker started (%s)", "SMTP" if settings.smtp_url else f"files in {settings.mail_dir}")
    try:
        while not stop.is_set():
            if loop.time() >= next_jobs_at:
                await run_jobs(jobs, settings)
                next_jobs_at = loop.time() + options.jobs_every_seconds
            try:
                handled = await deliver_due(settings, builders=builders, transport=transport, options=options,
                                            stop=stop)
            except Exception:  # the database is away, say: keep the worker alive and try again shortly
                logger.exception("mail worker: delivery round failed")
                handled = 0
            if not handled:
                await _pause(stop, min(options.poll_seconds, max(0.0, next_jobs_at - loop.time())))
    finally:
        await transport.close()
        logger.info("mail worker stopped")
