"""The baseline of bench/registration_burst.py: the same writes as a registration, on the same HTTP stack
(Litestar on uvicorn), through raw asyncpg and nothing else.

One transaction per request: the guarded seat claim (or, when full, the session row locked and the next waitlist
order), the registration row, and the outbox row. Run by the benchmark as ``uvicorn bench.baseline_registration:app``.
"""

from __future__ import annotations

import json
import os
import secrets
import uuid

import asyncpg
import msgspec
from litestar import Litestar, Request, post


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
INSERT INTO registration (session, name, email, organisation, stakeholder_category, country, preferred_language,
  timezone, participation_mode, personal_assistant, consent_processing, consent_listed, consent_recorded,
  consented_at, consent_text_version, status, waitlist_order, manage_nonce, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'online', false, $9, false, false, now(), 'baseline', $10, $11, $12,
  now(), now())
RETURNING id
"""
INSERT_OUTBOX = """
INSERT INTO outbox_message (template, to_address, language, timezone, context, message_id, status, attempts,
  next_attempt_at, last_error, created_at, session_id, registration_id)
VALUES ($1, $2, $3, $4, $5, $6, 'queued', 0, now(), '', now(), $7, $8)
"""


async def _pool(app: Litestar) -> None:
    app.state.pool = await asyncpg.create_pool(os.environ["BASELINE_DATABASE_URL"], min_size=5, max_size=20)


async def _close(app: Litestar) -> None:
    await app.state.pool.close()


@post("/sessions/{session_id:int}/registrations", status_code=201)
async def register(session_id: int, data: Body, request: Request) -> Reply:
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


app = Litestar(route_handlers=[register], on_startup=[_pool], on_shutdown=[_close], debug=False)
