"""Post-session summaries: written per language by organisers, sent once per person in their language,
with List-Unsubscribe that works without an account."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx

from events.tables import SessionOrganiser, SummaryOptOut
from registrations.tables import Speaker
from server.app import MAIL_BUILDERS
from server.mail.worker import deliver_due
from server.settings import Settings
from server.tables import OutboxMessage
from tests.conftest import Staff, login_cookie_client
from tests.mail_data import make_registration, make_session
from tests.smtp_server import (
    SmtpServer,
    structure,
    text_of,
)


async def _session_with_people() -> dict:
    held = datetime(2026, 11, 5, 13, tzinfo=UTC)  # a Thursday, already past
    session = await make_session(status="completed", starts_at=held, ends_at=held + timedelta(hours=1))
    await make_registration(session["id"], "came@example.org", attendance="attended", preferred_language="fr")
    await make_registration(session["id"], "partly@example.org", attendance="partial", preferred_language="es")
    await make_registration(session["id"], "away@example.org", attendance="absent")
    await make_registration(session["id"], "waiting@example.org", status="waitlisted")
    await make_registration(session["id"], "gone@example.org", status="cancelled")
    return session


async def _write(client: httpx.AsyncClient, session_id: int, language: str, **fields: str) -> httpx.Response:
    data = {"_csrf_token": client.cookies["convene_csrf"], "language": language, **fields}
    return await client.post(f"/staff/sessions/{session_id}/summary", data=data)


async def _send(client: httpx.AsyncClient, session_id: int, audience: str) -> httpx.Response:
    data = {"_csrf_token": client.cookies["convene_csrf"], "audience": audience}
    return await client.post(f"/staff/sessions/{session_id}/summary/send", data=data)


async def test_summary_goes_to_attendees_in_their_language_with_unsubscribe_headers(
    client: httpx.AsyncClient, mail_settings: Settings, smtp: SmtpServer, admin: Staff
):
    session = await _session_with_people()
    await login_cookie_client(client, admin)
    saved = await _write(client, session["id"], "en", summary="We talked.", outcomes="A plan.",
                         recording_url="https://video.example.org/1", links="Report | https://docs.example.org/r.pdf")
    await _write(client, session["id"], "fr", summary="Nous avons parlé.", outcomes="Un plan.")

    sent = await _send(client, session["id"], "attendees")
    await deliver_due(mail_settings, builders=MAIL_BUILDERS)

    assert (saved.status_code, sent.status_code) == (303, 200)
    assert "2 messages queued." in sent.text
    assert "<td>Attendees</td><td>2</td>" in sent.text  # the audience by its name, not its code
    by_recipient = smtp.sink.take_by_recipient()
    assert sorted(by_recipient) == ["came@example.org", "partly@example.org"]
    french, spanish = by_recipient["came@example.org"].message, by_recipient["partly@example.org"].message
    assert french["Subject"].endswith("Données migratoires pour les politiques")
    assert "Nous avons parlé." in text_of(french, "plain")
    assert "We talked." in text_of(spanish, "plain")  # no Spanish summary: the floor language
    assert '<div lang="en" dir="ltr">' in text_of(spanish, "html")  # marked as English, in its own direction
    assert "Report: https://docs.example.org/r.pdf" in text_of(spanish, "plain")
    assert french["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    links = re.findall(r"<([^>]+)>", french["List-Unsubscribe"])
    assert [link.split(":", 1)[0] for link in links] == ["http"]
    assert links[0].startswith("http://convene.test/unsubscribe/")
    assert structure(french) == ["multipart/alternative", "text/plain", "text/html"]


async def test_each_person_gets_a_sessions_summary_once(
    client: httpx.AsyncClient, mail_settings: Settings, smtp: SmtpServer, admin: Staff
):
    session = await _session_with_people()
    await login_cookie_client(client, admin)
    await _write(client, session["id"], "en", summary="We talked.")

    await _send(client, session["id"], "attendees")
    again = await _send(client, session["id"], "registrants")
    await deliver_due(mail_settings, builders=MAIL_BUILDERS)

    assert "2 messages queued." in again.text  # the absentee and the waitlisted person; attendees had theirs
    assert sorted(smtp.sink.take_by_recipient()) == [
        "away@example.org", "came@example.org", "partly@example.org", "waiting@example.org"
    ]


async def test_absentees_are_confirmed_people_who_did_not_come(
    client: httpx.AsyncClient, mail_settings: Settings, smtp: SmtpServer, admin: Staff
):
    session = await _session_with_people()
    await login_cookie_client(client, admin)
    await _write(client, session["id"], "en", summary="We talked.")

    await _send(client, session["id"], "absentees")
    await deliver_due(mail_settings, builders=MAIL_BUILDERS)

    assert sorted(smtp.sink.take_by_recipient()) == ["away@example.org"]


async def test_unsubscribe_link_works_without_an_account(
    client: httpx.AsyncClient, mail_settings: Settings, smtp: SmtpServer, admin: Staff
):
    session = await _session_with_people()
    await login_cookie_client(client, admin)
    await _write(client, session["id"], "en", summary="We talked.")
    await _send(client, session["id"], "absentees")
    await deliver_due(mail_settings, builders=MAIL_BUILDERS)
    message = smtp.sink.take(1)[0].message
    url = re.findall(r"<([^>]+)>", message["List-Unsubscribe"])[0].removeprefix("http://convene.test")

    client.cookies.clear()
    page = await client.get(url)
    one_click = await client.post(url, content=b"List-Unsubscribe=One-Click",
                                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    await login_cookie_client(client, admin)
    await _send(client, session["id"], "registrants")
    await deliver_due(mail_settings, builders=MAIL_BUILDERS)

    assert page.status_code == 200 and '<form method="post"' in page.text
    assert one_click.status_code == 200
    assert await SummaryOptOut.count() == 1
    assert sorted(smtp.sink.take_by_recipient()) == ["came@example.org", "partly@example.org", "waiting@example.org"]


async def test_forged_unsubscribe_link_is_refused(client: httpx.AsyncClient, database: str):
    response = await client.get("/unsubscribe/not-a-real-token")
    posted = await client.post("/unsubscribe/not-a-real-token")

    assert (response.status_code, posted.status_code) == (404, 404)
    assert await SummaryOptOut.count() == 0


async def test_bad_recording_link_is_refused_naming_the_field(client: httpx.AsyncClient, admin: Staff):
    session = await _session_with_people()
    await login_cookie_client(client, admin)

    response = await _write(client, session["id"], "en", summary="x", recording_url="javascript:alert(1)")

    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.text and "Not an http(s) link." in response.text


async def test_organiser_of_another_session_may_not_write_its_summary(
    client: httpx.AsyncClient, organiser: Staff, other_organiser: Staff
):
    session = await _session_with_people()
    await SessionOrganiser.insert(SessionOrganiser(session=session["id"], user=other_organiser.id))
    await login_cookie_client(client, organiser)

    page = await client.get(f"/staff/sessions/{session['id']}/summary")
    response = await _write(client, session["id"], "en", summary="x")

    assert (page.status_code, response.status_code) == (403, 403)


async def test_summary_page_shows_a_preview(client: httpx.AsyncClient, admin: Staff):
    session = await _session_with_people()
    await login_cookie_client(client, admin)
    await _write(client, session["id"], "fr", summary="Nous avons parlé.")

    page = await client.get(f"/staff/sessions/{session['id']}/summary", params={"language": "fr"})

    assert page.status_code == 200
    assert "Nous avons parlé." in page.text
    preview = re.search(r"<pre lang=\"fr\" dir=\"ltr\">(.*?)</pre>", page.text, re.S).group(1)
    assert preview.startswith("Bonjour Participant,")  # as a French reader gets it, not the staff's English
    assert "Données migratoires pour les politiques" in preview
    assert "jeudi 5 novembre 2026" in preview


async def test_sending_before_writing_is_a_conflict(client: httpx.AsyncClient, admin: Staff):
    session = await _session_with_people()
    await login_cookie_client(client, admin)

    response = await _send(client, session["id"], "attendees")

    assert response.status_code == 409


async def test_a_summary_waits_until_the_session_took_place(client: httpx.AsyncClient, admin: Staff):
    ahead = await make_session(status="published", starts_at=datetime.now(UTC) + timedelta(days=2),
                               ends_at=datetime.now(UTC) + timedelta(days=2, hours=1))
    cancelled = await make_session(status="cancelled", starts_at=datetime.now(UTC) - timedelta(days=2),
                                   ends_at=datetime.now(UTC) - timedelta(days=2) + timedelta(hours=1))
    await make_registration(ahead["id"], "early@example.org")
    await make_registration(cancelled["id"], "none@example.org")
    await login_cookie_client(client, admin)
    for session in (ahead, cancelled):
        assert (await _write(client, session["id"], "en", summary="Notes")).status_code == 303

    early = await _send(client, ahead["id"], "registrants")
    void = await _send(client, cancelled["id"], "registrants")

    assert early.status_code == 409
    assert "The session has not started yet: send its summary once it has taken place." in early.text
    assert void.status_code == 409
    assert "The session was cancelled: there is nothing to summarise." in void.text
    assert await OutboxMessage.count() == 0


async def _session_with_speakers() -> dict:
    """Two attendees who spoke: one consented to be recorded and quoted by name, one did not."""
    session = await _session_with_people()
    for position, (email, name, consent) in enumerate(
        (("named@example.org", "Amina Diallo", True), ("unnamed@example.org", "Quiet Person", False)), start=1
    ):
        reg = await make_registration(session["id"], email, name=name, attendance="attended", consent_recorded=consent)
        await Speaker.insert(Speaker(session=session["id"], registration=reg["id"], topic=f"Topic of {name}",
                                     language="en", status="spoke", position=position))
    return session


async def test_summary_lists_its_speakers_by_name_only_with_consent_on_the_page_and_in_the_mail(
    client: httpx.AsyncClient, mail_settings: Settings, smtp: SmtpServer, admin: Staff
):
    session = await _session_with_speakers()
    await login_cookie_client(client, admin)
    await _write(client, session["id"], "en", summary="We talked.")

    page = await client.get(f"/staff/sessions/{session['id']}/summary", params={"language": "en"})
    await _send(client, session["id"], "attendees")
    await deliver_due(mail_settings, builders=MAIL_BUILDERS)

    preview = re.search(r"<pre lang=\"en\" dir=\"ltr\">(.*?)</pre>", page.text, re.S).group(1)
    mail = text_of(smtp.sink.take_by_recipient()["named@example.org"].message, "plain")
    unnamed = "Civil society, Western European and Others Group"
    # The staff page's table names everyone beside how readers see them; the preview and the mail never name
    # the speaker who did not consent.
    assert "<bdi>Amina Diallo</bdi>" in page.text and f'<td lang="en" dir="ltr">{unnamed}</td>' in page.text
    for text in (preview, mail):
        assert "Amina Diallo: Topic of Amina Diallo" in text
        assert f"{unnamed}: Topic of Quiet Person" in text
        assert "Quiet Person:" not in text
