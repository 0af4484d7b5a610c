"""Capacity under concurrency, on both engines, through real HTTP requests in parallel."""

from __future__ import annotations

import asyncio

import pytest

from events.tables import Session
from registrations.tables import Registration, StatusChange
from server.tables import OutboxMessage
from tests.conftest import IS_POSTGRES
from tests.registrations.conftest import REPEAT, make_session, submission


@pytest.fixture
def settings(unlimited):
    return unlimited


async def _burst(client, session_id: int, count: int, *, concurrency: int | None = None):
    """``count`` registrations of new addresses, ``concurrency`` at a time (default: all at once)."""
    url = f"/api/v1/sessions/{session_id}/registrations"
    slots = asyncio.Semaphore(concurrency or count)

    async def one(i: int):
        async with slots:
            return await client.post(url, json=submission(email=f"person{i}@example.org", name=f"Person {i}"))

    return await asyncio.gather(*(one(i) for i in range(count)))


async def test_concurrent_registrations_never_exceed_capacity(client):
    session_id = await make_session(capacity=50)

    responses = await _burst(client, session_id, 200)

    assert [r.status_code for r in responses] == [201] * 200
    statuses = [r.json()["status"] for r in responses]
    assert (statuses.count("confirmed"), statuses.count("waitlisted")) == (50, 150)
    positions = sorted(r.json()["waitlist_position"] for r in responses if r.json()["status"] == "waitlisted")
    assert positions == list(range(1, 151))
    session = await Session.select(Session.seats_taken).where(Session.id == session_id).first()
    assert session["seats_taken"] == 50
    assert await Registration.count().where(Registration.status == "confirmed") == 50
    # Arrival order is commit order: the waitlist mails, written under the session lock in the order the places
    # were taken, carry positions 1..150 for the registrations in waitlist order.
    waiting = await Registration.select(Registration.id, Registration.waitlist_order).where(
        Registration.status == "waitlisted"
    ).order_by(Registration.waitlist_order)
    assert [w["waitlist_order"] for w in waiting] == list(range(1, 151))
    mails = await OutboxMessage.select(OutboxMessage.context).where(
        OutboxMessage.template == "registration_waitlisted"
    ).order_by(OutboxMessage.id).output(load_json=True)
    assert [m["context"]["position"] for m in mails] == list(range(1, 151))
    assert [m["context"]["registration_id"] for m in mails] == [w["id"] for w in waiting]
    assert await OutboxMessage.count().where(OutboxMessage.template == "registration_confirmed") == 50
    assert await OutboxMessage.count().where(OutboxMessage.template == "registration_waitlisted") == 150


async def test_cancelling_promotes_exactly_first_waitlisted(client):
    session_id = await make_session(capacity=50)
    responses = await _burst(client, session_id, 60)
    confirmed = next(r.json() for r in responses if r.json()["status"] == "confirmed")
    first_waiting = next(r.json() for r in responses if r.json()["waitlist_position"] == 1)
    second_waiting = next(r.json() for r in responses if r.json()["waitlist_position"] == 2)
    token_url = confirmed["manage_url"].replace("http://convene.test/manage/", "/api/v1/manage/")

    cancelled = await client.delete(token_url)

    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    promoted = await Registration.select(Registration.id).where(Registration.status == "confirmed")
    assert len(promoted) == 50
    assert first_waiting["id"] in {p["id"] for p in promoted}
    second = await client.get(second_waiting["manage_url"].replace("http://convene.test/manage/", "/api/v1/manage/"))
    assert (second.json()["status"], second.json()["waitlist_position"]) == ("waitlisted", 1)
    history = await StatusChange.select(StatusChange.from_status, StatusChange.to_status, StatusChange.actor).where(
        StatusChange.registration == first_waiting["id"]
    ).order_by(StatusChange.id)
    assert history == [
        {"from_status": "", "to_status": "waitlisted", "actor": "registrant"},
        {"from_status": "waitlisted", "to_status": "confirmed", "actor": "system"},
    ]
    assert await OutboxMessage.count().where(OutboxMessage.template == "registration_promoted") == 1
    assert await OutboxMessage.count().where(OutboxMessage.template == "registration_cancelled") == 1


