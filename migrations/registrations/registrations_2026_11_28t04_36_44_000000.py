"""Indexes over two or three columns, raw (a separate migration: raw statements run before a migration's tables
are created). Piccolo's Unique constraint emits ALTER TABLE ADD CONSTRAINT, which SQLite rejects; CREATE UNIQUE
INDEX runs on both engines."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T04:36:44:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique (session, email) for registrations and invitations; waitlist order index"

INDEXES = (
    "CREATE UNIQUE INDEX registration_session_email ON registration (session, email)",
    "CREATE UNIQUE INDEX invitation_session_email ON invitation (session, email)",
    "CREATE INDEX registration_waitlist ON registration (session, status, waitlist_order)",
)


async def _create_indexes():
    engine = engine_finder()
    for statement in INDEXES:
        await engine.run_ddl(statement)


async def _drop_indexes():
    engine = engine_finder()
    for statement in INDEXES:
        name = statement.split(" INDEX ", 1)[1].split(" ", 1)[0]
        await engine.run_ddl(f"DROP INDEX {name}")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="registrations", description=DESCRIPTION)
    manager.add_raw(_create_indexes)
    manager.add_raw_backwards(_drop_indexes)
    return manager
