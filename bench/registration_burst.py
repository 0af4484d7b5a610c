"""Registration burst: 2,000 registrations at concurrency 100 for a session of capacity 500, against the real
server (uvicorn, PostgreSQL, RATE_LIMIT=off) and, in the same run, against a baseline doing the same writes with
raw asyncpg on the same HTTP stack (bench/baseline_registration.py).

    python -m bench.registration_burst        (BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/convene_bench)
    BENCH_DATABASE_URL=sqlite:///var/bench/burst.db python -m bench.registration_burst
                                               (SQLite, the embedded default: the baseline uses stdlib sqlite3)

Prints throughput, p50/p99 latency, errors and the confirmed/waitlisted counts of each, then the ratio.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/convene_bench")
TOTAL = int(os.environ.get("BENCH_TOTAL", "2000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "100"))
CAPACITY = int(os.environ.get("BENCH_CAPACITY", "500"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "4"))
SQLITE_PATH = ROOT / DATABASE_URL.removeprefix("sqlite:///") if DATABASE_URL.startswith("sqlite:///") else None
ENGINE = "SQLite" if SQLITE_PATH else "PostgreSQL"
BASELINE = "raw sqlite3" if SQLITE_PATH else "raw asyncpg"
TARGET_RATIO = 0.5 if SQLITE_PATH else 0.8
TARGET_P99_MS = 250.0


@dataclass
class Result:
    name: str
    seconds: float
    latencies: list[float]
    errors: int
    confirmed: int
    waitlisted: int

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000

    def line(self) -> str:
        return (
            f"{self.name:<9} {self.throughput:8.1f} req/s  p50 {self.percentile(50):6.1f} ms  "
            f"p99 {self.percentile(99):6.1f} ms  errors {self.errors}  "
            f"confirmed {self.confirmed}  waitlisted {self.waitlisted}"
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _remove_sqlite_files() -> None:
    SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)


async def _prepare_database() -> None:
    """A fresh schema with every migration applied (creating the database if needed)."""
    if SQLITE_PATH:
        _remove_sqlite_files()
        await _migrate()
        return
    base, _, name = DATABASE_URL.rpartition("/")
    admin = await asyncpg.connect(f"{base}/postgres")
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    connection = await asyncpg.connect(DATABASE_URL)
    try:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await connection.close()
    await _migrate()


async def _migrate() -> None:
    env = {**os.environ, "DATABASE_URL": DATABASE_URL, "PICCOLO_CONF": "server.piccolo_conf"}
    migrate = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", "migrate", cwd=ROOT, env=env, stdout=subprocess.DEVNULL
    )
    if await migrate.wait() != 0:
        raise RuntimeError("convene migrate failed")


_SQLITE_SESSION = """INSERT INTO event_session (kind, title, description, starts_at, ends_at, timezone, capacity,
  seats_taken, in_person_capacity, in_person_seats_taken, audience, floor_language, interpretation_languages,
  accessibility_provisions, sign_languages, region, status, sequence, join_url, join_meeting_id, join_passcode,
  join_dial_in, venue, waitlist_cutoff_minutes, reminder_offsets, retention_days, created_at, updated_at,
  published_at)
