"""The seat rule under concurrency, and the statements' parameter styles.

On PostgreSQL a statement reads the snapshot taken when it started: a newcomer whose claim waited for the session
lock must still see the waitlist place committed during that wait (registrations/seats.py)."""

from __future__ import annotations

import asyncio
import importlib
from datetime import UTC, datetime, timedelta

import asyncpg
import msgspec
import pytest

from events.tables import Session
from registrations import approvals, manage, registering, seats
from registrations.retention import purge_expired
from registrations.schemas import RegistrationCreate
from registrations.tables import Registration
from registrations.waitlist import fill_waitlists
from server.auth import StaffUser
from server.errors import Conflict
from tests.conftest import IS_POSTGRES, TEST_DATABASE_URL
from tests.mail_data import make_registration
from tests.registrations.conftest import make_session, submission
from tests.registrations.test_paths_contract import PATHS

_WAITING_PLACE = """
INSERT INTO registration (session, name, email, organisation, stakeholder_category, country, preferred_language,
  timezone, participation_mode, personal_assistant, consent_processing, consent_listed, consent_recorded,
  consented_at, consent_text_version, status, waitlist_order, manage_nonce, created_at, updated_at)
VALUES ($1, 'Waiting', 'waiting@example.org', '', 'civil_society', 'CH', 'en', 'UTC', 'online', false, true, false,
  false, now(), '', 'waitlisted', 1, 'nonce', now(), now())
"""


async def _lock_waiters(connection: asyncpg.Connection) -> int:
    return await connection.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )


@pytest.mark.skipif(not IS_POSTGRES, reason="SQLite serialises writers whole: no snapshot older than the lock")
@pytest.mark.parametrize("path", list(PATHS))
async def test_newcomer_waiting_for_the_lock_does_not_pass_a_place_committed_meanwhile(path, settings, database):
    # After the promotion cutoff, so a freed seat stays free while people wait; one seat, free when the newcomer
    # starts (so its claim qualifies on the version it first reads).
    starts_at = datetime.now(UTC) + timedelta(days=14)
    session_id = await make_session(starts_at=starts_at, ends_at=starts_at + timedelta(hours=2), capacity=1,
                                    waitlist_cutoff_minutes=60 * 24 * 30)
    other = await asyncpg.connect(TEST_DATABASE_URL)
    try:
        # Another transaction holds the session row: the seat is taken, someone takes a waitlist place, and the
        # seat is given back (a cancellation after the cutoff: nobody promoted).
        transaction = other.transaction()
        await transaction.start()
        await other.execute(seats.numbered(seats.LOCK_SESSION, ("session",)), session_id)
        await other.execute(seats.numbered(seats.claim("online", behind_waitlist=False), ("session",)), session_id)
        await other.execute(_WAITING_PLACE, session_id)
        await other.execute(seats.numbered(seats.release("online"), ("session",)), session_id)
        data = msgspec.convert(submission(email="newcomer@example.org"), RegistrationCreate)
        newcomer = asyncio.create_task(
            registering.register(session_id, data, settings=settings, path_for=PATHS[path])
        )
        for _ in range(500):  # until the newcomer waits for the lock
            if await _lock_waiters(other):
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)
        assert not newcomer.done()  # it waits for the session row
        await transaction.commit()
        outcome = await newcomer
    finally:
        await other.close()

    assert (outcome.reply.status, outcome.reply.waitlist_position) == ("waitlisted", 2)
    rows = await Registration.select(Registration.email, Registration.status, Registration.waitlist_order).where(
        Registration.session == session_id
    ).order_by(Registration.waitlist_order)
    assert rows == [
        {"email": "waiting@example.org", "status": "waitlisted", "waitlist_order": 1},
        {"email": "newcomer@example.org", "status": "waitlisted", "waitlist_order": 2},
    ]


@pytest.mark.engine_independent
def test_named_parameters_become_each_driver_s_own():
    sql = "SELECT 1 FROM registration WHERE session = :session AND participation_mode = :mode AND id > :session"

    assert seats.numbered(sql, ("session", "mode")) == (
        "SELECT 1 FROM registration WHERE session = $1 AND participation_mode = $2 AND id > $1"
    )
    assert seats.for_piccolo(sql, {"session": 7, "mode": "online"}) == (
        "SELECT 1 FROM registration WHERE session = {} AND participation_mode = {} AND id > {}", [7, "online", 7]
    )


