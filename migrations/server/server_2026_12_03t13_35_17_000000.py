"""Fill outbox_message.session_id and registration_id from each existing row's JSON context (a separate migration,
as raw statements run before a migration's columns are added). Ids that are not whole numbers stay null."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-12-03T13:35:17:000000"
VERSION = "1.38.0"
DESCRIPTION = "fill outbox_message.session_id and registration_id from the context"

_POSTGRES = """
UPDATE outbox_message SET
    session_id = CASE WHEN jsonb_typeof(context::jsonb -> 'session_id') = 'number'
                      THEN (context::jsonb ->> 'session_id')::numeric::integer END,
    registration_id = CASE WHEN jsonb_typeof(context::jsonb -> 'registration_id') = 'number'
                           THEN (context::jsonb ->> 'registration_id')::numeric::integer END
"""
_SQLITE = """
UPDATE outbox_message SET
    session_id = CASE WHEN json_type(context, '$.session_id') = 'integer'
                      THEN json_extract(context, '$.session_id') END,
    registration_id = CASE WHEN json_type(context, '$.registration_id') = 'integer'
                           THEN json_extract(context, '$.registration_id') END
WHERE json_valid(context)
"""


async def _fill():
    engine = engine_finder()
    await engine.run_ddl(_POSTGRES if isinstance(engine, PostgresEngine) else _SQLITE)


async def _nothing():
    """Going back, the columns go with the previous migration."""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="server", description=DESCRIPTION)
    manager.add_raw(_fill)
    manager.add_raw_backwards(_nothing)
    return manager
