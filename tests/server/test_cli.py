"""The real `convene` command as a subprocess: migrate, user create, serve (one and several workers), its logs."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import IS_POSTGRES, TEST_DATABASE_URL
from tests.smtp_server import free_port

CONVENE = str(Path(sys.executable).parent / "convene")
SECRET = "a-secret-key-for-the-cli-tests"


def environment(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {**os.environ, "CONVENE_VAR_DIR": str(tmp_path), "SECRET_KEY": SECRET, "RATE_LIMIT": "on"}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path}/cli.db"
    env.pop("CONVENE_ENV", None)
    env.update(overrides)
    return env


def convene(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([CONVENE, *args], env=env, capture_output=True, text=True, timeout=120)


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path

    def log_lines(self) -> list[str]:
        return self.log.read_text().splitlines()


@contextmanager
def serving(env: dict[str, str], log: Path, *args: str) -> Iterator[Server]:
    """`convene serve` on a free port until it answers /health; terminated afterwards."""
    port = free_port()
    with log.open("w") as output:
        process = subprocess.Popen(
            [CONVENE, "serve", "--port", str(port), *args], env=env, stdout=output, stderr=subprocess.STDOUT
        )
    server = Server(url=f"http://127.0.0.1:{port}", process=process, log=log)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(f"{server.url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not answer /health in 60 s"
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.engine_independent
def test_migrate_with_malformed_database_url_exits_2_naming_the_variable(tmp_path):
    result = convene("migrate", env=environment(tmp_path, DATABASE_URL="mysql://db/convene"))

    assert result.returncode == 2
    assert result.stderr == (
        "convene: configuration error: DATABASE_URL: expected sqlite:///path.db or "
        "postgresql://user[:pass]@host[:port]/db, got scheme 'mysql'\n"
    )


@pytest.mark.engine_independent
def test_migrate_in_production_without_secret_key_exits_2_naming_the_variable(tmp_path):
    env = environment(tmp_path, CONVENE_ENV="production")
    del env["SECRET_KEY"]

    result = convene("migrate", env=env)

    assert result.returncode == 2
    assert result.stderr == "convene: configuration error: SECRET_KEY: required when CONVENE_ENV=production\n"


@pytest.mark.engine_independent
def test_user_create_prints_a_password_and_a_token_that_both_work(tmp_path):
    env = environment(tmp_path)
    assert convene("migrate", env=env).returncode == 0

    created = convene("user", "create", "Head.Of.Unit@un-secretariat.org", "--role", "admin", env=env)

    assert created.returncode == 0, created.stderr
    match = re.fullmatch(r"password: (\S+)\ntoken: (cvn_\S+)\n", created.stdout)
    assert match is not None, created.stdout
    password, token = match.groups()
    with serving(env, tmp_path / "serve.log") as server, httpx.Client(base_url=server.url) as browser:
        users = httpx.get(f"{server.url}/api/v1/users", headers={"Authorization": f"Bearer {token}"})
        browser.get("/staff/login")
        login = browser.post(
            "/staff/login",
            data={"email": "head.of.unit@un-secretariat.org", "password": password,
                  "_csrf_token": browser.cookies["convene_csrf"]},
        )
        staff_page = browser.get("/staff/users")
    assert (users.status_code, [u["role"] for u in users.json()]) == (200, ["admin"])
    with sqlite3.connect(tmp_path / "cli.db") as stored:
        (password_hash,) = stored.execute("SELECT password_hash FROM staff_user").fetchone()
    assert password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")  # production cost, not the tests' cheapest
    assert (login.status_code, login.headers["location"]) == (302, "/staff")
    assert staff_page.status_code == 200


@pytest.mark.engine_independent
def test_user_create_refuses_a_duplicate_with_exit_1(tmp_path):
    env = environment(tmp_path)
    convene("migrate", env=env)
    convene("user", "create", "ops@un-secretariat.org", "--role", "organiser", env=env)

    again = convene("user", "create", "ops@un-secretariat.org", "--role", "admin", env=env)

    assert (again.returncode, again.stdout) == (1, "")
    assert again.stderr == "convene: email: A user with this email exists already.\n"


@pytest.mark.engine_independent
def test_access_log_carries_request_ids_and_no_email_or_manage_token(tmp_path):
    env = environment(tmp_path)
    convene("migrate", env=env)

    with serving(env, tmp_path / "serve.log") as server, httpx.Client(base_url=server.url) as browser:
        browser.get("/staff/login")
        browser.post(
            "/staff/login",
            data={"email": "someone.secret@un-secretariat.org", "password": "wrong password",
                  "_csrf_token": browser.cookies["convene_csrf"]},
        )
        browser.get("/api/v1/manage/manage-token-that-is-a-secret")
        browser.get("/manage/manage-token-that-is-a-secret")
        request_id = browser.get("/health").headers["x-request-id"]

    text = server.log.read_text()
    access = [line for line in server.log_lines() if " convene.access " in line]
    assert all(re.search(r" \[[0-9a-f]{16}\] ", line) for line in access), access
    assert f"[{request_id}] GET /health 200" in text
    assert "POST /staff/login 401" in text
    assert "GET /api/v1/manage/… " in text
    assert "someone.secret" not in text
    assert "manage-token-that-is-a-secret" not in text


@pytest.mark.engine_independent
@pytest.mark.skipif(IS_POSTGRES, reason="SQLite only: several workers are refused on SQLite")
def test_serve_refuses_several_workers_on_sqlite(tmp_path):
    result = convene("serve", "--workers", "2", env=environment(tmp_path))

    assert result.returncode == 2
    assert result.stderr == (
        "convene: configuration error: --workers: several processes need PostgreSQL (DATABASE_URL=postgresql://…)\n"
    )


def worker_pids(server: Server) -> list[int]:
    """The uvicorn worker processes under the supervisor (multiprocessing's resource tracker aside)."""
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children").read_text().split()
    return [
        int(pid) for pid in children if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]


def health_on_new_connection(server: Server) -> int:
    with httpx.Client(timeout=10) as fresh:
        return fresh.get(f"{server.url}/health").status_code


@pytest.mark.skipif(not IS_POSTGRES, reason="several workers need PostgreSQL")
def test_serve_runs_two_worker_processes_each_answering_health(tmp_path, database):
    env = environment(tmp_path, DATABASE_URL=TEST_DATABASE_URL)

    with serving(env, tmp_path / "serve.log", "--workers", "2") as server:
        workers = worker_pids(server)
        answered = []
        # Pause one worker at a time: the other alone must answer, so each of them serves /health.
        for paused in workers:
            os.kill(paused, signal.SIGSTOP)
            try:
                answered.append([health_on_new_connection(server) for _request in range(3)])
            finally:
                os.kill(paused, signal.SIGCONT)

    assert len(workers) == 2
    assert answered == [[200, 200, 200], [200, 200, 200]]
    started = re.findall(r"Started server process \[(\d+)\]", server.log.read_text())
    assert sorted(map(int, started)) == sorted(workers)


@pytest.mark.engine_independent
def test_the_server_process_keeps_what_it_started_with_out_of_the_collector(tmp_path):
    # A full collection over the ~140,000 objects of a started app stalled every request in flight for ~80 ms.
    # uvicorn's factory, in a process of its own (freezing is for the whole process).
    script = (
        "import gc; from server.asgi import create; create();"
        " print(gc.get_freeze_count(), len(gc.get_objects()))"
    )
    result = subprocess.run([sys.executable, "-c", script], env=environment(tmp_path), capture_output=True,
                            text=True, timeout=120, check=True)
    frozen, tracked = map(int, result.stdout.split())

    assert frozen > 100_000
    assert tracked < 1_000
