"""Invite delivery: 5,000 registration invites through the outbox worker to a local SMTP server (aiosmtpd), and,
in the same run, a baseline: the same messages rendered the same way and sent by a bare aiosmtplib loop over one
connection, with no outbox (no claim, no lease, no status written back). The two run in alternating rounds of 250
messages, so that load from elsewhere on a shared machine falls on both alike.

    python -m bench.invite_delivery     (BENCH_MAIL_DATABASE_URL, default a fresh SQLite file in a temp folder;
                                         BENCH_INVITES, default 5000)

Prints messages per second of each and the ratio; the target is at least 0.7.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="convene-bench-mail-"))
DATABASE_URL = os.environ.get("BENCH_MAIL_DATABASE_URL", f"sqlite:///{_TMP}/bench.db")
os.environ["DATABASE_URL"] = DATABASE_URL  # before Piccolo is imported: piccolo_conf reads it
os.environ["PICCOLO_CONF"] = "server.piccolo_conf"

import aiosmtplib  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402

from server.db import bind_engine, close_engine, engine_from_url, run_migrations, start_engine  # noqa: E402
from server.settings import Settings  # noqa: E402

INVITES = int(os.environ.get("BENCH_INVITES", "5000"))
TARGET_RATIO = 0.7
ROUND = 250  # messages per interleaved round
BENCH_SECRET = "bench-only-secret-" + "0" * 16  # noqa: S105 (signs manage links in a throwaway database)


class CountingHandler:
    """Accepts everything and counts it."""

    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with self.lock:
            self.count += 1
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _reset_postgres() -> None:
    import asyncpg

    connection = await asyncpg.connect(DATABASE_URL)
    try:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await connection.close()


async def _queue_invites(settings: Settings) -> None:
    """One published session, INVITES confirmed registrants, and their confirmation invites in the outbox."""
    from events.tables import Session
    from registrations import notifications
    from registrations.links import new_nonce
    from registrations.tables import Registration
    from server.db import write_transaction

    start = datetime.now(UTC) + timedelta(days=7)
    session_id = (await Session.insert(Session(
        kind="webinar", title={"en": "Migration data for policy"}, description={"en": "How countries use data."},
        starts_at=start, ends_at=start + timedelta(minutes=90), timezone="Europe/Zurich", floor_language="en",
        status="published", join_url="https://meet.example.org/j/1",
    )).returning(Session.id))[0]["id"]
    languages = ("ar", "zh", "en", "fr", "ru", "es")
    rows = [
        Registration(session=session_id, name=f"Person {n}", email=f"person{n}@example.org",
                     stakeholder_category="civil_society", country="CH", preferred_language=languages[n % 6],
                     timezone="America/New_York", consent_processing=True, status="confirmed",
                     manage_nonce=new_nonce())
        for n in range(INVITES)
    ]
    for chunk in range(0, INVITES, 500):
        await Registration.insert(*rows[chunk:chunk + 500])
    async with write_transaction(Session._meta.db):
        for reg in await Registration.select().order_by(Registration.id):
            await notifications.notify_registration_confirmed(reg, settings=settings, sequence=0)


async def _load_rows() -> list[dict]:
    """Every queued row, read once outside the timing, and parked (due far ahead) so rounds release them."""
    from server.mail.worker import claim_batch
    from server.tables import OutboxMessage

    rows: list[dict] = []
    while batch := (await claim_batch(1000, 3600))[0]:
        rows.extend(batch)
    await OutboxMessage.update(
        {OutboxMessage.lease_until: None, OutboxMessage.next_attempt_at: datetime.now(UTC) + timedelta(days=365)}
    ).where(OutboxMessage.status == "queued")
    return rows


async def _baseline_round(rows: list[dict], settings: Settings, client: aiosmtplib.SMTP) -> float:
    """The same rows rendered by the same code, sent over one aiosmtplib connection; nothing written back."""
    from server.app import MAIL_BUILDERS
    from server.mail.render import build_mime, render_message

    started = time.perf_counter()
    for row in rows:
        message = build_mime(row, await render_message(row, settings, MAIL_BUILDERS), settings)
        await client.send_message(message, recipients=[row["to_address"]])
    return time.perf_counter() - started


async def _outbox_round(rows: list[dict], settings: Settings) -> float:
    """Release these rows to the outbox and let the worker's delivery round claim, send and record them."""
    from server.app import MAIL_BUILDERS
    from server.mail.worker import WorkerOptions, deliver_due
    from server.tables import OutboxMessage

    await OutboxMessage.update({OutboxMessage.next_attempt_at: datetime.now(UTC) - timedelta(seconds=1)}).where(
        OutboxMessage.id.is_in([row["id"] for row in rows])
    )
    started = time.perf_counter()
    handled = await deliver_due(settings, builders=MAIL_BUILDERS, options=WorkerOptions(batch_size=100))
    assert handled == len(rows), (handled, len(rows))
    return time.perf_counter() - started


async def _interleaved(settings: Settings, port: int) -> tuple[float, float]:
    """Rounds of ROUND messages, baseline then outbox, so both see the same load on a shared machine."""
    rows = await _load_rows()
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port)
    await client.connect()
    baseline_seconds = outbox_seconds = 0.0
    for first in range(0, len(rows), ROUND):
        chunk = rows[first:first + ROUND]
        baseline_seconds += await _baseline_round(chunk, settings, client)
        outbox_seconds += await _outbox_round(chunk, settings)
    await client.quit()
    return len(rows) / outbox_seconds, len(rows) / baseline_seconds


async def _run() -> tuple[float, float]:
    from server.tables import OutboxMessage

    if not DATABASE_URL.startswith("sqlite"):
        await _reset_postgres()
    await run_migrations(DATABASE_URL)
    engine = engine_from_url(DATABASE_URL)
    bind_engine(engine)
    await start_engine(engine)
    handler = CountingHandler()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings = Settings(
        database_url=DATABASE_URL, smtp_url=f"smtp://127.0.0.1:{port}", secret_key=BENCH_SECRET,
        public_url="https://convene.example.org", mail_from="Convene <events@convene.example.org>", var_dir=_TMP,
    )
    try:
        import server.app  # noqa: F401 (registers the domains' mail context builders, as the worker needs)

        await _queue_invites(settings)
        outbox, baseline = await _interleaved(settings, port)
        sent = await OutboxMessage.count().where(OutboxMessage.status == "sent")
        assert sent == INVITES and handler.count == 2 * INVITES, (sent, handler.count)
    finally:
        controller.stop()
        await close_engine(engine)
    return outbox, baseline


def main() -> int:
    outbox, baseline = asyncio.run(_run())
    ratio = outbox / baseline
    engine = "SQLite" if DATABASE_URL.startswith("sqlite") else "PostgreSQL"
    print(f"{INVITES} invites (multipart/mixed with text/calendar), {engine}, local aiosmtpd, one connection each")
    print(f"outbox worker     {outbox:8.1f} messages/s")
    print(f"bare aiosmtplib   {baseline:8.1f} messages/s  (same rendering, no outbox)")
    print(f"invite delivery: {ratio:.2f} × bare aiosmtplib (target ≥ {TARGET_RATIO})")
    return 0 if ratio >= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
