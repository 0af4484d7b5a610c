"""Stopping cleanly: the worker ends after its round, and a connection never given back cannot hang the stop."""

from __future__ import annotations

import asyncio
import subprocess
import threading
import time

import asyncpg
import pytest

from server import db
from server.app import create_app
from server.db import close_engine
from server.tables import OutboxMessage
from tests.conftest import IS_POSTGRES
from tests.server.test_cli import CONVENE, environment


@pytest.mark.skipif(not IS_POSTGRES, reason="SQLite has no pool")
async def test_closing_the_pool_ends_even_when_a_connection_was_never_given_back(database, monkeypatch):
    """A task cancelled inside a transaction leaves its connection checked out; asyncpg's close waits for it."""
    monkeypatch.setattr(db, "POOL_CLOSE_SECONDS", 0.5)
    engine = OutboxMessage._meta.db
    await engine.start_connection_pool(min_size=1, max_size=2)
    leaked = await engine.pool.acquire()  # never released, as by a task cancelled between acquire and release

    started = time.monotonic()
    await asyncio.wait_for(close_engine(engine), timeout=5)

    assert time.monotonic() - started < 3
    assert engine.pool is None
    with pytest.raises(asyncpg.InterfaceError):  # terminated with the pool
        await leaked.fetchval("SELECT 1")


async def test_a_server_stopping_mid_send_lets_the_worker_finish_that_message(mail_settings, smtp):
    """Stopped while the SMTP server is still taking a message, the worker completes it and records it sent
    (cancelled instead, it dropped the connection mid-DATA and left the row leased, its pool connection too)."""
    from registrations import notifications
    from tests import mail_data

    session = await mail_data.make_session()
    registration = await mail_data.make_registration(session["id"], "amal@example.org", status="pending")
    await notifications.notify_registration_pending(registration, settings=mail_settings)
    smtp.sink.hold = threading.Event()  # DATA waits until the test lets it finish
    app = create_app(mail_settings, with_worker=True)

    async with app.lifespan():
        assert await asyncio.to_thread(smtp.sink.data_started.wait, 30)
        asyncio.get_running_loop().call_later(0.5, smtp.sink.hold.set)  # the stop comes first, mid-message

    assert [r.recipients for r in smtp.sink.take()] == [["amal@example.org"]]
    assert await OutboxMessage.select(OutboxMessage.status).output(as_list=True) == ["sent"]


async def test_a_stop_does_not_wait_for_the_whole_backlog(mail_settings, smtp, monkeypatch):
    """The batch in hand is finished; the rest stays queued for the next start, however many are due."""
    from registrations import notifications
    from tests import mail_data

    monkeypatch.setenv("CONVENE_MAIL_BATCH", "1")
    session = await mail_data.make_session()
    for n in range(4):
        registration = await mail_data.make_registration(session["id"], f"p{n}@example.org", status="pending")
        await notifications.notify_registration_pending(registration, settings=mail_settings)
    smtp.sink.hold = threading.Event()
    app = create_app(mail_settings, with_worker=True)

    async with app.lifespan():
        assert await asyncio.to_thread(smtp.sink.data_started.wait, 30)
        asyncio.get_running_loop().call_later(0.5, smtp.sink.hold.set)

    assert len(smtp.sink.take()) == 1
    statuses = await OutboxMessage.select(OutboxMessage.status).output(as_list=True)
    assert sorted(statuses) == ["queued", "queued", "queued", "sent"]


@pytest.mark.engine_independent
def test_the_worker_command_stops_on_sigterm_after_its_round(tmp_path):
    env = environment(tmp_path, CONVENE_MAIL_POLL_SECONDS="0.05")
    assert subprocess.run([CONVENE, "migrate"], env=env, capture_output=True, timeout=120).returncode == 0
    log = tmp_path / "worker.log"
    with log.open("w") as output:
        worker = subprocess.Popen([CONVENE, "worker"], env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while "mail worker started" not in log.read_text():
            assert worker.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        worker.terminate()
        code = worker.wait(timeout=20)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()

    assert code == 0, log.read_text()
    assert log.read_text().splitlines()[-1].endswith("mail worker stopped")
