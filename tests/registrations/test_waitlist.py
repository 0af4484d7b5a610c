"""Promotion from the waitlist: on a raised capacity, and not after the cutoff before the start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
