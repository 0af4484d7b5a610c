"""Registrant messages end to end: decided in a transaction, delivered by the worker to a real SMTP server."""

from __future__ import annotations

from datetime import timedelta

import icalendar

from events.tables import Session
from registrations import approvals, notifications
from registrations.links import invitation_token
from registrations.tables import Invitation, Registration
from server import signals
from server.app import MAIL_BUILDERS
from server.db import write_transaction
from server.mail.worker import WorkerOptions, deliver_due
from server.settings import Settings
from server.tables import OutboxMessage
from tests.mail_data import START, make_registration, make_session
from tests.smtp_server import (
    SmtpServer,
    calendar_part,
    ical_js,
    structure,
    text_of,
)

FAST = WorkerOptions(backoff_seconds=0.01, backoff_max_seconds=0.05)
INVITE_STRUCTURE = [
    "multipart/mixed",
    ["multipart/alternative", "text/plain", "text/html", "text/calendar"],
    "application/ics",
]


async def deliver(settings: Settings) -> None:
    await deliver_due(settings, builders=MAIL_BUILDERS, options=FAST)


async def test_registration_confirmed_carries_invite_with_join_details(mail_settings: Settings, smtp: SmtpServer):
    session = await make_session()
    reg = await make_registration(session["id"], "ana@example.org", name="Ana Pérez")
    await notifications.notify_registration_confirmed(reg, settings=mail_settings)

    await deliver(mail_settings)

    (received,) = smtp.sink.take(1)
    message = received.message
    assert received.recipients == ["ana@example.org"]
    assert structure(message) == INVITE_STRUCTURE
    assert message["Subject"] == "Registered: Migration data for policy"
    assert message["From"] == "Convene Secretariat <events@convene.test>"
    method, raw = calendar_part(message)
    assert method == "REQUEST"
    assert b"\r\nMETHOD:REQUEST\r\n" in raw
    assert raw.count(b"\n") == raw.count(b"\r\n")
    event = icalendar.Calendar.from_ical(raw).walk("VEVENT")[0]
    assert str(event["UID"]) == f"session-{session['id']}@convene.test"
    assert event["SEQUENCE"] == 0
    assert str(event["ATTENDEE"]) == "mailto:ana@example.org"
    assert "Join: https://meet.example.org/j/123" in str(event["DESCRIPTION"])
    assert "/manage/" in str(event["DESCRIPTION"])
    attachment = [part for part in message.iter_attachments()][0]
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content() == raw
    assert "Join: https://meet.example.org/j/123" in text_of(message, "plain")
    row = await OutboxMessage.select().first()
    assert (row["status"], row["attempts"], message["Message-ID"]) == ("sent", 1, row["message_id"])


async def test_invite_read_by_ical_js_matches(mail_settings: Settings, smtp: SmtpServer):
    session = await make_session()
    reg = await make_registration(session["id"], "ana@example.org", name="Ana Pérez")
    await notifications.notify_registration_confirmed(reg, settings=mail_settings)

    await deliver(mail_settings)

    _method, raw = calendar_part(smtp.sink.take(1)[0].message)
    parsed = ical_js(raw)
    event = parsed["events"][0]
    assert parsed["method"] == "REQUEST"
    assert (event["uid"], event["sequence"], event["status"]) == (f"session-{session['id']}@convene.test", 0,
                                                                   "CONFIRMED")
    assert (event["start"], event["end"]) == ("2037-12-03T13:00:00.000Z", "2037-12-03T14:30:00.000Z")
    assert (event["start_is_utc"], event["dtstamp_is_utc"]) == (True, True)
    assert (event["organizer"], event["organizer_cn"]) == ("mailto:events@convene.test", "Convene Secretariat")
    assert event["attendees"] == [{"value": "mailto:ana@example.org", "cn": "Ana Pérez"}]


async def test_message_in_recipients_language_and_time_zone(mail_settings: Settings, smtp: SmtpServer):
    session = await make_session()
    reg = await make_registration(
        session["id"], "luc@example.org", preferred_language="fr", timezone="America/Montreal"
    )
    await notifications.notify_registration_confirmed(reg, settings=mail_settings)

    await deliver(mail_settings)

    message = smtp.sink.take(1)[0].message
    html = text_of(message, "html")
    assert message["Content-Language"] == "fr"
    assert '<html lang="fr" dir="ltr">' in html
    assert "Données migratoires pour les politiques" in message["Subject"]
    # 13:00 UTC is 08:00 in Montreal (EST), named with its zone.
    assert "jeudi 3 décembre 2037, 08:00–09:30 (America/Montreal, UTC-05:00)" in text_of(message, "plain")


