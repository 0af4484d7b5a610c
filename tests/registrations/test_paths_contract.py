"""Both registration paths write the same rows (PostgreSQL, where both run): the lean asyncpg path the server uses
there, and the Piccolo path SQLite uses. Each case runs the same submissions into two fresh, equal sessions, one
per path, and compares every registration, status_change, need and outbox_message row, with only what must differ
(ids, times, nonces, message ids and the links built from them) put aside."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from registrations import fastpath, registering
from registrations.schemas import RegistrationCreate
from registrations.tables import Need, Registration, StatusChange
from server.tables import OutboxMessage, User
from tests.conftest import IS_POSTGRES, make_staff
from tests.registrations.conftest import assign, make_session, submission

pytestmark = pytest.mark.skipif(not IS_POSTGRES, reason="the lean path runs on PostgreSQL only")

PATHS = {
    "lean": fastpath.path_for,
    "piccolo": lambda transaction: fastpath.PiccoloPath(transaction.engine.engine_type),
}

NEEDS = {"interpretation_language": "fr", "accessibility_needs": ["captions_cart", "other"],
         "accessibility_other": "Step-free seat near the door"}
CASES = {
    "online: confirmed, then waitlisted twice": (
        {"capacity": 1},
        [{"email": "a@example.org"}, {"email": "b@example.org", **NEEDS}, {"email": "c@example.org"}],
    ),
    "in person and online: each pool its own seats and line": (
        {"venue": "Palais des Nations, Geneva", "capacity": 1, "in_person_capacity": 1},
        [
            {"email": "a@example.org", "participation_mode": "in_person", "personal_assistant": True},
            {"email": "b@example.org", "participation_mode": "in_person", **NEEDS},
            {"email": "c@example.org", "participation_mode": "online", "gender": "woman"},
            {"email": "d@example.org", "participation_mode": "online", "delegation_role": "member"},
        ],
    ),
    "approval: pending, organisers told": (
        {"audience": "approval", "capacity": 1},
        [{"email": "a@example.org", **NEEDS}, {"email": "b@example.org"}],
    ),
    "unlimited: everyone seated": ({}, [{"email": "a@example.org"}, {"email": "b@example.org"}]),
}

# Differ by nature between two runs: generated ids and nonces, times, and links and ids that carry them.
_APART = {"id", "session", "registration", "created_at", "updated_at", "consented_at", "manage_nonce", "message_id",
          "next_attempt_at", "session_id", "registration_id"}


def _kept(row: dict[str, Any], ids: dict[int, int]) -> dict[str, Any]:
    """``row`` without what must differ; the registration it belongs to as its place in arrival order."""
    kept = {key: value for key, value in row.items() if key not in _APART}
    owner = row.get("registration", row.get("registration_id"))
    if owner is not None:
        kept["registration_number"] = ids[owner]
    if "context" in kept:
        context = dict(kept["context"])
        for key in ("registration_id", "session_id", "manage_url"):
            context.pop(key, None)
        kept["context"] = context
    return kept


async def _rows(session_id: int) -> dict[str, list[dict[str, Any]]]:
    registrations = await Registration.select().where(Registration.session == session_id).order_by(Registration.id)
    ids = {row["id"]: number for number, row in enumerate(registrations)}
    changes = await StatusChange.select().where(StatusChange.registration.is_in(list(ids))).order_by(StatusChange.id)
    needs = await Need.select().where(Need.registration.is_in(list(ids))).order_by(Need.id)
    messages = await OutboxMessage.select().where(OutboxMessage.session_id == session_id).order_by(
        OutboxMessage.id
    ).output(load_json=True)
    return {
        "registration": [_kept(row, ids) for row in registrations],
        "status_change": [_kept(row, ids) for row in changes],
        "need": [_kept(row, ids) for row in needs],
        "outbox_message": [_kept(row, ids) for row in messages],
    }


async def _run(path: str, columns: dict[str, Any], bodies: list[dict[str, Any]], settings, staff_id: int):
    session_id = await make_session(**columns)
    await assign(session_id, staff_id)
    for body in bodies:
        data = msgspec.convert(submission(**body), RegistrationCreate)
        await registering.register(session_id, data, settings=settings, path_for=PATHS[path])
    return await _rows(session_id)


@pytest.mark.parametrize("case", list(CASES))
async def test_both_paths_write_the_same_rows(case, settings, database):
    columns, bodies = CASES[case]
    organiser = await make_staff("organiser@example.org", "organiser")
    await User.update({User.notify_staff: True}).where(User.id == organiser.id)

    lean = await _run("lean", columns, bodies, settings, organiser.id)
    piccolo = await _run("piccolo", columns, bodies, settings, organiser.id)

    assert lean == piccolo
    # The case did what it says (so that equality is not of two empty or trivial sets).
    assert len(lean["registration"]) == len(bodies)
    assert len(lean["status_change"]) == len(bodies)
    assert len(lean["outbox_message"]) >= len(bodies)


async def test_comparison_sees_a_difference(settings, database):
    """Canary: the comparison notices rows that differ in a kept column."""
    organiser = await make_staff("organiser@example.org", "organiser")
    lean = await _run("lean", {"capacity": 1}, [{"email": "a@example.org"}], settings, organiser.id)
    other = await _run("piccolo", {"capacity": 1}, [{"email": "a@example.org", "organisation": "Other"}],
                       settings, organiser.id)

    assert lean["registration"] != other["registration"]
