"""An organiser's decision that takes a seat away withdraws the invite: the registrant's calendar must not keep a
session they no longer hold a seat for."""

from __future__ import annotations

import icalendar

from server.app import MAIL_BUILDERS
from server.mail.worker import WorkerOptions, deliver_due
from server.settings import Settings
from tests.registrations.conftest import make_session, submission
from tests.smtp_server import (
    SmtpServer,
    calendar_part,
    text_of,
)

FAST = WorkerOptions(backoff_seconds=0.01, backoff_max_seconds=0.05)
WITHDRAWN = "The attached update removes the session from your calendar."


async def _register(client, session_id: int, email: str) -> dict:
    body = submission(email=email, preferred_language="en")
    response = await client.post(f"/api/v1/sessions/{session_id}/registrations", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def _by_recipient(smtp: SmtpServer, count: int) -> dict[str, list]:
    received: dict[str, list] = {}
    for envelope in smtp.sink.take(count):
        (recipient,) = envelope.recipients
        received.setdefault(recipient, []).append(envelope.message)
    return received


def _cancelled_event(message) -> tuple[str, str, str]:
    method, raw = calendar_part(message)
    event = icalendar.Calendar.from_ical(raw).walk("VEVENT")[0]
    return method, str(event["STATUS"]), str(event["ATTENDEE"])


async def test_declining_a_confirmed_registrant_cancels_their_invite(client, admin, mail_settings: Settings,
                                                                     smtp: SmtpServer):
    session_id = await make_session(capacity=1)
    first = await _register(client, session_id, "a@example.org")
    await _register(client, session_id, "b@example.org")
    await deliver_due(mail_settings, builders=MAIL_BUILDERS, options=FAST)
    smtp.sink.take(2)  # confirmed (a) and waitlisted (b)

    response = await client.post(
        f"/api/v1/sessions/{session_id}/registrations/decline",
        json={"registration_ids": [first["id"]], "reason": "Member States only"},
        headers=admin.headers,
    )
    await deliver_due(mail_settings, builders=MAIL_BUILDERS, options=FAST)

    assert response.status_code == 200
    received = _by_recipient(smtp, 2)
    (declined,) = received["a@example.org"]
    assert declined["Subject"].startswith("Registration not accepted: ")
    assert _cancelled_event(declined) == ("CANCEL", "CANCELLED", "mailto:a@example.org")
    assert WITHDRAWN in text_of(declined, "plain")
    assert "Reason given: Member States only" in text_of(declined, "plain")
    (promoted,) = received["b@example.org"]
    assert calendar_part(promoted)[0] == "REQUEST"


async def test_declining_a_waitlisted_registrant_sends_no_calendar(client, admin, mail_settings: Settings,
                                                                   smtp: SmtpServer):
    session_id = await make_session(capacity=1)
    await _register(client, session_id, "a@example.org")
    second = await _register(client, session_id, "b@example.org")
    await deliver_due(mail_settings, builders=MAIL_BUILDERS, options=FAST)
    smtp.sink.take(2)

    await client.post(
        f"/api/v1/sessions/{session_id}/registrations/decline",
        json={"registration_ids": [second["id"]], "reason": "Late"},
        headers=admin.headers,
    )
    await deliver_due(mail_settings, builders=MAIL_BUILDERS, options=FAST)

    (declined,) = smtp.sink.take(1)
    assert not any(part.get_content_type() == "text/calendar" for part in declined.message.walk())
    assert WITHDRAWN not in text_of(declined.message, "plain")


async def test_moving_a_confirmed_registrant_to_the_waitlist_cancels_their_invite(
    client, admin, mail_settings: Settings, smtp: SmtpServer
):
    session_id = await make_session(capacity=1)
    first = await _register(client, session_id, "a@example.org")
    await _register(client, session_id, "b@example.org")
    await deliver_due(mail_settings, builders=MAIL_BUILDERS, options=FAST)
    smtp.sink.take(2)

    response = await client.post(
        f"/api/v1/sessions/{session_id}/registrations/{first['id']}/move", json={"to": "waitlisted"},
        headers=admin.headers,
    )
    await deliver_due(mail_settings, builders=MAIL_BUILDERS, options=FAST)

    assert response.status_code == 200
    received = _by_recipient(smtp, 2)
    (moved,) = received["a@example.org"]
    assert _cancelled_event(moved) == ("CANCEL", "CANCELLED", "mailto:a@example.org")
    assert "in position 1" in text_of(moved, "plain")
    assert WITHDRAWN in text_of(moved, "plain")
    assert "meet.example.org" not in moved.as_string()
    assert calendar_part(received["b@example.org"][0])[0] == "REQUEST"
