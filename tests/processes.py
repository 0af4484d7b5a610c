"""Real processes for the fault and scale-out tests: `convene serve` and `convene worker` as subprocesses, a
private PostgreSQL cluster (initdb + pg_ctl on a free port), and what the checks read back from the database.

Not a test module: tests/server/test_faults_*.py and test_scale_out.py import it. Everything here goes through
the real command line and real HTTP, as an operator's deployment would.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from tests.smtp_server import free_port

CONVENE = str(Path(sys.executable).parent / "convene")
SECRET = "a-secret-key-for-the-fault-tests"
STAFF_EMAIL = "ops@un-secretariat.org"


def environment(directory: Path, database_url: str, **overrides: str) -> dict[str, str]:
    """The environment of a deployment: its own var directory and database, a fixed secret, no test settings."""
    env = {key: value for key, value in os.environ.items() if key not in ("TEST_DATABASE_URL", "SMTP_URL")}
    env.update(CONVENE_VAR_DIR=str(directory), SECRET_KEY=SECRET, DATABASE_URL=database_url,
               PICCOLO_CONF="server.piccolo_conf", RATE_LIMIT="off", PUBLIC_URL="http://127.0.0.1")
    env.pop("CONVENE_ENV", None)
    env.update(overrides)
    return env


def convene(*args: str, env: dict[str, str]) -> str:
    """Run one `convene` command to its end; its output, or AssertionError with its error output."""
    result = subprocess.run([CONVENE, *args], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"convene {' '.join(args)} exited {result.returncode}: {result.stderr[-3000:]}"
    return result.stdout


def staff_token(env: dict[str, str]) -> str:
    """A new admin's API token, made with `convene user create`."""
    created = convene("user", "create", STAFF_EMAIL, "--role", "admin", env=env)
    return re.search(r"^token: (\S+)$", created, re.M).group(1)


@dataclass
class Process:
    """A running `convene` subprocess and its log file."""

    process: subprocess.Popen
    log: Path
    url: str = ""

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no cleanup, as when a machine loses power or the OOM killer strikes."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(env: dict[str, str], log: Path, *args: str, preexec_fn: Callable[[], None] | None = None) -> Process:
    """Start `convene <args>` with its output in ``log``; returns at once."""
    with log.open("w") as output:
        process = subprocess.Popen(
            [CONVENE, *args], env=env, stdout=output, stderr=subprocess.STDOUT, preexec_fn=preexec_fn
        )
    return Process(process=process, log=log)


def wait_healthy(server: Process, timeout: float = 120) -> None:
    """Until ``/health`` answers 200 (AssertionError if the process dies or the time runs out: generous, as a
    loaded machine takes long to import and start several processes at once)."""
    deadline = time.monotonic() + timeout
    while True:
        assert server.process.poll() is None, f"the server exited: {server.log_text()[-3000:]}"
        try:
            if httpx.get(f"{server.url}/health", timeout=3).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"no 200 from /health in {timeout} s: {server.log_text()[-3000:]}"
        time.sleep(0.2)


def serve(env: dict[str, str], log: Path, *, preexec_fn: Callable[[], None] | None = None,
          port: int | None = None) -> Process:
    """`convene serve` (one process, no mail worker) on a free port, once it answers ``/health``."""
    port = port or free_port()
    server = start(env, log, "serve", "--host", "127.0.0.1", "--port", str(port), preexec_fn=preexec_fn)
    server.url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(server)
    except BaseException:
        server.stop()
        raise
    return server


@contextmanager
def running(*processes: Process) -> Iterator[None]:
    """Stop every process on the way out, whatever happened."""
    try:
        yield
    finally:
        for process in processes:
            process.stop()


def open_session(base_url: str, token: str, *, capacity: int) -> int:
    """A published session next week with ``capacity`` seats, made through the staff API."""
    headers = {"Authorization": f"Bearer {token}"}
    starts = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=7)
    body = {
        "kind": "webinar", "title": {"en": "Regional review: labour migration"},
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "timezone": "Europe/Zurich", "floor_language": "en", "capacity": capacity,
    }
    created = httpx.post(f"{base_url}/api/v1/sessions", json=body, headers=headers, timeout=30)
    assert created.status_code == 201, created.text
    session_id = created.json()["id"]
    published = httpx.post(f"{base_url}/api/v1/sessions/{session_id}/publish", headers=headers, timeout=30)
    assert published.status_code == 200, published.text
    return session_id


def registration(number: int) -> dict[str, Any]:
    """The body of registrant ``number``'s registration (a distinct address each)."""
    return {
        "name": f"Registrant {number}", "email": f"registrant.{number}@example.org",
        "stakeholder_category": "civil_society", "country": "KE", "consent_processing": True,
    }


@dataclass
class Answer:
    """What one request got: its status (0: no answer at all), headers, body, and how long it took."""

    number: int
    status: int
    seconds: float
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


