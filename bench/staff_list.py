"""Staff list: page 1 (50 rows) of a session with 20,000 registrations beside page 1 of a session with 200, in the
same run, against the real server (one uvicorn process) measured from outside over HTTP. Every registration has a
history line, every fourth an interpretation need, every tenth is waitlisted.

    python -m bench.staff_list     (BENCH_LIST_DATABASE_URL, default a fresh SQLite file in a temp folder;
                                    BENCH_LIST_BIG, default 20000; BENCH_LIST_SMALL, default 200)

Prints the median time of each page (requests alternate between the two, so load from elsewhere falls on both),
the server's peak memory before and after serving them, and the ratio; the target is at most 2.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
_TMP = Path(tempfile.mkdtemp(prefix="convene-bench-list-"))
DATABASE_URL = os.environ.get("BENCH_LIST_DATABASE_URL", f"sqlite:///{_TMP}/bench.db")
os.environ["DATABASE_URL"] = DATABASE_URL  # before Piccolo is imported: piccolo_conf reads it
os.environ["PICCOLO_CONF"] = "server.piccolo_conf"

from server.db import bind_engine, close_engine, engine_from_url, run_migrations, start_engine  # noqa: E402

BIG = int(os.environ.get("BENCH_LIST_BIG", "20000"))
SMALL = int(os.environ.get("BENCH_LIST_SMALL", "200"))
REQUESTS = 30  # per session, after WARMUP each
WARMUP = 3
PAGE = 50
TARGET_RATIO = 2.0
BENCH_SECRET = "bench-only-secret-" + "0" * 16  # noqa: S105 (a throwaway database)
CHUNK = 500


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


async def _session_with(count: int) -> int:
    """A published session with ``count`` registrations, their history and some needs."""
    from events.tables import Session
    from registrations.links import new_nonce
    from registrations.tables import Need, Registration, StatusChange

    start = datetime.now(UTC) + timedelta(days=14)
    session_id = (await Session.insert(Session(
        kind="webinar", title={"en": f"{count} registrations"}, starts_at=start, ends_at=start + timedelta(hours=2),
        timezone="Europe/Zurich", floor_language="en", status="published",
    )).returning(Session.id))[0]["id"]
    countries = ("CH", "EG", "US", "BR", "IN", "SN", "FR", "JP")
    for first in range(0, count, CHUNK):
        rows = [
            Registration(
                session=session_id, name=f"Person {n}", email=f"person{n}@example.org",
                organisation=f"Organisation {n % 97}", stakeholder_category="civil_society",
                country=countries[n % len(countries)], preferred_language="en", timezone="UTC",
                consent_processing=True, manage_nonce=new_nonce(),
                status="waitlisted" if n % 10 == 9 else "confirmed",
                waitlist_order=n if n % 10 == 9 else None,
            )
            for n in range(first, min(first + CHUNK, count))
        ]
        ids = [row["id"] for row in await Registration.insert(*rows).returning(Registration.id)]
        await StatusChange.insert(
            *(StatusChange(registration=i, from_status="", to_status="confirmed", actor="registrant") for i in ids)
        )
        await Need.insert(*(Need(registration=i, kind="interpretation", code="fr") for i in ids[::4]))
    return session_id


async def _fill() -> tuple[int, int, str]:
    """Both sessions (the big one first, so the small one's rows come last in every table) and a staff token."""
    from server.auth import create_api_token, create_user

    if not DATABASE_URL.startswith("sqlite"):
        await _reset_postgres()
    await run_migrations(DATABASE_URL)
    engine = engine_from_url(DATABASE_URL)
    bind_engine(engine)
    await start_engine(engine)
    try:
        big = await _session_with(BIG)
        small = await _session_with(SMALL)
        user_id, _password = await create_user("bench@example.org", "admin")
        token = await create_api_token(user_id, "bench")
        # What autovacuum does soon after a bulk load: without statistics the planner takes the big session for a
        # handful of rows. The figures are those of a database in its steady state, not of the minute after a load.
        from registrations.tables import Registration

        await Registration.raw("ANALYZE" if DATABASE_URL.startswith("sqlite") else "VACUUM ANALYZE")
    finally:
        await close_engine(engine)
    return big, small, token


def _peak_memory_mib(pid: int) -> float:
    """The process's peak resident memory (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _wait_until_up(client: httpx.AsyncClient) -> None:
    for _ in range(300):
        try:
            await client.get("/health")
            return
        except httpx.TransportError:
            await asyncio.sleep(0.1)
    raise RuntimeError("the server did not start")


async def _timed(client: httpx.AsyncClient, session_id: int, headers: dict[str, str]) -> float:
    started = time.perf_counter()
    response = await client.get(f"/api/v1/sessions/{session_id}/registrations", params={"limit": PAGE},
                                headers=headers)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text
    assert len(response.json()["items"]) == PAGE
    return elapsed


def _start_server(port: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": DATABASE_URL, "SECRET_KEY": BENCH_SECRET, "RATE_LIMIT": "off",
           "CONVENE_VAR_DIR": str(_TMP)}
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "server.asgi:create", "--factory", "--port", str(port),
         "--log-level", "warning", "--no-access-log"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,  # its access log, one line a request
    )


async def _measure(pid: int, port: int, big: int, small: int, token: str) -> tuple[float, float, float, float]:
    """Median seconds of page 1 of each session, requests alternating; peak memory once up and at the end."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        await _wait_until_up(client)
        memory_before = _peak_memory_mib(pid)
        for _ in range(WARMUP):
            await _timed(client, small, headers)
            await _timed(client, big, headers)
        small_times, big_times = [], []
        for _ in range(REQUESTS):
            small_times.append(await _timed(client, small, headers))
            big_times.append(await _timed(client, big, headers))
        memory_after = _peak_memory_mib(pid)
    return statistics.median(big_times), statistics.median(small_times), memory_before, memory_after


def main() -> int:
    big, small, token = asyncio.run(_fill())
    port = _free_port()
    server = _start_server(port)
    try:
        big_s, small_s, before, after = asyncio.run(_measure(server.pid, port, big, small, token))
    finally:
        server.terminate()
        server.wait(timeout=30)
    ratio = big_s / small_s
    engine = "SQLite" if DATABASE_URL.startswith("sqlite") else "PostgreSQL"
    print(f"staff list API, page 1 ({PAGE} rows), {engine}, one uvicorn process, median of {REQUESTS} each")
    print(f"{BIG:>6} registrations  {big_s * 1000:8.1f} ms")
    print(f"{SMALL:>6} registrations  {small_s * 1000:8.1f} ms")
    print(f"server peak memory: {before:.0f} MiB once up, {after:.0f} MiB after serving both")
    print(f"staff list page 1 ({BIG:,} registrations): {ratio:.2f} × {SMALL:,} registrations (target ≤ {TARGET_RATIO})")
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
