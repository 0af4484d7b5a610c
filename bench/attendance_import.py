"""Attendance import: a 5,000-row Zoom meeting participants export (4,000 people, 1,000 of them rejoining, 200 no
registration matches) imported into a session of 4,000 confirmed registrations, end to end as the API does it
(read, detect, merge, match, one transaction of writes), and, in the same run, a baseline: the same bytes decoded
and split into rows by the csv module alone. Our own reader without the database is printed between the two.

    python -m bench.attendance_import     (BENCH_ATTENDANCE_DATABASE_URL, default a fresh SQLite file in a temp
                                           folder; BENCH_ATTENDANCE_ROWS, default 5000)

Rounds alternate (each import a file of different bytes, so none is skipped as already imported); medians shown.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="convene-bench-attendance-"))
DATABASE_URL = os.environ.get("BENCH_ATTENDANCE_DATABASE_URL", f"sqlite:///{_TMP}/bench.db")
os.environ["DATABASE_URL"] = DATABASE_URL  # before Piccolo is imported: piccolo_conf reads it
os.environ["PICCOLO_CONF"] = "server.piccolo_conf"

from server.db import bind_engine, close_engine, engine_from_url, run_migrations, start_engine  # noqa: E402

ROWS = int(os.environ.get("BENCH_ATTENDANCE_ROWS", "5000"))
ROUNDS = 3
STARTS = datetime(2026, 12, 3, 14, 0)  # naive: the report's local times (UTC here)


def _export(round_number: int) -> bytes:
    """A Zoom per-join export of ROWS rows: person i joins once, the first fifth of them twice."""
    people = ROWS * 4 // 5
    lines = [
        "Meeting ID,Topic,Start Time,End Time,User Email,Duration (Minutes),Participants,",
        f"861 2047 3395,\"Benchmark, round {round_number}\",12/03/2026 02:00:00 PM,12/03/2026 03:30:00 PM,"
        f"host@example.org,90,{ROWS},",
        "",
        "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest,Recording Consent,"
        "In Waiting Room",
    ]

    def at(minutes: int) -> str:
        return (STARTS + timedelta(minutes=minutes)).strftime("%m/%d/%Y %I:%M:%S %p")

    for i in range(ROWS):
        person = i % people
        email = "" if person >= people - 200 else f"person{person}@example.org"
        first, minutes = (i < people), 10 + person % 70
        start = (person % 10) if first else 85 - (person % 5)
        end = start + (minutes if first else 5)
        lines.append(f"Person {person}{' (Phone)' if not email else ''},{email},{at(start)},{at(end)},"
                     f"{end - start},No,,No")
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()


def _csv_only(data: bytes) -> int:
    return sum(1 for _ in csv.reader(io.StringIO(data.decode("utf-8-sig"))))


async def _setup() -> int:
    from events.tables import Session
    from registrations.tables import Registration

    starts = STARTS.replace(tzinfo=UTC)
    session_id = (await Session.insert(Session(
        kind="webinar", title={"en": "Attendance benchmark"}, starts_at=starts, ends_at=starts + timedelta(minutes=90),
        timezone="UTC", floor_language="en", status="published",
    )).returning(Session.id))[0]["id"]
    people = ROWS * 4 // 5
    batch = [
        Registration(session=session_id, name=f"Person {p}", email=f"person{p}@example.org", country="CH",
                     stakeholder_category="civil_society", status="confirmed", manage_nonce=f"n{p}",
                     consent_processing=True)
        for p in range(people - 200)
    ]
    for start in range(0, len(batch), 500):
        await Registration.insert(*batch[start : start + 500])
    return session_id


async def _run() -> tuple[list[float], list[float], list[float], dict]:
    from registrations.attendance import import_attendance
    from registrations.attendance_import import parse_report

    await run_migrations(DATABASE_URL)
    engine = engine_from_url(DATABASE_URL)
    bind_engine(engine)
    await start_engine(engine)
    imports, parses, baselines, summary = [], [], [], {}
    try:
        session_id = await _setup()
        for round_number in range(ROUNDS):
            data = _export(round_number)
            began = time.perf_counter()
            assert _csv_only(data) == ROWS + 4
            baselines.append(time.perf_counter() - began)
            began = time.perf_counter()
            parse_report(data)
            parses.append(time.perf_counter() - began)
            began = time.perf_counter()
            summary = (await import_attendance(session_id, data)).__dict__
            imports.append(time.perf_counter() - began)
    finally:
        await close_engine(engine)
    return imports, parses, baselines, summary


def main() -> int:
    if not DATABASE_URL.startswith("sqlite"):
        print("BENCH_ATTENDANCE_DATABASE_URL: give an empty PostgreSQL database; it is migrated, not reset")
    imports, parses, baselines, summary = asyncio.run(_run())
    engine = "SQLite" if DATABASE_URL.startswith("sqlite") else "PostgreSQL"
    imported, parsed, baseline = (statistics.median(x) for x in (imports, parses, baselines))
    print(f"{ROWS}-row Zoom participants export, {engine}, median of {ROUNDS} rounds: {summary}")
    print(f"import (read, merge, match, write)  {imported * 1000:8.1f} ms")
    print(f"our reader alone (parse_report)     {parsed * 1000:8.1f} ms")
    print(f"baseline: csv module alone          {baseline * 1000:8.1f} ms")
    print(f"attendance import: {imported / baseline:.1f} × the csv module alone")
    expected = {"rows_read": ROWS, "matched": ROWS * 4 // 5 - 200, "unmatched": 200, "merged_rejoins": ROWS // 5}
    return 0 if all(summary[k] == v for k, v in expected.items()) else 1


if __name__ == "__main__":
    sys.exit(main())
