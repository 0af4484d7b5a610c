"""Registering through the JSON API: statuses, repeats, outbox rows, window and audience, bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from events.tables import Session
from registrations.tables import Invitation, Need, Registration, StatusChange
from server.tables import OutboxMessage, User
from tests.registrations.conftest import REPEAT, assign, invite, make_session, submission


async def test_register_open_session_confirms_and_queues_invite(client):
    session_id = await make_session(capacity=10)

    response = await client.post(f"/api/v1/sessions/{session_id}/registrations", json=submission())

    assert response.status_code == 201
    body = response.json()
    assert body["id"] == 1
    assert body["status"] == "confirmed"
    assert body["waitlist_position"] is None
    assert body["manage_url"].startswith("http://convene.test/manage/")
    reg = await Registration.select().first()
    assert reg["email"] == "amina.diallo@example.org"
    assert reg["consent_text_version"] == "2026-11"
    outbox = await OutboxMessage.select(OutboxMessage.template, OutboxMessage.to_address, OutboxMessage.language,
                                        OutboxMessage.timezone, OutboxMessage.context).output(load_json=True)
    assert [(o["template"], o["to_address"], o["language"], o["timezone"]) for o in outbox] == [
        ("registration_confirmed", "amina.diallo@example.org", "fr", "Africa/Dakar")
    ]
    assert outbox[0]["context"] == {
        "registration_id": 1, "session_id": session_id, "sequence": 0,
        "manage_url": body["manage_url"], "method": "REQUEST",
    }
    history = await StatusChange.select(StatusChange.from_status, StatusChange.to_status, StatusChange.actor)
    assert history == [{"from_status": "", "to_status": "confirmed", "actor": "registrant"}]


async def test_register_repeat_email_answers_200_without_link(client):
    session_id = await make_session()
    first = await client.post(f"/api/v1/sessions/{session_id}/registrations", json=submission())

    again = await client.post(
        f"/api/v1/sessions/{session_id}/registrations", json=submission(email="amina.diallo@EXAMPLE.org")
    )

    assert again.status_code == 200
    assert again.json() == REPEAT
    assert await Registration.count() == 1
    templates = await OutboxMessage.select(OutboxMessage.template, OutboxMessage.context).order_by(
        OutboxMessage.id
    ).output(load_json=True)
    assert [t["template"] for t in templates] == ["registration_confirmed", "manage_link_resent"]
    assert templates[1]["context"]["resent_manage_url"] == first.json()["manage_url"]


async def test_register_full_session_waitlists_with_position(client):
    session_id = await make_session(capacity=1)
    await client.post(f"/api/v1/sessions/{session_id}/registrations", json=submission(email="a@example.org"))

    second = await client.post(f"/api/v1/sessions/{session_id}/registrations", json=submission(email="b@example.org"))
    third = await client.post(f"/api/v1/sessions/{session_id}/registrations", json=submission(email="c@example.org"))

    assert (second.status_code, second.json()["status"], second.json()["waitlist_position"]) == (201, "waitlisted", 1)
    assert (third.status_code, third.json()["status"], third.json()["waitlist_position"]) == (201, "waitlisted", 2)
    outbox = await OutboxMessage.select(OutboxMessage.template, OutboxMessage.context).order_by(
        OutboxMessage.id
    ).output(load_json=True)
    assert [o["template"] for o in outbox] == [
        "registration_confirmed", "registration_waitlisted", "registration_waitlisted"
    ]
    assert [o["context"].get("position") for o in outbox] == [None, 1, 2]


async def test_register_approval_session_is_pending(client):
    session_id = await make_session(audience="approval", capacity=5)

    response = await client.post(f"/api/v1/sessions/{session_id}/registrations", json=submission())

    assert (response.status_code, response.json()["status"]) == (201, "pending")
    assert await OutboxMessage.select(OutboxMessage.template) == [{"template": "registration_pending"}]


async def test_register_approval_session_tells_organisers_who_opted_in(client, organiser, other_organiser):
    session_id = await make_session(audience="approval", capacity=5)
    await assign(session_id, organiser.id)
    await assign(session_id, other_organiser.id)
    await User.update({User.notify_staff: True}).where(User.id == organiser.id)

    response = await client.post(f"/api/v1/sessions/{session_id}/registrations", json=submission())

    assert (response.status_code, response.json()["status"]) == (201, "pending")
    outbox = await OutboxMessage.select(
        OutboxMessage.template, OutboxMessage.to_address, OutboxMessage.context
    ).order_by(OutboxMessage.id).output(load_json=True)
    assert [(o["template"], o["to_address"]) for o in outbox] == [
        ("registration_pending", "amina.diallo@example.org"),
        ("staff_approval_needed", "organiser@convene.test"),
    ]
    assert outbox[1]["context"] == {
        "session_id": session_id, "registration_id": response.json()["id"], "staff_user_id": organiser.id,
    }


async def test_register_open_session_tells_no_organiser(client, organiser):
    session_id = await make_session(capacity=5)
    await assign(session_id, organiser.id)
    await User.update({User.notify_staff: True}).where(User.id == organiser.id)

    await client.post(f"/api/v1/sessions/{session_id}/registrations", json=submission())

    assert await OutboxMessage.select(OutboxMessage.template) == [{"template": "registration_confirmed"}]


async def test_register_needs_recorded_including_unoffered_language(client):
    session_id = await make_session()
    body = submission(
        interpretation_language="pt-BR",
        accessibility_needs=["captions_cart", "national_sign_language", "other"],
        sign_language="bzs",
        accessibility_other="Seat near the interpreters",
        personal_assistant=True,
    )

    response = await client.post(f"/api/v1/sessions/{session_id}/registrations", json=body)

    assert response.status_code == 201
    needs = await Need.select(Need.kind, Need.code, Need.text, Need.status).order_by(Need.id)
    assert needs == [
        {"kind": "interpretation", "code": "pt-BR", "text": "", "status": "requested"},
        {"kind": "accessibility", "code": "captions_cart", "text": "", "status": "requested"},
        {"kind": "accessibility", "code": "national_sign_language", "text": "bzs", "status": "requested"},
        {"kind": "accessibility", "code": "other", "text": "Seat near the interpreters", "status": "requested"},
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("email", "not-an-address"),
        ("stakeholder_category", "lobbyist"),
        ("country", "XX"),
        ("preferred_language", "de"),
        ("timezone", "Mars/Olympus"),
        ("gender", "robot"),
        ("delegation_role", "chair"),
        ("participation_mode", "in_person"),
        ("interpretation_language", "not a tag"),
        ("accessibility_needs", ["braille_everything"]),
        ("consent_processing", False),
        ("consent_recorded", True),
        ("name", "Amina\r\nBCC: x@example.org"),
    ],
)
async def test_register_bad_field_refused_naming_it(client, field, value):
    session_id = await make_session()

    response = await client.post(f"/api/v1/sessions/{session_id}/registrations", json=submission(**{field: value}))

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert await Registration.count() == 0
    assert await OutboxMessage.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**submission(), "name": "x" * 201}, "name"),
        ({**submission(), "is_admin": True}, "is_admin"),
        ({**submission(), "consent_processing": "yes"}, "consent_processing"),
    ],
)
async def test_register_malformed_body_refused_naming_field(client, body, field):
    session_id = await make_session()

    response = await client.post(f"/api/v1/sessions/{session_id}/registrations", json=body)

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert await Registration.count() == 0


async def test_register_malformed_json_refused(client):
    session_id = await make_session()

    response = await client.post(
        f"/api/v1/sessions/{session_id}/registrations",
        content=b'{"name": ',
        headers={"content-type": "application/json", "accept-language": "fr"},
    )

    assert response.status_code == 400
    assert response.json() == {
        "type": "about:blank", "title": "Saisie non valide", "status": 400,
        "detail": "Le corps de la requête n'est pas du JSON valide.",
        "errors": [{"field": "body", "message": "Le corps de la requête n'est pas du JSON valide."}],
    }
    assert await Registration.count() == 0


async def test_unknown_api_address_is_a_translated_problem(client):
    response = await client.get("/api/v1/nowhere", headers={"accept-language": "es"})

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank", "title": "Not Found", "status": 404,
        "detail": "No hay ninguna página en esta dirección. "
                  "Puede que se haya trasladado o que el enlace esté incompleto.",
    }


@pytest.mark.parametrize(
    "overrides",
    [
        {"registration_opens_at": datetime.now(UTC) + timedelta(days=1)},
        {"registration_closes_at": datetime.now(UTC) - timedelta(minutes=1)},
        {"status": "cancelled"},
    ],
)
async def test_register_outside_window_conflicts(client, overrides):
    session_id = await make_session(**overrides)

    response = await client.post(f"/api/v1/sessions/{session_id}/registrations", json=submission())

    assert response.status_code == 409
    assert [e["field"] for e in response.json()["errors"]] == ["registration_window"]
    assert await Registration.count() == 0


async def test_register_draft_session_not_found(client):
    session_id = await make_session(status="draft")

    response = await client.post(f"/api/v1/sessions/{session_id}/registrations", json=submission())

    assert response.status_code == 404


async def test_register_invitation_session_needs_the_invitation_link(client):
    session_id = await make_session(audience="invitation")
    token = await invite(session_id, "invited@example.org")
    other_token = await invite(await make_session(audience="invitation"), "invited@example.org")
    url = f"/api/v1/sessions/{session_id}/registrations"

    uninvited = await client.post(url, json=submission())
    without_token = await client.post(url, json=submission(email="invited@example.org"))
    forged = await client.post(url, json=submission(email="invited@example.org", invitation=token[:-2] + "xx"))
    other_sessions = await client.post(url, json=submission(email="invited@example.org", invitation=other_token))
    wrong_address = await client.post(url, json=submission(invitation=token))
    accepted = await client.post(url, json=submission(email="Invited@example.org", invitation=token))

    # Without a valid token the answer is the same whoever the address: nobody can probe the invitation list.
    reason = "This session is by invitation: use the link in your invitation."
    refusal = {
        "type": "about:blank", "title": "Forbidden", "status": 403, "detail": reason,
        "errors": [{"field": "invitation", "message": reason}],
    }
    for response in (uninvited, without_token, forged, other_sessions):
        assert (response.status_code, response.json()) == (403, refusal)
    assert (wrong_address.status_code, [e["field"] for e in wrong_address.json()["errors"]]) == (403, ["email"])
    assert (accepted.status_code, accepted.json()["status"]) == (201, "confirmed")
    assert await Invitation.select(Invitation.used).where(Invitation.session == session_id) == [{"used": True}]
    assert await Registration.select(Registration.email) == [{"email": "invited@example.org"}]


async def test_register_invitation_session_someone_else_cannot_take_the_place_or_probe_it(client):
    session_id = await make_session(audience="invitation", join_url="https://meet.example.org/j/123")
    token = await invite(session_id, "invited@example.org")
    url = f"/api/v1/sessions/{session_id}/registrations"
    invitee = await client.post(url, json=submission(email="invited@example.org", invitation=token))

    squatter = await client.post(url, json=submission(email="invited@example.org", name="Squatter"))
    await Session.update({Session.registration_closes_at: datetime.now(UTC) - timedelta(minutes=1)}).where(
        Session.id == session_id
    )
    after_close = await client.post(url, json=submission(email="invited@example.org", name="Squatter"))
    repeat = await client.post(url, json=submission(email="invited@example.org", invitation=token))

    assert invitee.status_code == 201
    # Registered or not, open or closed: without the link the answer is the refusal, and no mail goes out.
    assert [(r.status_code, r.json()["errors"][0]["field"]) for r in (squatter, after_close)] == [
        (403, "invitation"), (403, "invitation")
    ]
    assert (repeat.status_code, repeat.json()) == (200, REPEAT)
    templates = await OutboxMessage.select(OutboxMessage.template).order_by(OutboxMessage.id)
    assert [t["template"] for t in templates] == ["registration_confirmed", "manage_link_resent"]


async def test_register_hybrid_session_separate_pools(client):
    session_id = await make_session(venue="Palais des Nations, Geneva", capacity=1, in_person_capacity=1)
    url = f"/api/v1/sessions/{session_id}/registrations"

    missing = await client.post(url, json=submission())
    online = await client.post(url, json=submission(email="a@example.org", participation_mode="online"))
    in_person = await client.post(url, json=submission(email="b@example.org", participation_mode="in_person"))
    in_person_full = await client.post(url, json=submission(email="c@example.org", participation_mode="in_person"))

    assert [e["field"] for e in missing.json()["errors"]] == ["participation_mode"]
    assert [r.json()["status"] for r in (online, in_person, in_person_full)] == ["confirmed", "confirmed", "waitlisted"]
    assert in_person_full.json()["waitlist_position"] == 1


async def test_register_rate_limited_per_address(client):
    session_id = await make_session()
    url = f"/api/v1/sessions/{session_id}/registrations"
    statuses = [(await client.post(url, json=submission(email=f"p{i}@example.org"))).status_code for i in range(61)]

    assert statuses[:60] == [201] * 60
    assert statuses[60] == 429


async def test_register_repeat_after_window_closed_answers_like_any_repeat(client):
    session_id = await make_session()
    first = await client.post(f"/api/v1/sessions/{session_id}/registrations", json=submission())
    await Session.update({Session.registration_closes_at: datetime.now(UTC) - timedelta(minutes=1)}).where(
        Session.id == session_id
    )

    again = await client.post(f"/api/v1/sessions/{session_id}/registrations", json=submission())
    newcomer = await client.post(f"/api/v1/sessions/{session_id}/registrations",
                                 json=submission(email="late@example.org"))

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == REPEAT
    assert (newcomer.status_code, [e["field"] for e in newcomer.json()["errors"]]) == (409, ["registration_window"])
    templates = await OutboxMessage.select(OutboxMessage.template).order_by(OutboxMessage.id)
    assert [t["template"] for t in templates] == ["registration_confirmed", "manage_link_resent"]


async def test_repeats_mail_the_link_once_per_window(client):
    session_id = await make_session()
    url = f"/api/v1/sessions/{session_id}/registrations"
    await client.post(url, json=submission())

    for _ in range(3):
        assert (await client.post(url, json=submission())).status_code == 200
    await OutboxMessage.update({OutboxMessage.created_at: datetime.now(UTC) - timedelta(minutes=11)}).where(
        OutboxMessage.template == "manage_link_resent"
    )
    later = await client.post(url, json=submission())

    assert later.status_code == 200
    rows = await OutboxMessage.select(OutboxMessage.dedupe_key).where(
        OutboxMessage.template == "manage_link_resent"
    ).order_by(OutboxMessage.id)
    assert rows == [{"dedupe_key": "manage_link_requested:1:0"}, {"dedupe_key": "manage_link_requested:1:1"}]


async def _status_of_registration(client, admin, status: str) -> tuple[int, str]:
    """A session where amina.diallo@example.org holds a registration in ``status``; returns the session and
    the registration's manage link (API form)."""
    session_id = await make_session(capacity=1, audience="approval" if status == "pending" else "open")
    url = f"/api/v1/sessions/{session_id}/registrations"
    if status == "waitlisted":
        await client.post(url, json=submission(email="first@example.org"))
    created = (await client.post(url, json=submission())).json()
    link = created["manage_url"].replace("http://convene.test/manage/", "/api/v1/manage/")
    if status == "declined":
        await client.post(f"{url}/decline", json={"registration_ids": [created["id"]], "reason": "Not eligible"},
                          headers=admin.headers)
    elif status == "cancelled":
        await client.delete(link)
    assert (await client.get(link)).json()["status"] == status
    return session_id, link


