"""Staff views and decisions: list, filters, counts, CSV, approve/decline, move, needs, invitations, access."""

from __future__ import annotations

import csv
import io

import pytest

from registrations.tables import Invitation, Need, Registration
from server.tables import OutboxMessage
from tests.registrations.conftest import assign, make_session, submission


async def _register(client, session_id: int, **overrides):
    response = await client.post(f"/api/v1/sessions/{session_id}/registrations", json=submission(**overrides))
    assert response.status_code == 201, response.text
    return response.json()


async def _templates() -> list[str]:
    return [o["template"] for o in await OutboxMessage.select(OutboxMessage.template).order_by(OutboxMessage.id)]


async def test_list_registrations_with_region_and_counts(client, organiser):
    session_id = await make_session(capacity=1)
    await assign(session_id, organiser.id)
    await _register(client, session_id, email="us@example.org", country="US", stakeholder_category="member_state")
    await _register(client, session_id, email="eg@example.org", country="EG", organisation="Cairo Uni")

    response = await client.get(f"/api/v1/sessions/{session_id}/registrations", headers=organiser.headers)

    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 2
    assert body["counts"] == {"pending": 0, "confirmed": 1, "waitlisted": 1, "declined": 0, "cancelled": 0}
    assert [(i["email"], i["regional_group"], i["commissions"], i["waitlist_position"]) for i in body["items"]] == [
        ("us@example.org", "weog", ["ECE", "ECLAC", "ESCAP"], None),
        ("eg@example.org", "african", ["ECA", "ESCWA"], 1),
    ]
    assert body["items"][0]["attendance"] is None


async def test_list_registrations_filters(client, admin):
    session_id = await make_session()
    await _register(client, session_id, email="us@example.org", country="US", stakeholder_category="member_state")
    await _register(client, session_id, email="eg@example.org", country="EG", organisation="Cairo University",
                    interpretation_language="ar")
    url = f"/api/v1/sessions/{session_id}/registrations"

    async def emails(**params):
        response = await client.get(url, params=params, headers=admin.headers)
        assert response.status_code == 200, response.text
        return [i["email"] for i in response.json()["items"]]

    assert await emails(region="ESCWA") == ["eg@example.org"]
    assert await emails(region="weog") == ["us@example.org"]
    assert await emails(category="member_state") == ["us@example.org"]
    assert await emails(search="cairo") == ["eg@example.org"]
    assert await emails(language="ar") == ["eg@example.org"]
    assert await emails(need="interpretation") == ["eg@example.org"]
    assert await emails(limit=1, offset=1) == ["eg@example.org"]
    bad = await client.get(url, params={"limit": 1001}, headers=admin.headers)
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "limit")


async def test_list_registrations_other_organiser_forbidden(client, organiser, other_organiser):
    session_id = await make_session()
    await assign(session_id, organiser.id)

    forbidden = await client.get(f"/api/v1/sessions/{session_id}/registrations", headers=other_organiser.headers)
    anonymous = await client.get(f"/api/v1/sessions/{session_id}/registrations")

    assert (forbidden.status_code, anonymous.status_code) == (403, 401)


async def test_csv_export_opens_in_spreadsheets_without_formulas(client, admin):
    session_id = await make_session()
    await _register(client, session_id, name="=HYPERLINK(\"http://evil\")", organisation="+Ünïcode Org")

    response = await client.get(
        f"/api/v1/sessions/{session_id}/registrations", params={"format": "csv"}, headers=admin.headers
    )

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbfid,status,")
    row = response.text.splitlines()[1].split(",")
    assert row[3] == "\"'=HYPERLINK(\"\"http://evil\"\")\""
    assert row[5] == "'+Ünïcode Org"


async def test_approve_and_decline_in_bulk(client, admin):
    session_id = await make_session(audience="approval", capacity=1)
    ids = [(await _register(client, session_id, email=f"p{i}@example.org"))["id"] for i in range(3)]
    url = f"/api/v1/sessions/{session_id}/registrations"

    approved = await client.post(f"{url}/approve", json={"registration_ids": ids[:2]}, headers=admin.headers)
    no_reason = await client.post(f"{url}/decline", json={"registration_ids": [ids[2]]}, headers=admin.headers)
    declined = await client.post(
        f"{url}/decline", json={"registration_ids": [ids[2]], "reason": "Member States only"}, headers=admin.headers
    )

    assert approved.json() == {"updated": 2}
    assert (no_reason.status_code, no_reason.json()["errors"][0]["field"]) == (422, "reason")
    assert declined.json() == {"updated": 1}
    statuses = await Registration.select(Registration.status).order_by(Registration.id)
    assert [s["status"] for s in statuses] == ["confirmed", "waitlisted", "declined"]
    assert await _templates() == [
        "registration_pending", "registration_pending", "registration_pending",
        "registration_approved", "registration_approved", "registration_declined",
    ]


