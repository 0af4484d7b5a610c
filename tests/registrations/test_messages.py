"""Organisers write to registrants: only the chosen people, each in their language (else the floor language),
a count and a preview before sending, plain text escaped, no header injection."""

from __future__ import annotations

from registrations.tables import Need
from server.app import MAIL_BUILDERS
from server.mail.worker import WorkerOptions, deliver_due
from server.settings import Settings
from server.tables import OutboxMessage
from tests.conftest import login_cookie_client
from tests.mail_data import make_registration, make_session
from tests.server.helpers import post_form
from tests.smtp_server import (
    SmtpServer,
    structure,
    text_of,
)

FAST = WorkerOptions(backoff_seconds=0.01, backoff_max_seconds=0.05)
MESSAGE = {
    "subject": {"en": "Room change", "fr": "Changement de salle"},
    "body": {"en": "We meet in room <B>.\n\nBring your badge & ID.", "fr": "Nous nous retrouvons en salle B."},
}


async def _people(session_id: int) -> dict[str, dict]:
    people = {
        "en": await make_registration(session_id, "en@example.org", preferred_language="en"),
        "fr": await make_registration(session_id, "fr@example.org", preferred_language="fr"),
        "ar": await make_registration(session_id, "ar@example.org", preferred_language="ar", status="waitlisted"),
        "es": await make_registration(session_id, "es@example.org", preferred_language="es"),
        "gone": await make_registration(session_id, "gone@example.org", status="cancelled"),
    }
    await Need.insert(Need(registration=people["es"]["id"], kind="accessibility", code="captions_cart"))
    return people


async def test_dry_run_counts_and_previews_by_language_and_sends_nothing(client, admin):
    session = await make_session()
    await _people(session["id"])

    response = await client.post(f"/api/v1/sessions/{session['id']}/messages", headers=admin.headers, json={
        **MESSAGE, "statuses": ["confirmed", "waitlisted"], "dry_run": True})

    assert response.status_code == 200
    assert response.json() == {
        "count": 4,
        "by_status": {"confirmed": 3, "waitlisted": 1},
        "previews": [
            {"language": "en", "recipients": 3, "subject": "Room change", "body": MESSAGE["body"]["en"]},
            {"language": "fr", "recipients": 1, "subject": "Changement de salle", "body": MESSAGE["body"]["fr"]},
        ],
        "sent": False,
    }
    assert await OutboxMessage.count() == 0


async def test_message_goes_only_to_the_chosen_each_in_their_language(client, admin, mail_settings: Settings,
                                                                       smtp: SmtpServer):
    session = await make_session()
    await _people(session["id"])

    response = await client.post(f"/api/v1/sessions/{session['id']}/messages", headers=admin.headers, json={
        **MESSAGE, "statuses": ["confirmed", "waitlisted"], "languages": ["fr", "ar"]})
    await deliver_due(mail_settings, builders=MAIL_BUILDERS, options=FAST)

    assert response.status_code == 200
    assert (response.json()["count"], response.json()["sent"]) == (2, True)
    by_recipient = smtp.sink.take_by_recipient()
    assert sorted(by_recipient) == ["ar@example.org", "fr@example.org"]
    french, arabic = by_recipient["fr@example.org"].message, by_recipient["ar@example.org"].message
    assert french["Subject"] == "Changement de salle"
    assert "Nous nous retrouvons en salle B." in text_of(french, "plain")
    # Not written in Arabic: the floor language's text, inside an Arabic message.
    assert arabic["Subject"] == "Room change"
    assert "We meet in room <B>.\r\n\r\nBring your badge & ID." in text_of(arabic, "plain")
    assert '<div lang="en" dir="ltr">' in text_of(arabic, "html")
    assert ">We meet in room &lt;B&gt;.</p>" in text_of(arabic, "html")
    assert ">Bring your badge &amp; ID.</p>" in text_of(arabic, "html")
    assert structure(arabic) == ["multipart/alternative", "text/plain", "text/html"]


async def test_message_by_need(client, admin, mail_settings: Settings, smtp: SmtpServer):
    session = await make_session()
    await _people(session["id"])

    response = await client.post(f"/api/v1/sessions/{session['id']}/messages", headers=admin.headers, json={
        **MESSAGE, "needs": ["captions_cart"]})
    await deliver_due(mail_settings, builders=MAIL_BUILDERS, options=FAST)

    assert response.json()["count"] == 1
    (received,) = smtp.sink.take(1)
    assert received.recipients == ["es@example.org"]
    assert received.message["Subject"] == "Room change"


async def test_a_subject_with_a_line_break_is_refused(client, admin):
    session = await make_session()
    await _people(session["id"])

    response = await client.post(f"/api/v1/sessions/{session['id']}/messages", headers=admin.headers, json={
        "subject": {"en": "Hello\r\nBcc: all@example.org"}, "body": {"en": "Hi"}})

    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["subject"]
    assert await OutboxMessage.count() == 0


async def test_staff_page_previews_then_sends(client, admin, mail_settings: Settings, smtp: SmtpServer):
    session = await make_session()
    await _people(session["id"])
    await login_cookie_client(client, admin)
    fields = {"statuses": "waitlisted", "subject_en": "Still waiting", "body_en": "A seat may free up."}
    url = f"/staff/sessions/{session['id']}/messages"

    page = await client.get(url)
    preview = await post_form(client, url, fields)
    queued_after_preview = await OutboxMessage.count()
    sent = await post_form(client, url, {**fields, "confirm": "yes"})
    await deliver_due(mail_settings, builders=MAIL_BUILDERS, options=FAST)

    assert page.status_code == 200
    assert '<label for="field-subject-en">Subject</label>' in page.text
    assert preview.status_code == 200
    assert "This message goes to 1 person." in preview.text
    assert '<input type="hidden" name="confirm" value="yes">' in preview.text
    assert queued_after_preview == 0
    assert sent.status_code == 200
    assert "1 message queued." in sent.text
    (received,) = smtp.sink.take(1)
    assert received.recipients == ["ar@example.org"]
    assert received.message["Subject"] == "Still waiting"