async def test_arabic_message_is_right_to_left(mail_settings: Settings, smtp: SmtpServer):
    session = await make_session()
    reg = await make_registration(session["id"], "sara@example.org", preferred_language="ar")
    await notifications.notify_registration_pending(reg, settings=mail_settings)

    await deliver(mail_settings)

    message = smtp.sink.take(1)[0].message
    assert '<html lang="ar" dir="rtl">' in text_of(message, "html")
    assert structure(message) == ["multipart/alternative", "text/plain", "text/html"]


async def test_hostile_name_is_escaped_in_html_and_stripped_from_headers_and_ics(
    mail_settings: Settings, smtp: SmtpServer
):
    hostile = 'Eve <script>alert(1)</script>\r\nBCC: victim@example.org'
    session = await make_session(title={"en": "Talk\r\nBCC: victim@example.org"})
    reg = await make_registration(session["id"], "eve@example.org", name=hostile)
    await notifications.notify_registration_confirmed(reg, settings=mail_settings)

    await deliver(mail_settings)

    (received,) = smtp.sink.take(1)
    message = received.message
    assert received.recipients == ["eve@example.org"]
    assert message["BCC"] is None
    assert message["Subject"] == "Registered: Talk BCC: victim@example.org"
    html = text_of(message, "html")
    assert "<script>" not in html
    assert "Eve &lt;script&gt;alert(1)&lt;/script&gt;" in html
    _method, raw = calendar_part(message)
    assert b"\r\nBCC" not in raw
    event = ical_js(raw)["events"][0]
    assert event["attendees"][0]["cn"] == "Eve <script>alert(1)</script>BCC: victim@example.org"
    assert event["summary"] == "Talk\nBCC: victim@example.org"
    assert "bcc" not in event["property_names"]


async def test_waitlisted_message_states_position_without_invite(mail_settings: Settings, smtp: SmtpServer):
    session = await make_session()
    reg = await make_registration(session["id"], "wai@example.org", status="waitlisted")
    await notifications.notify_registration_waitlisted(reg, 3, settings=mail_settings)

    await deliver(mail_settings)

    message = smtp.sink.take(1)[0].message
    assert structure(message) == ["multipart/alternative", "text/plain", "text/html"]
    assert "in position 3" in text_of(message, "plain")
    assert "meet.example.org" not in message.as_string()


async def test_every_registrant_template_renders(mail_settings: Settings, smtp: SmtpServer):
    session = await make_session()
    reg = await make_registration(session["id"], "all@example.org")
    await notifications.notify_registration_promoted(reg, settings=mail_settings)
    await notifications.notify_registration_approved(reg, settings=mail_settings)
    await notifications.notify_registration_declined(reg, "Full room", settings=mail_settings)
    await notifications.notify_registration_cancelled(reg, settings=mail_settings)
    await notifications.notify_manage_link_resent(reg, "http://convene.test/manage/x", settings=mail_settings)

    await deliver(mail_settings)

    subjects = sorted(r.message["Subject"] for r in smtp.sink.take(5))
    assert subjects == [
        "A place is yours: Migration data for policy",
        "Approved: Migration data for policy",
        "Registration cancelled: Migration data for policy",
        "Registration not accepted: Migration data for policy",
        "Your registration link: Migration data for policy",
    ]
    assert await OutboxMessage.count().where(OutboxMessage.status == "sent") == 5


async def _session_change(signal: str, session_id: int, **payload) -> None:
    """What the events package does on a change: raise the sequence and send the signal, in one transaction."""
    async with write_transaction(Session._meta.db):
        await Session.update({Session.sequence: Session.sequence + 1}).where(Session.id == session_id)
        await signals.send(signal, session_id=session_id, **payload)