async def _raw(sql: str, **values) -> list[dict]:
    query, ordered = seats.for_piccolo(sql, values)
    return await Registration.raw(query, *ordered)


async def _line(session_id: int, mode: str) -> dict[str, int]:
    return (await _raw(seats.next_in_line(mode), session=session_id, mode=mode))[0]


async def test_the_line_of_a_mode_counts_only_who_waits_in_it(database):
    session_id = await make_session(capacity=1, in_person_capacity=1)
    await make_registration(session_id, "seated@example.org")
    await make_registration(session_id, "w1@example.org", status="waitlisted", waitlist_order=1)
    await make_registration(session_id, "w2@example.org", status="waitlisted", waitlist_order=2)
    await make_registration(session_id, "w4@example.org", status="waitlisted", waitlist_order=4)
    await make_registration(session_id, "hall@example.org", status="waitlisted", waitlist_order=7,
                            participation_mode="in_person")
    await make_registration(session_id, "gone@example.org", status="cancelled")  # in no line

    assert await _line(session_id, "online") == {"next_order": 5, "position": 4}
    assert await _line(session_id, "in_person") == {"next_order": 8, "position": 2}
    assert await _line(await make_session(), "online") == {"next_order": 1, "position": 1}


@pytest.mark.skipif(IS_POSTGRES, reason="PostgreSQL's plan for a few rows is its statistics' choice")
async def test_the_line_is_read_not_counted(database):
    # Read under the session lock by every newcomer who gets no seat: counting the line there made each place in
    # line cost more than the one before (bench/registration_burst.py).
    plan = await _raw(f"EXPLAIN QUERY PLAN {seats.next_in_line('online')}", session=1, mode="online")

    assert [row["detail"] for row in plan] == [
        "SEARCH event_session USING INTEGER PRIMARY KEY (rowid=?)",
        "SCALAR SUBQUERY 1",
        "SEARCH registration USING COVERING INDEX registration_line"
        " (session=? AND participation_mode=? AND status=?)",
    ]


async def _kept_and_counted(session_id: int) -> tuple[dict, dict]:
    kept = (await _raw("SELECT waiting, in_person_waiting FROM event_session WHERE id = :session",
                       session=session_id))[0]
    counted = (await _raw(
        "SELECT COALESCE(SUM(CASE WHEN participation_mode = 'online' THEN 1 ELSE 0 END), 0) AS waiting,"
        " COALESCE(SUM(CASE WHEN participation_mode = 'in_person' THEN 1 ELSE 0 END), 0) AS in_person_waiting"
        " FROM registration WHERE session = :session AND status = 'waitlisted'", session=session_id,
    ))[0]
    return kept, counted


async def test_the_database_keeps_each_line_s_length_through_every_change(database):
    # Whatever writes a registration (a path of ours, an organiser's tool on the database), the session row's
    # lengths follow: joining, leaving, changing mode or session, being deleted.
    first, second = await make_session(), await make_session()
    a = await make_registration(first, "a@example.org", status="waitlisted", waitlist_order=1)
    b = await make_registration(first, "b@example.org", status="waitlisted", waitlist_order=2)
    c = await make_registration(first, "c@example.org", status="pending")
    await make_registration(first, "d@example.org", status="waitlisted", waitlist_order=1,
                            participation_mode="in_person")
    assert await _kept_and_counted(first) == ({"waiting": 2, "in_person_waiting": 1},) * 2

    steps = [
        ({Registration.status: "confirmed", Registration.waitlist_order: None}, a["id"]),  # promoted
        ({Registration.status: "waitlisted", Registration.waitlist_order: 3}, c["id"]),  # approved into the line
        ({Registration.participation_mode: "in_person"}, b["id"]),  # changes line
        ({Registration.name: "Renamed"}, b["id"]),  # no line moves
        ({Registration.status: "waitlisted"}, b["id"]),  # stays where it is
        ({Registration.session: second}, c["id"]),  # to another session's line
    ]
    for values, registration_id in steps:
        await Registration.update(values).where(Registration.id == registration_id)
    assert await _kept_and_counted(first) == ({"waiting": 0, "in_person_waiting": 2},) * 2
    assert await _kept_and_counted(second) == ({"waiting": 1, "in_person_waiting": 0},) * 2

    await Registration.delete().where(Registration.id == b["id"])
    assert await _kept_and_counted(first) == ({"waiting": 0, "in_person_waiting": 1},) * 2

    await _raw("DELETE FROM event_session WHERE id = :session", session=first)  # its line goes with it
    assert await Registration.count().where(Registration.session == first) == 0
    assert await _kept_and_counted(second) == ({"waiting": 1, "in_person_waiting": 0},) * 2


