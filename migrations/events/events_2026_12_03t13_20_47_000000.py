"""Lead times of needs per session (planning board): a JSON column, raw DDL that runs on SQLite and PostgreSQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T13:20:47:000000"
VERSION = "1.38.0"
DESCRIPTION = "event_session.need_lead_days"


async def _add_column():
    await engine_finder().run_ddl("ALTER TABLE event_session ADD COLUMN need_lead_days JSON NOT NULL DEFAULT '{}'")


async def _drop_column():
    await engine_finder().run_ddl("ALTER TABLE event_session DROP COLUMN need_lead_days")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)
    manager.add_raw(_add_column)
    manager.add_raw_backwards(_drop_column)
    return manager
