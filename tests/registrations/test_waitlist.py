"""Promotion from the waitlist: on a raised capacity, and not after the cutoff before the start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from events.tables import Session
from registrations.tables import Registration
from server.tables import OutboxMessage
from tests.registrations.conftest import make_session, submission


async def _register(client, session_id: int, email: str) -> dict:
    response = await client.post(f"/api/v1/sessions/{session_id}/registrations", json=submission(email=email))
    assert response.status_code == 201, response.text
    return response.json()


async def test_raising_capacity_promotes_in_order(client, admin):
    session_id = await make_session(capacity=1)
    for email in ("a@example.org", "b@example.org", "c@example.org"):
        await _register(client, session_id, email)

    response = await client.patch(f"/api/v1/sessions/{session_id}", json={"capacity": 2}, headers=admin.headers)

    assert response.status_code == 200, response.text
    statuses = await Registration.select(Registration.email, Registration.status).order_by(Registration.id)
    assert [s["status"] for s in statuses] == ["confirmed", "confirmed", "waitlisted"]
    assert await OutboxMessage.count().where(OutboxMessage.template == "registration_promoted") == 1


async def test_no_promotion_after_cutoff(client):
    starts_at = datetime.now(UTC) + timedelta(minutes=90)
    session_id = await make_session(capacity=1, starts_at=starts_at, ends_at=starts_at + timedelta(hours=1),
                                    registration_closes_at=starts_at)
    first = await _register(client, session_id, "a@example.org")
    await _register(client, session_id, "b@example.org")

    await client.delete(first["manage_url"].replace("http://convene.test/manage/", "/api/v1/manage/"))

    statuses = await Registration.select(Registration.status).order_by(Registration.id)
    assert [s["status"] for s in statuses] == ["cancelled", "waitlisted"]
    assert await OutboxMessage.count().where(OutboxMessage.template == "registration_promoted") == 0


def _after_cutoff() -> dict:
    """A session starting in 90 minutes: inside the default 2-hour cutoff, registration still open."""
    starts_at = datetime.now(UTC) + timedelta(minutes=90)
    return {"starts_at": starts_at, "ends_at": starts_at + timedelta(hours=1), "registration_closes_at": starts_at}


async def _statuses() -> list[tuple[str, str, int | None]]:
    rows = await Registration.select(Registration.email, Registration.status, Registration.waitlist_order).order_by(
        Registration.id
    )
    return [(r["email"], r["status"], r["waitlist_order"]) for r in rows]


async def _move(client, admin, session_id: int, registration_id: int, to: str):
    return await client.post(
        f"/api/v1/sessions/{session_id}/registrations/{registration_id}/move", json={"to": to}, headers=admin.headers
    )


async def test_seat_given_up_by_move_goes_to_first_in_line_and_newcomer_waits(client, admin):
    session_id = await make_session(capacity=2)
    first = await _register(client, session_id, "a@example.org")
    await _register(client, session_id, "b@example.org")
    await _register(client, session_id, "c@example.org")

    moved = await _move(client, admin, session_id, first["id"], "waitlisted")
    newcomer = await _register(client, session_id, "d@example.org")

    assert moved.status_code == 200
    assert (newcomer["status"], newcomer["waitlist_position"]) == ("waitlisted", 2)
    assert await _statuses() == [
        ("a@example.org", "waitlisted", 0), ("b@example.org", "confirmed", None),
        ("c@example.org", "confirmed", None), ("d@example.org", "waitlisted", 1),
    ]


async def test_move_to_waitlist_refused_when_the_seat_would_come_straight_back(client, admin):
    session_id = await make_session(capacity=2)
    first = await _register(client, session_id, "a@example.org")

    response = await _move(client, admin, session_id, first["id"], "waitlisted")

    assert (response.status_code, [e["field"] for e in response.json()["errors"]]) == (409, ["to"])
    assert await _statuses() == [("a@example.org", "confirmed", None)]
    assert (await Session.select(Session.seats_taken).first())["seats_taken"] == 1


async def test_after_cutoff_seat_freed_by_move_waits_for_organisers_not_newcomers(client, admin):
    session_id = await make_session(capacity=1, **_after_cutoff())
    first = await _register(client, session_id, "a@example.org")

    moved = await _move(client, admin, session_id, first["id"], "waitlisted")
    newcomer = await _register(client, session_id, "b@example.org")
    confirmed_by_hand = await _move(client, admin, session_id, newcomer["id"], "confirmed")

    assert moved.status_code == 200
    assert (newcomer["status"], newcomer["waitlist_position"]) == ("waitlisted", 2)
    assert confirmed_by_hand.status_code == 200
    assert await _statuses() == [("a@example.org", "waitlisted", 0), ("b@example.org", "confirmed", None)]


async def test_after_cutoff_seat_freed_by_cancellation_not_taken_by_newcomer(client):
    session_id = await make_session(capacity=1, **_after_cutoff())
    first = await _register(client, session_id, "a@example.org")
    await _register(client, session_id, "b@example.org")
    await client.delete(first["manage_url"].replace("http://convene.test/manage/", "/api/v1/manage/"))

    newcomer = await _register(client, session_id, "c@example.org")

    assert (newcomer["status"], newcomer["waitlist_position"]) == ("waitlisted", 2)
    assert await _statuses() == [
        ("a@example.org", "cancelled", None), ("b@example.org", "waitlisted", 1), ("c@example.org", "waitlisted", 2),
    ]
    assert (await Session.select(Session.seats_taken).first())["seats_taken"] == 0


async def test_after_cutoff_approved_registration_joins_the_waitlist_behind_others(client, admin):
    session_id = await make_session(capacity=1, audience="approval", **_after_cutoff())
    ids = [(await _register(client, session_id, f"{name}@example.org"))["id"] for name in ("a", "b", "c")]
    url = f"/api/v1/sessions/{session_id}/registrations"
    await client.post(f"{url}/approve", json={"registration_ids": ids[:2]}, headers=admin.headers)
    await client.post(f"{url}/decline", json={"registration_ids": [ids[0]], "reason": "Duplicate"},
                      headers=admin.headers)

    approved = await client.post(f"{url}/approve", json={"registration_ids": [ids[2]]}, headers=admin.headers)

    assert approved.json() == {"updated": 1}
    assert await _statuses() == [
        ("a@example.org", "declined", None), ("b@example.org", "waitlisted", 1), ("c@example.org", "waitlisted", 2),
    ]
