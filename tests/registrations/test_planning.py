"""The planning board: demand per session (offered or not), deadlines from lead times with overdue marks, order of
urgency, scope; settling needs in bulk (each registrant mailed through a real SMTP server); adding a channel;
lead times per session; the planning sheet as CSV and XLSX."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from events.tables import Session
from registrations.tables import Need, Registration
from server.app import MAIL_BUILDERS
from server.mail.worker import WorkerOptions, deliver_due
from server.settings import Settings
from tests.conftest import login_cookie_client
from tests.registrations.conftest import assign, make_session
from tests.registrations.test_reports import add
from tests.server.helpers import post_form
from tests.smtp_server import (
    SmtpServer,
    text_of,
)

FAST = WorkerOptions(backoff_seconds=0.01, backoff_max_seconds=0.05)
TODAY = datetime.now(UTC).date()


def at_noon(days: int) -> datetime:
    """Noon UTC ``days`` from today: the same calendar day in Geneva."""
    return datetime.combine(TODAY + timedelta(days=days), datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)


async def soon_session(organiser_id: int) -> int:
    """Ten days ahead, offering French and Arabic, with demand for Spanish (not offered), sign languages,
    captioning, documents and automatic captions, and two personal assistants."""
    session_id = await make_session(starts_at=at_noon(10), ends_at=at_noon(10) + timedelta(hours=2),
                                    timezone="Europe/Zurich", interpretation_languages=["fr", "ar"])
    await assign(session_id, organiser_id)
    await add(session_id, "es1@example.org", category="civil_society", country="MX",
              needs=(("interpretation", "es", "", "requested"),
                     ("accessibility", "international_sign", "", "requested")))
    await add(session_id, "es2@example.org", category="migrants", country="AR",
              needs=(("interpretation", "es", "", "requested"), ("accessibility", "captions_cart", "", "requested")))
    await add(session_id, "fr@example.org", category="academia", country="SN",
              needs=(("interpretation", "fr", "", "arranged"),
                     ("accessibility", "national_sign_language", "bfi", "requested"),
                     ("accessibility", "accessible_documents", "", "requested"),
                     ("accessibility", "captions_auto", "", "requested")))
    await add(session_id, "gone@example.org", category="media", country="FR", status="cancelled",
              needs=(("interpretation", "de", "", "requested"),))
    await Registration.update({Registration.personal_assistant: True}).where(
        Registration.email.is_in(["es1@example.org", "fr@example.org", "gone@example.org"]))
    return session_id


def rows(item: dict) -> tuple:
    return (item["kind"], item["code"], item["sign_language"], item["offered"], item["asked"], item["requested"],
            item["arranged"], item["lead_days"], item["book_by"], item["overdue"])


def day(days: int) -> str:
    return (TODAY + timedelta(days=days)).isoformat()


async def test_board_gives_demand_deadlines_and_overdue_marks_in_order_of_urgency(client, organiser, other_organiser):
    soon = await soon_session(organiser.id)
    later = await make_session(starts_at=at_noon(30), ends_at=at_noon(30) + timedelta(hours=1),
                               timezone="Europe/Zurich", need_lead_days={"interpretation": 35})
    await assign(later, organiser.id)
    await add(later, "ru@example.org", category="member_state", country="KZ",
              needs=(("interpretation", "ru", "", "requested"),))
    calm = await make_session(starts_at=at_noon(5), ends_at=at_noon(5) + timedelta(hours=1),
                              interpretation_languages=[])
    await assign(calm, organiser.id)
    not_mine = await make_session()
    await assign(not_mine, other_organiser.id)
    past = await make_session(starts_at=at_noon(-2), ends_at=at_noon(-2) + timedelta(hours=1))
    await assign(past, organiser.id)

    response = await client.get("/api/v1/planning", headers=organiser.headers)

    assert response.status_code == 200
    board = response.json()
    assert board["today"] == TODAY.isoformat()
    assert [s["id"] for s in board["sessions"]] == [soon, later, calm]
    first = board["sessions"][0]
    assert (first["personal_assistants"], first["overdue"], first["next_deadline"]) == (2, 3, day(-11))
    assert first["lead_days"] == {"sign_language": 21, "captioning": 7, "interpretation": 14,
                                  "accessible_documents": 5}
    assert [rows(item) for item in first["items"]] == [
        ("accessibility", "international_sign", None, False, 1, 1, 0, 21, day(-11), True),
        ("accessibility", "national_sign_language", "bfi", False, 1, 1, 0, 21, day(-11), True),
        ("interpretation", "es", None, False, 2, 2, 0, 14, day(-4), True),
        ("accessibility", "captions_cart", None, True, 1, 1, 0, 7, day(3), False),
        ("accessibility", "accessible_documents", None, False, 1, 1, 0, 5, day(5), False),
        ("accessibility", "captions_auto", None, False, 1, 1, 0, None, None, False),
        ("interpretation", "fr", None, True, 1, 0, 1, 14, day(-4), False),
        ("interpretation", "ar", None, True, 0, 0, 0, 14, day(-4), False),
    ]
    assert [n["name"] for n in first["items"][2]["open_needs"]] == ["es1", "es2"]
    second = board["sessions"][1]
    assert [rows(item) for item in second["items"]] == [
        ("interpretation", "ru", None, False, 1, 1, 0, 35, day(-5), True),
        ("interpretation", "ar", None, True, 0, 0, 0, 35, day(-5), False),
        ("interpretation", "fr", None, True, 0, 0, 0, 35, day(-5), False),
    ]
    assert (board["sessions"][2]["items"], board["sessions"][2]["next_deadline"]) == ([], None)


async def test_admins_see_every_upcoming_session(client, admin, organiser, other_organiser):
    mine = await make_session()
    await assign(mine, organiser.id)
    theirs = await make_session()
    await assign(theirs, other_organiser.id)

    board = (await client.get("/api/v1/planning", headers=admin.headers)).json()

    assert sorted(s["id"] for s in board["sessions"]) == [mine, theirs]


async def test_bulk_marking_settles_every_need_and_mails_each_registrant(client, organiser, mail_settings: Settings,
                                                                        smtp: SmtpServer):
    session_id = await soon_session(organiser.id)
    ids = [n["id"] for n in await Need.select(Need.id).where(Need.code == "es").order_by(Need.id)]

    response = await client.post(f"/api/v1/sessions/{session_id}/needs",
                                 json={"need_ids": ids, "status": "not_possible", "note": "No Spanish booth"},
                                 headers=organiser.headers)
    await deliver_due(mail_settings, builders=MAIL_BUILDERS, options=FAST)

    assert response.status_code == 200
    assert response.json() == {"updated": 2}
    assert [n["status"] for n in await Need.select(Need.status).where(Need.id.is_in(ids))] == ["not_possible"] * 2
    received = {m.recipients[0]: m.message for m in smtp.sink.take(2)}
    assert sorted(received) == ["es1@example.org", "es2@example.org"]
    for message in received.values():
        assert message["Subject"] == "Not possible: Spanish"
        assert "Note from the organisers: No Spanish booth" in text_of(message, "plain")


async def test_bulk_marking_with_a_need_of_another_session_changes_nothing(client, organiser, smtp: SmtpServer):
    session_id = await soon_session(organiser.id)
    other = await make_session()
    foreign = await add(other, "x@example.org", category="media", country="FR",
                        needs=(("interpretation", "es", "", "requested"),))
    foreign_need = (await Need.select(Need.id).where(Need.registration == foreign).first())["id"]
    mine = (await Need.select(Need.id).where(Need.code == "captions_cart").first())["id"]

    response = await client.post(f"/api/v1/sessions/{session_id}/needs",
                                 json={"need_ids": [mine, foreign_need], "status": "arranged"},
                                 headers=organiser.headers)
    bad_status = await client.post(f"/api/v1/sessions/{session_id}/needs",
                                   json={"need_ids": [mine], "status": "done"}, headers=organiser.headers)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "need_ids"
    assert bad_status.status_code == 422
    assert bad_status.json()["errors"][0]["field"] == "status"
    assert await Need.count().where(Need.status == "arranged") == 1  # only the French one seeded as arranged


async def test_board_page_marks_the_ticked_needs_and_mails_the_registrants(client, organiser, mail_settings: Settings,
                                                                           smtp: SmtpServer):
    session_id = await soon_session(organiser.id)
    await login_cookie_client(client, organiser)
    need = (await Need.select(Need.id).where(Need.code == "international_sign").first())["id"]

    page = await client.get("/staff/planning")
    sheet = await client.get("/staff/planning/export.xlsx")
    done = await post_form(client, f"/staff/sessions/{session_id}/planning/needs",
                           {"need_ids": str(need), "status": "arranged", "note": ""})
    await deliver_due(mail_settings, builders=MAIL_BUILDERS, options=FAST)

    assert page.status_code == 200
    assert page.text.count('<strong class="overdue">Overdue</strong>') == 3
    assert f'id="need-{need}"' in page.text
    assert load_workbook(io.BytesIO(sheet.content)).sheetnames == ["planning"]
    assert (done.status_code, done.headers["location"]) == (303, f"/staff/planning?done=needs#session-{session_id}")
    (message,) = smtp.sink.take(1)
    assert message.recipients == ["es1@example.org"]
    assert message.message["Subject"] == "Arranged for you: International Sign interpretation"


async def test_adding_a_channel_offers_the_language_without_mail_as_the_invite_does_not_change(client, organiser):
    session_id = await soon_session(organiser.id)
    before = (await Session.select(Session.sequence).where(Session.id == session_id).first())["sequence"]

    response = await client.post(f"/api/v1/sessions/{session_id}/interpretation-channels", json={"language": "es"},
                                 headers=organiser.headers)
    again = await client.post(f"/api/v1/sessions/{session_id}/interpretation-channels", json={"language": "es"},
                              headers=organiser.headers)
    bad = await client.post(f"/api/v1/sessions/{session_id}/interpretation-channels", json={"language": "xx-!"},
                            headers=organiser.headers)

    assert response.json() == {"interpretation_languages": ["fr", "ar", "es"]}
    assert again.json() == {"interpretation_languages": ["fr", "ar", "es"]}
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "language")
    row = await Session.select(Session.sequence).where(Session.id == session_id).first()
    assert row["sequence"] == before
    board = (await client.get("/api/v1/planning", headers=organiser.headers)).json()
    spanish = next(i for i in board["sessions"][0]["items"] if i["code"] == "es")
    assert spanish["offered"] is True


async def test_lead_times_set_per_session_move_the_deadlines(client, organiser):
    session_id = await soon_session(organiser.id)

    response = await client.put(f"/api/v1/sessions/{session_id}/lead-times",
                                json={"interpretation": 3, "sign_language": None}, headers=organiser.headers)
    too_long = await client.put(f"/api/v1/sessions/{session_id}/lead-times", json={"captioning": 400},
                                headers=organiser.headers)

    assert response.json() == {"sign_language": 21, "captioning": 7, "interpretation": 3, "accessible_documents": 5}
    assert (too_long.status_code, too_long.json()["errors"][0]["field"]) == (422, "captioning")
    board = (await client.get("/api/v1/planning", headers=organiser.headers)).json()
    spanish = next(i for i in board["sessions"][0]["items"] if i["code"] == "es")
    assert (spanish["book_by"], spanish["overdue"]) == (day(7), False)


async def test_planning_sheet_exports_as_csv_and_xlsx(client, organiser):
    session_id = await soon_session(organiser.id)

    as_csv = await client.get("/api/v1/planning", params={"format": "csv"}, headers=organiser.headers)
    as_xlsx = await client.get("/api/v1/planning", params={"format": "xlsx"}, headers=organiser.headers)
    bad = await client.get("/api/v1/planning", params={"format": "pdf"}, headers=organiser.headers)

    table = list(csv.reader(io.StringIO(as_csv.text.lstrip("\ufeff"))))
    assert table[0][4:] == ["kind", "code", "sign_language", "name", "offered", "asked", "requested", "arranged",
                            "not_possible", "lead_days", "book_by", "overdue"]
    assert table[2][4:] == ["accessibility", "national_sign_language", "bfi",
                            "National sign language interpretation: British Sign Language", "no", "1", "1", "0",
                            "0", "21", day(-11), "yes"]
    assert table[-1][4:] == ["personal_assistant", "", "", "Personal assistants", "", "2", "", "", "", "", "", ""]
    starts = at_noon(10).astimezone(ZoneInfo("Europe/Zurich")).isoformat()
    assert table[1][:4] == [str(session_id), "Migration data in the Arab region", starts, "Europe/Zurich"]
    sheet = load_workbook(io.BytesIO(as_xlsx.content))["planning"]
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[3][4:] == ["interpretation", "es", None, "Spanish", "no", 2, 2, 0, 0, 14, day(-4), "yes"]
    assert len(values) == len(table)
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "format")


async def test_board_page_says_what_is_wrong_beside_the_session_and_changes_nothing(client, organiser):
    session_id = await soon_session(organiser.id)
    await login_cookie_client(client, organiser)

    nothing_ticked = await post_form(client, f"/staff/sessions/{session_id}/planning/needs", {"status": "arranged"})
    bad_days = await post_form(client, f"/staff/sessions/{session_id}/planning/lead-times", {"captioning": "soon"})

    assert nothing_ticked.status_code == 400
    assert f'<a href="#session-{session_id}">Choose at least one need.</a>' in nothing_ticked.text
    assert bad_days.status_code == 400
    assert "Give a number of days from 0 to 365." in bad_days.text
    assert await Need.count().where(Need.status == "requested") == 8  # seven open, one of a cancelled registration
    row = await Session.select(Session.need_lead_days).where(Session.id == session_id).first().output(load_json=True)
    assert row["need_lead_days"] == {}
