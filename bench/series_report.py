"""Series report: the cross-session participation report over 100,000 registrations in 200 sessions of one series
on PostgreSQL, beside a baseline measured in the same run: the same aggregation written by hand as one SQL
statement (GROUPING SETS over the registrations, UNION ALL the needs), rows fetched with asyncpg and nothing more.
The two run in alternating rounds, so that load from elsewhere on a shared machine falls on both alike.

    python -m bench.series_report     (BENCH_REPORT_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/
                                       convene_bench; its public schema is dropped and made again;
                                       BENCH_REGISTRATIONS, default 100000; BENCH_ROUNDS, default 7)

Prints the median time of each and their ratio; the target is at most 2.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

DATABASE_URL = os.environ.get("BENCH_REPORT_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/convene_bench")
os.environ["DATABASE_URL"] = DATABASE_URL  # before Piccolo is imported: piccolo_conf reads it
os.environ["PICCOLO_CONF"] = "server.piccolo_conf"

from server.db import bind_engine, close_engine, engine_from_url, run_migrations, start_engine  # noqa: E402

REGISTRATIONS = int(os.environ.get("BENCH_REGISTRATIONS", "100000"))
SESSIONS = 200
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "7"))
TARGET_RATIO = 2.0
COUNTRIES = ("US", "EG", "FR", "DE", "SN", "KE", "BR", "MX", "IN", "CN", "RU", "JO", "PH", "TR", "NG", "AR", "CH")
LANGUAGES = ("ar", "zh", "en", "fr", "ru", "es")
GENDERS = (None, "woman", "man", "non_binary", "another", "prefer_not_to_say")
STATUSES = ("confirmed",) * 7 + ("waitlisted", "pending", "cancelled", "declined")
ATTENDANCE = (None, "attended", "attended", "partial", "absent", "excused")

# The baseline: one statement, the same counters, grouped as the report groups them.
HAND_WRITTEN = """
WITH scope AS (
  SELECT id, ends_at <= now() AS ended FROM event_session WHERE series = $1 AND status IN ('published', 'completed')
), counted AS (
  SELECT r.stakeholder_category, r.country, r.preferred_language, COALESCE(r.gender, 'none') AS gender,
         COALESCE(r.interpretation_language, 'none') AS interpretation_language, r.session,
         (r.status <> 'cancelled')::int AS registered, (r.status = 'confirmed')::int AS confirmed,
         (r.status = 'waitlisted')::int AS waitlisted, (r.attendance IN ('attended', 'partial'))::int AS attended,
         (r.attendance = 'absent')::int AS absent, (r.attendance = 'excused')::int AS excused,
         (r.status = 'confirmed' AND r.attendance = 'absent' AND s.ended)::int AS no_shows,
         (r.status = 'confirmed' AND s.ended)::int AS confirmed_ended
  FROM registration r JOIN scope s ON s.id = r.session
)
SELECT 'registrations' AS part, stakeholder_category, country, preferred_language, gender, interpretation_language,
       session, NULL AS code, SUM(registered) AS a, SUM(confirmed) AS b, SUM(waitlisted) AS c, SUM(attended) AS d,
       SUM(absent) AS e, SUM(excused) AS f, SUM(no_shows) AS g, SUM(confirmed_ended) AS h
FROM counted
GROUP BY GROUPING SETS ((stakeholder_category, country), (preferred_language), (gender), (interpretation_language),
                        (session))
UNION ALL
SELECT 'needs', n.kind, NULL, NULL, NULL, NULL, NULL, n.code, COUNT(*),
       SUM((n.status = 'arranged')::int), SUM((n.status = 'not_possible')::int), SUM((n.status = 'requested')::int),
       0, 0, 0, 0
