"""Invites end to end through the real API: register, change, reschedule, cancel — what each registrant's
calendar receives, checked by ical.js."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from server.app import MAIL_BUILDERS
from server.mail.worker import deliver_due
from server.settings import Settings
from server.tables import OutboxMessage
from tests.conftest import Staff
from tests.events.helpers import create_published
from tests.registrations.conftest import submission
from tests.smtp_server import (
    SmtpServer,
    calendar_part,
    ical_js,
)


async def _calendar_of_only_message(smtp: SmtpServer) -> tuple[dict, str]:
    (received,) = smtp.sink.take(1)
    return ical_js(calendar_part(received.message)[1]), received.message["Subject"]


async def test_invite_follows_the_session_from_request_to_cancel(
    client: httpx.AsyncClient, mail_settings: Settings, smtp: SmtpServer, admin: Staff
):
    session = await create_published(client, admin, capacity=10)
    sid = session["id"]
    registered = await client.post(f"/api/v1/sessions/{sid}/registrations",
                                   json=submission(preferred_language="en", email="amina@example.org"))
    await deliver_due(mail_settings, builders=MAIL_BUILDERS)
    invite, _subject = await _calendar_of_only_message(smtp)

    await client.patch(f"/api/v1/sessions/{sid}", json={"capacity": 20}, headers=admin.headers)
    await deliver_due(mail_settings, builders=MAIL_BUILDERS)
    invisible_change_rows = await OutboxMessage.count()

    await client.patch(f"/api/v1/sessions/{sid}", json={"title": {"en": "New title"}}, headers=admin.headers)
    await deliver_due(mail_settings, builders=MAIL_BUILDERS)
    update, update_subject = await _calendar_of_only_message(smtp)

    starts = datetime.fromisoformat(session["starts_at"]) + timedelta(days=1)
    await client.post(f"/api/v1/sessions/{sid}/reschedule", headers=admin.headers,
                      json={"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=1)).isoformat()})
    await deliver_due(mail_settings, builders=MAIL_BUILDERS)
    moved, moved_subject = await _calendar_of_only_message(smtp)

    await client.post(f"/api/v1/sessions/{sid}/cancel", headers=admin.headers)
    await deliver_due(mail_settings, builders=MAIL_BUILDERS)
    cancel, cancel_subject = await _calendar_of_only_message(smtp)

    assert registered.json()["status"] == "confirmed"
    assert invisible_change_rows == 1
    calendars = [invite, update, moved, cancel]
    assert [c["method"] for c in calendars] == ["REQUEST", "REQUEST", "REQUEST", "CANCEL"]
    assert [c["events"][0]["sequence"] for c in calendars] == [0, 1, 2, 3]
    assert {c["events"][0]["uid"] for c in calendars} == {f"session-{sid}@convene.test"}
    assert cancel["events"][0]["status"] == "CANCELLED"
    assert moved["events"][0]["start"] == starts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert (update_subject, moved_subject, cancel_subject) == (
        "Updated: New title", "New time: New title", "Cancelled: New title"
    )
    assert [c["events"][0]["attendees"][0]["value"] for c in calendars] == ["mailto:amina@example.org"] * 4
