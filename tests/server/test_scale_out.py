"""Scale-out on PostgreSQL with real processes: two `convene serve` processes and two `convene worker` processes
on one database, behind what a reverse proxy would send (``X-Forwarded-For`` from a trusted address).

A registration burst through both keeps the capacity, every message goes out exactly once, failed logins
through one process count in the other, and each process answers ``/health``. It needs PostgreSQL (several
processes on SQLite are refused): it runs in the PostgreSQL pass, on TEST_DATABASE_URL.
"""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.conftest import IS_POSTGRES, TEST_DATABASE_URL
from tests.processes import (
    STAFF_EMAIL,
    consistency_problems,
    convene,
    environment,
    open_session,
    postgres_rows,
    register,
    running,
    staff_token,
    start,
    wait_healthy,
)
from tests.smtp_server import SmtpServer, free_port

pytestmark = pytest.mark.skipif(not IS_POSTGRES, reason="several processes need PostgreSQL")

CAPACITY = 20
REGISTRANTS = 60


def outbox_statuses() -> Counter:
    return Counter(status for _to, _template, status in postgres_rows(TEST_DATABASE_URL)["outbox"])


def failed_login(client: httpx.Client, password: str, address: str) -> httpx.Response:
    """One login through the real form, from ``address`` as the proxy reports it."""
    if "convene_csrf" not in client.cookies:
        client.get("/staff/login", headers={"X-Forwarded-For": address})
    return client.post(
        "/staff/login",
        data={"email": STAFF_EMAIL, "password": password, "_csrf_token": client.cookies["convene_csrf"]},
        headers={"X-Forwarded-For": address},
    )


def test_two_app_processes_and_two_workers_share_capacity_mail_and_login_throttling(tmp_path, database):
    smtp = SmtpServer()
    smtp.start()
    env = environment(tmp_path, TEST_DATABASE_URL, RATE_LIMIT="on", TRUSTED_PROXIES="127.0.0.1",
                      SMTP_URL=smtp.url, CONVENE_MAIL_BATCH="10", CONVENE_MAIL_POLL_SECONDS="0.2")
    convene("migrate", env=env)  # already migrated: a second run is a no-op, as on every upgrade
    token = staff_token(env)
    apps = []
    for name in ("a", "b"):
        port = free_port()
        app = start(env, tmp_path / f"serve-{name}.log", "serve", "--host", "127.0.0.1", "--port", str(port))
        app.url = f"http://127.0.0.1:{port}"
        apps.append(app)
    for app in apps:
        try:
            wait_healthy(app)
        except BaseException:
            for started in apps:
                started.stop()
            raise
    workers = [start(env, tmp_path / f"worker-{n}.log", "worker") for n in (1, 2)]
    try:
        with running(*apps, *workers):
            session_id = open_session(apps[0].url, token, capacity=CAPACITY)

            def send(number: int):
                base_url = apps[number % 2].url  # alternately through each process
                headers = {"X-Forwarded-For": f"198.51.100.{number}"}
                return register(client, base_url, session_id, number, headers=headers)

            began = time.monotonic()
            with httpx.Client(timeout=60) as client, ThreadPoolExecutor(12) as pool:
                answers = list(pool.map(send, range(1, REGISTRANTS + 1)))
            burst_seconds = time.monotonic() - began
            deadline = time.monotonic() + 60
            while outbox_statuses() != Counter(sent=REGISTRANTS):
                assert time.monotonic() < deadline, f"mail not all sent in 60 s: {outbox_statuses()}"
                time.sleep(0.2)
            mail_seconds = time.monotonic() - began

            with httpx.Client(base_url=apps[0].url, timeout=30) as via_a, \
                    httpx.Client(base_url=apps[1].url, timeout=30) as via_b:
                guesses = [failed_login(via_a, "wrong guess", "203.0.113.7").status_code for _ in range(3)]
                guesses += [failed_login(via_b, "wrong guess", "203.0.113.7").status_code for _ in range(2)]
                throttled = failed_login(via_b, "still wrong", "203.0.113.7")
                throttled_in_a = failed_login(via_a, "still wrong", "203.0.113.7")
            healths = [httpx.get(f"{app.url}/health", timeout=10) for app in apps]
            received = smtp.sink.take()
            logs = [process.log_text() for process in (*apps, *workers)]
    finally:
        smtp.stop()
    rows = postgres_rows(TEST_DATABASE_URL)
    print(f"scale-out: {REGISTRANTS} registrations through 2 app processes in {burst_seconds:.1f} s "
          f"({REGISTRANTS / burst_seconds:.0f}/s at concurrency 12); all mail sent by 2 workers after "
          f"{mail_seconds:.1f} s")

    assert [a.status for a in answers] == [201] * REGISTRANTS
    statuses = Counter(a.body["status"] for a in answers)
    assert statuses == Counter(confirmed=CAPACITY, waitlisted=REGISTRANTS - CAPACITY)
    positions = sorted(a.body["waitlist_position"] for a in answers if a.body["status"] == "waitlisted")
    assert positions == list(range(1, REGISTRANTS - CAPACITY + 1))
    assert consistency_problems(rows, {a.body["id"] for a in answers}) == []
    assert rows["seats"] == [(session_id, CAPACITY)]
    message_ids = Counter(m.message["Message-ID"] for m in received)
    assert len(received) == REGISTRANTS and set(message_ids.values()) == {1}
    assert sorted(m.recipients[0] for m in received) == sorted(f"registrant.{n}@example.org"
                                                                for n in range(1, REGISTRANTS + 1))
    # Five failures free per (email, address) pair, counted in the database: 3 through A and 2 through B make
    # five, so the sixth waits, whichever process it reaches.
    assert guesses == [401] * 5
    assert (throttled.status_code, throttled_in_a.status_code) == (429, 429)
    assert 20 <= int(throttled.headers["retry-after"]) <= 30  # 30 s after the fifth failure, less the time since
    assert [(h.status_code, h.json()) for h in healths] == [(200, {"status": "ok", "database": "ok"})] * 2
    assert [" ERROR " in log for log in logs] == [False] * 4
