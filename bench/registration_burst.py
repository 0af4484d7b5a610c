"""Registration burst: 2,000 registrations for a session of capacity 500 at concurrency 100, 50 and 5, against the
real server (uvicorn, PostgreSQL, RATE_LIMIT=off) and, in the same run, against a baseline doing the same writes
with raw asyncpg on the same HTTP stack (bench/baseline_registration.py); then, on PostgreSQL, two Convene
processes (the clients' connections spread over both) against one.

    python -m bench.registration_burst        (BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/convene_bench)
    BENCH_DATABASE_URL=sqlite:///var/bench/burst.db python -m bench.registration_burst
                                               (SQLite, the embedded default: the baseline uses stdlib sqlite3)

Prints every round as it ends (throughput, p50/p99 latency, errors, the confirmed/waitlisted counts and each
server process's peak RSS, of each side, and the ratio), then each concurrency's rounds combined. Settings from the
environment: BENCH_TOTAL, BENCH_CAPACITY, BENCH_CONCURRENCIES (comma-separated; BENCH_CONCURRENCY one value),
BENCH_ROUNDS (per side at each concurrency), BENCH_SCALE_OUT=0 to skip the 2-process comparison.
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
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/convene_bench")
TOTAL = int(os.environ.get("BENCH_TOTAL", "2000"))
CONCURRENCIES = [int(c) for c in os.environ.get("BENCH_CONCURRENCY",
                                                os.environ.get("BENCH_CONCURRENCIES", "100,50,5")).split(",")]
CAPACITY = int(os.environ.get("BENCH_CAPACITY", "500"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
#: Registrations sent before each measured burst, to a session of their own: the pool's connections open.
WARMUP = 40
SCALE_OUT = os.environ.get("BENCH_SCALE_OUT", "1") != "0"
SCALE_OUT_CONCURRENCY = 100
SQLITE_PATH = ROOT / DATABASE_URL.removeprefix("sqlite:///") if DATABASE_URL.startswith("sqlite:///") else None
ENGINE = "SQLite" if SQLITE_PATH else "PostgreSQL"
BASELINE = "raw sqlite3" if SQLITE_PATH else "raw asyncpg"
TARGET_RATIO = 0.5 if SQLITE_PATH else 0.9
TARGET_P99_MS = 250.0
TARGET_PEAK_RSS_MB = 200.0


@dataclass
class Result:
    name: str
    seconds: float
    latencies: list[float]
    errors: int
    confirmed: int
    waitlisted: int
    peak_rss_mb: list[float] = field(default_factory=list)
    #: CPU seconds the server processes spent during the burst (user + system), all processes together.
    cpu_seconds: float = 0.0

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
            f"confirmed {self.confirmed}  waitlisted {self.waitlisted}  "
            f"server CPU {self.cpu_seconds / max(1, len(self.latencies)) * 1e6:5.0f} µs/req  "
            f"peak RSS {' + '.join(f'{mb:.0f}' for mb in self.peak_rss_mb)} MB"
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


def _new_sqlite_session(clear: bool) -> int:
    with sqlite3.connect(SQLITE_PATH, isolation_level=None) as connection:
        for table in ("need", "status_change", "registration", "outbox_message") if clear else ():
            connection.execute(f"DELETE FROM {table}")  # noqa: S608 (constant names)
        starts_at = datetime.now(UTC) + timedelta(days=14)
        values = {"starts": str(starts_at), "ends": str(starts_at + timedelta(hours=2)), "capacity": CAPACITY,
                  "now": str(datetime.now(UTC))}
        session_id = connection.execute(_SQLITE_SESSION, values).lastrowid
    connection.close()
    return session_id


async def _new_session(*, clear: bool = True) -> int:
    """A published webinar with CAPACITY seats, registration open; unless `clear` is false, previous registrations
    and mail removed."""
    if SQLITE_PATH:
        return _new_sqlite_session(clear)
    connection = await asyncpg.connect(DATABASE_URL)
    try:
        if clear:
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


async def _counts(session_id: int) -> tuple[int, int]:
    """The session's confirmed and waitlisted registrations."""
    if SQLITE_PATH:
        connection = sqlite3.connect(SQLITE_PATH)
        rows = connection.execute(
            "SELECT status, count(*) FROM registration WHERE session = ? GROUP BY status", (session_id,)
        ).fetchall()
        connection.close()
        counts = dict(rows)
        return counts.get("confirmed", 0), counts.get("waitlisted", 0)
    connection = await asyncpg.connect(DATABASE_URL)
    try:
        rows = await connection.fetch(
            "SELECT status, count(*) AS n FROM registration WHERE session = $1 GROUP BY status", session_id
        )
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