async def test_sequence_rises_from_request_to_update_to_cancel(mail_settings: Settings, smtp: SmtpServer):
    session = await make_session()
    reg = await make_registration(session["id"], "ana@example.org")
    await notifications.notify_registration_confirmed(reg, settings=mail_settings)
    await deliver(mail_settings)
    await _session_change("session_updated", session["id"], changes=["title"])
    await deliver(mail_settings)
    await _session_change("session_cancelled", session["id"])
    await deliver(mail_settings)

    calendars = [ical_js(calendar_part(r.message)[1]) for r in smtp.sink.take(3)]
    assert [c["method"] for c in calendars] == ["REQUEST", "REQUEST", "CANCEL"]
    assert [c["events"][0]["sequence"] for c in calendars] == [0, 1, 2]
    assert {c["events"][0]["uid"] for c in calendars} == {f"session-{session['id']}@convene.test"}
    assert calendars[2]["events"][0]["status"] == "CANCELLED"


async def test_cancelled_session_sends_one_cancel_to_confirmed_only(mail_settings: Settings, smtp: SmtpServer):
    session = await make_session()
    await make_registration(session["id"], "yes@example.org")
    await make_registration(session["id"], "wait@example.org", status="waitlisted")
    await make_registration(session["id"], "gone@example.org", status="cancelled")
    await make_registration(session["id"], "no@example.org", status="declined")

    await _session_change("session_cancelled", session["id"])
    await deliver(mail_settings)

    by_recipient = smtp.sink.take_by_recipient()
    assert sorted(by_recipient) == ["wait@example.org", "yes@example.org"]
    assert calendar_part(by_recipient["yes@example.org"].message)[0] == "CANCEL"
    assert structure(by_recipient["wait@example.org"].message) == ["multipart/alternative", "text/plain", "text/html"]
    assert await Registration.count().where(Registration.status == "confirmed") == 1


async def test_invisible_change_sends_nothing(mail_settings: Settings, smtp: SmtpServer):
    session = await make_session()
    await make_registration(session["id"], "ana@example.org")

    await signals.send("session_updated", session_id=session["id"], changes=["capacity"])
    await deliver(mail_settings)

    assert await OutboxMessage.count() == 0


async def test_rescheduled_invite_says_what_changed(mail_settings: Settings, smtp: SmtpServer):
    session = await make_session()
    await make_registration(session["id"], "ana@example.org", timezone="Europe/Zurich")
    async with write_transaction(Session._meta.db):
        await Session.update(
            {Session.starts_at: START + timedelta(days=1), Session.ends_at: START + timedelta(days=1, hours=1),
             Session.sequence: 1}
        ).where(Session.id == session["id"])
        await signals.send("session_rescheduled", session_id=session["id"], previous_starts_at=START,
                           previous_ends_at=START + timedelta(minutes=90))

    await deliver(mail_settings)

    message = smtp.sink.take(1)[0].message
    text = text_of(message, "plain")
    assert "Was: Thursday, December 3, 2037, 2:00\u202fPM–3:30\u202fPM (Europe/Zurich, UTC+01:00)" in text
    assert "Now: Friday, December 4, 2037, 2:00\u202fPM–3:00\u202fPM (Europe/Zurich, UTC+01:00)" in text
    event = ical_js(calendar_part(message)[1])["events"][0]
    assert (event["sequence"], event["start"]) == (1, "2037-12-04T13:00:00.000Z")


async def test_reminders_go_once_per_person_to_confirmed_only(mail_settings: Settings, smtp: SmtpServer):
    session = await make_session()
    await make_registration(session["id"], "yes@example.org")
    await make_registration(session["id"], "wait@example.org", status="waitlisted")
    await make_registration(session["id"], "gone@example.org", status="cancelled")
    day_before = START - timedelta(minutes=1440)

    first = await notifications.send_reminders(mail_settings, now=day_before + timedelta(minutes=1))
    again = await notifications.send_reminders(mail_settings, now=day_before + timedelta(minutes=2))
    await deliver(mail_settings)
    hour_before = await notifications.send_reminders(mail_settings, now=START - timedelta(minutes=30))
    await deliver(mail_settings)

    assert (first, again, hour_before) == (1, 0, 1)
    received = smtp.sink.take(2)
    assert [r.recipients for r in received] == [["yes@example.org"], ["yes@example.org"]]
    assert received[0].message["Subject"].startswith("Reminder: Migration data for policy")


