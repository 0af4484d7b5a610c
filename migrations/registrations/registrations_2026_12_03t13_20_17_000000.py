"""Written inputs to sessions: a text or a file kept under the uploads folder (registrations.inputs)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete
from piccolo.columns.column_types import Boolean, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

ID = "2026-12-03T13:20:17:000000"
VERSION = "1.38.0"
DESCRIPTION = "written_input"


class Session(Table, tablename="event_session", schema=None):
    id = Serial(null=False, primary_key=True)


class Registration(Table, tablename="registration", schema=None):
    id = Serial(null=False, primary_key=True)


class User(Table, tablename="staff_user", schema=None):
    id = Serial(null=False, primary_key=True)


COLUMNS = (
    ("session", ForeignKey, {"references": Session, "on_delete": OnDelete.cascade, "null": False, "index": True}),
    ("registration", ForeignKey,
     {"references": Registration, "on_delete": OnDelete.cascade, "null": True, "default": None, "index": True}),
    ("source", Varchar, {"length": 12}),
    ("uploaded_by", ForeignKey, {"references": User, "on_delete": OnDelete.set_null, "null": True, "default": None}),
    ("title", Varchar, {"length": 300}),
    ("language", Varchar, {"length": 35}),
    ("text", Text, {"default": ""}),
    ("stored_name", Varchar, {"length": 64, "default": ""}),
    ("file_name", Varchar, {"length": 255, "default": ""}),
    ("file_kind", Varchar, {"length": 8, "default": ""}),
    ("size", Integer, {"default": 0}),
    ("published", Boolean, {"default": False}),
    ("for_summary", Boolean, {"default": False}),
    ("created_at", Timestamptz, {"default": TimestamptzNow()}),
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="registrations", description=DESCRIPTION)
    manager.add_table(class_name="WrittenInput", tablename="written_input", schema=None, columns=None)
    for name, column_class, params in COLUMNS:
        manager.add_column(
            table_class_name="WrittenInput",
            tablename="written_input",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
