"""The staff outbox page: who sees which mail, the preview, and the retry button."""

from __future__ import annotations

import httpx

from events.tables import SessionOrganiser
from registrations import notifications
from server.mail.worker import claim_batch
from server.settings import Settings
from server.tables import OutboxMessage
from tests.conftest import Staff, login_cookie_client
from tests.mail_data import make_registration, make_session


async def _two_sessions_with_mail(settings: Settings, organiser: Staff) -> tuple[dict, dict]:
    mine = await make_session()
    other = await make_session(title={"en": "Someone else's session"})
    await SessionOrganiser.insert(SessionOrganiser(session=mine["id"], user=organiser.id))
    for session, address in ((mine, "mine@example.org"), (other, "theirs@example.org")):
        reg = await make_registration(session["id"], address)
        await notifications.notify_registration_confirmed(reg, settings=settings)
    return mine, other


async def test_admin_sees_all_mail(client: httpx.AsyncClient, settings: Settings, admin: Staff, organiser: Staff):
    await _two_sessions_with_mail(settings, organiser)
    await login_cookie_client(client, admin)

    response = await client.get("/staff/outbox")

    assert response.status_code == 200
    assert ("mine@example.org" in response.text, "theirs@example.org" in response.text) == (True, True)
    assert ("#1 Registration confirmed" in response.text, "registration_confirmed" in response.text) == (True, False)


async def test_organiser_sees_only_their_sessions_mail(
    client: httpx.AsyncClient, settings: Settings, organiser: Staff
):
    await _two_sessions_with_mail(settings, organiser)
    await login_cookie_client(client, organiser)

    listing = await client.get("/staff/outbox")
    foreign = await client.get("/staff/outbox/2")

    assert ("mine@example.org" in listing.text, "theirs@example.org" in listing.text) == (True, False)
    assert foreign.status_code == 404


async def test_outbox_needs_a_staff_login(client: httpx.AsyncClient):
    response = await client.get("/staff/outbox")

    assert (response.status_code, response.headers["location"].startswith("/staff/login")) == (302, True)


async def test_preview_shows_the_rendered_message(
    client: httpx.AsyncClient, settings: Settings, admin: Staff, organiser: Staff
):
    await _two_sessions_with_mail(settings, organiser)
    await login_cookie_client(client, admin)

    page = await client.get("/staff/outbox/1")
    html = await client.get("/staff/outbox/1/message.html")
    eml = await client.get("/staff/outbox/1/message.eml")

    assert page.status_code == 200
    assert "Registered: Migration data for policy" in page.text
    assert "REQUEST" in page.text
    assert html.headers["content-security-policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"
    )
    assert '<html lang="en" dir="ltr">' in html.text
    assert b"Content-Type: text/calendar; charset=\"utf-8\"; method=\"REQUEST\"" in eml.content


async def test_retry_requeues_a_failed_message(
    client: httpx.AsyncClient, settings: Settings, admin: Staff, organiser: Staff
):
    await _two_sessions_with_mail(settings, organiser)
    await OutboxMessage.update(
        {OutboxMessage.status: "failed", OutboxMessage.attempts: 3, OutboxMessage.last_error: "550 No such user"}
    ).where(OutboxMessage.id == 1)
    await login_cookie_client(client, admin)
    listing = await client.get("/staff/outbox", params={"status": "failed"})

    response = await client.post("/staff/outbox/1/retry", data={"_csrf_token": client.cookies["convene_csrf"]})

    assert "550 No such user" in listing.text
    assert (response.status_code, response.headers["location"]) == (303, "/staff/outbox/1")
    row = await OutboxMessage.select(OutboxMessage.status, OutboxMessage.attempts).where(OutboxMessage.id == 1).first()
    assert row == {"status": "queued", "attempts": 0}


async def test_retry_without_csrf_token_is_refused(
    client: httpx.AsyncClient, settings: Settings, admin: Staff, organiser: Staff
):
    await _two_sessions_with_mail(settings, organiser)
    await login_cookie_client(client, admin)

    response = await client.post("/staff/outbox/1/retry", data={})

    assert response.status_code == 403


async def test_retry_of_sent_message_is_a_conflict(
    client: httpx.AsyncClient, settings: Settings, admin: Staff, organiser: Staff
):
    await _two_sessions_with_mail(settings, organiser)
    await OutboxMessage.update({OutboxMessage.status: "sent"}).where(OutboxMessage.id == 1)
    await login_cookie_client(client, admin)

    response = await client.post("/staff/outbox/1/retry", data={"_csrf_token": client.cookies["convene_csrf"]})

    assert response.status_code == 409


async def test_unknown_status_filter_is_refused(client: httpx.AsyncClient, admin: Staff):
    await login_cookie_client(client, admin)

    response = await client.get("/staff/outbox", params={"status": "lost"})

    assert response.status_code == 422


async def test_retry_is_refused_while_a_worker_sends_the_message(
    client: httpx.AsyncClient, settings: Settings, admin: Staff, organiser: Staff
):
    await _two_sessions_with_mail(settings, organiser)
    (claimed, *_), lease_until = await claim_batch(1, 300)
    await login_cookie_client(client, admin)

    page = await client.get(f"/staff/outbox/{claimed['id']}")
    response = await client.post(
        f"/staff/outbox/{claimed['id']}/retry", data={"_csrf_token": client.cookies["convene_csrf"]}
    )

    assert ("Retry now" in page.text, response.status_code) == (False, 409)
    row = await OutboxMessage.select(OutboxMessage.lease_until).where(OutboxMessage.id == claimed["id"]).first()
    assert row["lease_until"] == lease_until