async def test_reminder_after_downtime_sends_only_the_latest(mail_settings: Settings, smtp: SmtpServer):
    session = await make_session()
    await make_registration(session["id"], "yes@example.org")

    queued = await notifications.send_reminders(mail_settings, now=START - timedelta(minutes=10))

    assert queued == 1
    row = await OutboxMessage.select(OutboxMessage.dedupe_key).first()
    assert row["dedupe_key"] == f"reminder:{session['id']}:20371203T1300:60:1"
    await deliver(mail_settings)
    smtp.sink.take(1)


async def test_staff_notice_goes_only_to_organisers_who_opted_in(
    mail_settings: Settings, smtp: SmtpServer, organiser, other_organiser
):
    from events.tables import SessionOrganiser
    from server.tables import User

    session = await make_session(audience="approval")
    for staff in (organiser, other_organiser):
        await SessionOrganiser.insert(SessionOrganiser(session=session["id"], user=staff.id))
    await User.update({User.notify_staff: True}).where(User.id == organiser.id)
    reg = await make_registration(session["id"], "wants@example.org", status="pending", organisation="IOM")

    await notifications.notify_registration_pending(reg, settings=mail_settings)
    await deliver(mail_settings)

    by_recipient = smtp.sink.take_by_recipient()
    assert sorted(by_recipient) == ["organiser@convene.test", "wants@example.org"]
    notice = by_recipient["organiser@convene.test"].message
    assert notice["Subject"] == "Awaiting your approval: Migration data for policy"
    assert "Wants (IOM) registered and awaits approval." in text_of(notice, "plain")


async def test_rescheduled_session_reminds_again(mail_settings: Settings, smtp: SmtpServer):
    session = await make_session()
    await make_registration(session["id"], "yes@example.org")
    first = await notifications.send_reminders(mail_settings, now=START - timedelta(minutes=30))
    later = START + timedelta(days=2)
    await Session.update({Session.starts_at: later, Session.ends_at: later + timedelta(hours=1)}).where(
        Session.id == session["id"])

    again = await notifications.send_reminders(mail_settings, now=later - timedelta(minutes=30))
    await deliver(mail_settings)

    assert (first, again) == (1, 1)
    smtp.sink.take(2)


async def test_mail_queued_before_a_cancellation_does_not_follow_it(mail_settings: Settings, smtp: SmtpServer):
    session = await make_session()
    reg = await make_registration(session["id"], "yes@example.org")
    await notifications.send_reminders(mail_settings, now=START - timedelta(minutes=30))
    await notifications.notify_registration_confirmed(reg, settings=mail_settings)
    async with write_transaction(Session._meta.db):
        await Session.update({Session.status: "cancelled", Session.sequence: 1}).where(Session.id == session["id"])
        await signals.send("session_cancelled", session_id=session["id"])

    await deliver(mail_settings)

    (received,) = smtp.sink.take(1)
    assert calendar_part(received.message)[0] == "CANCEL"
    rows = await OutboxMessage.select(OutboxMessage.template, OutboxMessage.status, OutboxMessage.last_error).order_by(
        OutboxMessage.id)
    assert rows == [
        {"template": "reminder", "status": "failed",
         "last_error": "obsolete: the session was cancelled after this message was decided"},
        {"template": "registration_confirmed", "status": "failed",
         "last_error": "obsolete: the session was cancelled after this message was decided"},
        {"template": "session_cancelled", "status": "sent", "last_error": ""},
    ]


async def test_invitation_is_in_the_sessions_language_and_zone(mail_settings: Settings, smtp: SmtpServer):
    session = await make_session(floor_language="fr", timezone="America/Santiago", audience="invitation")

    await approvals.invite(session["id"], ["guest@example.org"], settings=mail_settings)
    await deliver(mail_settings)

    (received,) = smtp.sink.take(1)
    text = text_of(received.message, "plain")
    assert received.message["Subject"] == "Invitation à s'inscrire : Données migratoires pour les politiques"
    assert "Vous êtes invité(e) à vous inscrire à cette séance." in text
    assert "Date et heure : jeudi 3 décembre 2037, 10:00–11:30 (America/Santiago, UTC-03:00)" in text
    # The link carries the invitation's proof: registering needs it, not just the invited address.
    (invitation,) = await Invitation.select(Invitation.id)
    token = invitation_token(mail_settings.secret_key, invitation["id"], session["id"])
    assert f"http://convene.test/sessions/{session['id']}?invitation={token}" in text