async def test_decline_confirmed_promotes_next(client, admin):
    session_id = await make_session(capacity=1)
    first = await _register(client, session_id, email="a@example.org")
    second = await _register(client, session_id, email="b@example.org")

    response = await client.post(
        f"/api/v1/sessions/{session_id}/registrations/decline",
        json={"registration_ids": [first["id"]], "reason": "Duplicate of a delegation seat"},
        headers=admin.headers,
    )

    assert response.status_code == 200
    statuses = await Registration.select(Registration.id, Registration.status).order_by(Registration.id)
    assert statuses == [{"id": first["id"], "status": "declined"}, {"id": second["id"], "status": "confirmed"}]


async def test_move_within_capacity(client, admin):
    session_id = await make_session(capacity=1)
    first = await _register(client, session_id, email="a@example.org")
    second = await _register(client, session_id, email="b@example.org")
    url = f"/api/v1/sessions/{session_id}/registrations"

    full = await client.post(f"{url}/{second['id']}/move", json={"to": "confirmed"}, headers=admin.headers)
    down = await client.post(f"{url}/{first['id']}/move", json={"to": "waitlisted"}, headers=admin.headers)

    assert (full.status_code, full.json()["errors"][0]["field"]) == (409, "to")
    assert down.status_code == 200
    statuses = await Registration.select(Registration.status, Registration.waitlist_order).order_by(Registration.id)
    assert statuses == [{"status": "waitlisted", "waitlist_order": 0}, {"status": "confirmed", "waitlist_order": None}]
    assert await _templates() == [
        "registration_confirmed", "registration_waitlisted", "registration_promoted", "registration_waitlisted",
    ]


async def test_need_marked_arranged_notifies(client, admin):
    session_id = await make_session()
    await _register(client, session_id, accessibility_needs=["captions_cart"])
    need = await Need.select(Need.id).first()

    response = await client.post(
        f"/api/v1/sessions/{session_id}/needs/{need['id']}",
        json={"status": "arranged", "note": "CART in English"},
        headers=admin.headers,
    )
    bad = await client.post(
        f"/api/v1/sessions/{session_id}/needs/{need['id']}", json={"status": "maybe"}, headers=admin.headers
    )

    assert response.status_code == 200
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "status")
    assert await Need.select(Need.status, Need.note) == [{"status": "arranged", "note": "CART in English"}]
    assert await _templates() == ["registration_confirmed", "need_arranged"]


async def test_invite_by_list_and_csv(client, admin):
    session_id = await make_session(audience="invitation")
    url = f"/api/v1/sessions/{session_id}/invitations"

    listed = await client.post(url, json={"emails": ["A@example.org", "b@example.org"]}, headers=admin.headers)
    uploaded = await client.post(
        f"{url}/import",
        files={"file": ("invitees.csv", b"email,name\nb@example.org,B\nc@example.org,C\n", "text/csv")},
        headers=admin.headers,
    )
    bad = await client.post(url, json={"emails": ["not-an-address"]}, headers=admin.headers)

    assert listed.json() == {"invited": 2, "already_invited": 0}
    assert uploaded.json() == {"invited": 1, "already_invited": 1}
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "emails")
    emails = await Invitation.select(Invitation.email).order_by(Invitation.id)
    assert [e["email"] for e in emails] == ["a@example.org", "b@example.org", "c@example.org"]
    assert await _templates() == ["invitation_sent"] * 3


async def test_decline_reason_and_need_note_refuse_control_characters(client, admin):
    session_id = await make_session()
    registered = await _register(client, session_id, accessibility_needs=["captions_cart"])
    need = await Need.select(Need.id).first()

    declined = await client.post(
        f"/api/v1/sessions/{session_id}/registrations/decline",
        json={"registration_ids": [registered["id"]], "reason": "No\x00seat"}, headers=admin.headers,
    )
    noted = await client.post(
        f"/api/v1/sessions/{session_id}/needs/{need['id']}", json={"status": "arranged", "note": "CART\x1b[2J"},
        headers=admin.headers,
    )

    assert (declined.status_code, [e["field"] for e in declined.json()["errors"]]) == (422, ["reason"])
    assert (noted.status_code, [e["field"] for e in noted.json()["errors"]]) == (422, ["note"])
    assert await Registration.select(Registration.status) == [{"status": "confirmed"}]
    assert await Need.select(Need.status, Need.note) == [{"status": "requested", "note": ""}]
    assert await _templates() == ["registration_confirmed"]


