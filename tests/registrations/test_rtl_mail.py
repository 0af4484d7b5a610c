"""Numbers that must read left to right in Arabic mail: the meeting ID, passcode, dial-in and join link are
isolated (LRI…PDI in the text part, <bdi dir="ltr"> in the HTML part), so "123 456 789" is not shown reversed."""

from __future__ import annotations

import re

from registrations import notifications
from server.settings import Settings
from tests.mail_data import make_registration, make_session
from tests.registrations.test_notifications import deliver
from tests.smtp_server import (
    SmtpServer,
    text_of,
)

LRI, FSI, PDI = "\u2066", "\u2068", "\u2069"
JOIN = {"join_url": "https://meet.example.org/j/123456789", "join_meeting_id": "123 456 789",
        "join_passcode": "gcm-2020", "join_dial_in": "+41 22 000 00 00\n+1 212 000 0000"}


async def _confirmation(settings: Settings, smtp: SmtpServer, language: str):
    session = await make_session(**JOIN)
    reg = await make_registration(session["id"], "sara@example.org", preferred_language=language)
    await notifications.notify_registration_confirmed(reg, settings=settings)
    await deliver(settings)
    return smtp.sink.take(1)[0].message


async def test_arabic_text_part_isolates_meeting_id_and_phone_numbers(mail_settings: Settings, smtp: SmtpServer):
    message = await _confirmation(mail_settings, smtp, "ar")

    text = text_of(message, "plain").replace("\r\n", "\n")

    assert f"{LRI}123 456 789{PDI}" in text
    assert f"{LRI}gcm-2020{PDI}" in text
    assert f"\n{LRI}+41 22 000 00 00{PDI}\n{LRI}+1 212 000 0000{PDI}\n" in text
    assert f"{FSI}https://meet.example.org/j/123456789 {PDI}" in text


async def test_arabic_html_part_isolates_meeting_id_and_phone_numbers(mail_settings: Settings, smtp: SmtpServer):
    message = await _confirmation(mail_settings, smtp, "ar")

    html = text_of(message, "html")

    assert '<bdi dir="ltr">123 456 789</bdi>' in html
    assert '<bdi dir="ltr">gcm-2020</bdi>' in html
    assert '<br><bdi dir="ltr">+41 22 000 00 00</bdi><br><bdi dir="ltr">+1 212 000 0000</bdi></p>' in html
    # The join link is a link, isolated left to right by its own dir attribute.
    assert re.search(r'<a href="https://meet.example.org/j/123456789" dir="ltr"[^>]*>'
                     r'https://meet.example.org/j/123456789</a>', html)


async def test_english_text_part_has_no_invisible_marks(mail_settings: Settings, smtp: SmtpServer):
    message = await _confirmation(mail_settings, smtp, "en")

    text = text_of(message, "plain").replace("\r\n", "\n")

    assert "\nMeeting ID: 123 456 789\nPasscode: gcm-2020\nDial-in:\n+41 22 000 00 00\n+1 212 000 0000\n" in text
    assert LRI not in text and PDI not in text
