"""The outbox's session_id and registration_id columns: written with every message, filled by the migration for
rows written before them, cleared of the registration when a message is forgotten."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from server.mail.outbox import enqueue, forgotten_fields
from server.tables import OutboxMessage

FILL_MIGRATION = (
    Path(__file__).resolve().parents[2] / "migrations" / "server" / "server_2026_12_03t13_35_17_000000.py"
)


def _fill_migration():
    spec = importlib.util.spec_from_file_location("fill_outbox_ids", FILL_MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def _ids() -> list[tuple[int | None, int | None]]:
    rows = await OutboxMessage.select(OutboxMessage.session_id, OutboxMessage.registration_id).order_by(
        OutboxMessage.id
    )
    return [(row["session_id"], row["registration_id"]) for row in rows]


async def test_enqueue_copies_the_ids_the_context_names(database):
    await enqueue(template="registration_confirmed", to_address="a@example.org", language="en", timezone="UTC",
                  context={"session_id": 4, "registration_id": 11, "sequence": 0})
    await enqueue(template="staff_approval_needed", to_address="s@example.org", language="en", timezone="UTC",
                  context={"session_id": 4})
    await enqueue(template="odd", to_address="b@example.org", language="en", timezone="UTC",
                  context={"session_id": "4", "registration_id": True})

    assert await _ids() == [(4, 11), (4, None), (None, None)]


async def test_the_migration_fills_the_ids_of_rows_written_before_the_columns(database):
    for n, context in enumerate(({"session_id": 3, "registration_id": 9}, {}, {"session_id": "x"}, {"session_id": 5})):
        await OutboxMessage.insert(OutboxMessage(template="t", to_address=f"{n}@example.org", context=context,
                                                 message_id=f"<{n}@test>"))
    assert await _ids() == [(None, None)] * 4

    await _fill_migration()._fill()

    assert await _ids() == [(3, 9), (None, None), (None, None), (5, None)]


async def test_forgetting_keeps_the_session_and_drops_the_registration(database):
    row = {"context": {"session_id": 3, "registration_id": 9, "name": "Ana"}}

    assert forgotten_fields(row) == {
        OutboxMessage.to_address: "",
        OutboxMessage.context: {"session_id": 3},
        OutboxMessage.registration_id: None,
    }
