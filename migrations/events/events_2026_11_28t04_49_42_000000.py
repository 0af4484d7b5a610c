"""One summary per session and language: a raw unique index (a separate migration, as raw statements run
before a migration's tables are created; CREATE UNIQUE INDEX runs on SQLite and PostgreSQL alike)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T04:49:42:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique (session, language) for session summaries"


async def _create_index():
    await engine_finder().run_ddl("CREATE UNIQUE INDEX session_summary_language ON session_summary (session, language)")


async def _drop_index():
    await engine_finder().run_ddl("DROP INDEX session_summary_language")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)
    manager.add_raw(_create_index)
    manager.add_raw_backwards(_drop_index)
    return manager