async def _send(ports: list[int], path: str, first: int, count: int, concurrency: int) -> Result:
    """`concurrency` clients, each on its own connection (spread over `ports` in turn), take the next registration
    until `count` are sent."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(first, first + count):
        queue.put_nowait(i)
    latencies: list[float] = []
    samples: list[str] = []
    errors = 0

    async def client(port: int) -> None:
        nonlocal errors
        connection = _Connection("127.0.0.1", port)
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
                    connection = _Connection("127.0.0.1", port)
                latencies.append(time.perf_counter() - started)
        finally:
            await connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(ports[n % len(ports)]) for n in range(concurrency)))
    seconds = time.perf_counter() - started
    for sample in samples[:3]:
        print(f"error: {sample}", flush=True)
    return Result("", seconds, latencies, errors, 0, 0)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (/proc/<pid>/stat, fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_rss_mb(pid: int) -> float:
    """The process's peak resident set so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Side:
    """One server under test: its uvicorn app, its registration path and environment, and how many processes."""

    name: str
    app: str
    path: str
    env: dict[str, str]
    processes: int = 1


async def _run_against(side: Side, concurrency: int) -> Result:
    """A fresh session; the servers started; a warm-up through the real route (on a session of its own, so the
    pool's connections are open and the statements prepared); then TOTAL registrations at `concurrency`."""
    session_id = await _new_session()
    warmup_session_id = await _new_session(clear=False)
    ports = [_free_port() for _ in range(side.processes)]
    servers = [_start(side.app, port, side.env) for port in ports]
    try:
        for port in ports:
            await _wait_until_up(port, "/health")
        warmup = await _send(ports, side.path.format(session_id=warmup_session_id), TOTAL, WARMUP,
                             min(WARMUP, 20 * side.processes))
        if warmup.errors:
            raise RuntimeError(f"{side.name}: {warmup.errors} errors in the warm-up")
        cpu_before = sum(_cpu_seconds(server.pid) for server in servers)
        result = await _send(ports, side.path.format(session_id=session_id), 0, TOTAL, concurrency)
        result.cpu_seconds = sum(_cpu_seconds(server.pid) for server in servers) - cpu_before
        result.name = side.name
        result.peak_rss_mb = [_peak_rss_mb(server.pid) for server in servers]
        result.confirmed, result.waitlisted = await _counts(session_id)
        return result
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)


def _combined(rounds: list[Result]) -> Result:
    """The rounds of one side as one: all latencies, the summed time; counts and errors of the worst round."""
    exact = (CAPACITY, TOTAL - CAPACITY)
    worst = next((r for r in rounds if (r.confirmed, r.waitlisted) != exact), rounds[0])
    combined = Result(rounds[0].name, sum(r.seconds for r in rounds), [x for r in rounds for x in r.latencies],
                      sum(r.errors for r in rounds), worst.confirmed, worst.waitlisted)
    combined.peak_rss_mb = [max(rss) for rss in zip(*(r.peak_rss_mb for r in rounds), strict=True)]
    combined.cpu_seconds = sum(r.cpu_seconds for r in rounds)
    return combined


