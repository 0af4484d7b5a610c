"""The staff list filtered, counted and paged in the database: the filters the reference data drives, literal
search, waitlist positions and counts of rows outside the page."""

from __future__ import annotations

from registrations.tables import Need
from tests.mail_data import make_registration, make_session


async def _listed(client, admin, session_id: int, **params) -> dict:
    response = await client.get(f"/api/v1/sessions/{session_id}/registrations", params=params, headers=admin.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_region_none_lists_countries_of_no_group_and_unlisted_codes(client, admin):
    session = await make_session()
    await make_registration(session["id"], "ai@example.org", country="AI")  # Anguilla: group none in the table
    await make_registration(session["id"], "ch@example.org", country="CH")
    await make_registration(session["id"], "xk@example.org", country="XK")  # not in the table at all

    body = await _listed(client, admin, session["id"], region="none")

    assert [(i["email"], i["regional_group"]) for i in body["items"]] == [
        ("ai@example.org", "none"), ("xk@example.org", "none"),
    ]
    assert body["total"] == 2


async def test_search_takes_wildcards_literally_and_ignores_case(client, admin):
    session = await make_session()
    await make_registration(session["id"], "a@example.org", organisation="100% Migrants")
    await make_registration(session["id"], "b@example.org", organisation="1000 Migrants")
    await make_registration(session["id"], "c@example.org", organisation="under_score")
    await make_registration(session["id"], "d@example.org", organisation="underXscore")

    percent = await _listed(client, admin, session["id"], search="0% MIG")
    underscore = await _listed(client, admin, session["id"], search="r_s")

    assert [i["email"] for i in percent["items"]] == ["a@example.org"]
    assert [i["email"] for i in underscore["items"]] == ["c@example.org"]


async def test_need_filter_matches_a_provision_code(client, admin):
    session = await make_session()
    first = await make_registration(session["id"], "a@example.org")
    second = await make_registration(session["id"], "b@example.org")
    await Need.insert(
        Need(registration=first["id"], kind="accessibility", code="captions_cart"),
        Need(registration=second["id"], kind="interpretation", code="fr"),
    )

    captions = await _listed(client, admin, session["id"], need="captions_cart")
    accessibility = await _listed(client, admin, session["id"], need="accessibility")

    assert [(i["email"], [n["code"] for n in i["needs"]]) for i in captions["items"]] == [
        ("a@example.org", ["captions_cart"])
    ]
    assert [i["email"] for i in accessibility["items"]] == ["a@example.org"]


async def test_a_later_page_keeps_waitlist_positions_per_mode_and_counts_every_status(client, admin):
    session = await make_session()
    await make_registration(session["id"], "c1@example.org")
    await make_registration(session["id"], "w1@example.org", status="waitlisted", waitlist_order=3)
    await make_registration(session["id"], "w2@example.org", status="waitlisted", waitlist_order=1)
    await make_registration(session["id"], "p1@example.org", status="waitlisted", waitlist_order=2,
                            participation_mode="in_person")
    await make_registration(session["id"], "w3@example.org", status="waitlisted", waitlist_order=2)
    await make_registration(session["id"], "x1@example.org", status="cancelled")

    body = await _listed(client, admin, session["id"], limit=3, offset=2)

    assert [(i["email"], i["waitlist_position"]) for i in body["items"]] == [
        ("w2@example.org", 1), ("p1@example.org", 1), ("w3@example.org", 2),
    ]
    assert body["total"] == 6
    assert body["counts"] == {"pending": 0, "confirmed": 1, "waitlisted": 4, "declined": 0, "cancelled": 1}
    first = await _listed(client, admin, session["id"], limit=2, status="waitlisted")
    assert [(i["email"], i["waitlist_position"]) for i in first["items"]] == [
        ("w1@example.org", 3), ("w2@example.org", 1),
    ]
    assert first["total"] == 4
