"""Speakers hear of decisions through the outbox and the worker, in their language and zone: accepted (place,
minutes, expected time), declined (the reason), moved (only when the expected time moves by more than 10
minutes). Post-session summaries name only speakers who consented to be quoted by name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from registrations.schemas import SpeakingRequest
from registrations.speakers import add_request
from server.app import MAIL_BUILDERS
from server.i18n import format_datetime, use_locale
from server.mail.worker import WorkerOptions, deliver_due
from server.settings import Settings
from tests.conftest import login_cookie_client
from tests.mail_data import START, make_registration, make_session
from tests.smtp_server import (
    SmtpServer,
    text_of,
)

FAST = WorkerOptions(backoff_seconds=0.01, backoff_max_seconds=0.05)


async def _speakers(session_id: int, people: list[tuple[str, dict]]) -> list[int]:
    """A registration and a request to speak for each (email, registration values)."""
    ids = []
    for email, values in people:
        reg = await make_registration(session_id, email, **values)
        ids.append(await add_request(session_id, reg["id"], SpeakingRequest(topic=f"Topic of {email}",
                                                                           language="en")))
    return ids


def _plain(message) -> str:
    """The plain-text part with its line ends as Python writes them (SMTP sends CRLF)."""
    return text_of(message, "plain").replace("\r\n", "\n")


def _when(moment: datetime, language: str, zone: str) -> str:
    with use_locale(language, zone):
        return format_datetime(moment)


async def test_accepted_and_declined_speakers_are_told_in_their_language_and_zone(
    client, admin, mail_settings: Settings, smtp: SmtpServer
):
    session = await make_session(kind="listening_session", interpretation_languages=["fr"])
    first, second, third = await _speakers(session["id"], [
        ("ana@example.org", {"timezone": "America/Mexico_City"}),
        ("babacar@example.org", {"preferred_language": "fr", "timezone": "Africa/Dakar"}),
        ("chen@example.org", {}),
    ])
    url = f"/api/v1/sessions/{session['id']}/speakers"

    await client.put(f"{url}/order", headers=admin.headers, json={"ids": [first, second]})
    await client.patch(f"{url}/{third}", headers=admin.headers, json={"status": "declined", "reason": "No time left"})
    await deliver_due(mail_settings, builders=MAIL_BUILDERS, options=FAST)

    received = {recipient: item.message for recipient, item in smtp.sink.take_by_recipient().items()}
    assert sorted(received) == ["ana@example.org", "babacar@example.org", "chen@example.org"]
    accepted = _plain(received["ana@example.org"])
    assert received["ana@example.org"]["Subject"] == "You are on the speakers' list: Migration data for policy"
    assert "- Your place on the list: 1\n- Minutes to speak: 3\n" in accepted
    assert f"- Expected time: {_when(START, 'en', 'America/Mexico_City')}\n" in accepted
    french = received["babacar@example.org"]
    assert french["Subject"] == "Vous êtes sur la liste des orateurs : Données migratoires pour les politiques"
    assert "Votre place sur la liste : 2" in _plain(french)
    assert f"Heure prévue : {_when(START + timedelta(minutes=3), 'fr', 'Africa/Dakar')}" in _plain(french)
    declined = received["chen@example.org"]
    assert declined["Subject"] == "Request to speak not accepted: Migration data for policy"
    assert "Reason given: No time left" in _plain(declined)


async def test_a_new_place_is_told_only_when_the_expected_time_moves_more_than_ten_minutes(
    client, admin, mail_settings: Settings, smtp: SmtpServer
):
    session = await make_session(kind="listening_session")
    first, second, third = await _speakers(session["id"], [
        ("a@example.org", {}), ("b@example.org", {}), ("c@example.org", {})])
    url = f"/api/v1/sessions/{session['id']}/speakers"
    await client.put(f"{url}/order", headers=admin.headers, json={"ids": [first, second, third]})
    await deliver_due(mail_settings, builders=MAIL_BUILDERS, options=FAST)
    assert len(smtp.sink.take(3)) == 3  # accepted, at +0, +3 and +6 minutes

    await client.patch(f"{url}/{first}", headers=admin.headers, json={"minutes": 10})  # b and c move 7 minutes
    # c and b swap: c comes 4 minutes earlier than told, b exactly 10 minutes later: not more than 10.
    await client.patch(f"{url}/{third}", headers=admin.headers, json={"position": 2})
    await deliver_due(mail_settings, builders=MAIL_BUILDERS, options=FAST)
    assert smtp.sink.take() == []

    await client.patch(f"{url}/{first}", headers=admin.headers, json={"minutes": 20})  # c: 14 minutes, b: 20
    await deliver_due(mail_settings, builders=MAIL_BUILDERS, options=FAST)

    received = {recipient: item.message for recipient, item in smtp.sink.take_by_recipient().items()}
    assert sorted(received) == ["b@example.org", "c@example.org"]
    moved = _plain(received["b@example.org"])
    assert received["b@example.org"]["Subject"] == "Your speaking time has changed: Migration data for policy"
    assert "- Your place on the list: 3\n" in moved
    assert f"- Expected time: {_when(START + timedelta(minutes=23), 'en', 'UTC')}\n" in moved
    assert f"- Previously expected: {_when(START + timedelta(minutes=3), 'en', 'UTC')}\n" in moved
    assert "- Your place on the list: 2\n" in _plain(received["c@example.org"])


async def test_summary_names_only_speakers_who_consented_to_be_quoted(
    client, admin, mail_settings: Settings, smtp: SmtpServer
):
    held = datetime(2026, 11, 5, 13, tzinfo=UTC)
    session = await make_session(kind="listening_session", status="completed", starts_at=held,
                                 ends_at=held + timedelta(hours=1))
    named, unnamed = await _speakers(session["id"], [
        ("named@example.org", {"name": "Named Speaker", "consent_recorded": True, "attendance": "attended",
                               "preferred_language": "fr"}),
        ("unnamed@example.org", {"name": "Hidden Speaker", "country": "KE", "attendance": "attended"}),
    ])
    url = f"/api/v1/sessions/{session['id']}/speakers"
    await client.put(f"{url}/order", headers=admin.headers, json={"ids": [named, unnamed]})
    await client.patch(f"{url}/{named}", headers=admin.headers, json={"status": "spoke", "quote": "Data saves lives."})
    await client.patch(f"{url}/{unnamed}", headers=admin.headers, json={"status": "spoke", "quote": "Listen to us."})
    await login_cookie_client(client, admin)
    csrf = client.cookies["convene_csrf"]
    await client.post(f"/staff/sessions/{session['id']}/summary", data={
        "_csrf_token": csrf, "language": "en", "summary": "We listened."})

    page = await client.get(f"/staff/sessions/{session['id']}/summary?language=fr")
    sent = await client.post(f"/staff/sessions/{session['id']}/summary/send",
                             data={"_csrf_token": csrf, "audience": "attendees"})
    await deliver_due(mail_settings, builders=MAIL_BUILDERS, options=FAST)

    assert sent.status_code == 200
    # The organiser sees, before sending, who consented and what a French reader gets.
    assert ('<tr><th scope="row"><bdi>Hidden Speaker</bdi></th><td>No</td><td lang="fr" dir="ltr">'
            "Société civile, Groupe des États d&#39;Afrique</td><td>Listen to us.</td></tr>") in page.text
    named_row = '<tr><th scope="row"><bdi>Named Speaker</bdi></th><td>Yes</td><td lang="fr" dir="ltr">Named Speaker'
    assert named_row in page.text
    received = {recipient: item.message for recipient, item in smtp.sink.take_by_recipient().items()}
    english, french = _plain(received["unnamed@example.org"]), _plain(received["named@example.org"])
    assert "- Named Speaker: Topic of named@example.org\n  “Data saves lives.”\n" in english
    assert "- Civil society, African Group: Topic of unnamed@example.org\n  “Listen to us.”\n" in english
    assert "Hidden Speaker" not in french + text_of(received["named@example.org"], "html")
    assert "- Société civile, Groupe des États d'Afrique: Topic of unnamed@example.org\n" in french
