"""Participation reports: exact counts by every dimension (a country in several Commissions counts in each), the
no-show rate, needs asked for against arranged, the whole-of-society view, scoping to what the caller manages, and
the shared exports (CSV and XLSX, small counts suppressed)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from openpyxl import load_workbook

from events.tables import Series
from registrations.tables import Need, Registration, Speaker
from tests.conftest import login_cookie_client
from tests.registrations.conftest import assign, make_session

NOW = datetime.now(UTC).replace(microsecond=0)


async def ended_session(**overrides: Any) -> int:
    starts = NOW - timedelta(days=3)
    values = {"starts_at": starts, "ends_at": starts + timedelta(hours=2), "status": "completed", **overrides}
    return await make_session(**values)


async def add(session_id: int, email: str, *, category: str, country: str, status: str = "confirmed",
              attendance: str | None = None, language: str = "en", gender: str | None = None,
              interpretation: str | None = None, needs: tuple[tuple[str, str, str, str], ...] = ()) -> int:
    """A registration written directly (the report only reads); ``needs`` as (kind, code, text, status)."""
    rows = await Registration.insert(Registration(
        session=session_id, name=email.split("@")[0], email=email, stakeholder_category=category, country=country,
        preferred_language=language, gender=gender, interpretation_language=interpretation, status=status,
        attendance=attendance, manage_nonce="n", consent_processing=True,
    )).returning(Registration.id)
    registration_id = rows[0]["id"]
    for kind, code, text, need_status in needs:
        await Need.insert(Need(registration=registration_id, kind=kind, code=code, text=text, status=need_status))
    return registration_id


async def seed(session_id: int) -> None:
    """Seven registrations: the United States (ECE, ECLAC, ESCAP) twice, Egypt (ECA, ESCWA) twice, Switzerland
    (ECE), Senegal (ECA), Germany (cancelled: not counted as registered)."""
    await add(session_id, "us1@example.org", category="civil_society", country="US", attendance="attended",
              gender="woman", interpretation="es",
              needs=(("interpretation", "es", "", "arranged"), ("accessibility", "captions_cart", "", "requested")))
    await add(session_id, "us2@example.org", category="member_state", country="US", attendance="absent", gender="man")
    await add(session_id, "eg1@example.org", category="civil_society", country="EG", attendance="partial",
              language="ar", interpretation="ar",
              needs=(("interpretation", "ar", "", "not_possible"),
                     ("accessibility", "national_sign_language", "arb", "arranged")))
    await add(session_id, "ch@example.org", category="academia", country="CH", attendance="excused", language="fr")
    await add(session_id, "sn@example.org", category="civil_society", country="SN", status="waitlisted",
              language="fr")
    await add(session_id, "eg2@example.org", category="migrants", country="EG", status="declined", language="ar")
    await add(session_id, "de@example.org", category="other", country="DE", status="cancelled",
              needs=(("accessibility", "captions_cart", "", "requested"),))


def groups(report: dict, dimension: str) -> list[tuple[str, int, int, int]]:
    return [(g["key"], g["registered"], g["confirmed"], g["attended"]) for g in report["by"][dimension]]


async def test_session_report_counts_every_dimension(client, organiser):
    session_id = await ended_session()
    await assign(session_id, organiser.id)
    await seed(session_id)

    response = await client.get(f"/api/v1/sessions/{session_id}/report", headers=organiser.headers)

    assert response.status_code == 200
    report = response.json()
    totals = {k: report[k] for k in ("registered", "confirmed", "waitlisted", "attended", "absent", "excused")}
    assert totals == {"registered": 6, "confirmed": 4, "waitlisted": 1, "attended": 2, "absent": 1, "excused": 1}
    assert report["no_show_rate"] == 0.25  # one confirmed and absent of four confirmed; excused is no no-show
    assert groups(report, "commission") == [
        ("ECA", 3, 1, 1), ("ECE", 3, 3, 1), ("ECLAC", 2, 2, 1), ("ESCAP", 2, 2, 1), ("ESCWA", 2, 1, 1),
    ]
    assert groups(report, "regional_group") == [("african", 3, 1, 1), ("weog", 3, 3, 1)]
    assert groups(report, "stakeholder_category") == [
        ("civil_society", 3, 2, 2), ("academia", 1, 1, 0), ("member_state", 1, 1, 0), ("migrants", 1, 0, 0),
    ]
    assert groups(report, "country") == [("EG", 2, 1, 1), ("US", 2, 2, 1), ("CH", 1, 1, 0), ("SN", 1, 0, 0)]
    assert groups(report, "preferred_language") == [("ar", 2, 1, 1), ("en", 2, 2, 1), ("fr", 2, 1, 0)]
    assert groups(report, "gender") == [("none", 4, 2, 1), ("man", 1, 1, 0), ("woman", 1, 1, 1)]
    assert groups(report, "interpretation_language") == [("none", 4, 2, 0), ("ar", 1, 1, 1), ("es", 1, 1, 1)]
    assert report["needs"] == [
        {"kind": "accessibility", "code": "captions_cart", "sign_language": None, "requested": 1, "arranged": 0,
         "not_possible": 0, "open": 1},
        {"kind": "accessibility", "code": "national_sign_language", "sign_language": "arb", "requested": 1,
         "arranged": 1, "not_possible": 0, "open": 0},
        {"kind": "interpretation", "code": "ar", "sign_language": None, "requested": 1, "arranged": 0,
         "not_possible": 1, "open": 0},
        {"kind": "interpretation", "code": "es", "sign_language": None, "requested": 1, "arranged": 1,
         "not_possible": 0, "open": 0},
    ]
    assert report["sessions"] == []


async def speak(session_id: int, registration_id: int, status: str) -> None:
    await Speaker.insert(Speaker(session=session_id, registration=registration_id, topic="Access", language="en",
                                 status=status, position=1 if status != "declined" else None))


async def test_whole_of_society_view_gives_shares_among_registrants_attendees_and_speakers(client, admin):
    session_id = await ended_session(kind="listening_session")
    await seed(session_id)
    by_email = {row["email"]: row["id"] for row in await Registration.select(Registration.id, Registration.email)}
    await speak(session_id, by_email["us1@example.org"], "spoke")  # civil society, WEOG
    await speak(session_id, by_email["eg1@example.org"], "accepted")  # civil society, African Group
    await speak(session_id, by_email["ch@example.org"], "spoke")  # academia, WEOG
    await speak(session_id, by_email["us2@example.org"], "declined")  # not given the floor
    await speak(session_id, by_email["sn@example.org"], "absent")  # placed, did not speak

    report = (await client.get(f"/api/v1/sessions/{session_id}/report", headers=admin.headers)).json()

    society = report["society"]
    assert [(c["category"], c["registrants"], c["attendees"], c["registrant_share"], c["attendee_share"],
             c["speakers"], c["speaker_share"]) for c in society["categories"]] == [
        ("civil_society", 3, 2, 0.5, 1.0, 2, 0.6667), ("academia", 1, 0, 0.1667, 0.0, 1, 0.3333),
        ("member_state", 1, 0, 0.1667, 0.0, 0, 0.0), ("migrants", 1, 0, 0.1667, 0.0, 0, 0.0),
    ]
    by_region = {r["regional_group"]: [(c["category"], c["registrants"], c["attendees"], c["speakers"])
                                       for c in r["categories"]] for r in society["by_region"]}
    assert by_region == {
        "african": [("civil_society", 2, 1, 1), ("migrants", 1, 0, 0)],
        "weog": [("academia", 1, 0, 1), ("civil_society", 1, 1, 1), ("member_state", 1, 0, 0)],
    }
    assert [(g["key"], g["speakers"]) for g in report["by"]["regional_group"]] == [("african", 1), ("weog", 2)]
    assert [(g["key"], g["speakers"]) for g in report["by"]["commission"] if g["speakers"]] == [
        ("ECA", 1), ("ECE", 2), ("ECLAC", 1), ("ESCAP", 1), ("ESCWA", 1),
    ]


async def test_no_show_rate_is_null_before_the_session_ends(client, admin):
    session_id = await make_session()
    await add(session_id, "a@example.org", category="media", country="BR")

    report = (await client.get(f"/api/v1/sessions/{session_id}/report", headers=admin.headers)).json()

    assert (report["registered"], report["confirmed"], report["no_show_rate"]) == (1, 1, None)


async def test_participation_report_covers_the_series_and_period_the_organiser_manages(client, organiser):
    series = await Series.insert(Series(title={"en": "Regional reviews"})).returning(Series.id)
    series_id = series[0]["id"]
    first = await ended_session(series=series_id)
    second = await ended_session(series=series_id, starts_at=NOW - timedelta(days=40),
                                 ends_at=NOW - timedelta(days=40) + timedelta(hours=1))
    not_managed = await ended_session(series=series_id)
    outside_series = await ended_session()
    for session_id in (first, second, outside_series):
        await assign(session_id, organiser.id)
    await seed(first)
    await add(second, "us3@example.org", category="member_state", country="US", attendance="absent")
    await add(second, "eg3@example.org", category="civil_society", country="EG", attendance="attended")
    await add(not_managed, "x@example.org", category="media", country="US", attendance="attended")
    await add(outside_series, "y@example.org", category="media", country="US", attendance="attended")

    everything = await client.get("/api/v1/reports/participation", params={"series": series_id},
                                  headers=organiser.headers)
    recent = await client.get("/api/v1/reports/participation",
                              params={"series": series_id, "from": (NOW - timedelta(days=10)).date().isoformat()},
                              headers=organiser.headers)

    assert everything.status_code == 200
    report = everything.json()
    assert (report["registered"], report["confirmed"], report["attended"], report["absent"]) == (8, 6, 3, 2)
    assert report["no_show_rate"] == round(2 / 6, 4)
    assert groups(report, "commission") == [
        ("ECA", 4, 2, 2), ("ECE", 4, 4, 1), ("ECLAC", 3, 3, 1), ("ESCAP", 3, 3, 1), ("ESCWA", 3, 2, 2),
    ]
    assert [(s["id"], s["registered"], s["attended"]) for s in report["sessions"]] == [(second, 2, 1), (first, 6, 2)]
    assert [(c["category"], c["registrants"], c["attendees"]) for c in report["society"]["categories"]] == [
        ("civil_society", 4, 3), ("member_state", 2, 0), ("academia", 1, 0), ("migrants", 1, 0)]
    assert [s["id"] for s in recent.json()["sessions"]] == [first]
    assert recent.json()["registered"] == 6


async def test_participation_report_refuses_bad_filters_naming_them(client, admin):
    bad_date = await client.get("/api/v1/reports/participation", params={"from": "yesterday"}, headers=admin.headers)
    bad_series = await client.get("/api/v1/reports/participation", params={"series": "999"}, headers=admin.headers)
    backwards = await client.get("/api/v1/reports/participation", params={"from": "2026-05-02", "to": "2026-05-01"},
                                 headers=admin.headers)

    assert [r.status_code for r in (bad_date, bad_series, backwards)] == [422, 422, 422]
    assert [r.json()["errors"][0]["field"] for r in (bad_date, bad_series, backwards)] == ["from", "series", "to"]


def _csv_tables(text: str) -> dict[str, list[list[str]]]:
    tables: dict[str, list[list[str]]] = {}
    current = None
    for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))):
        if row and row[0].startswith("# "):
            current = tables.setdefault(row[0][2:], [])
        elif row and current is not None:
            current.append(row)
    return tables


async def test_shared_csv_export_suppresses_counts_under_five_and_the_json_never_does(client, admin):
    session_id = await ended_session()
    await seed(session_id)
    for number in range(5):
        await add(session_id, f"ke{number}@example.org", category="youth", country="KE", attendance="attended")

    exported = await client.get(f"/api/v1/sessions/{session_id}/report", params={"format": "csv"},
                                headers=admin.headers)
    unsuppressed = await client.get(f"/api/v1/sessions/{session_id}/report",
                                    params={"format": "csv", "suppress_below": 0}, headers=admin.headers)

    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    tables = _csv_tables(exported.text)
    assert tables["summary"] == [["measure", "value"], ["registered", "11"], ["confirmed", "9"],
                                 ["waitlisted", "<5"], ["attended", "7"], ["absent", "<5"], ["excused", "<5"],
                                 ["no_show_rate", ""]]
    assert tables["stakeholder_category"][:3] == [["key", "registered", "confirmed", "attended", "speakers"],
                                                  ["youth", "5", "5", "5", "0"],
                                                  ["civil_society", "<5", "<5", "<5", "0"]]
    assert tables["commission"][1] == ["ECA", "8", "6", "6", "0"]
    assert _csv_tables(unsuppressed.text)["summary"][5] == ["absent", "1"]


async def test_xlsx_export_opens_with_openpyxl_with_a_sheet_per_table(client, organiser):
    session_id = await ended_session()
    await assign(session_id, organiser.id)
    await seed(session_id)

    await login_cookie_client(client, organiser)

    response = await client.get(f"/staff/sessions/{session_id}/report/export.xlsx", params={"suppress_below": 2})

    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["summary", "stakeholder_category", "regional_group", "commission", "country",
                               "preferred_language", "gender", "interpretation_language", "needs", "society"]
    rows = [list(row) for row in book["commission"].iter_rows(values_only=True)]
    assert rows == [["key", "registered", "confirmed", "attended", "speakers"], ["ECA", 3, "<2", "<2", 0],
                    ["ECE", 3, 3, "<2", 0], ["ECLAC", 2, 2, "<2", 0], ["ESCAP", 2, 2, "<2", 0],
                    ["ESCWA", 2, "<2", "<2", 0]]


async def test_report_pages_show_charts_with_their_tables(client, organiser):
    session_id = await ended_session()
    await assign(session_id, organiser.id)
    await seed(session_id)
    await login_cookie_client(client, organiser)

    page = await client.get(f"/staff/sessions/{session_id}/report")
    across = await client.get("/staff/reports/participation")
    bad = await client.get("/staff/reports/participation", params={"from": "soon"})

    assert page.status_code == 200
    assert page.text.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 3
    assert 'aria-labelledby="chart-commission-title"' in page.text
    escwa = "Economic and Social Commission for Western Asia (ESCWA)"
    assert f'<th scope="row">{escwa}</th><td>2</td><td>1</td><td>1</td>' in page.text
    assert " style=" not in page.text and "<script>" not in page.text
    assert across.status_code == 200
    assert across.text.count('class="chart"') == 4
    assert bad.status_code == 400
    assert 'id="error-from"' in bad.text
