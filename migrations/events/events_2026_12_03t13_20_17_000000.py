"""Sessions say until when registrants' written inputs are taken (null: until the start)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz

ID = "2026-12-03T13:20:17:000000"
VERSION = "1.38.0"
DESCRIPTION = "event_session.inputs_close_at"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Session",
        tablename="event_session",
        column_name="inputs_close_at",
        db_column_name="inputs_close_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={"null": True, "default": None},
        schema=None,
    )
    return manager