VALUES ('webinar', '{"en": "Burst"}', '{}', :starts, :ends, 'Europe/Zurich', :capacity, 0, NULL, 0, 'open', 'en',
  '[]', '[]', '[]', 'global', 'published', 0, '', '', '', '', '', 120, '[1440, 60]', 365, :now, :now, :now)"""


def _new_sqlite_session() -> int:
    with sqlite3.connect(SQLITE_PATH, isolation_level=None) as connection:
        for table in ("need", "status_change", "registration", "outbox_message"):
            connection.execute(f"DELETE FROM {table}")  # noqa: S608 (constant names)
        starts_at = datetime.now(UTC) + timedelta(days=14)
        values = {"starts": str(starts_at), "ends": str(starts_at + timedelta(hours=2)), "capacity": CAPACITY,
                  "now": str(datetime.now(UTC))}
        session_id = connection.execute(_SQLITE_SESSION, values).lastrowid
    connection.close()
    return session_id


async def _new_session() -> int:
    """A published webinar with CAPACITY seats, registration open; previous registrations and mail removed."""
    if SQLITE_PATH:
        return _new_sqlite_session()
    connection = await asyncpg.connect(DATABASE_URL)
    try:
        await connection.execute("TRUNCATE registration, outbox_message RESTART IDENTITY CASCADE")
        starts_at = datetime.now(UTC) + timedelta(days=14)
        return await connection.fetchval(
            """INSERT INTO event_session (kind, title, description, starts_at, ends_at, timezone, capacity,
                 seats_taken, in_person_capacity, in_person_seats_taken, audience, floor_language,
                 interpretation_languages, accessibility_provisions, sign_languages, region, status, sequence,
                 join_url, join_meeting_id, join_passcode, join_dial_in, venue, waitlist_cutoff_minutes,
                 reminder_offsets, retention_days, created_at, updated_at, published_at)
               VALUES ('webinar', '{"en": "Burst"}', '{}', $1, $2, 'Europe/Zurich', $3, 0, NULL, 0, 'open', 'en',
                 '[]', '[]', '[]', 'global', 'published', 0, '', '', '', '', '', 120, '[1440, 60]', 365,
                 now(), now(), now())
               RETURNING id""",
            starts_at, starts_at + timedelta(hours=2), CAPACITY,
        )
    finally:
        await connection.close()


async def _counts() -> tuple[int, int]:
    if SQLITE_PATH:
        connection = sqlite3.connect(SQLITE_PATH)
        rows = connection.execute("SELECT status, count(*) FROM registration GROUP BY status").fetchall()
        connection.close()
        counts = dict(rows)
        return counts.get("confirmed", 0), counts.get("waitlisted", 0)
    connection = await asyncpg.connect(DATABASE_URL)
    try:
        rows = await connection.fetch("SELECT status, count(*) AS n FROM registration GROUP BY status")
    finally:
        await connection.close()
    counts = {row["status"]: row["n"] for row in rows}
    return counts.get("confirmed", 0), counts.get("waitlisted", 0)


def _start(app: str, port: int, env: dict[str, str]) -> subprocess.Popen:
    # Both servers alike: one uvicorn process; keep-alive longer than the burst's worst wait, so the client
    # never reuses a connection the server is closing.
    command = [sys.executable, "-m", "uvicorn", app, "--port", str(port), "--log-level", "warning",
               "--no-access-log", "--timeout-keep-alive", "120"]
    if app.endswith("create"):
        command.append("--factory")
    return subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})


async def _wait_until_up(port: int, path: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            try:
                await client.get(f"http://127.0.0.1:{port}{path}")
                return
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not start")


def _body(i: int) -> dict:
    return {
        "name": f"Participant {i}",
        "email": f"participant{i}@example.org",
        "organisation": "Burst Test",
        "stakeholder_category": "civil_society",
        "country": "CH",
        "preferred_language": "en",
        "timezone": "Europe/Zurich",
        "consent_processing": True,
    }


class _Connection:
    """One keep-alive HTTP/1.1 connection, spoken by hand. The load generator shares the machine's two cores
    with the server and PostgreSQL, so it must cost little; and each simulated client keeps its own connection,
    as real clients do (one httpx pool shared by all of them handed connections out unevenly, which put seconds
    of the client's own waiting into the measured p99)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = (f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n")
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return int(status_line.split()[1]), await self.reader.readexactly(length)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()


async def _burst(name: str, base_url: str, path: str) -> Result:
    """CONCURRENCY clients, each on its own connection, take the next registration until TOTAL are sent."""
    host, port = base_url.removeprefix("http://").split(":")
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(TOTAL):
        queue.put_nowait(i)
    latencies: list[float] = []
    samples: list[str] = []
    errors = 0

    async def client() -> None:
        nonlocal errors
        connection = _Connection(host, int(port))
        try:
            while not queue.empty():
                i = queue.get_nowait()
                body = json.dumps(_body(i)).encode()
                started = time.perf_counter()
                try:
                    status, reply = await connection.post(path, body)
                    if status != 201:
                        errors += 1
                        samples.append(f"{status} {reply[:200]!r}")
                except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as error:
                    errors += 1
                    samples.append(repr(error))
                    await connection.close()
                    connection = _Connection(host, int(port))
                latencies.append(time.perf_counter() - started)
        finally:
            await connection.close()

    warmup = _Connection(host, int(port))
    await warmup.post(path.replace("/registrations", "/warmup"), b"{}")  # first request: routes and pool warm
    await warmup.close()
    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(CONCURRENCY)))
    seconds = time.perf_counter() - started
    confirmed, waitlisted = await _counts()
    for sample in samples[:3]:
        print(f"{name} error: {sample}", flush=True)
    return Result(name, seconds, latencies, errors, confirmed, waitlisted)


