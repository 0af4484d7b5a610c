"""Requests to speak through the API (the registration body and the manage link), the refusals, the balanced
suggestion on a realistic regional review, the order, decisions and publication."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from events.tables import Session
from registrations.manage import anonymise
from registrations.tables import Registration, Speaker
from tests.registrations.conftest import assign, make_session, submission

LISTENING = {"kind": "listening_session", "interpretation_languages": ["fr", "ar"]}
REQUEST = {"topic": "Decent work for migrant domestic workers", "summary": "Three proposals.", "language": "fr",
           "on_behalf_of": "Migrant Rights Network"}


async def _register(client, session_id: int, **overrides) -> dict:
    response = await client.post(f"/api/v1/sessions/{session_id}/registrations", json=submission(**overrides))
    assert response.status_code == 201, response.text
    return response.json()


def _token(body: dict) -> str:
    return body["manage_url"].split("/manage/", 1)[1]


def _errors(response) -> list[tuple[str, str]]:
    return [(e["field"], e["message"]) for e in response.json()["errors"]]


async def test_request_made_with_the_registration_is_listed_for_staff(client, organiser):
    session_id = await make_session(**LISTENING)
    await assign(session_id, organiser.id)
    body = await _register(client, session_id, gender="woman", speaking_request=REQUEST)

    listed = await client.get(f"/api/v1/sessions/{session_id}/speakers", headers=organiser.headers)

    assert listed.status_code == 200
    (item,) = listed.json()["items"]
    assert listed.json()["total"] == 1
    assert {k: item[k] for k in ("registration_id", "name", "stakeholder_category", "country", "regional_group",
                                 "language", "topic", "status", "position", "minutes", "gender",
                                 "on_behalf_of", "summary")} == {
        "registration_id": body["id"], "name": "Amina Diallo", "stakeholder_category": "civil_society",
        "country": "SN", "regional_group": "african", "language": "fr",
        "topic": "Decent work for migrant domestic workers", "status": "requested", "position": None,
        "minutes": None, "gender": "woman", "on_behalf_of": "Migrant Rights Network", "summary": "Three proposals.",
    }


async def test_request_through_the_manage_link_and_a_second_is_refused(client):
    session_id = await make_session(**LISTENING)
    token = _token(await _register(client, session_id))

    first = await client.post(f"/api/v1/manage/{token}/speaking", json=REQUEST)
    second = await client.post(f"/api/v1/manage/{token}/speaking", json={**REQUEST, "topic": "Another"})
    shown = await client.get(f"/api/v1/manage/{token}/speaking")

    assert first.status_code == 201
    assert first.json() == {"id": first.json()["id"], "status": "requested"}
    assert second.status_code == 409
    assert [field for field, _message in _errors(second)] == ["speaking_request"]
    assert shown.json()["topic"] == "Decent work for migrant domestic workers"
    assert shown.json()["counts"] is True
    assert await Speaker.count().where(Speaker.session == session_id) == 1


async def test_change_and_withdraw_through_the_manage_link(client):
    session_id = await make_session(**LISTENING)
    token = _token(await _register(client, session_id))
    await client.post(f"/api/v1/manage/{token}/speaking", json=REQUEST)

    changed = await client.patch(f"/api/v1/manage/{token}/speaking", json={"language": "ar", "needs": "IS"})
    withdrawn = await client.delete(f"/api/v1/manage/{token}/speaking")
    after = await client.get(f"/api/v1/manage/{token}/speaking")

    assert changed.status_code == 200
    assert (changed.json()["language"], changed.json()["needs"], changed.json()["topic"]) == (
        "ar", "IS", "Decent work for migrant domestic workers")
    assert withdrawn.json() == {"status": "withdrawn"}
    assert after.status_code == 404
    assert await Speaker.count() == 0


async def test_refusals_name_the_field_and_write_nothing(client):
    listening = await make_session(**LISTENING)
    webinar = await make_session()
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=30)
    closing = await make_session(**LISTENING, starts_at=soon, ends_at=soon + timedelta(hours=1))
    token = _token(await _register(client, listening))

    language = await client.post(f"/api/v1/manage/{token}/speaking", json={**REQUEST, "language": "es"})
    empty = await client.post(f"/api/v1/manage/{token}/speaking", json={**REQUEST, "topic": "  "})
    other_kind = await client.post(f"/api/v1/sessions/{webinar}/registrations",
                                   json=submission(speaking_request=REQUEST))
    late = await client.post(f"/api/v1/sessions/{closing}/registrations",
                             json=submission(speaking_request=REQUEST))
    chinese = {**REQUEST, "language": "zh"}
    bad_in_body = await client.post(f"/api/v1/sessions/{listening}/registrations",
                                    json=submission(email="b@example.org", speaking_request=chinese))
    unknown = await client.post("/api/v1/manage/not-a-token/speaking", json=REQUEST)

    assert (language.status_code, _errors(language)) == (422, [("language", "Choose a language this session offers.")])
    assert (empty.status_code, _errors(empty)) == (422, [("topic", "Say what you will speak about.")])
    assert (other_kind.status_code, _errors(other_kind)) == (
        409, [("speaking_request.kind", "Only listening sessions and regional reviews take requests to speak.")])
    assert (late.status_code, _errors(late)) == (
        409, [("speaking_request.deadline", "Requests to speak for this session have closed.")])
    assert (bad_in_body.status_code, _errors(bad_in_body)) == (
        422, [("speaking_request.language", "Choose a language this session offers.")])
    assert unknown.status_code == 404
    # Nothing half-written: only the first registration exists, and no request at all.
    assert await Registration.count() == 1
    assert await Speaker.count() == 0


async def test_an_erased_link_cannot_ask(client):
    session_id = await make_session(**LISTENING)
    token = _token(await _register(client, session_id))
    await client.post(f"/api/v1/manage/{token}/erase")

    response = await client.post(f"/api/v1/manage/{token}/speaking", json=REQUEST)

    assert response.status_code == 404
    assert await Speaker.count() == 0


async def test_a_waitlisted_registrant_may_ask_and_counts_once_confirmed(client, organiser):
    session_id = await make_session(**LISTENING, capacity=1)
    await assign(session_id, organiser.id)
    await _register(client, session_id)
    waiting = await _register(client, session_id, email="w@example.org")
    assert waiting["status"] == "waitlisted"

    asked = await client.post(f"/api/v1/manage/{_token(waiting)}/speaking", json=REQUEST)
    shown = await client.get(f"/api/v1/manage/{_token(waiting)}/speaking")
    suggested = await client.get(f"/api/v1/sessions/{session_id}/speakers/suggestion", headers=organiser.headers)
    accept = await client.put(f"/api/v1/sessions/{session_id}/speakers/order", headers=organiser.headers,
                              json={"ids": [asked.json()["id"]]})

    assert asked.status_code == 201
    assert shown.json()["counts"] is False
    assert suggested.json() == {"items": []}
    assert (accept.status_code, _errors(accept)) == (
        409, [("ids", "Only requests of confirmed registrations can be accepted.")])


# --- The balanced suggestion on a regional review ------------------------------------------------------------

#: (label, stakeholder category, country) in the order they ask; regional groups: SN, KE african; DE, FR weog;
#: MX, BR latin_american_caribbean; IN, PH asia_pacific; PL, UA eastern_european; VA (Holy See) none.
MIX = [
    ("cs-SN", "civil_society", "SN"),
    ("ms-DE", "member_state", "DE"),
    ("cs-DE", "civil_society", "DE"),
    ("mig-MX", "migrants", "MX"),
    ("obs-VA", "observer_state", "VA"),
    ("ms-SN", "member_state", "SN"),
    ("ac-IN", "academia", "IN"),
    ("cs-BR", "civil_society", "BR"),
    ("mig-KE", "migrants", "KE"),
    ("cs-PH", "civil_society", "PH"),  # declined below
    ("ac-PL", "academia", "PL"),
    ("mig-FR", "migrants", "FR"),
    ("cs-UA", "civil_society", "UA"),  # the 13th registrant: waitlisted (capacity 12)
]


async def _regional_review_with_requests(client, organiser, kind: str = "regional_review") -> tuple[int, dict]:
    session_id = await make_session(kind=kind, capacity=12, interpretation_languages=["fr", "es"], region="ECE")
    await assign(session_id, organiser.id)
    ids = {}
    for number, (label, category, country) in enumerate(MIX):
        body = await _register(client, session_id, name=label, email=f"{number}@example.org",
                               stakeholder_category=category, country=country,
                               speaking_request={"topic": f"Topic of {label}", "language": "en"})
        assert body["status"] == ("waitlisted" if label == "cs-UA" else "confirmed")
        ids[label] = (await Speaker.select(Speaker.id).where(Speaker.registration == body["id"]).first())["id"]
    declined = await client.patch(f"/api/v1/sessions/{session_id}/speakers/{ids['cs-PH']}",
                                  headers=organiser.headers, json={"status": "declined", "reason": "Time"})
    assert declined.status_code == 200
    return session_id, ids


async def test_suggestion_on_a_regional_review_follows_the_rule(client, organiser):
    session_id, _ids = await _regional_review_with_requests(client, organiser)

    response = await client.get(f"/api/v1/sessions/{session_id}/speakers/suggestion", headers=organiser.headers)

    assert response.status_code == 200
    # States first (members, then observers); then civil society, migrants, academia in turn, each giving the
    # floor to the regional group with the fewest speakers so far (ties to the earliest request).
    assert [item["name"] for item in response.json()["items"]] == [
        "ms-DE", "ms-SN", "obs-VA",
        "cs-BR", "mig-MX", "ac-IN",
        "cs-SN", "mig-FR", "ac-PL",
        "cs-DE", "mig-KE",
    ]
    assert await Speaker.count().where(Speaker.status == "accepted") == 0  # the suggestion changes nothing


async def test_in_a_listening_session_states_take_turns_like_any_category(client, organiser):
    session_id, _ids = await _regional_review_with_requests(client, organiser, kind="listening_session")

    response = await client.get(f"/api/v1/sessions/{session_id}/speakers/suggestion", headers=organiser.headers)

    # Categories by first request: civil society, member States, migrants, observer States, academia.
    assert [item["name"] for item in response.json()["items"]] == [
        "cs-SN", "ms-DE", "mig-MX", "obs-VA", "ac-IN",
        "cs-DE", "ms-SN", "mig-KE", "ac-PL",
        "cs-BR", "mig-FR",
    ]


async def test_accepting_the_suggestion_places_everyone_then_the_organiser_adjusts(client, organiser):
    session_id, ids = await _regional_review_with_requests(client, organiser)
    suggested = (await client.get(f"/api/v1/sessions/{session_id}/speakers/suggestion",
                                  headers=organiser.headers)).json()["items"]

    placed = await client.put(f"/api/v1/sessions/{session_id}/speakers/order", headers=organiser.headers,
                              json={"ids": [item["id"] for item in suggested]})
    moved = await client.patch(f"/api/v1/sessions/{session_id}/speakers/{ids['mig-KE']}",
                               headers=organiser.headers, json={"position": 1, "minutes": 5})
    listed = (await client.get(f"/api/v1/sessions/{session_id}/speakers", headers=organiser.headers)).json()

    assert placed.status_code == 200
    assert (moved.json()["position"], moved.json()["minutes"], moved.json()["status"]) == (1, 5, "accepted")
    on_list = [(i["name"], i["position"]) for i in listed["items"] if i["position"] is not None]
    assert on_list == [("mig-KE", 1), ("ms-DE", 2), ("ms-SN", 3), ("obs-VA", 4), ("cs-BR", 5), ("mig-MX", 6),
                       ("ac-IN", 7), ("cs-SN", 8), ("mig-FR", 9), ("ac-PL", 10), ("cs-DE", 11)]
    others = [(i["name"], i["status"]) for i in listed["items"] if i["position"] is None]
    assert others == [("cs-PH", "declined"), ("cs-UA", "requested")]
    starts = (await client.get(f"/api/v1/sessions/{session_id}", headers=organiser.headers)).json()["starts_at"]
    # mig-KE speaks 5 minutes at the start; ms-DE follows at +5, ms-SN at +8 (3 minutes each by default).
    expected = {i["name"]: i["expected_at"] for i in listed["items"] if i["name"] in ("mig-KE", "ms-DE", "ms-SN")}
    start = datetime.fromisoformat(starts)
    assert {name: datetime.fromisoformat(at) - start for name, at in expected.items()} == {
        "mig-KE": timedelta(0), "ms-DE": timedelta(minutes=5), "ms-SN": timedelta(minutes=8)}


async def test_order_and_change_refuse_bad_input(client, organiser):
    session_id = await make_session(**LISTENING)
    await assign(session_id, organiser.id)
    token = _token(await _register(client, session_id))
    speaker_id = (await client.post(f"/api/v1/manage/{token}/speaking", json=REQUEST)).json()["id"]
    url = f"/api/v1/sessions/{session_id}/speakers"

    twice = await client.put(f"{url}/order", headers=organiser.headers, json={"ids": [speaker_id, speaker_id]})
    unknown = await client.put(f"{url}/order", headers=organiser.headers, json={"ids": [999999]})
    no_reason = await client.patch(f"{url}/{speaker_id}", headers=organiser.headers, json={"status": "declined"})
    status = await client.patch(f"{url}/{speaker_id}", headers=organiser.headers, json={"status": "maybe"})
    minutes = await client.patch(f"{url}/{speaker_id}", headers=organiser.headers, json={"minutes": 0})
    missing = await client.patch(f"{url}/999999", headers=organiser.headers, json={"minutes": 3})

    assert (twice.status_code, _errors(twice)) == (422, [("ids", "Name each request once.")])
    assert (unknown.status_code, _errors(unknown)) == (
        422, [("ids", "No such request to speak on this session: 999999")])
    assert (no_reason.status_code, _errors(no_reason)) == (
        422, [("reason", "Give the reason for declining; the requester is told.")])
    assert (status.status_code, _errors(status)) == (
        422, [("status", "Choose requested, accepted, declined, spoke or absent.")])
    assert (minutes.status_code, _errors(minutes)) == (422, [("minutes", "Give a number of minutes from 1 to 240.")])
    assert missing.status_code == 404
    assert (await Speaker.select(Speaker.status).first())["status"] == "requested"


async def test_during_the_session_spoke_and_absent_keep_their_place(client, organiser):
    session_id, ids = await _regional_review_with_requests(client, organiser)
    url = f"/api/v1/sessions/{session_id}/speakers"
    await client.put(f"{url}/order", headers=organiser.headers,
                     json={"ids": [ids["ms-DE"], ids["cs-SN"], ids["mig-MX"]]})

    spoke = await client.patch(f"{url}/{ids['ms-DE']}", headers=organiser.headers,
                               json={"status": "spoke", "minutes_used": 4})
    absent = await client.patch(f"{url}/{ids['cs-SN']}", headers=organiser.headers, json={"status": "absent"})

    assert (spoke.json()["status"], spoke.json()["minutes_used"], spoke.json()["position"]) == ("spoke", 4, 1)
    assert (absent.json()["status"], absent.json()["position"]) == ("absent", 2)


async def test_settings_and_publication(client, organiser):
    session_id = await make_session(**LISTENING)
    await assign(session_id, organiser.id)
    url = f"/api/v1/sessions/{session_id}/speakers/settings"

    before = await client.get(url, headers=organiser.headers)
    changed = await client.patch(url, headers=organiser.headers,
                                 json={"slot_minutes": 45, "default_minutes": 4, "published": True})
    refused = await client.patch(url, headers=organiser.headers, json={"slot_minutes": 0})

    session = (await client.get(f"/api/v1/sessions/{session_id}", headers=organiser.headers)).json()
    deadline = datetime.fromisoformat(session["starts_at"]) - timedelta(hours=48)
    assert datetime.fromisoformat(before.json()["requests_close_at"]) == deadline
    assert (before.json()["slot_minutes"], before.json()["published"]) == (120, False)
    assert {k: changed.json()[k] for k in ("slot_minutes", "default_minutes", "published", "minutes_on_list")} == {
        "slot_minutes": 45, "default_minutes": 4, "published": True, "minutes_on_list": 0}
    assert (refused.status_code, _errors(refused)) == (
        422, [("slot_minutes", "Give a number of minutes from 1 to 1440.")])


async def test_export_shows_the_request_and_leaving_drops_it(client, organiser):
    session_id = await make_session(**LISTENING)
    await assign(session_id, organiser.id)
    first = _token(await _register(client, session_id, speaking_request=REQUEST))
    second = _token(await _register(client, session_id, email="b@example.org",
                                    speaking_request={**REQUEST, "topic": "Second"}))
    ids = [row["id"] for row in await Speaker.select(Speaker.id).order_by(Speaker.id)]
    await client.put(f"/api/v1/sessions/{session_id}/speakers/order", headers=organiser.headers, json={"ids": ids})

    exported = (await client.get(f"/api/v1/manage/{first}/export")).json()["speaking_request"]
    await client.delete(f"/api/v1/manage/{first}")
    listed = (await client.get(f"/api/v1/sessions/{session_id}/speakers", headers=organiser.headers)).json()
    await client.post(f"/api/v1/manage/{second}/erase")

    assert (exported["topic"], exported["status"], exported["position"]) == (
        "Decent work for migrant domestic workers", "accepted", 1)
    assert [(item["topic"], item["position"]) for item in listed["items"]] == [("Second", 1)]
    assert await Speaker.count() == 0  # erasure drops it too


async def test_retention_keeps_who_spoke_but_not_what_they_wrote(client, organiser, settings):
    session_id = await make_session(**LISTENING)
    await assign(session_id, organiser.id)
    body = await _register(client, session_id, speaking_request=REQUEST)
    speaker_id = (await Speaker.select(Speaker.id).first())["id"]
    await client.patch(f"/api/v1/sessions/{session_id}/speakers/{speaker_id}", headers=organiser.headers,
                       json={"status": "accepted", "quote": "A quote"})

    await anonymise(body["id"], mail_dir=settings.mail_dir)

    row = await Speaker.select(Speaker.status, Speaker.topic, Speaker.summary, Speaker.on_behalf_of,
                               Speaker.quote).first()
    assert row == {"status": "accepted", "topic": "", "summary": "", "on_behalf_of": "", "quote": ""}


async def test_a_cancelled_session_takes_no_request(client):
    session_id = await make_session(**LISTENING)
    token = _token(await _register(client, session_id))
    await Session.update({Session.status: "cancelled"}).where(Session.id == session_id)

    response = await client.post(f"/api/v1/manage/{token}/speaking", json=REQUEST)

    assert (response.status_code, _errors(response)) == (
        409, [("status", "The session is not open for requests to speak.")])
    assert await Speaker.count() == 0