def register(client: httpx.Client, base_url: str, session_id: int, number: int,
             headers: dict[str, str] | None = None) -> Answer:
    """POST registrant ``number`` through the public API; a refused or cut connection is status 0."""
    began = time.monotonic()
    try:
        response = client.post(f"{base_url}/api/v1/sessions/{session_id}/registrations", json=registration(number),
                               headers=headers)
    except httpx.TransportError:
        return Answer(number, 0, time.monotonic() - began)
    body = response.json() if response.headers.get("content-type", "").endswith("json") else response.text
    return Answer(number, response.status_code, time.monotonic() - began, dict(response.headers), body)


# What the consistency checks read: the same SQL on both engines.
CONSISTENCY_QUERIES = {
    "registrations": "SELECT id, email, status FROM registration ORDER BY id",
    "history": "SELECT registration, from_status, to_status FROM status_change ORDER BY id",
    "outbox": "SELECT to_address, template, status FROM outbox_message ORDER BY id",
    "seats": "SELECT id, seats_taken FROM event_session ORDER BY id",
}


def consistency_problems(rows: dict[str, list[tuple]], accepted_ids: set[int] | None = None) -> list[str]:
    """What is wrong with the stored registrations (empty when consistent): every registration has exactly one
    history line and one confirmation message, each session's seats_taken equals its confirmed registrations,
    and, when ``accepted_ids`` is given, the registrations are exactly those the API answered 201 for."""
    problems = []
    registrations = rows["registrations"]
    history: dict[int, list[tuple]] = {}
    for registration_id, from_status, to_status in rows["history"]:
        history.setdefault(registration_id, []).append((from_status, to_status))
    mail: dict[str, int] = {}
    for to_address, _template, _status in rows["outbox"]:
        mail[to_address] = mail.get(to_address, 0) + 1
    for registration_id, email, status in registrations:
        if history.get(registration_id) != [("", status)]:
            problems.append(f"registration {registration_id}: history {history.get(registration_id)}")
        if mail.get(email) != 1:
            problems.append(f"registration {registration_id}: {mail.get(email, 0)} outbox rows")
    if len(rows["history"]) != len(registrations) or len(rows["outbox"]) != len(registrations):
        problems.append(f"{len(registrations)} registrations, {len(rows['history'])} history lines, "
                        f"{len(rows['outbox'])} outbox rows")
    confirmed = sum(1 for _id, _email, status in registrations if status == "confirmed")
    seats = sum(seats_taken for _id, seats_taken in rows["seats"])
    if seats != confirmed:
        problems.append(f"seats_taken {seats}, confirmed {confirmed}")
    if accepted_ids is not None and {row[0] for row in registrations} != accepted_ids:
        stored = {row[0] for row in registrations}
        problems.append(f"stored but not answered 201: {sorted(stored - accepted_ids)}; "
                        f"answered 201 but not stored: {sorted(accepted_ids - stored)}")
    return problems


def sqlite_rows(path: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(path) as connection:
        return {name: connection.execute(query).fetchall() for name, query in CONSISTENCY_QUERIES.items()}


def sqlite_integrity(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as connection:
        return connection.execute("PRAGMA integrity_check").fetchall()


# A private PostgreSQL cluster, so that stopping it disturbs no one else's database.
def postgres_bin() -> Path | None:
    """The directory of initdb and pg_ctl, or None when PostgreSQL's server tools are not installed."""
    candidates = [shutil.which("initdb"), *sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)]
    for candidate in candidates:
        if candidate and Path(candidate).resolve().with_name("pg_ctl").exists():
            return Path(candidate).resolve().parent
    return None


@dataclass
class Cluster:
    """A PostgreSQL cluster of our own in a temporary directory, run as ``postgres`` when we are root."""

    bin: Path
    directory: Path
    port: int

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/convene"

    def _run(self, tool: str, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        result = subprocess.run([*prefix, str(self.bin / tool), *args], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"{tool} failed: {result.stdout[-2000:]} {result.stderr[-2000:]}"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.directory / "postgres.log"),
                  "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")


@contextmanager
def private_cluster() -> Iterator[Cluster]:
    """initdb, start on a free port, create the database ``convene``; stopped and removed afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="convene-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    cluster = Cluster(bin=postgres_bin(), directory=directory, port=free_port())
    try:
        cluster._run("initdb", "-D", str(cluster.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                     "--no-sync", "--no-instructions")
        cluster.start()
        cluster._run("createdb", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres", "convene")
        yield cluster
    finally:
        try:
            cluster.stop("immediate")
        except AssertionError:
            pass  # it was not running
        shutil.rmtree(directory, ignore_errors=True)


async def fetch_postgres_rows(url: str) -> dict[str, list[tuple]]:
    """The consistency queries on PostgreSQL, through a connection of their own."""
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        return {name: [tuple(r) for r in await connection.fetch(q)] for name, q in CONSISTENCY_QUERIES.items()}
    finally:
        await connection.close()


def postgres_rows(url: str) -> dict[str, list[tuple]]:
    """``fetch_postgres_rows`` from a test without an event loop (in a thread: the test's loop stays as it is)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, fetch_postgres_rows(url)).result()