async def test_csv_export_holds_every_match_whatever_the_paging(client, admin):
    session_id = await make_session(capacity=1)
    for email in ("a@example.org", "b@example.org", "c@example.org"):
        await _register(client, session_id, email=email)
    url = f"/api/v1/sessions/{session_id}/registrations"

    everything = await client.get(url, params={"format": "csv", "limit": 1}, headers=admin.headers)
    waiting = await client.get(url, params={"format": "csv", "status": "waitlisted", "offset": 5},
                               headers=admin.headers)

    assert [line.split(",")[4] for line in everything.text.splitlines()[1:]] == [
        "a@example.org", "b@example.org", "c@example.org",
    ]
    assert [line.split(",")[4] for line in waiting.text.splitlines()[1:]] == ["b@example.org", "c@example.org"]


async def test_csv_export_shows_free_text_and_where_each_need_stands(client, admin):
    session_id = await make_session()
    await _register(client, session_id, interpretation_language="fr", sign_language="bzs",
                    accessibility_needs=["captions_cart", "national_sign_language"], accessibility_other="Quiet room")
    await Need.update({Need.status: "arranged"}).where(Need.code == "captions_cart")

    response = await client.get(
        f"/api/v1/sessions/{session_id}/registrations", params={"format": "csv"}, headers=admin.headers
    )

    header, row = csv.reader(io.StringIO(response.text.removeprefix("\ufeff")))
    values = dict(zip(header, row, strict=True))
    assert {name: values[name] for name in ("accessibility_needs", "accessibility_other", "sign_language",
                                             "needs_status")} == {
        "accessibility_needs": "captions_cart;national_sign_language;Quiet room",
        "accessibility_other": "Quiet room",
        "sign_language": "bzs",
        "needs_status": "fr=requested;captions_cart=arranged;national_sign_language=requested;other=requested",
    }


async def test_staff_history_names_the_organiser_who_acted_registrant_view_does_not(client, organiser):
    session_id = await make_session(audience="approval")
    await assign(session_id, organiser.id)
    registered = await _register(client, session_id)
    url = f"/api/v1/sessions/{session_id}/registrations"
    await client.post(f"{url}/approve", json={"registration_ids": [registered["id"]]}, headers=organiser.headers)

    staff_view = (await client.get(url, headers=organiser.headers)).json()["items"][0]
    registrant_view = (await client.get(registered["manage_url"].replace("http://convene.test/", "/api/v1/"))).json()

    assert [(h["actor"], h.get("staff_name")) for h in staff_view["history"]] == [
        ("registrant", None), ("staff", "Organiser"),
    ]
    assert [sorted(h) for h in registrant_view["history"]] == [
        ["actor", "created_at", "from_status", "reason", "to_status"],
    ] * 2


@pytest.mark.parametrize(
    ("name", "value"), [("category", "ngo"), ("language", "english"), ("need", "captions"), ("need", "x1")]
)
async def test_list_registrations_unknown_filter_code_refused_naming_it(client, admin, name, value):
    session_id = await make_session()

    response = await client.get(f"/api/v1/sessions/{session_id}/registrations", params={name: value},
                                headers=admin.headers)

    assert (response.status_code, [e["field"] for e in response.json()["errors"]]) == (422, [name])


async def test_list_registrations_need_filter_takes_kind_provision_or_language(client, admin):
    session_id = await make_session()
    await _register(client, session_id, email="fr@example.org", interpretation_language="fr")
    await _register(client, session_id, email="easy@example.org", accessibility_needs=["easy_read"])
    url = f"/api/v1/sessions/{session_id}/registrations"

    found = {}
    for need in ("fr", "easy_read", "accessibility", "es-419"):
        response = await client.get(url, params={"need": need}, headers=admin.headers)
        found[need] = [i["email"] for i in response.json()["items"]]

    assert found == {"fr": ["fr@example.org"], "easy_read": ["easy@example.org"], "accessibility": ["easy@example.org"],
                     "es-419": []}


async def test_an_unknown_list_format_is_refused_naming_the_field(client, admin):
    session_id = await make_session()

    response = await client.get(
        f"/api/v1/sessions/{session_id}/registrations", params={"format": "xml"}, headers=admin.headers
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "format", "message": "Choose json or csv."}]
