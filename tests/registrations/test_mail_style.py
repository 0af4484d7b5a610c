"""Mail as the secretariat sends it, read as it arrives: styled for mail clients, naming the secretariat and its
contact, the join link a link, the privacy notice and web-calendar links beside the invite."""

from __future__ import annotations

import dataclasses
import re

from registrations import notifications
from server.app import MAIL_BUILDERS
from server.mail.worker import WorkerOptions, deliver_due
from server.settings import Settings
from tests.mail_data import make_registration, make_session
from tests.smtp_server import (
    SmtpServer,
    structure,
    text_of,
)

FAST = WorkerOptions(backoff_seconds=0.01, backoff_max_seconds=0.05)
GOOGLE = (
    "https://calendar.google.com/calendar/render?action=TEMPLATE&text=Migration+data+for+policy"
    "&dates=20371203T130000Z%2F20371203T143000Z&details=http%3A%2F%2Fconvene.test%2Fsessions%2F{id}"
)
OUTLOOK = (
    "https://outlook.office.com/calendar/0/deeplink/compose?path=%2Fcalendar%2Faction%2Fcompose&rru=addevent"
    "&subject=Migration+data+for+policy&startdt=2037-12-03T13%3A00%3A00Z&enddt=2037-12-03T14%3A30%3A00Z"
    "&body=http%3A%2F%2Fconvene.test%2Fsessions%2F{id}"
)


def secretariat(settings: Settings) -> Settings:
    return dataclasses.replace(settings, secretariat_name="GCM Network Secretariat",
                               secretariat_contact="network@example.org")


async def confirmed_message(settings: Settings, smtp: SmtpServer, **registration):
    session = await make_session()
    reg = await make_registration(session["id"], "ana@example.org", name="Ana Pérez", **registration)
    await notifications.notify_registration_confirmed(reg, settings=settings)
    await deliver_due(settings, builders=MAIL_BUILDERS, options=FAST)
    (received,) = smtp.sink.take(1)
    return session, received.message


async def test_html_part_links_the_join_url_and_is_styled_inline(mail_settings: Settings, smtp: SmtpServer):
    _session, message = await confirmed_message(secretariat(mail_settings), smtp)

    html = text_of(message, "html")
    assert re.findall(r'<a [^>]*href="https://meet.example.org/j/123"[^>]*>([^<]*)</a>', html) == [
        "Join the session", "https://meet.example.org/j/123",
    ]
    assert "<style" not in html
    body = re.search(r"<body[^>]*>", html).group(0)
    assert 'style="' in body and "font-family: -apple-system" in body
    paragraphs = re.findall(r"<p( [^>]*)?>", html)
    assert paragraphs and all(attributes and 'style="' in attributes for attributes in paragraphs)
    assert len(re.findall(r'<table [^>]*role="presentation"', html)) == 2  # the frame and the 600-pixel card


async def test_both_parts_name_the_secretariat_its_contact_and_the_privacy_notice(
    mail_settings: Settings, smtp: SmtpServer
):
    _session, message = await confirmed_message(secretariat(mail_settings), smtp)

    html, text = text_of(message, "html"), text_of(message, "plain").replace("\r\n", "\n")
    assert "Sent by GCM Network Secretariat. Questions: network@example.org" in text
    assert "Privacy notice: http://convene.test/privacy" in text
    assert re.search(r"Sent by <bdi>GCM Network Secretariat</bdi>\. Questions: <a href=\"mailto:network@example.org\""
                     r"[^>]*>network@example.org</a>", html)
    assert re.findall(r'<a [^>]*href="http://convene.test/privacy"[^>]*>([^<]*)</a>', html) == ["Privacy notice"]
    assert "GCM Network Secretariat</td>" in html.replace("\n", "")  # the masthead, without a logo


async def test_secretariat_defaults_to_the_sender_and_shows_its_logo(mail_settings: Settings, smtp: SmtpServer):
    settings = dataclasses.replace(mail_settings, secretariat_logo="convene.css")  # any file under static/
    _session, message = await confirmed_message(settings, smtp)

    html, text = text_of(message, "html"), text_of(message, "plain").replace("\r\n", "\n")
    assert "Sent by Convene Secretariat. Questions: events@convene.test" in text
    assert re.search(r'<img src="http://convene.test/static/convene.css" alt="Convene Secretariat"', html)


async def test_invite_comes_with_add_to_calendar_links_without_the_join_link(
    mail_settings: Settings, smtp: SmtpServer
):
    session, message = await confirmed_message(mail_settings, smtp)

    html, text = text_of(message, "html"), text_of(message, "plain").replace("\r\n", "\n")
    google, outlook = GOOGLE.format(id=session["id"]), OUTLOOK.format(id=session["id"])
    assert f"Add to Google Calendar: {google}\nAdd to Outlook: {outlook}\n" in text
    escaped = [url.replace("&", "&amp;") for url in (google, outlook)]
    assert re.findall(r'<a [^>]*href="(https://(?:calendar.google|outlook.office)[^"]*)"', html) == escaped
    assert "meet.example.org" not in google + outlook
    assert structure(message)[0] == "multipart/mixed"


async def test_message_without_invite_has_no_calendar_links_but_the_footer(mail_settings: Settings, smtp: SmtpServer):
    session = await make_session()
    reg = await make_registration(session["id"], "sara@example.org", preferred_language="ar", status="pending")
    await notifications.notify_registration_pending(reg, settings=mail_settings)
    await deliver_due(mail_settings, builders=MAIL_BUILDERS, options=FAST)
    message = smtp.sink.take(1)[0].message

    html, text = text_of(message, "html"), text_of(message, "plain").replace("\r\n", "\n")
    assert "calendar.google.com" not in html + text
    assert "meet.example.org" not in html + text  # no seat, no join details
    assert "\u2068http://convene.test/privacy \u2069" in text
    assert re.findall(r'<a [^>]*href="http://convene.test/privacy"[^>]*>([^<]*)</a>', html) == ["إشعار الخصوصية"]