async def test_the_upgrade_counts_the_lines_already_there(database):
    # Sessions with a line before the upgrade: the migration that adds the triggers counts each line once.
    upgrade = importlib.import_module("migrations.registrations.registrations_2026_12_04t00_20_01_000000")
    session_id = await make_session()
    await make_registration(session_id, "a@example.org", status="waitlisted", waitlist_order=1)
    await make_registration(session_id, "b@example.org", status="waitlisted", waitlist_order=1,
                            participation_mode="in_person")
    await make_registration(session_id, "c@example.org", status="confirmed")
    await _raw("UPDATE event_session SET waiting = 0, in_person_waiting = 0 WHERE id = :session", session=session_id)

    await _raw(upgrade._BACKFILL)

    assert await _kept_and_counted(session_id) == ({"waiting": 1, "in_person_waiting": 1},) * 2


async def _registered(session_id: int, email: str, settings, **body) -> int:
    data = msgspec.convert(submission(email=email, **body), RegistrationCreate)
    outcome = await registering.register(session_id, data, settings=settings)
    return outcome.reply.id


async def _now(registration_id: int) -> dict:
    return await Registration.select().where(Registration.id == registration_id).first()


async def _lines(session_id: int) -> dict[str, int]:
    """The session row's lengths, after checking them against a count, and that exactly the waitlisted hold a
    waitlist order, each order once in its line."""
    kept, counted = await _kept_and_counted(session_id)
    assert kept == counted
    rows = await Registration.select().where(Registration.session == session_id)
    assert [r["id"] for r in rows if (r["status"] == "waitlisted") != (r["waitlist_order"] is not None)] == []
    orders = [(r["participation_mode"], r["waitlist_order"]) for r in rows if r["status"] == "waitlisted"]
    assert len(orders) == len(set(orders))
    return kept


async def test_every_path_that_moves_a_registration_keeps_the_lines(settings, admin):
    user = StaffUser(id=admin.id, email=admin.email, name="Admin", role="admin", preferred_language="en")
    session_id = await make_session(capacity=1)
    a, b, c, d = [await _registered(session_id, f"{x}@example.org", settings) for x in "abcd"]
    assert [(await _now(x))["status"] for x in (a, b, c, d)] == ["confirmed", "waitlisted", "waitlisted", "waitlisted"]
    assert await _lines(session_id) == {"waiting": 3, "in_person_waiting": 0}

    await manage.cancel(await _now(c), settings=settings)
    assert await _lines(session_id) == {"waiting": 2, "in_person_waiting": 0}
    await registering.register_again(await _now(c), settings=settings)
    assert await _lines(session_id) == {"waiting": 3, "in_person_waiting": 0}
    await approvals.move(session_id, a, "waitlisted", user=user, settings=settings)  # b promoted, a at the head
    assert ((await _now(a))["status"], (await _now(b))["status"]) == ("waitlisted", "confirmed")
    assert await _lines(session_id) == {"waiting": 3, "in_person_waiting": 0}
    await manage.cancel(await _now(b), settings=settings)  # the seat freed goes to a
    assert (await _now(a))["status"] == "confirmed"
    assert await _lines(session_id) == {"waiting": 2, "in_person_waiting": 0}
    await Session.update({Session.capacity: 2}).where(Session.id == session_id)  # outside the API: the job fills it
    await fill_waitlists(settings)
    assert ((await _now(d))["status"], (await _now(c))["status"]) == ("confirmed", "waitlisted")  # c came back last
    assert await _lines(session_id) == {"waiting": 1, "in_person_waiting": 0}
    await Session.update({Session.capacity: 3}).where(Session.id == session_id)
    await approvals.move(session_id, c, "confirmed", user=user, settings=settings)
    assert await _lines(session_id) == {"waiting": 0, "in_person_waiting": 0}
    e, f = [await _registered(session_id, f"{x}@example.org", settings) for x in "ef"]
    assert await _lines(session_id) == {"waiting": 2, "in_person_waiting": 0}
    await approvals.decline(session_id, [e], "Full", user=user, settings=settings)
    await manage.erase(await _now(f), settings=settings)
    assert await _lines(session_id) == {"waiting": 0, "in_person_waiting": 0}

    hybrid = await make_session(kind="hybrid", capacity=1, in_person_capacity=1, audience="approval", venue="Hall")
    pending = [await _registered(hybrid, f"p{i}@example.org", settings, participation_mode="in_person")
               for i in range(3)]
    await approvals.approve(hybrid, pending, user=user, settings=settings)
    assert await _lines(hybrid) == {"waiting": 0, "in_person_waiting": 2}
    ended = datetime.now(UTC) - timedelta(days=40)
    await Session.update({Session.starts_at: ended - timedelta(hours=2), Session.ends_at: ended,
                          Session.retention_days: 1}).where(Session.id == hybrid)
    await purge_expired(settings)  # anonymised, still in line
    assert await _lines(hybrid) == {"waiting": 0, "in_person_waiting": 2}


