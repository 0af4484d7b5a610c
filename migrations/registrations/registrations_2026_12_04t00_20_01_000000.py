"""The session row's ``waiting`` and ``in_person_waiting`` (events' migration of 2026-12-04T00:20:00) kept by the
database: every insert, status or mode change and delete of a registration that joins or leaves a waitlist moves
them, whichever code path writes it (they were counted under the session lock, at a cost that grew with the line).
The statements run with the change, in its transaction; every path that moves a registration in or out of a line
holds the session lock already. Existing lines are counted once here."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-04T00:20:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "waitlist lengths on the session row, kept by triggers"

_COUNT = (
    "(SELECT COUNT(*) FROM registration WHERE registration.session = event_session.id"
    " AND registration.participation_mode = '{mode}' AND registration.status = 'waitlisted')"
)
_BACKFILL = (
    f"UPDATE event_session SET waiting = {_COUNT.format(mode='online')},"
    f" in_person_waiting = {_COUNT.format(mode='in_person')}"
)


def _move(row: str, sign: str, as_int: str) -> str:
    """One registration ``row`` (OLD or NEW) leaves (``-``) or joins (``+``) its mode's line."""
    return (
        f"UPDATE event_session SET waiting = waiting {sign} ({row}.participation_mode = 'online'){as_int},"
        f" in_person_waiting = in_person_waiting {sign} ({row}.participation_mode = 'in_person'){as_int}"
        f" WHERE id = {row}.session"
    )


_SQLITE = (
    f"""CREATE TRIGGER registration_joins_line AFTER INSERT ON registration WHEN NEW.status = 'waitlisted'
    BEGIN {_move('NEW', '+', '')}; END""",
    f"""CREATE TRIGGER registration_leaves_line AFTER DELETE ON registration WHEN OLD.status = 'waitlisted'
    BEGIN {_move('OLD', '-', '')}; END""",
    f"""CREATE TRIGGER registration_changes_line AFTER UPDATE OF status, participation_mode, session ON registration
    WHEN OLD.status = 'waitlisted' OR NEW.status = 'waitlisted'
    BEGIN
      {_move('OLD', '-', '')} AND OLD.status = 'waitlisted';
      {_move('NEW', '+', '')} AND NEW.status = 'waitlisted';
    END""",
)
_POSTGRES = (
    f"""CREATE FUNCTION registration_line_moved() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP <> 'INSERT' THEN
        IF OLD.status = 'waitlisted' THEN {_move('OLD', '-', '::int')}; END IF;
      END IF;
      IF TG_OP <> 'DELETE' THEN
        IF NEW.status = 'waitlisted' THEN {_move('NEW', '+', '::int')}; END IF;
      END IF;
      RETURN NULL;
    END $$""",
    """CREATE TRIGGER registration_joins_line AFTER INSERT ON registration FOR EACH ROW
    WHEN (NEW.status = 'waitlisted') EXECUTE FUNCTION registration_line_moved()""",
    """CREATE TRIGGER registration_leaves_line AFTER DELETE ON registration FOR EACH ROW
    WHEN (OLD.status = 'waitlisted') EXECUTE FUNCTION registration_line_moved()""",
    """CREATE TRIGGER registration_changes_line AFTER UPDATE OF status, participation_mode, session ON registration
    FOR EACH ROW WHEN (OLD.status = 'waitlisted' OR NEW.status = 'waitlisted')
    EXECUTE FUNCTION registration_line_moved()""",
)
_TRIGGERS = ("registration_joins_line", "registration_leaves_line", "registration_changes_line")


async def _create():
    engine = engine_finder()
    for statement in (*(_POSTGRES if engine.engine_type == "postgres" else _SQLITE), _BACKFILL):
        await engine.run_ddl(statement)


async def _drop():
    engine = engine_finder()
    for name in _TRIGGERS:
        await engine.run_ddl(f"DROP TRIGGER {name}" + (" ON registration" if engine.engine_type == "postgres" else ""))
    if engine.engine_type == "postgres":
        await engine.run_ddl("DROP FUNCTION registration_line_moved()")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="registrations", description=DESCRIPTION)
    manager.add_raw(_create)
    manager.add_raw_backwards(_drop)
    return manager
