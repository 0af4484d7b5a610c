"""The outbox names the session and the registration a message is about in columns of their own, indexed, so the
staff outbox page and forgetting mail filter in SQL instead of reading every row's JSON context. (Plain integers,
no foreign keys: server/ knows no domain table, and a message outlives an erased registration.)"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-03T13:35:16:843349"
VERSION = "1.38.0"
DESCRIPTION = "outbox_message.session_id and registration_id, indexed"


def _params() -> dict:
    return {
        "default": None,
        "null": True,
        "primary_key": False,
        "unique": False,
        "index": True,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="server", description=DESCRIPTION)
    for name in ("session_id", "registration_id"):
        manager.add_column(
            table_class_name="OutboxMessage",
            tablename="outbox_message",
            column_name=name,
            db_column_name=name,
            column_class_name="Integer",
            column_class=Integer,
            params=_params(),
            schema=None,
        )
    return manager
