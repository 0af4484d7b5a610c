"""One person's invite across their own changes: each message that adds or withdraws it carries a higher
SEQUENCE than the last, erasing a registration withdraws it too, and people who held no invite are never told
of an attachment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar

from registrations.tables import Registration
from server.app import MAIL_BUILDERS
from server.mail.worker import WorkerOptions, deliver_due
from server.settings import Settings
from server.tables import OutboxMessage
from tests.registrations.conftest import make_session, submission
from tests.smtp_server import (
    SmtpServer,
    calendar_part,
    text_of,
)

FAST = WorkerOptions(backoff_seconds=0.01, backoff_max_seconds=0.05)
WITHDRAWN = "The attached update removes the session from your calendar."


async def _register(client, session_id: int, email: str) -> dict:
    response = await client.post(
        f"/api/v1/sessions/{session_id}/registrations", json=submission(email=email, preferred_language="en")
    )
    assert response.status_code == 201, response.text
    return response.json()


def _invite(message) -> tuple[str, int, str]:
    """(METHOD, SEQUENCE, UID) of a message's calendar part."""
    method, raw = calendar_part(message)
    event = icalendar.Calendar.from_ical(raw).walk("VEVENT")[0]
    return method, int(event["SEQUENCE"]), str(event["UID"])


async def _delivered(mail_settings: Settings, smtp: SmtpServer, count: int) -> dict[str, list]:
    await deliver_due(mail_settings, builders=MAIL_BUILDERS, options=FAST)
    received: dict[str, list] = {}
    for envelope in smtp.sink.take(count):
        (recipient,) = envelope.recipients
        received.setdefault(recipient, []).append(envelope.message)
    return received


async def _erase_expecting_no_mail(client, manage: str, mail_settings: Settings, smtp: SmtpServer) -> None:
    erased = await client.post(f"{manage}/erase")
    await deliver_due(mail_settings, builders=MAIL_BUILDERS, options=FAST)
    assert erased.status_code == 200
    assert smtp.sink.take(0) == []
    assert await OutboxMessage.count().where(OutboxMessage.template == "data_erased") == 0


async def _move(client, admin, session_id: int, registration_id: int, to: str) -> None:
    response = await client.post(
        f"/api/v1/sessions/{session_id}/registrations/{registration_id}/move", json={"to": to}, headers=admin.headers
    )
    assert response.status_code == 200, response.text


async def test_an_invite_withdrawn_and_sent_again_raises_its_sequence_each_time(
    client, admin, mail_settings: Settings, smtp: SmtpServer
):
    session_id = await make_session(capacity=1)
    first = await _register(client, session_id, "a@example.org")
    second = await _register(client, session_id, "b@example.org")
    opening = await _delivered(mail_settings, smtp, 2)
    (uid,) = {_invite(opening["a@example.org"][0])[2]}

    await _move(client, admin, session_id, first["id"], "waitlisted")  # a loses the seat, b takes it
    moved = await _delivered(mail_settings, smtp, 2)
    await client.post(
        f"/api/v1/sessions/{session_id}/registrations/decline",
        json={"registration_ids": [second["id"]], "reason": "Late"}, headers=admin.headers,
    )  # b loses it, a gets it back
    declined = await _delivered(mail_settings, smtp, 2)

    assert _invite(opening["a@example.org"][0]) == ("REQUEST", 0, uid)
    assert _invite(moved["a@example.org"][0]) == ("CANCEL", 1, uid)
    assert _invite(moved["b@example.org"][0]) == ("REQUEST", 1, uid)
    assert _invite(declined["b@example.org"][0]) == ("CANCEL", 2, uid)
    assert _invite(declined["a@example.org"][0]) == ("REQUEST", 2, uid)


