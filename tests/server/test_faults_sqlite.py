"""Faults with real processes on SQLite: another process holding the write lock, a full disk, a server killed
mid-write. The database stays consistent (integrity_check ok, seats_taken equal to the confirmed count, every
registration with its history line and outbox row) and the app answers: 503 or 4xx while the fault lasts,
never a hang or a 500, 201 after.

Each test has its own SQLite file, whatever TEST_DATABASE_URL says: they run once, in the SQLite pass.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.processes import (
    Answer,
    Process,
    consistency_problems,
    convene,
    environment,
    open_session,
    register,
    running,
    serve,
    sqlite_integrity,
    sqlite_rows,
    staff_token,
)

pytestmark = pytest.mark.engine_independent

#: SQLite's busy timeout in the app (server.db): the longest a writer waits for the lock.
BUSY_TIMEOUT_SECONDS = 30


def deploy(tmp_path: Path, *, capacity: int = 10, room_bytes: int | None = None
           ) -> tuple[Path, dict[str, str], Process, int]:
    """Migrate a fresh SQLite file, make an admin, serve it and open a session: (file, env, server, session).
    With ``room_bytes``, the server's disk is nearly full: no file it writes may grow past the database's
    migrated size plus that room (RLIMIT_FSIZE, set in its process before it starts)."""
    database = tmp_path / "convene.db"
    env = environment(tmp_path, f"sqlite:///{database}")
    convene("migrate", env=env)
    token = staff_token(env)
    small_disk = None
    if room_bytes is not None:
        limit = database.stat().st_size + room_bytes

        def small_disk() -> None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    server = serve(env, tmp_path / "serve.log", preexec_fn=small_disk)
    try:
        session_id = open_session(server.url, token, capacity=capacity)
    except BaseException:
        server.stop()
        raise
    return database, env, server, session_id


def burst(base_url: str, session_id: int, numbers: range, concurrency: int = 8) -> list[Answer]:
    """Registrations ``numbers`` sent ``concurrency`` at a time; every answer, in order of number."""
    with httpx.Client(timeout=BUSY_TIMEOUT_SECONDS + 30) as client, ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(lambda number: register(client, base_url, session_id, number), numbers))


def accepted_ids(answers: list[Answer]) -> set[int]:
    return {answer.body["id"] for answer in answers if answer.status == 201}


HOLD_LOCK = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
connection.execute("ROLLBACK")
"""


def test_another_process_holding_the_write_lock_delays_registrations_without_losing_or_failing_any(tmp_path):
    database, _env, server, session_id = deploy(tmp_path)
    hold_seconds = 4.0
    with running(server):
        before = burst(server.url, session_id, range(1, 4))
        holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(database), str(hold_seconds)],
                                  stdout=subprocess.PIPE, text=True)
        try:
            assert holder.stdout.readline() == "locked\n"
            held_at = time.monotonic()
            health = httpx.get(f"{server.url}/health", timeout=10)  # readers are not blocked (WAL)
            during = burst(server.url, session_id, range(4, 12))
            assert holder.wait(timeout=30) == 0
        finally:
            holder.kill()
            holder.wait()
            holder.stdout.close()
        waited = time.monotonic() - held_at
        after = burst(server.url, session_id, range(12, 15))
    answers = before + during + after

    assert health.status_code == 200
    assert [a.status for a in before + after] == [201] * 6
    # Each writer waits its turn on SQLite's busy timeout: the lock's holder lets go after 4 s, all are taken.
    assert [a.status for a in during] == [201] * 8
    assert waited >= hold_seconds
    assert max(a.seconds for a in during) < hold_seconds + BUSY_TIMEOUT_SECONDS
    assert sqlite_integrity(database) == [("ok",)]
    rows = sqlite_rows(database)
    assert consistency_problems(rows, accepted_ids(answers)) == []
    assert [status for _id, _email, status in rows["registrations"]] == ["confirmed"] * 10 + ["waitlisted"] * 4


def test_a_full_disk_answers_503_and_writes_nothing_half_then_registrations_go_through_once_there_is_room(tmp_path):
    database, _env, server, session_id = deploy(tmp_path, room_bytes=96 * 1024)
    with running(server):
        full = burst(server.url, session_id, range(1, 41), concurrency=4)
        # Room again (an operator freed space): the same process, not restarted.
        resource.prlimit(server.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        after = burst(server.url, session_id, range(41, 46), concurrency=4)
        health = httpx.get(f"{server.url}/health", timeout=10)
        log = server.log_text()
    statuses = [a.status for a in full]

    assert set(statuses) == {201, 503}, statuses  # some went in before the disk filled, then it refused
    assert all(a.headers["retry-after"] == "30" for a in full if a.status == 503)
    assert max(a.seconds for a in full) < BUSY_TIMEOUT_SECONDS
    assert [a.status for a in after] == [201] * 5
    assert health.status_code == 200
    assert sqlite_integrity(database) == [("ok",)]
    assert consistency_problems(sqlite_rows(database), accepted_ids(full + after)) == []
    assert [line for line in log.splitlines() if " ERROR " in line] == []


def test_a_server_killed_mid_burst_leaves_a_consistent_database_and_the_next_one_serves_it(tmp_path):
    database, env, server, session_id = deploy(tmp_path)
    answers: list[Answer] = []
    lock = threading.Lock()

    def send(number: int) -> None:
        with httpx.Client(timeout=BUSY_TIMEOUT_SECONDS + 30) as client:
            answer = register(client, server.url, session_id, number)
        with lock:
            answers.append(answer)

    with running(server), ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(send, number) for number in range(1, 41)]
        deadline = time.monotonic() + 60
        while sum(1 for a in list(answers) if a.status == 201) < 8:
            assert time.monotonic() < deadline, "no 8 registrations within 60 s"
            time.sleep(0.01)
        server.kill()
        for future in futures:
            future.result(timeout=60)
    killed = list(answers)
    integrity = sqlite_integrity(database)
    rows = sqlite_rows(database)

    again = serve(env, tmp_path / "serve-again.log")
    with running(again):
        after = burst(again.url, session_id, range(41, 44))

    statuses = {a.status for a in killed}
    assert statuses <= {0, 201}, statuses  # answered, or cut off by the kill: never anything else
    assert 0 in statuses  # the kill did land mid-burst
    assert integrity == [("ok",)]
    # Everything answered 201 is there; a request cut off may have committed just before the kill (its client
    # never heard), and then it is whole: registration, history line and outbox row.
    stored = {row[0] for row in rows["registrations"]}
    assert accepted_ids(killed) <= stored
    assert consistency_problems(rows) == []
    assert [a.status for a in after] == [201] * 3
    assert consistency_problems(sqlite_rows(database), stored | accepted_ids(after)) == []
