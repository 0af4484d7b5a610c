"""Cancelling a session from the staff pages: the confirmation page says who is mailed, nothing happens without
it, and every cancellation mail carries the reason in its reader's language. A reschedule tells those waiting."""

from __future__ import annotations

from datetime import timedelta

from events.tables import Session
from registrations.tables import Registration
from server.app import MAIL_BUILDERS
from server.mail.worker import WorkerOptions, deliver_due
from server.settings import Settings
from server.tables import OutboxMessage
from tests.conftest import login_cookie_client
from tests.mail_data import START, make_registration, make_session
from tests.server.helpers import post_form
from tests.smtp_server import (
    SmtpServer,
    calendar_part,
    structure,
    text_of,
)

FAST = WorkerOptions(backoff_seconds=0.01, backoff_max_seconds=0.05)
PLAIN = ["multipart/alternative", "text/plain", "text/html"]


async def _three_registrants(session_id: int) -> None:
    await make_registration(session_id, "en@example.org", preferred_language="en")
    await make_registration(session_id, "fr@example.org", preferred_language="fr")
    await make_registration(session_id, "ar@example.org", preferred_language="ar", status="waitlisted")


async def test_confirmation_page_says_who_is_mailed_and_offers_a_reason_per_language(client, admin):
    session = await make_session(interpretation_languages=["fr"])
    await _three_registrants(session["id"])
    await login_cookie_client(client, admin)

    page = await client.get(f"/staff/sessions/{session['id']}/cancel")

    assert page.status_code == 200
    assert "<h1>Cancel this session?</h1>" in page.text
    assert "<li>2 confirmed participants, whose invite is withdrawn from their calendars.</li>" in page.text
    assert "<li>1 person on the waitlist.</li>" in page.text
    assert '<label for="field-reason-en">English</label>' in page.text
    assert '<label for="field-reason-fr">French</label>' in page.text
    assert '<input type="hidden" name="confirm" value="yes">' in page.text


async def test_cancel_without_the_confirmation_changes_nothing_and_mails_nobody(client, admin):
    session = await make_session()
    await _three_registrants(session["id"])
    await login_cookie_client(client, admin)

    response = await post_form(client, f"/staff/sessions/{session['id']}/cancel", {"reason_en": "Ill"})

    assert response.status_code == 200
    assert "<h1>Cancel this session?</h1>" in response.text
    assert ">Ill</textarea>" in response.text
    assert (await Session.select(Session.status).first())["status"] == "published"
    assert await OutboxMessage.count() == 0


async def test_staff_page_no_longer_cancels_in_one_click(client, admin):
    session = await make_session()
    await login_cookie_client(client, admin)

    page = await client.get(f"/staff/sessions/{session['id']}")

    assert f'action="/staff/sessions/{session["id"]}/cancel"' not in page.text
    assert f'<a href="/staff/sessions/{session["id"]}/cancel">Cancel session…</a>' in page.text
    # The lifecycle section comes first; cancelling is the last thing on the page.
    assert page.text.index('id="cancel-heading"') > page.text.index('id="edit-heading"')


async def test_every_cancellation_mail_carries_the_reason_in_its_readers_language(
    client, admin, mail_settings: Settings, smtp: SmtpServer
):
    session = await make_session(interpretation_languages=["fr"])
    await _three_registrants(session["id"])
    await login_cookie_client(client, admin)

    response = await post_form(client, f"/staff/sessions/{session['id']}/cancel", {
        "confirm": "yes", "reason_en": "The speaker is ill <again> & sorry.",
        "reason_fr": "L’intervenante est malade.",
    })
    await deliver_due(mail_settings, builders=MAIL_BUILDERS, options=FAST)

    assert response.status_code == 303
    by_recipient = smtp.sink.take_by_recipient()
    assert sorted(by_recipient) == ["ar@example.org", "en@example.org", "fr@example.org"]
    english, french, arabic = (by_recipient[f"{code}@example.org"].message for code in ("en", "fr", "ar"))
    assert "Reason given: The speaker is ill <again> & sorry." in text_of(english, "plain")
    assert "Reason given: The speaker is ill &lt;again&gt; &amp; sorry." in text_of(english, "html")
    assert "Motif indiqué : L’intervenante est malade." in text_of(french, "plain")
    # Arabic was not given: the floor language (English) stands in.
    assert "السبب المذكور: The speaker is ill <again> & sorry." in text_of(arabic, "plain")
    assert calendar_part(english)[0] == "CANCEL"
    assert structure(arabic) == PLAIN
    assert (await Session.select(Session.status).first())["status"] == "cancelled"


async def test_reschedule_tells_those_waiting_without_an_invite(client, admin, mail_settings: Settings,
                                                                smtp: SmtpServer):
    session = await make_session(timezone="UTC")
    await make_registration(session["id"], "seat@example.org")
    await make_registration(session["id"], "wait@example.org", status="waitlisted")
    await make_registration(session["id"], "pending@example.org", status="pending")
    await make_registration(session["id"], "gone@example.org", status="cancelled")
    new_start = START + timedelta(days=1)

    response = await client.post(f"/api/v1/sessions/{session['id']}/reschedule", headers=admin.headers, json={
        "starts_at": new_start.isoformat(), "ends_at": (new_start + timedelta(hours=1)).isoformat()})
    await deliver_due(mail_settings, builders=MAIL_BUILDERS, options=FAST)

    assert response.status_code == 200
    by_recipient = smtp.sink.take_by_recipient()
    assert sorted(by_recipient) == ["pending@example.org", "seat@example.org", "wait@example.org"]
    assert calendar_part(by_recipient["seat@example.org"].message)[0] == "REQUEST"
    for address in ("wait@example.org", "pending@example.org"):
        message = by_recipient[address].message
        assert structure(message) == PLAIN
        assert message["Subject"] == "New time: Migration data for policy"
        text = text_of(message, "plain")
        assert "You hold no place yet, so there is nothing to change in your calendar" in text
        assert "Was: Thursday, December 3, 2037, 1:00\u202fPM–2:30\u202fPM (UTC, UTC+00:00)" in text
        assert "Now: Friday, December 4, 2037, 1:00\u202fPM–2:00\u202fPM (UTC, UTC+00:00)" in text
    assert await Registration.count().where(Registration.status == "waitlisted") == 1