def _sides() -> tuple[Side, Side]:
    convene_env = {"DATABASE_URL": DATABASE_URL, "RATE_LIMIT": "off", "SECRET_KEY": "bench-secret-key-0123456789",
                   "CONVENE_VAR_DIR": str(ROOT / "var" / "bench")}
    convene = Side("convene", "server.asgi:create", "/api/v1/sessions/{session_id}/registrations", convene_env)
    baseline = Side("baseline", "bench.baseline_registration:app", "/sessions/{session_id}/registrations",
                    {"BASELINE_DATABASE_URL": DATABASE_URL})
    return convene, baseline


async def _pairs(first: Side, second: Side, concurrency: int, label: str) -> tuple[Result, Result]:
    """ROUNDS rounds of each side at `concurrency`, alternating (first, second, second, first, …) so that whatever
    else loads the machine falls on both alike; each round printed as it ends, then the two combined."""
    results: dict[str, list[Result]] = {first.name: [], second.name: []}
    for round_number in range(1, ROUNDS + 1):
        order = [first, second] if round_number % 2 else [second, first]
        for side in order:
            results[side.name].append(await _run_against(side, concurrency))
        a, b = results[first.name][-1], results[second.name][-1]
        print(f"{label} c={concurrency} round {round_number}: {a.throughput / b.throughput:.2f}  ({_load()})",
              flush=True)
        print(f"  {a.line()}\n  {b.line()}", flush=True)
    return _combined(results[first.name]), _combined(results[second.name])


def _targets_met(ours: Result, ratio: float, concurrency: int) -> bool:
    """Exact counts and no errors; the ratio; on PostgreSQL p99 at concurrency 100 and each process's peak RSS."""
    exact = (ours.confirmed, ours.waitlisted) == (CAPACITY, TOTAL - CAPACITY) and ours.errors == 0
    if SQLITE_PATH:
        return exact and ratio >= TARGET_RATIO
    p99_ok = concurrency < 100 or ours.percentile(99) < TARGET_P99_MS
    return exact and ratio >= TARGET_RATIO and p99_ok and max(ours.peak_rss_mb) < TARGET_PEAK_RSS_MB


def _load() -> str:
    return "load " + " ".join(f"{x:.2f}" for x in os.getloadavg())


async def run() -> bool:
    """Convene against the baseline at each of CONCURRENCIES; on PostgreSQL also 2 Convene processes against 1.
    True when every target is met."""
    await _prepare_database()
    convene, baseline = _sides()
    print(f"registration burst: {TOTAL} registrations, capacity {CAPACITY}, {ENGINE}, {ROUNDS} alternating rounds "
          f"per side at each concurrency; {_load()}", flush=True)
    ok = True
    for concurrency in CONCURRENCIES:
        ours, theirs = await _pairs(convene, baseline, concurrency, "convene/baseline")
        ratio = ours.throughput / theirs.throughput
        met = _targets_met(ours, ratio, concurrency)
        ok = ok and met
        print(f"combined c={concurrency}:\n  {ours.line()}\n  {theirs.line()}", flush=True)
        print(f"registration burst ({ENGINE}, c={concurrency}): {ratio:.2f} × {BASELINE}"
              f"{'' if met else '  MISSED'}", flush=True)
    if SQLITE_PATH is None and SCALE_OUT:
        two = Side("convene×2", convene.app, convene.path, convene.env, processes=2)
        pair, single = await _pairs(two, convene, SCALE_OUT_CONCURRENCY, "2 processes/1")
        print(f"combined c={SCALE_OUT_CONCURRENCY}:\n  {pair.line()}\n  {single.line()}", flush=True)
        print(f"registration burst ({ENGINE}, c={SCALE_OUT_CONCURRENCY}): 2 processes {pair.throughput:.1f} req/s, "
              f"1 process {single.throughput:.1f} req/s = {pair.throughput / single.throughput:.2f} ×", flush=True)
    return ok


def main() -> int:
    ok = asyncio.run(run())
    print("targets met" if ok else f"TARGETS MISSED (ratio ≥ {TARGET_RATIO} at each concurrency; on PostgreSQL "
                                   f"p99 < {TARGET_P99_MS:.0f} ms at c=100 and peak RSS < {TARGET_PEAK_RSS_MB:.0f} MB "
                                   "per process; exact counts, no errors)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