FROM need n JOIN registration r ON r.id = n.registration JOIN scope s ON s.id = r.session
WHERE r.status NOT IN ('cancelled', 'declined')
GROUP BY n.kind, n.code
"""


async def _reset_postgres() -> None:
    import asyncpg

    connection = await asyncpg.connect(DATABASE_URL)
    try:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await connection.close()


async def _seed(connection) -> int:
    """One series, 200 published or completed sessions (half ended), REGISTRATIONS registrations, a need for
    about one in five; written with COPY. Returns the series id."""
    rng = random.Random(12)  # noqa: S311 (test data, not secrets)
    now = datetime.now(UTC)
    series_id = await connection.fetchval("INSERT INTO series (title, description, created_at) "
                                          "VALUES ('{\"en\": \"Bench\"}', '{}', now()) RETURNING id")
    sessions = []
    for number in range(SESSIONS):
        starts = now + timedelta(days=number - SESSIONS // 2)
        sessions.append((series_id, "webinar", '{"en": "Bench session"}', '{}', starts, starts + timedelta(hours=2),
                         "UTC", "published" if starts > now else "completed", "en"))
    await connection.copy_records_to_table(
        "event_session", records=sessions,
        columns=["series", "kind", "title", "description", "starts_at", "ends_at", "timezone", "status",
                 "floor_language"])
    ids = [row["id"] for row in await connection.fetch("SELECT id FROM event_session ORDER BY id")]
    records = []
    for number in range(REGISTRATIONS):
        session_id = ids[number % SESSIONS]
        status = rng.choice(STATUSES)
        records.append((
            session_id, f"Person {number}", f"p{number}@example.org", rng.choice(("civil_society", "member_state",
            "migrants", "academia", "youth", "un_system", "private_sector", "other")), rng.choice(COUNTRIES),
            rng.choice(LANGUAGES), rng.choice(GENDERS), rng.choice((None, None, "fr", "es", "ar", "ru")), status,
            rng.choice(ATTENDANCE) if status == "confirmed" else None, "n", rng.random() < 0.05,
        ))
    await connection.copy_records_to_table(
        "registration", records=records,
        columns=["session", "name", "email", "stakeholder_category", "country", "preferred_language", "gender",
                 "interpretation_language", "status", "attendance", "manage_nonce", "personal_assistant"])
    reg_ids = [row["id"] for row in await connection.fetch("SELECT id FROM registration WHERE id % 5 = 0")]
    needs = [(rid, rng.choice(("interpretation", "accessibility")), rng.choice(("fr", "captions_cart", "es")),
              rng.choice(("requested", "arranged", "not_possible"))) for rid in reg_ids]
    await connection.copy_records_to_table("need", records=needs, columns=["registration", "kind", "code", "status"])
    await connection.execute("ANALYZE")
    return series_id


async def _run() -> tuple[float, float, int]:
    import asyncpg

    from registrations import reports
    from server.auth import StaffUser

    await _reset_postgres()
    await run_migrations(DATABASE_URL)
    engine = engine_from_url(DATABASE_URL)
    bind_engine(engine)
    await start_engine(engine)
    connection = await asyncpg.connect(DATABASE_URL)
    try:
        series_id = await _seed(connection)
        admin = StaffUser(id=0, email="bench@example.org", name="", role="admin", preferred_language="en")
        ours, theirs = [], []
        registered = 0
        for _ in range(ROUNDS):
            started = time.perf_counter()
            scope = await reports.participation_scope(admin, str(series_id))
            report = await reports.participation_report(scope)
            ours.append(time.perf_counter() - started)
            registered = report.registered
            started = time.perf_counter()
            rows = await connection.fetch(HAND_WRITTEN, series_id)
            theirs.append(time.perf_counter() - started)
            assert rows
        return statistics.median(ours), statistics.median(theirs), registered
    finally:
        await connection.close()
        await close_engine(engine)


def main() -> int:
    if not DATABASE_URL.startswith("postgresql"):
        print("series report: BENCH_REPORT_DATABASE_URL must name a PostgreSQL database", file=sys.stderr)
        return 1
    ours, theirs, registered = asyncio.run(_run())
    ratio = ours / theirs
    print(f"{REGISTRATIONS} registrations over {SESSIONS} sessions of one series, PostgreSQL, median of {ROUNDS} "
          f"alternating rounds ({registered} counted as registered)")
    print(f"convene series report   {ours * 1000:8.1f} ms  (scope, 4 grouped queries + needs + per session, folded)")
    print(f"hand-written SQL        {theirs * 1000:8.1f} ms  (one statement, GROUPING SETS, rows fetched)")
    print(f"series report (100k registrations): {ratio:.2f} × hand-written SQL (target ≤ {TARGET_RATIO})")
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