@pytest.mark.skipif(not IS_POSTGRES, reason="SQLite runs one write transaction at a time: no interleaving")
async def test_an_organiser_s_move_waits_for_a_decline_in_progress(settings, admin):
    # The move takes the session row before it reads the registration, as every path does: reading first, it saw
    # the registration still waitlisted, waited for the seat, and then confirmed a registrant just declined.
    session_id = await make_session(capacity=1)
    waiting = await make_registration(session_id, "wait@example.org", status="waitlisted", waitlist_order=1)
    user = StaffUser(id=admin.id, email=admin.email, name="Admin", role="admin", preferred_language="en")
    other = await asyncpg.connect(TEST_DATABASE_URL)
    try:
        transaction = other.transaction()
        await transaction.start()
        await other.execute(seats.numbered(seats.LOCK_SESSION, ("session",)), session_id)  # as a decline does
        await other.execute("UPDATE registration SET status = 'declined', waitlist_order = NULL WHERE id = $1",
                            waiting["id"])
        move = asyncio.create_task(approvals.move(session_id, waiting["id"], "confirmed", user=user,
                                                  settings=settings))
        for _ in range(300):
            if await _lock_waiters(other):
                break
            await asyncio.sleep(0.01)
        await transaction.commit()
    finally:
        await other.close()

    with pytest.raises(Conflict):
        await move
    assert (await _now(waiting["id"]))["status"] == "declined"
    assert (await Session.select(Session.seats_taken).where(Session.id == session_id).first()) == {"seats_taken": 0}
    assert await _lines(session_id) == {"waiting": 0, "in_person_waiting": 0}


async def test_a_walk_in_gives_back_no_seat_and_is_not_moved(settings, admin):
    # Let in at the door without taking a seat (registrations.checkin): declining or cancelling one frees none, so
    # nobody is let in above the capacity; moving one has no seat to give up.
    session_id = await make_session(capacity=1, seats_taken=1)
    await make_registration(session_id, "seated@example.org")
    waiting = await make_registration(session_id, "wait@example.org", status="waitlisted", waitlist_order=1)
    walk_in = await make_registration(session_id, "door@example.org", walk_in=True)
    user = StaffUser(id=admin.id, email=admin.email, name="Admin", role="admin", preferred_language="en")

    for to in ("waitlisted", "confirmed"):
        with pytest.raises(Conflict) as refused:
            await approvals.move(session_id, walk_in["id"], to, user=user, settings=settings)
        assert [(e.field, e.message) for e in refused.value.errors] == [
            ("to", "A walk-in took no seat and cannot be moved.")
        ]
    await approvals.decline(session_id, [walk_in["id"]], "Left early", user=user, settings=settings)

    assert (await _now(walk_in["id"]))["status"] == "declined"
    assert (await _now(waiting["id"]))["status"] == "waitlisted"
    assert (await Session.select(Session.seats_taken).where(Session.id == session_id).first()) == {"seats_taken": 1}
    assert await _lines(session_id) == {"waiting": 1, "in_person_waiting": 0}