async def test_concurrent_repeats_of_one_email_make_one_registration(client):
    session_id = await make_session(capacity=10)
    url = f"/api/v1/sessions/{session_id}/registrations"

    responses = await asyncio.gather(*(client.post(url, json=submission()) for _ in range(50)))

    codes = sorted(r.status_code for r in responses)
    assert codes == [200] * 49 + [201]
    assert [r.json() for r in responses if r.status_code == 200] == [REPEAT] * 49
    assert await Registration.count() == 1
    session = await Session.select(Session.seats_taken).where(Session.id == session_id).first()
    assert session["seats_taken"] == 1
    assert await OutboxMessage.count().where(OutboxMessage.template == "registration_confirmed") == 1
    assert await OutboxMessage.count().where(OutboxMessage.template == "manage_link_resent") == 1  # throttled


async def test_concurrent_registrations_again_after_cancelling_take_one_place(client):
    session_id = await make_session(capacity=10)
    url = f"/api/v1/sessions/{session_id}/registrations"
    first = (await client.post(url, json=submission())).json()
    manage = first["manage_url"].replace("http://convene.test/manage/", "/api/v1/manage/")
    await client.delete(manage)

    responses = await asyncio.gather(*(client.post(f"{manage}/register-again") for _ in range(20)))

    assert sorted(r.status_code for r in responses) == [200] + [409] * 19
    assert {r.json()["status"] for r in responses if r.status_code == 200} == {"confirmed"}
    assert {r.json()["errors"][0]["field"] for r in responses if r.status_code == 409} == {"status"}
    session = await Session.select(Session.seats_taken).where(Session.id == session_id).first()
    assert session["seats_taken"] == 1
    assert await OutboxMessage.count().where(OutboxMessage.template == "registration_confirmed") == 2


async def test_a_cancellation_and_a_decline_at_once_free_the_seat_once(client, admin):
    session_id = await make_session(capacity=2)
    url = f"/api/v1/sessions/{session_id}/registrations"
    first = (await client.post(url, json=submission())).json()
    await client.post(url, json=submission(email="b@example.org"))
    manage = first["manage_url"].replace("http://convene.test/manage/", "/api/v1/manage/")

    cancelled, declined = await asyncio.gather(
        client.delete(manage),
        client.post(f"{url}/decline", json={"registration_ids": [first["id"]], "reason": "Duplicate"},
                    headers=admin.headers),
    )

    assert cancelled.status_code in (200, 409)
    assert declined.status_code == 200
    session = await Session.select(Session.seats_taken).where(Session.id == session_id).first()
    assert session["seats_taken"] == 1
    assert await StatusChange.count().where(StatusChange.registration == first["id"]) == 2


async def test_a_burst_while_the_mail_worker_writes_answers_every_registrant(settings, database, monkeypatch):
    """SQLite has one writer at a time: writers queue in the app, not in SQLite's busy loop, so even a busy
    timeout far shorter than the burst fails no request while the in-process worker claims and marks mail
    (before, some waited out the timeout and got a 500 "database is locked")."""
    from registrations import notifications
    from server.app import create_app
    from tests import mail_data
    from tests.server.helpers import running

    monkeypatch.setenv("CONVENE_MAIL_POLL_SECONDS", "0.01")
    app = create_app(settings, with_worker=True)
    if not IS_POSTGRES:  # SQLite's busy handler gives up after 50 ms instead of 30 s (the engine stays bound)
        monkeypatch.setitem(app.state.engine.connection_kwargs, "timeout", 0.05)
    earlier = await mail_data.make_session()
    for n in range(20):  # mail already due: the worker claims, sends and marks mail from the start
        pending = await mail_data.make_registration(earlier["id"], f"earlier{n}@example.org", status="pending")
        await notifications.notify_registration_pending(pending, settings=settings)
    session_id = await make_session(capacity=60)

    async with running(app) as http:
        responses = await _burst(http, session_id, 240, concurrency=50)
        for _ in range(600):  # then every message is delivered by the in-process worker (up to 60 s)
            if await OutboxMessage.count().where(OutboxMessage.status == "sent") == 260:
                break
            await asyncio.sleep(0.1)

    assert [r.status_code for r in responses] == [201] * 240
    statuses = [r.json()["status"] for r in responses]
    assert (statuses.count("confirmed"), statuses.count("waitlisted")) == (60, 180)
    assert (await Session.select(Session.seats_taken).where(Session.id == session_id).first())["seats_taken"] == 60
    assert await Registration.count().where(Registration.session == session_id) == 240
    assert await StatusChange.count() == 240
    assert await OutboxMessage.count().where(OutboxMessage.status == "sent") == 260
