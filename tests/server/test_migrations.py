"""The real migrations, run on an empty database, make exactly the tables the Piccolo classes describe;
SQLite runs in WAL mode with a busy timeout.

SQLite: `convene migrate` on a fresh file. PostgreSQL: the test database, which the `database` fixture made
by running the same migrations on an emptied schema.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from piccolo.columns import Serial
from piccolo.table import Table

from server.db import all_tables
from server.tables import LoginAttempt
from tests.conftest import IS_POSTGRES

CONVENE = str(Path(sys.executable).parent / "convene")
#: Tables that belong to Piccolo's migration runner and SQLite itself, not to Convene.
HOUSEKEEPING = {"migration", "sqlite_sequence"}
#: PostgreSQL's udt names, spelled as Piccolo writes column types.
PG_TYPES = {
    "varchar": "VARCHAR",
    "int4": "INTEGER",
    "int8": "BIGINT",
    "int2": "SMALLINT",
    "bool": "BOOLEAN",
    "text": "TEXT",
    "timestamptz": "TIMESTAMPTZ",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
    "json": "JSON",
    "jsonb": "JSONB",
    "numeric": "NUMERIC",
    "uuid": "UUID",
    "float4": "REAL",
    "float8": "DOUBLE PRECISION",
    "bytea": "BYTEA",
    "interval": "INTERVAL",
}

Schema = dict[str, set[tuple[str, str, bool]]]


def expected_type(column) -> str:
    """The column type as the engine stores it: SERIAL is an INTEGER with a sequence, numeric precision aside."""
    declared = column.column_type
    declared = {"SERIAL": "INTEGER", "BIGSERIAL": "BIGINT"}.get(declared, declared)
    return re.sub(r"^NUMERIC\(.*\)$", "NUMERIC", declared)


def nullable(column) -> bool:
    return bool(column._meta.null) and not isinstance(column, Serial)


def expected_schema(tables: list[type[Table]]) -> Schema:
    """(column, type, nullable) of every column of every table class, by table name."""
    return {
        table._meta.tablename: {
            (column._meta.db_column_name, expected_type(column), nullable(column))
            for column in table._meta.columns
        }
        for table in tables
    }


def expected_unique(tables: list[type[Table]]) -> set[tuple[str, str]]:
    return {
        (table._meta.tablename, column._meta.db_column_name)
        for table in tables
        for column in table._meta.columns
        if column._meta.unique and not column._meta.primary_key
    }


def sqlite_schema(path: Path) -> tuple[Schema, set[tuple[str, str]]]:
    """Columns and single-column unique indexes as SQLite reports them (PRAGMA table_info / index_list)."""
    with sqlite3.connect(path) as connection:
        names = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        schema = {
            name: {(row[1], row[2], not row[3]) for row in connection.execute(f"PRAGMA table_info('{name}')")}
            for name in names
            if name not in HOUSEKEEPING
        }
        unique = set()
        for name in schema:
            for _seq, index, is_unique, origin, _partial in connection.execute(f"PRAGMA index_list('{name}')"):
                columns = connection.execute(f"PRAGMA index_info('{index}')").fetchall()
                if is_unique and origin != "pk" and len(columns) == 1:
                    unique.add((name, columns[0][2]))
    return schema, unique


def postgres_type(udt_name: str, length: int | None) -> str:
    if udt_name.startswith("_"):
        return postgres_type(udt_name[1:], None) + "[]"
    name = PG_TYPES.get(udt_name, udt_name.upper())
    return f"{name}({length})" if length is not None else name


async def postgres_schema(engine) -> tuple[Schema, set[tuple[str, str]]]:
    """Columns from information_schema.columns, unique single-column indexes from pg_index."""
    rows = await engine.run_ddl(
        "SELECT table_name, column_name, udt_name, character_maximum_length, is_nullable "
        "FROM information_schema.columns WHERE table_schema = 'public'"
    )
    schema: Schema = {}
    for row in rows:
        if row["table_name"] not in HOUSEKEEPING:
            schema.setdefault(row["table_name"], set()).add(
                (
                    row["column_name"],
                    postgres_type(row["udt_name"], row["character_maximum_length"]),
                    row["is_nullable"] == "YES",
                )
            )
    unique_rows = await engine.run_ddl(
        "SELECT t.relname AS table_name, a.attname AS column_name FROM pg_index i "
        "JOIN pg_class t ON t.oid = i.indrelid "
        "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(i.indkey) "
        "WHERE i.indisunique AND NOT i.indisprimary AND i.indnatts = 1 AND t.relnamespace = 'public'::regnamespace"
    )
    return schema, {(row["table_name"], row["column_name"]) for row in unique_rows}


@pytest.fixture
async def live_schema(tmp_path, database) -> tuple[Schema, set[tuple[str, str]]]:
    """The schema the real migrations made on an empty database of the engine under test."""
    if IS_POSTGRES:
        return await postgres_schema(LoginAttempt._meta.db)
    path = tmp_path / "fresh.db"
    env = {"DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "migrations-test-secret-key", "PATH": "/usr/bin:/bin"}
    result = await asyncio.to_thread(subprocess.run, [CONVENE, "migrate"], env=env, capture_output=True, text=True)
    assert (result.returncode, result.stdout.splitlines()[-1]) == (0, "migrations: up to date"), result.stderr
    return sqlite_schema(path)


def differences(expected: Schema, live: Schema) -> dict[str, dict[str, list]]:
    """Per table, what the classes have that the database lacks, and the reverse."""
    found = {}
    for table in sorted(set(expected) | set(live)):
        missing = sorted(expected.get(table, set()) - live.get(table, set()))
        extra = sorted(live.get(table, set()) - expected.get(table, set()))
        if missing or extra:
            found[table] = {"in the classes only": missing, "in the database only": extra}
    return found


async def test_migrations_make_every_table_with_the_columns_of_its_class(live_schema):
    live, _unique = live_schema

    assert differences(expected_schema(all_tables()), live) == {}, "regenerate your app's migration"


async def test_migrations_make_the_unique_columns_unique(live_schema):
    _live, unique = live_schema

    assert sorted(expected_unique(all_tables()) - unique) == []


async def test_schema_check_sees_a_column_the_migrations_lack(live_schema):
    live, _unique = live_schema
    expected = expected_schema(all_tables())
    expected["login_attempt"].add(("user_agent", "TEXT", False))

    diff = differences(expected, live)

    assert diff == {
        "login_attempt": {"in the classes only": [("user_agent", "TEXT", False)], "in the database only": []}
    }


@pytest.mark.skipif(IS_POSTGRES, reason="SQLite only")
async def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(database):
    engine = LoginAttempt._meta.db

    journal = await engine.run_ddl("PRAGMA journal_mode")
    timeout = await engine.run_ddl("PRAGMA busy_timeout")

    assert journal == [{"journal_mode": "wal"}]
    assert timeout == [{"timeout": 30000}]


@pytest.mark.skipif(IS_POSTGRES, reason="SQLite only")
async def test_sqlite_writer_waits_for_the_lock_instead_of_failing(database):
    engine = LoginAttempt._meta.db
    holder = sqlite3.connect(engine.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock for a moment
    write = asyncio.create_task(LoginAttempt.insert(LoginAttempt(address="10.0.0.9", email_hash="x" * 64)).run())
    await asyncio.sleep(0.5)
    assert not write.done()

    holder.execute("COMMIT")
    holder.close()
    await asyncio.wait_for(write, timeout=10)

    assert await LoginAttempt.count() == 1