@pytest.mark.parametrize("status", ["confirmed", "waitlisted", "pending", "declined", "cancelled"])
async def test_a_repeat_answers_the_same_whatever_the_registrations_status(client, admin, status):
    session_id, link = await _status_of_registration(client, admin, status)
    before = await OutboxMessage.count()

    again = await client.post(f"/api/v1/sessions/{session_id}/registrations", json=submission(name="Someone else"))

    assert (again.status_code, again.json()) == (200, REPEAT)
    mailed = await OutboxMessage.select(OutboxMessage.template, OutboxMessage.to_address,
                                        OutboxMessage.context).where(OutboxMessage.id > before).output(load_json=True)
    assert [(m["template"], m["to_address"]) for m in mailed] == [("manage_link_resent", "amina.diallo@example.org")]
    assert mailed[0]["context"]["resent_manage_url"] == link.replace("/api/v1/manage/", "http://convene.test/manage/")
    assert (await client.get(link)).json()["status"] == status  # the repeat changed nothing
    assert await Registration.select(Registration.name).where(Registration.email == "amina.diallo@example.org") == [
        {"name": "Amina Diallo"}
    ]


async def test_who_cancelled_registers_again_through_the_mailed_link(client):
    session_id = await make_session(capacity=1)
    url = f"/api/v1/sessions/{session_id}/registrations"
    first = (await client.post(url, json=submission(interpretation_language="fr"))).json()
    link = first["manage_url"].replace("http://convene.test/manage/", "/api/v1/manage/")
    assert (await client.delete(link)).status_code == 200
    await client.post(url, json=submission(email="other@example.org"))  # takes the freed seat
    repeat = await client.post(url, json=submission(name="Amina D.", interpretation_language="ar"))

    again = await client.post(f"{link}/register-again")
    twice = await client.post(f"{link}/register-again")

    assert (repeat.status_code, repeat.json()) == (200, REPEAT)
    assert again.status_code == 200
    view = again.json()
    assert (view["id"], view["status"], view["waitlist_position"]) == (first["id"], "waitlisted", 1)
    # What the registration held stays: the repeat's body changed nothing.
    assert (view["name"], view["interpretation_language"]) == ("Amina Diallo", "fr")
    assert [(h["from_status"], h["to_status"], h["reason"]) for h in view["history"]] == [
        ("cancelled", "waitlisted", "registered_again"),
    ]
    assert (twice.status_code, [e["field"] for e in twice.json()["errors"]]) == (409, ["status"])
    templates = await OutboxMessage.select(OutboxMessage.template).where(
        OutboxMessage.to_address == "amina.diallo@example.org"
    ).order_by(OutboxMessage.id)
    assert [t["template"] for t in templates] == [
        "registration_confirmed", "registration_cancelled", "manage_link_resent", "registration_waitlisted",
    ]


async def test_who_cancelled_cannot_register_again_once_registration_closed(client):
    session_id = await make_session()
    first = (await client.post(f"/api/v1/sessions/{session_id}/registrations", json=submission())).json()
    link = first["manage_url"].replace("http://convene.test/manage/", "/api/v1/manage/")
    await client.delete(link)
    await Session.update({Session.registration_closes_at: datetime.now(UTC) - timedelta(minutes=1)}).where(
        Session.id == session_id
    )

    again = await client.post(f"{link}/register-again")

    assert (again.status_code, [e["field"] for e in again.json()["errors"]]) == (409, ["registration_window"])
    assert (await client.get(link)).json()["status"] == "cancelled"


async def test_who_was_declined_cannot_register_again(client, admin):
    session_id = await make_session()
    url = f"/api/v1/sessions/{session_id}/registrations"
    first = (await client.post(url, json=submission())).json()
    await client.post(f"{url}/decline", json={"registration_ids": [first["id"]], "reason": "Not eligible"},
                      headers=admin.headers)

    again = await client.post(url, json=submission())

    assert (again.status_code, again.json()) == (200, REPEAT)