async def test_a_reschedule_after_a_personal_change_keeps_the_sequence_rising(
    client, admin, mail_settings: Settings, smtp: SmtpServer
):
    session_id = await make_session(capacity=1)
    first = await _register(client, session_id, "a@example.org")
    await _register(client, session_id, "b@example.org")
    await _move(client, admin, session_id, first["id"], "waitlisted")
    await _delivered(mail_settings, smtp, 4)  # a: confirmed, moved; b: waitlisted, promoted (SEQUENCE 1)

    starts_at = datetime.now(UTC).replace(microsecond=0) + timedelta(days=15)
    response = await client.post(
        f"/api/v1/sessions/{session_id}/reschedule",
        json={"starts_at": starts_at.isoformat(), "ends_at": (starts_at + timedelta(hours=2)).isoformat()},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text
    delivered = await _delivered(mail_settings, smtp, 2)
    (rescheduled,) = delivered["b@example.org"]
    (told,) = delivered["a@example.org"]  # waitlisted now: told of the new time, with no invite

    assert _invite(rescheduled)[:2] == ("REQUEST", 2)
    assert [part.get_content_type() for part in told.walk()] == ["multipart/alternative", "text/plain", "text/html"]


async def test_erasing_a_confirmed_registration_withdraws_the_invite_then_forgets_the_address(
    client, mail_settings: Settings, smtp: SmtpServer
):
    session_id = await make_session(capacity=5)
    body = await _register(client, session_id, "a@example.org")
    (confirmed,) = (await _delivered(mail_settings, smtp, 1))["a@example.org"]
    manage = body["manage_url"].replace("http://convene.test/manage/", "/api/v1/manage/")

    erased = await client.post(f"{manage}/erase")
    (withdrawn,) = (await _delivered(mail_settings, smtp, 1))["a@example.org"]

    assert erased.status_code == 200
    assert withdrawn["Subject"].startswith("Your data is erased: ")
    method, raw = calendar_part(withdrawn)
    event = icalendar.Calendar.from_ical(raw).walk("VEVENT")[0]
    assert (method, str(event["STATUS"]), int(event["SEQUENCE"])) == ("CANCEL", "CANCELLED", 1)
    assert str(event["UID"]) == _invite(confirmed)[2]
    assert str(event["ATTENDEE"]) == "mailto:a@example.org"
    assert WITHDRAWN in text_of(withdrawn, "plain")
    assert "Amina" not in withdrawn.as_string()
    assert "/manage/" not in withdrawn.as_string()
    rows = await OutboxMessage.select(OutboxMessage.to_address, OutboxMessage.context).where(
        OutboxMessage.template == "data_erased"
    ).output(load_json=True)
    assert rows == [{"to_address": "", "context": {"session_id": session_id}}]


async def test_erasing_a_waitlisted_registration_sends_nothing(client, mail_settings: Settings, smtp: SmtpServer):
    session_id = await make_session(capacity=1)
    await _register(client, session_id, "a@example.org")
    body = await _register(client, session_id, "b@example.org")
    await _delivered(mail_settings, smtp, 2)
    manage = body["manage_url"].replace("http://convene.test/manage/", "/api/v1/manage/")

    await _erase_expecting_no_mail(client, manage, mail_settings, smtp)


async def test_a_cancelled_session_tells_the_waitlisted_without_promising_an_attachment(
    client, admin, mail_settings: Settings, smtp: SmtpServer
):
    session_id = await make_session(capacity=1)
    await _register(client, session_id, "a@example.org")
    await _register(client, session_id, "b@example.org")
    await _delivered(mail_settings, smtp, 2)

    response = await client.post(f"/api/v1/sessions/{session_id}/cancel", headers=admin.headers)
    received = await _delivered(mail_settings, smtp, 2)

    assert response.status_code == 200
    (confirmed,) = received["a@example.org"]
    (waiting,) = received["b@example.org"]
    assert _invite(confirmed)[:2] == ("CANCEL", 1)
    assert "The attached update removes it from your calendar." in text_of(confirmed, "plain")
    assert not any(part.get_content_type() == "text/calendar" for part in waiting.walk())
    assert "We are sorry: the session is cancelled.\r\n" in text_of(waiting, "plain")
    assert "attached" not in text_of(waiting, "plain")


async def test_erasing_after_the_session_was_cancelled_sends_nothing_more_and_promotes_nobody(
    client, admin, mail_settings: Settings, smtp: SmtpServer
):
    session_id = await make_session(capacity=1)
    body = await _register(client, session_id, "a@example.org")
    await _register(client, session_id, "b@example.org")
    await _delivered(mail_settings, smtp, 2)  # confirmed, waitlisted
    await client.post(f"/api/v1/sessions/{session_id}/cancel", headers=admin.headers)
    await _delivered(mail_settings, smtp, 2)  # each one's cancellation
    manage = body["manage_url"].replace("http://convene.test/manage/", "/api/v1/manage/")

    await _erase_expecting_no_mail(client, manage, mail_settings, smtp)
    statuses = await Registration.select(Registration.status).order_by(Registration.id)
    assert statuses == [{"status": "cancelled"}, {"status": "waitlisted"}]


async def test_a_refused_withdrawal_keeps_no_trace_of_the_erased_address(
    client, mail_settings: Settings, smtp: SmtpServer
):
    session_id = await make_session(capacity=5)
    body = await _register(client, session_id, "a@example.org")
    await _delivered(mail_settings, smtp, 1)
    smtp.sink.refuse_recipients["a@example.org"] = "550 5.1.1 <A@Example.org>: Recipient address rejected"

    await client.post(f"{body['manage_url'].replace('http://convene.test/manage/', '/api/v1/manage/')}/erase")
    await deliver_due(mail_settings, builders=MAIL_BUILDERS, options=FAST)

    row = await OutboxMessage.select(
        OutboxMessage.status, OutboxMessage.to_address, OutboxMessage.last_error
    ).where(OutboxMessage.template == "data_erased").first()
    assert row["status"] == "failed"
    assert row["to_address"] == ""
    assert "example.org" not in row["last_error"].lower()
    assert "(erased)" in row["last_error"]
