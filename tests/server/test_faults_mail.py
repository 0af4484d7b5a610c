"""Faults with real processes in the mail outbox: a `convene worker` killed with SIGKILL while it holds leases;
the other workers take its messages when the lease ends and every message is delivered exactly once.

Its own SQLite file and a real aiosmtpd, whatever TEST_DATABASE_URL says: it runs once, in the SQLite pass
(test_scale_out.py runs two workers on PostgreSQL).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.processes import convene, environment, open_session, register, running, serve, staff_token, start
from tests.smtp_server import SmtpServer

pytestmark = pytest.mark.engine_independent

REGISTRANTS = 20


def outbox(database) -> list[tuple]:
    with sqlite3.connect(database) as connection:
        return connection.execute(
            "SELECT message_id, to_address, status, attempts, lease_until IS NOT NULL FROM outbox_message ORDER BY id"
        ).fetchall()


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        time.sleep(0.1)


def test_a_worker_killed_while_holding_leases_loses_no_message_and_sends_none_twice(tmp_path):
    database = tmp_path / "convene.db"
    env = environment(tmp_path, f"sqlite:///{database}")
    convene("migrate", env=env)
    token = staff_token(env)
    server = serve(env, tmp_path / "serve.log")
    with running(server), httpx.Client(timeout=60) as client, ThreadPoolExecutor(4) as pool:
        session_id = open_session(server.url, token, capacity=REGISTRANTS)
        answers = list(pool.map(lambda n: register(client, server.url, session_id, n), range(1, REGISTRANTS + 1)))
    assert [a.status for a in answers] == [201] * REGISTRANTS

    smtp = SmtpServer()
    smtp.sink.hold = threading.Event()  # the first message stays in DATA until the worker sending it is dead
    smtp.start()
    workers_env = {**env, "SMTP_URL": smtp.url, "CONVENE_MAIL_LEASE_SECONDS": "3", "CONVENE_MAIL_BATCH": "5",
                   "CONVENE_MAIL_POLL_SECONDS": "0.2"}
    try:
        doomed = start(workers_env, tmp_path / "worker-doomed.log", "worker")
        with running(doomed):
            assert smtp.sink.data_started.wait(timeout=60), doomed.log_text()
            leased_when_killed = sum(row[4] for row in outbox(database))
            doomed.kill()
        release, smtp.sink.hold = smtp.sink.hold, None
        release.set()  # the server sees the client gone and keeps nothing, as a real MTA does
        survivors = [start(workers_env, tmp_path / f"worker-{n}.log", "worker") for n in (1, 2)]
        with running(*survivors):
            wait_for(lambda: all(row[2] == "sent" for row in outbox(database)), 60, "every message sent")
            received = smtp.sink.take()
            logs = [worker.log_text() for worker in survivors]
    finally:
        smtp.stop()
    rows = outbox(database)

    assert leased_when_killed == 5  # the whole batch it had claimed
    message_ids = Counter(m.message["Message-ID"] for m in received)
    assert len(received) == REGISTRANTS
    assert set(message_ids.values()) == {1}
    assert set(message_ids) == {row[0] for row in rows}
    assert sorted(m.recipients[0] for m in received) == sorted(f"registrant.{n}@example.org"
                                                                for n in range(1, REGISTRANTS + 1))
    assert {(row[2], row[3], row[4]) for row in rows} == {("sent", 1, 0)}
    # The dead worker's batch went out through the survivors once its lease ran out, and they logged no error.
    assert [" ERROR " in log for log in logs] == [False, False]
