"""One import per session and file content: a raw unique index (a separate migration, as raw statements run before
a migration's tables are created; CREATE UNIQUE INDEX runs on SQLite and PostgreSQL alike). Two organisers
uploading the same file at once cannot both apply it."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T13:21:22:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique (session, content_sha256) for attendance imports"


async def _create_index():
    await engine_finder().run_ddl(
        "CREATE UNIQUE INDEX attendance_import_content ON attendance_import (session, content_sha256)"
    )


async def _drop_index():
    await engine_finder().run_ddl("DROP INDEX attendance_import_content")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="registrations", description=DESCRIPTION)
    manager.add_raw(_create_index)
    manager.add_raw_backwards(_drop_index)
    return manager
