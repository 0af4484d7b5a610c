"""Public calendars: one session and the subscription feed, read back by icalendar and by ical.js."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import icalendar
import pytest

from events.calendar import Invite, build_calendar, clean_text, session_uid
from events.tables import Series
from registrations import notifications
from server.app import MAIL_BUILDERS
from server.mail.worker import WorkerOptions, deliver_due
from tests.mail_data import START, make_registration, make_session
from tests.smtp_server import (
    calendar_part,
    ical_js,
)


async def test_session_calendar_has_no_attendees_and_no_join_details(client: httpx.AsyncClient):
    session = await make_session(sequence=4, venue="Palais des Nations, Geneva")

    response = await client.get(f"/sessions/{session['id']}/calendar.ics")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    body = response.content
    assert body.count(b"\n") == body.count(b"\r\n")
    parsed = ical_js(body)
    event = parsed["events"][0]
    assert parsed["method"] == "PUBLISH"
    assert (event["uid"], event["sequence"], event["status"]) == (f"session-{session['id']}@convene.test", 4,
                                                                   "CONFIRMED")
    assert (event["start"], event["end"]) == ("2037-12-03T13:00:00.000Z", "2037-12-03T14:30:00.000Z")
    assert (event["summary"], event["location"]) == ("Migration data for policy", "Palais des Nations, Geneva")
    assert event["attendees"] == []
    assert b"meet.example.org" not in body and b"secret-pass" not in body
    assert event["description"] == f"How countries use migration data.\n\nhttp://convene.test/sessions/{session['id']}"


async def test_session_calendar_in_viewers_language(client: httpx.AsyncClient):
    session = await make_session()

    response = await client.get(f"/sessions/{session['id']}/calendar.ics", headers={"Accept-Language": "fr"})

    assert ical_js(response.content)["events"][0]["summary"] == "Données migratoires pour les politiques"


async def test_draft_session_has_no_public_calendar(client: httpx.AsyncClient):
    session = await make_session(status="draft")

    response = await client.get(f"/sessions/{session['id']}/calendar.ics")

    assert response.status_code == 404


async def test_cancelled_session_calendar_says_cancelled(client: httpx.AsyncClient):
    session = await make_session(status="cancelled", sequence=2)

    response = await client.get(f"/sessions/{session['id']}/calendar.ics")

    event = icalendar.Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert (str(event["STATUS"]), event["SEQUENCE"]) == ("CANCELLED", 2)


async def test_feed_filters_by_series_region_kind_and_language(client: httpx.AsyncClient):
    series = (await Series.insert(Series(title={"en": "Reviews"})).returning(Series.id))[0]["id"]
    in_series = await make_session(series=series, region="ECE", kind="regional_review")
    await make_session(region="ECA")
    spanish = await make_session(floor_language="es", interpretation_languages=["fr"], starts_at=START + timedelta(1),
                                 ends_at=START + timedelta(days=1, hours=1))
    await make_session(status="draft")

    def uids(response: httpx.Response) -> list[str]:
        return [e["uid"] for e in ical_js(response.content)["events"]]

    reviewed, interpreted = f"session-{in_series['id']}@convene.test", f"session-{spanish['id']}@convene.test"
    assert uids(await client.get("/calendar.ics", params={"series": series})) == [reviewed]
    assert uids(await client.get("/calendar.ics", params={"region": "ECE"})) == [reviewed]
    assert uids(await client.get("/calendar.ics", params={"kind": "regional_review"})) == [reviewed]
    assert uids(await client.get("/calendar.ics", params={"language": "fr"})) == [interpreted]
    assert uids(await client.get("/calendar.ics", params={"language": "FR"})) == [interpreted]
    assert len(uids(await client.get("/calendar.ics"))) == 3


async def test_feed_refuses_unknown_region_naming_the_field(client: httpx.AsyncClient):
    response = await client.get("/calendar.ics", params={"region": "Mars"})

    assert response.status_code == 422
    assert "<li><bdi>region</bdi>: Unknown region.</li>" in response.text


async def test_feed_refuses_non_numeric_series(client: httpx.AsyncClient):
    response = await client.get("/calendar.ics", params={"series": "abc"})

    assert response.status_code == 400


def _session_row(**values) -> dict:
    return {
        "id": 7, "title": {"en": "Title"}, "description": {"en": "About"}, "floor_language": "en",
        "starts_at": datetime(2026, 3, 3, 14, 0, tzinfo=UTC), "ends_at": datetime(2026, 3, 3, 15, 0, tzinfo=UTC),
        "timezone": "Europe/Zurich", "status": "published", "sequence": 3, "join_url": "https://meet.example.org/x",
        "join_meeting_id": "", "join_passcode": "", "join_dial_in": "", "venue": "", **values,
    }


@pytest.mark.engine_independent
def test_property_injection_is_stripped():
    hostile = "Talk\r\nATTENDEE:mailto:evil@example.org\r\nX-INJECTED:1"
    body = build_calendar(
        [_session_row(title={"en": hostile}, description={"en": "\x00\x1bSee\r\nBCC: x"})],
        public_url="https://convene.example.org",
        mail_from='Evil "Quote\r\nX: y <events@convene.example.org>',
        invite=Invite(method="REQUEST", sequence=3, attendee_email="ana@example.org",
                      attendee_name='Ana"; ROLE=CHAIR\r\nX-Y:z'),
    )

    parsed = ical_js(body)
    event = parsed["events"][0]
    assert event["property_names"] == [
        "attendee", "description", "dtend", "dtstamp", "dtstart", "location", "organizer", "sequence", "status",
        "summary", "transp", "uid", "url",
    ]
    assert [a["value"] for a in event["attendees"]] == ["mailto:ana@example.org"]
    assert event["attendees"][0]["cn"] == "Ana; ROLE=CHAIRX-Y:z"
    assert event["summary"] == "Talk\nATTENDEE:mailto:evil@example.org\nX-INJECTED:1"
    assert b"\r\nX-INJECTED" not in body and b"\r\nBCC" not in body


@pytest.mark.engine_independent
def test_invite_times_are_utc_and_uid_stable_across_methods():
    session = _session_row(starts_at=datetime(2026, 3, 3, 15, 0, tzinfo=ZoneInfo("Europe/Zurich")))
    request = build_calendar([session], public_url="https://c.example.org", mail_from="C <e@c.example.org>",
                             invite=Invite(method="REQUEST", sequence=3, attendee_email="a@example.org"))
    cancel = build_calendar([session], public_url="https://c.example.org", mail_from="C <e@c.example.org>",
                            invite=Invite(method="CANCEL", sequence=4, attendee_email="a@example.org"))

    first, second = ical_js(request), ical_js(cancel)
    assert b"DTSTART:20260303T140000Z\r\n" in request
    assert (first["method"], second["method"]) == ("REQUEST", "CANCEL")
    assert first["events"][0]["uid"] == second["events"][0]["uid"] == session_uid(7, "https://c.example.org")
    assert (second["events"][0]["status"], second["events"][0]["sequence"]) == ("CANCELLED", 4)
    assert "meet.example.org" not in second["events"][0]["description"]


@pytest.mark.engine_independent
def test_clean_text_keeps_newlines_and_drops_control_characters():
    assert clean_text("a\r\nb\x00c\x1b[31m\u2028d\te") == "a\nbc[31md\te"


async def test_pages_link_to_the_calendars(client: httpx.AsyncClient):
    session = await make_session(starts_at=datetime.now(UTC) + timedelta(days=3),
                                 ends_at=datetime.now(UTC) + timedelta(days=3, hours=1))

    index = await client.get("/", params={"region": "ECE"})
    page = await client.get(f"/sessions/{session['id']}")

    assert 'href="/calendar.ics?kind=&amp;region=ECE&amp;language="' in index.text
    assert f'href="/sessions/{session["id"]}/calendar.ics"' in page.text


async def test_control_characters_stored_in_a_title_never_reach_summary(client: httpx.AsyncClient,
                                                                        mail_settings, smtp):
    # Written straight into the table, as older data or another tool could have (the API refuses them now).
    session = await make_session(title={"en": "Data\x00 for\x1b[31m policy\x7f"})
    reg = await make_registration(session["id"], "ana@example.org")
    await notifications.notify_registration_confirmed(reg, settings=mail_settings)

    await deliver_due(
        mail_settings, builders=MAIL_BUILDERS, options=WorkerOptions(backoff_seconds=0.01, backoff_max_seconds=0.05)
    )
    public = (await client.get(f"/sessions/{session['id']}/calendar.ics")).content
    _method, invite = calendar_part(smtp.sink.take(1)[0].message)

    for body in (public, invite):
        assert b"\x00" not in body and b"\x1b" not in body and b"\x7f" not in body
        assert ical_js(body)["events"][0]["summary"] == "Data for[31m policy"
