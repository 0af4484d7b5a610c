"""One request to speak per registration and one speakers' list per session: unique indexes, raw (CREATE UNIQUE
INDEX runs on both engines; Piccolo's Unique constraint does not run on SQLite)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T13:20:25:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique speaker (registration) and speaker_list (session)"

INDEXES = (
    "CREATE UNIQUE INDEX speaker_registration ON speaker (registration)",
    "CREATE UNIQUE INDEX speaker_list_session ON speaker_list (session)",
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
