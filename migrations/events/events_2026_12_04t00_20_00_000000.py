from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-04T00:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "how many wait for a seat of each mode (kept by triggers of the registrations app)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)
    for column in ("waiting", "in_person_waiting"):
        manager.add_column(
            table_class_name="Session",
            tablename="event_session",
            column_name=column,
            db_column_name=column,
            column_class_name="Integer",
            column_class=Integer,
            params={
                "default": 0,
                "null": False,
                "primary_key": False,
                "unique": False,
                "index": False,
                "index_method": IndexMethod.btree,
                "choices": None,
                "db_column_name": None,
                "secret": False,
            },
            schema=None,
        )
    return manager
