"""The baseline of bench/registration_burst.py: the same writes as a registration, on the same HTTP stack
(Litestar on uvicorn), through raw asyncpg (or, when ``BASELINE_DATABASE_URL`` is ``sqlite:///…``, the standard
library's sqlite3) and nothing else.

One transaction per request, the rows Convene writes for a registration without needs: the guarded seat claim
(or, when full, the session row locked and the next waitlist order), the registration row, its first history
row (``status_change``) and the outbox row. On PostgreSQL the registration and its history row are one statement
(a data-modifying CTE), as Convene's fast path writes them. Run by the benchmark as
``uvicorn bench.baseline_registration:app``; ``GET /health`` answers once the pool is up.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import uuid
from datetime import UTC, datetime

import asyncpg
import msgspec
from litestar import Litestar, Request, get, post


class Body(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    email: str
    stakeholder_category: str
    country: str
    consent_processing: bool
    organisation: str = ""
    preferred_language: str = "en"
    timezone: str = "UTC"


class Reply(msgspec.Struct):
    id: int
    status: str


CLAIM = (
    "UPDATE event_session SET seats_taken = seats_taken + 1 "
    "WHERE id = $1 AND (capacity IS NULL OR seats_taken < capacity) RETURNING seats_taken"
)
INSERT_REGISTRATION = """
WITH reg AS (
INSERT INTO registration (session, name, email, organisation, stakeholder_category, country, preferred_language,
  timezone, participation_mode, personal_assistant, consent_processing, consent_listed, consent_recorded,
  consented_at, consent_text_version, status, waitlist_order, manage_nonce, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'online', false, $9, false, false, now(), 'baseline', $10, $11, $12,
  now(), now())
RETURNING id, status
), history AS (
INSERT INTO status_change (registration, from_status, to_status, actor, reason, created_at)
SELECT id, '', status, 'registrant', '', now() FROM reg
)
SELECT id FROM reg
"""
INSERT_OUTBOX = """
INSERT INTO outbox_message (template, to_address, language, timezone, context, message_id, status, attempts,
  next_attempt_at, last_error, created_at, session_id, registration_id)
VALUES ($1, $2, $3, $4, $5, $6, 'queued', 0, now(), '', now(), $7, $8)
"""


SQLITE = os.environ.get("BASELINE_DATABASE_URL", "").startswith("sqlite:///")


INSERT_REGISTRATION_SQLITE = """
INSERT INTO registration (session, name, email, organisation, stakeholder_category, country, preferred_language,
  timezone, participation_mode, personal_assistant, consent_processing, consent_listed, consent_recorded,
  consented_at, consent_text_version, status, waitlist_order, manage_nonce, created_at, updated_at)
VALUES (:session, :name, :email, :organisation, :category, :country, :language, :timezone, 'online', 0, :consent,
  0, 0, :now, 'baseline', :status, :waitlist_order, :nonce, :now, :now)
RETURNING id
"""


async def _pool(app: Litestar) -> None:
    if SQLITE:
        # One connection, opened once; the handler runs each transaction without awaiting, so the event loop is
        # the only writer lock it needs.
        path = os.environ["BASELINE_DATABASE_URL"].removeprefix("sqlite:///")
        app.state.connection = sqlite3.connect(path, isolation_level=None, timeout=30)
        app.state.connection.execute("PRAGMA foreign_keys = 1")
        return
    app.state.pool = await asyncpg.create_pool(os.environ["BASELINE_DATABASE_URL"], min_size=5, max_size=20)


async def _close(app: Litestar) -> None:
    if SQLITE:
        app.state.connection.close()
        return
    await app.state.pool.close()


def _register_sqlite(connection: sqlite3.Connection, session_id: int, data: Body) -> Reply:
    now = str(datetime.now(UTC))
    connection.execute("BEGIN IMMEDIATE")
    try:
        order = None
        claimed = connection.execute(
            "UPDATE event_session SET seats_taken = seats_taken + 1 "
            "WHERE id = ? AND (capacity IS NULL OR seats_taken < capacity) RETURNING seats_taken", (session_id,)
        ).fetchone()
        if claimed is None:
            last = connection.execute(
                "SELECT MAX(waitlist_order) FROM registration WHERE session = ?", (session_id,)
            ).fetchone()[0]
            order = (last or 0) + 1
        status = "confirmed" if order is None else "waitlisted"
        reg_id = connection.execute(INSERT_REGISTRATION_SQLITE, {
            "session": session_id, "name": data.name, "email": data.email.lower(), "organisation": data.organisation,
            "category": data.stakeholder_category, "country": data.country, "language": data.preferred_language,
            "timezone": data.timezone, "consent": data.consent_processing, "status": status,
            "waitlist_order": order, "nonce": secrets.token_urlsafe(24), "now": now,
        }).fetchone()[0]
        connection.execute(
            "INSERT INTO status_change (registration, from_status, to_status, actor, reason, created_at) "
            "VALUES (?, '', ?, 'registrant', '', ?)", (reg_id, status, now),
        )
        context = json.dumps({"registration_id": reg_id, "session_id": session_id})
        connection.execute(
            "INSERT INTO outbox_message (template, to_address, language, timezone, context, message_id, status, "
            "attempts, next_attempt_at, last_error, created_at) VALUES (?, ?, ?, ?, ?, ?, 'queued', 0, ?, '', ?)",
            (f"registration_{status}", data.email, data.preferred_language, data.timezone, context,
             f"<{uuid.uuid4().hex}@bench>", now, now),
        )
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
    return Reply(id=reg_id, status=status)


@post("/sessions/{session_id:int}/registrations", status_code=201)
async def register(session_id: int, data: Body, request: Request) -> Reply:
    if SQLITE:
        return _register_sqlite(request.app.state.connection, session_id, data)
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as connection, connection.transaction():
        order = None
        if await connection.fetchval(CLAIM, session_id) is None:
            await connection.execute("UPDATE event_session SET seats_taken = seats_taken WHERE id = $1", session_id)
            last = await connection.fetchval(
                "SELECT MAX(waitlist_order) FROM registration WHERE session = $1", session_id
            )
            order = (last or 0) + 1
        status = "confirmed" if order is None else "waitlisted"
        reg_id = await connection.fetchval(
            INSERT_REGISTRATION, session_id, data.name, data.email.lower(), data.organisation,
            data.stakeholder_category, data.country, data.preferred_language, data.timezone,
            data.consent_processing, status, order, secrets.token_urlsafe(24),
        )
        context = json.dumps({"registration_id": reg_id, "session_id": session_id})
        await connection.execute(
            INSERT_OUTBOX, f"registration_{status}", data.email, data.preferred_language, data.timezone, context,
            f"<{uuid.uuid4().hex}@bench>", session_id, reg_id,
        )
    return Reply(id=reg_id, status=status)


@get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


app = Litestar(route_handlers=[register, health], on_startup=[_pool], on_shutdown=[_close], debug=False)
