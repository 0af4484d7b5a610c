"""One answer per registration and question: a raw unique index (a separate migration, as raw statements run before
a migration's tables are created; CREATE UNIQUE INDEX runs on SQLite and PostgreSQL alike)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T14:44:26:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique (registration, question) for answers"


async def _create_index():
    await engine_finder().run_ddl("CREATE UNIQUE INDEX answer_registration_question ON answer (registration, question)")


async def _drop_index():
    await engine_finder().run_ddl("DROP INDEX answer_registration_question")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="registrations", description=DESCRIPTION)
    manager.add_raw(_create_index)
    manager.add_raw_backwards(_drop_index)
    return manager
