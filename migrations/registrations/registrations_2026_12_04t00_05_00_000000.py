"""The waitlist line of one participation mode, read under the session lock by every newcomer who gets no seat:
its next order and its length come from this index alone (before: every registration of the session was read,
so each place in line cost more than the one before)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-04T00:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "waitlist line index (session, participation_mode, status, waitlist_order)"


async def _create_index():
    await engine_finder().run_ddl(
        "CREATE INDEX registration_line ON registration (session, participation_mode, status, waitlist_order)"
    )


async def _drop_index():
    await engine_finder().run_ddl("DROP INDEX registration_line")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="registrations", description=DESCRIPTION)
    manager.add_raw(_create_index)
    manager.add_raw_backwards(_drop_index)
    return manager
