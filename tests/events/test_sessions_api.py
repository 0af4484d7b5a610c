"""The sessions JSON API: create, read, update, lifecycle, reschedule."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from zoneinfo import ZoneInfo

import httpx

from events.services import complete_finished_sessions
from events.tables import Session
from tests.conftest import Staff
from tests.events.helpers import create, create_published, field_errors, future, move_times, received, session_body


async def test_create_session_returns_draft_with_defaults(client: httpx.AsyncClient, admin: Staff) -> None:
    starts = future()
    response = await client.post(
        "/api/v1/sessions",
        json=session_body(starts_at=starts.isoformat(), ends_at=(starts + timedelta(hours=1)).isoformat()),
        headers=admin.headers,
    )
    assert response.status_code == 201
    body = response.json()
    assert body["id"] == 1
    assert body["status"] == "draft"
    assert body["capacity"] is None
    assert body["audience"] == "open"
    assert body["region"] == "global"
    assert body["sequence"] == 0
    assert body["registration_opens_at"] is None
    local = starts.astimezone(ZoneInfo("Europe/Zurich"))
    assert body["starts_at"] == local.isoformat()
    assert body["registration_closes_at"] == local.isoformat()
    assert body["join"] == {"url": "", "meeting_id": "", "passcode": "", "dial_in": ""}
    assert body["warnings"] == []


async def test_create_session_by_organiser_makes_them_organiser(client: httpx.AsyncClient, organiser: Staff) -> None:
    body = await create(client, organiser)
    assert body["organiser_ids"] == [organiser.id]


async def test_create_session_with_everything_round_trips(client: httpx.AsyncClient, admin: Staff,
                                                          organiser: Staff) -> None:
    series = (await client.post("/api/v1/series", json={"title": {"en": "GCM regional reviews"}},
                                headers=admin.headers)).json()
    body = await create(
        client, admin, series_id=series["id"], capacity=30, audience="approval", region="ECE",
        interpretation_languages=["fr", "ru"], accessibility_provisions=["captions_cart", "national_sign_language"],
        sign_languages=["fsl"], organiser_ids=[organiser.id], venue="Palais des Nations, Geneva",
        join={"url": "https://meet.example/abc", "meeting_id": "123", "passcode": "x", "dial_in": "+41 22"},
        agenda=[{"title": {"en": "Opening"}, "speakers": "Chair", "minutes": 10}, {"title": {"en": "Debate"}}],
        description={"en": "Review of the Global Compact", "es": "Examen del Pacto Mundial"},
    )
    read = (await client.get(f"/api/v1/sessions/{body['id']}", headers=admin.headers)).json()
    assert read["series_id"] == series["id"]
    assert read["capacity"] == 30
    assert read["audience"] == "approval"
    assert read["region"] == "ECE"
    assert read["interpretation_languages"] == ["fr", "ru"]
    assert read["accessibility_provisions"] == ["captions_cart", "national_sign_language"]
    assert read["sign_languages"] == ["fsl"]
    assert read["organiser_ids"] == [organiser.id]
    assert read["join"]["url"] == "https://meet.example/abc"
    assert read["agenda"] == [
        {"position": 1, "title": {"en": "Opening"}, "speakers": "Chair", "minutes": 10},
        {"position": 2, "title": {"en": "Debate"}, "speakers": "", "minutes": None},
    ]
    assert read["description"] == {"en": "Review of the Global Compact", "es": "Examen del Pacto Mundial"}


async def test_get_published_session_anonymous_hides_join_details(client: httpx.AsyncClient, admin: Staff) -> None:
    session = await create_published(client, admin, join={"url": "https://meet.example/secret"})
    response = await client.get(f"/api/v1/sessions/{session['id']}")
    assert response.status_code == 200
    body = response.json()
    assert "join" not in body
    assert "organiser_ids" not in body
    assert "secret" not in response.text
    assert body["status"] == "published"


async def test_get_draft_anonymous_is_not_found(client: httpx.AsyncClient, admin: Staff) -> None:
    session = await create(client, admin)
    response = await client.get(f"/api/v1/sessions/{session['id']}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_get_draft_by_organiser_of_other_session_is_forbidden(
    client: httpx.AsyncClient, organiser: Staff, other_organiser: Staff
) -> None:
    session = await create(client, organiser)
    response = await client.get(f"/api/v1/sessions/{session['id']}", headers=other_organiser.headers)
    assert response.status_code == 403


async def test_patch_by_organiser_of_other_session_is_forbidden(
    client: httpx.AsyncClient, organiser: Staff, other_organiser: Staff
) -> None:
    session = await create(client, organiser)
    for method, path, body in (
        ("PATCH", f"/api/v1/sessions/{session['id']}", {"capacity": 5}),
        ("POST", f"/api/v1/sessions/{session['id']}/publish", None),
        ("POST", f"/api/v1/sessions/{session['id']}/cancel", None),
        ("POST", f"/api/v1/sessions/{session['id']}/complete", None),
        ("POST", f"/api/v1/sessions/{session['id']}/reschedule",
         {"starts_at": future(20).isoformat(), "ends_at": future(20, 13).isoformat()}),
    ):
        response = await client.request(method, path, json=body, headers=other_organiser.headers)
        assert response.status_code == 403, (path, response.text)


async def test_staff_routes_anonymous_get_401(client: httpx.AsyncClient, admin: Staff) -> None:
    session = await create(client, admin)
    for method, path, body in (
        ("POST", "/api/v1/sessions", session_body()),
        ("PATCH", f"/api/v1/sessions/{session['id']}", {"capacity": 5}),
        ("POST", f"/api/v1/sessions/{session['id']}/publish", None),
        ("POST", f"/api/v1/sessions/{session['id']}/cancel", None),
        ("POST", f"/api/v1/sessions/{session['id']}/complete", None),
        ("POST", f"/api/v1/sessions/{session['id']}/reschedule", {}),
        ("POST", "/api/v1/series", {"title": {"en": "x"}}),
        ("PATCH", "/api/v1/series/1", {"title": {"en": "x"}}),
    ):
        response = await client.request(method, path, json=body)
        assert response.status_code == 401, (path, response.text)


async def test_organiser_cannot_assign_organisers(client: httpx.AsyncClient, organiser: Staff,
                                                  other_organiser: Staff) -> None:
    response = await client.post("/api/v1/sessions", json=session_body(organiser_ids=[other_organiser.id]),
                                 headers=organiser.headers)
    assert response.status_code == 403
    assert field_errors(response) == ["organiser_ids"]


async def test_admin_assigns_organiser_who_may_then_manage(client: httpx.AsyncClient, admin: Staff,
                                                           organiser: Staff) -> None:
    session = await create(client, admin)
    assert (await client.get(f"/api/v1/sessions/{session['id']}", headers=organiser.headers)).status_code == 403
    response = await client.patch(f"/api/v1/sessions/{session['id']}", json={"organiser_ids": [organiser.id]},
                                  headers=admin.headers)
    assert response.json()["organiser_ids"] == [organiser.id]
    assert response.json()["sequence"] == 0
    response = await client.get(f"/api/v1/sessions/{session['id']}", headers=organiser.headers)
    assert response.status_code == 200
    assert response.json()["organiser_ids"] == [organiser.id]


async def test_patch_visible_field_raises_sequence_and_sends_signal(client: httpx.AsyncClient, admin: Staff) -> None:
    session = await create_published(client, admin)
    with received("session_updated") as payloads:
        response = await client.patch(
            f"/api/v1/sessions/{session['id']}",
            json={"title": {"en": "New title"}, "venue": "Bangkok", "capacity": 10},
            headers=admin.headers,
        )
    assert response.status_code == 200, response.text
    assert response.json()["sequence"] == 1
    assert response.json()["title"] == {"en": "New title"}
    assert payloads == [{"session_id": session["id"], "changes": ["title", "venue"]}]


async def test_patch_invisible_field_keeps_sequence_and_sends_nothing(client: httpx.AsyncClient,
                                                                      admin: Staff) -> None:
    session = await create_published(client, admin)
    with received("session_updated") as payloads:
        response = await client.patch(f"/api/v1/sessions/{session['id']}",
                                      json={"capacity": 12, "title": session["title"]}, headers=admin.headers)
    assert response.json()["capacity"] == 12
    assert response.json()["sequence"] == 0
    assert payloads == []


async def test_lifecycle_publish_complete(client: httpx.AsyncClient, admin: Staff) -> None:
    session = await create(client, admin)
    published = await client.post(f"/api/v1/sessions/{session['id']}/publish", headers=admin.headers)
    assert published.json()["status"] == "published"
    assert published.json()["registration_opens_at"] is not None
    await move_times(session["id"], hours_from_now=-1)  # under way
    completed = await client.post(f"/api/v1/sessions/{session['id']}/complete", headers=admin.headers)
    assert completed.status_code == 200
    assert completed.json()["status"] == "completed"


async def test_cancel_raises_sequence_and_sends_signal(client: httpx.AsyncClient, admin: Staff) -> None:
    session = await create_published(client, admin)
    with received("session_cancelled") as payloads:
        response = await client.post(f"/api/v1/sessions/{session['id']}/cancel", headers=admin.headers)
    assert response.json()["status"] == "cancelled"
    assert response.json()["sequence"] == 1
    assert payloads == [{"session_id": session["id"], "reason": {}}]


async def test_cancel_carries_the_reason_by_language_blank_texts_dropped(client: httpx.AsyncClient,
                                                                          admin: Staff) -> None:
    session = await create_published(client, admin)
    body = {"reason": {"EN": " The speaker is ill. ", "fr": "L'intervenante est malade.", "es": "  "}}
    with received("session_cancelled") as payloads:
        response = await client.post(f"/api/v1/sessions/{session['id']}/cancel", json=body, headers=admin.headers)
    assert response.status_code == 200
    assert payloads == [{"session_id": session["id"],
                         "reason": {"en": "The speaker is ill.", "fr": "L'intervenante est malade."}}]


async def test_cancel_with_a_reason_in_no_language_is_422_and_cancels_nothing(client: httpx.AsyncClient,
                                                                              admin: Staff) -> None:
    session = await create_published(client, admin)
    response = await client.post(f"/api/v1/sessions/{session['id']}/cancel", json={"reason": {"xx-!!": "No"}},
                                 headers=admin.headers)
    assert response.status_code == 422
    assert field_errors(response) == ["reason"]
    assert (await client.get(f"/api/v1/sessions/{session['id']}", headers=admin.headers)).json()["status"] == \
        "published"


async def test_publish_sends_signal(client: httpx.AsyncClient, admin: Staff) -> None:
    session = await create(client, admin)
    with received("session_published") as payloads:
        await client.post(f"/api/v1/sessions/{session['id']}/publish", headers=admin.headers)
    assert payloads == [{"session_id": session["id"]}]


async def test_transitions_not_allowed_are_409_naming_status(client: httpx.AsyncClient, admin: Staff) -> None:
    draft = await create(client, admin)
    assert (await client.post(f"/api/v1/sessions/{draft['id']}/complete", headers=admin.headers)).status_code == 409
    published = await create_published(client, admin)
    response = await client.post(f"/api/v1/sessions/{published['id']}/publish", headers=admin.headers)
    assert response.status_code == 409
    assert field_errors(response) == ["status"]
    await client.post(f"/api/v1/sessions/{published['id']}/cancel", headers=admin.headers)
    for action in ("publish", "cancel", "complete"):
        response = await client.post(f"/api/v1/sessions/{published['id']}/{action}", headers=admin.headers)
        assert response.status_code == 409, action
        assert field_errors(response) == ["status"]
    response = await client.patch(f"/api/v1/sessions/{published['id']}", json={"capacity": 3},
                                  headers=admin.headers)
    assert response.status_code == 409


async def test_reschedule_keeps_id_raises_sequence_and_sends_signal(client: httpx.AsyncClient,
                                                                   admin: Staff) -> None:
    session = await create_published(client, admin)
    new_start = future(30, 9)
    with received("session_rescheduled") as payloads:
        response = await client.post(
            f"/api/v1/sessions/{session['id']}/reschedule",
            json={"starts_at": new_start.isoformat(), "ends_at": (new_start + timedelta(hours=2)).isoformat()},
            headers=admin.headers,
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == session["id"]
    assert body["sequence"] == 1
    assert body["starts_at"] == new_start.astimezone(ZoneInfo("Europe/Zurich")).isoformat()
    assert len(payloads) == 1
    assert payloads[0]["session_id"] == session["id"]
    assert payloads[0]["previous_starts_at"].isoformat() == future().isoformat()


async def test_reschedule_end_before_start_is_refused(client: httpx.AsyncClient, admin: Staff) -> None:
    session = await create(client, admin)
    response = await client.post(
        f"/api/v1/sessions/{session['id']}/reschedule",
        json={"starts_at": future(30).isoformat(), "ends_at": future(29).isoformat()},
        headers=admin.headers,
    )
    assert response.status_code == 422
    assert field_errors(response) == ["ends_at"]


async def test_patch_join_details_is_a_visible_change(client: httpx.AsyncClient, admin: Staff) -> None:
    session = await create_published(client, admin)
    with received("session_updated") as payloads:
        response = await client.patch(f"/api/v1/sessions/{session['id']}",
                                      json={"join": {"url": "https://meet.example/new"}, "audience": "approval"},
                                      headers=admin.headers)
    assert response.json()["join"]["url"] == "https://meet.example/new"
    assert response.json()["sequence"] == 1
    assert payloads == [{"session_id": session["id"], "changes": ["join"]}]


async def test_capacity_below_seats_taken_is_refused(client: httpx.AsyncClient, admin: Staff) -> None:
    session = await create_published(client, admin, capacity=10)
    await Session.update({Session.seats_taken: 4}).where(Session.id == session["id"])
    response = await client.patch(f"/api/v1/sessions/{session['id']}", json={"capacity": 3}, headers=admin.headers)
    assert response.status_code == 422
    assert field_errors(response) == ["capacity"]


async def test_concurrent_cancels_apply_once(client: httpx.AsyncClient, admin: Staff) -> None:
    session = await create_published(client, admin)
    with received("session_cancelled") as payloads:
        responses = await asyncio.gather(*(
            client.post(f"/api/v1/sessions/{session['id']}/cancel", headers=admin.headers) for _ in range(4)
        ))
    assert sorted(response.status_code for response in responses) == [200, 409, 409, 409]
    assert payloads == [{"session_id": session["id"], "reason": {}}]
    assert (await client.get(f"/api/v1/sessions/{session['id']}", headers=admin.headers)).json()["sequence"] == 1


async def test_complete_before_the_start_is_409(client: httpx.AsyncClient, admin: Staff) -> None:
    session = await create_published(client, admin)

    response = await client.post(f"/api/v1/sessions/{session['id']}/complete", headers=admin.headers)

    assert response.status_code == 409
    assert response.json()["errors"] == [{"field": "status", "message": "The session has not started yet."}]
    assert await Session.select(Session.status).first() == {"status": "published"}


async def test_ended_session_cannot_be_rescheduled_though_stored_published(client: httpx.AsyncClient,
                                                                         admin: Staff) -> None:
    session = await create_published(client, admin)
    await move_times(session["id"], hours_from_now=-5)  # ended; the periodic job has not marked it yet
    before = await Session.select(Session.starts_at, Session.ends_at, Session.sequence).first()

    response = await client.post(
        f"/api/v1/sessions/{session['id']}/reschedule",
        json={"starts_at": future(30, 9).isoformat(), "ends_at": future(30, 11).isoformat()}, headers=admin.headers)

    assert response.status_code == 409
    assert response.json()["errors"] == [{"field": "status",
                                          "message": "Not allowed while the session is completed."}]
    assert await Session.select(Session.starts_at, Session.ends_at, Session.sequence).first() == before


async def test_ended_session_cannot_be_completed_twice(client: httpx.AsyncClient, admin: Staff) -> None:
    session = await create_published(client, admin)
    await move_times(session["id"], hours_from_now=-5)

    response = await client.post(f"/api/v1/sessions/{session['id']}/complete", headers=admin.headers)

    assert response.status_code == 409
    assert field_errors(response) == ["status"]


async def test_completed_session_keeps_its_times_but_may_be_edited(client: httpx.AsyncClient, admin: Staff) -> None:
    session = await create_published(client, admin)
    await move_times(session["id"], hours_from_now=-5)
    assert await complete_finished_sessions() == 1
    url = f"/api/v1/sessions/{session['id']}"
    stored = (await client.get(url, headers=admin.headers)).json()

    new_times = {"starts_at": future(30, 9).isoformat(), "ends_at": future(30, 11).isoformat()}
    moved = await client.patch(url, json=new_times, headers=admin.headers)
    only_end = await client.patch(url, json={"ends_at": future(30, 11).isoformat()}, headers=admin.headers)
    same_times = await client.patch(url, json={"starts_at": stored["starts_at"], "ends_at": stored["ends_at"],
                                               "description": {"en": "What was said."}}, headers=admin.headers)

    assert (moved.status_code, field_errors(moved)) == (409, ["status"])
    assert (only_end.status_code, field_errors(only_end)) == (409, ["status"])
    assert same_times.status_code == 200, same_times.text
    assert same_times.json()["description"] == {"en": "What was said."}
    assert (same_times.json()["starts_at"], same_times.json()["ends_at"]) == (stored["starts_at"], stored["ends_at"])


async def test_in_person_capacity_below_in_person_seats_taken_is_refused(client: httpx.AsyncClient,
                                                                         admin: Staff) -> None:
    session = await create_published(client, admin, capacity=50, in_person_capacity=10)
    await Session.update({Session.in_person_seats_taken: 4}).where(Session.id == session["id"])
    url = f"/api/v1/sessions/{session['id']}"

    lowered = await client.patch(url, json={"in_person_capacity": 3}, headers=admin.headers)
    to_taken = await client.patch(url, json={"in_person_capacity": 4}, headers=admin.headers)

    assert lowered.status_code == 422
    assert lowered.json()["errors"] == [{"field": "in_person_capacity",
                                         "message": "4 in-person seats are already taken."}]
    assert to_taken.status_code == 200
    assert to_taken.json()["in_person_capacity"] == 4