async def _run_against(name: str, app: str, path_of: str, env: dict[str, str]) -> Result:
    session_id = await _new_session()
    port = _free_port()
    server = _start(app, port, env)
    try:
        await _wait_until_up(port, "/health")
        return await _burst(name, f"http://127.0.0.1:{port}", path_of.format(session_id=session_id))
    finally:
        server.terminate()
        server.wait(timeout=30)


def _combined(rounds: list[Result]) -> Result:
    """The rounds of one side as one: all latencies, the summed time; counts and errors of the worst round."""
    exact = (CAPACITY, TOTAL - CAPACITY)
    worst = next((r for r in rounds if (r.confirmed, r.waitlisted) != exact), rounds[0])
    return Result(rounds[0].name, sum(r.seconds for r in rounds), [x for r in rounds for x in r.latencies],
                  sum(r.errors for r in rounds), worst.confirmed, worst.waitlisted)


async def run() -> tuple[Result, Result]:
    """ROUNDS rounds of each side, alternating (convene, baseline, baseline, convene, …) so that whatever else
    loads the machine falls on both alike."""
    await _prepare_database()
    convene_env = {"DATABASE_URL": DATABASE_URL, "RATE_LIMIT": "off", "SECRET_KEY": "bench-secret-key-0123456789",
                   "CONVENE_VAR_DIR": str(ROOT / "var" / "bench")}
    sides = {
        "convene": ("server.asgi:create", "/api/v1/sessions/{session_id}/registrations", convene_env),
        "baseline": ("bench.baseline_registration:app", "/sessions/{session_id}/registrations",
                     {"BASELINE_DATABASE_URL": DATABASE_URL}),
    }
    results: dict[str, list[Result]] = {"convene": [], "baseline": []}
    for round_number in range(ROUNDS):
        order = ["convene", "baseline"] if round_number % 2 == 0 else ["baseline", "convene"]
        for name in order:
            results[name].append(await _run_against(name, *sides[name]))
    return _combined(results["convene"]), _combined(results["baseline"])


def main() -> int:
    convene, baseline = asyncio.run(run())
    print(f"registration burst: {TOTAL} registrations, concurrency {CONCURRENCY}, capacity {CAPACITY}, {ENGINE}, "
          f"{ROUNDS} alternating rounds each")
    print(convene.line())
    print(baseline.line())
    ratio = convene.throughput / baseline.throughput
    print(f"registration burst ({ENGINE}): {ratio:.2f} × {BASELINE}")
    expected = (CAPACITY, TOTAL - CAPACITY)
    ok = (
        (convene.confirmed, convene.waitlisted) == expected
        and convene.errors == 0
        and ratio >= TARGET_RATIO
        and (SQLITE_PATH is not None or convene.percentile(99) < TARGET_P99_MS)
    )
    print("targets met" if ok else f"TARGETS MISSED (ratio ≥ {TARGET_RATIO}, p99 < {TARGET_P99_MS} ms, exact counts)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
