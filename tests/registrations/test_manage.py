"""Self-service through the manage link: view, change, cancel, export, erase, revocation."""

from __future__ import annotations

from events.tables import Session
from registrations.tables import Invitation, Need, Registration
from server.tables import OutboxMessage
from tests.registrations.conftest import invite, make_session, submission


async def _register(client, session_id: int, **overrides) -> tuple[dict, str]:
    response = await client.post(f"/api/v1/sessions/{session_id}/registrations", json=submission(**overrides))
    body = response.json()
    return body, body["manage_url"].replace("http://convene.test/manage/", "/api/v1/manage/")


async def test_manage_shows_registration_with_history(client):
    session_id = await make_session()
    body, url = await _register(client, session_id, country="FR")

    response = await client.get(url)

    assert response.status_code == 200
    view = response.json()
    assert (view["id"], view["status"], view["email"], view["regional_group"], view["commissions"]) == (
        body["id"], "confirmed", "amina.diallo@example.org", "weog", ["ECE", "ECLAC", "ESCAP"],
    )
    history = [(h["from_status"], h["to_status"], h["actor"]) for h in view["history"]]
    assert history == [("", "confirmed", "registrant")]


async def test_manage_forged_token_not_found(client):
    session_id = await make_session()
    _, url = await _register(client, session_id)

    response = await client.get(url[:-3] + "abc")

    assert response.status_code == 404


async def test_manage_change_language_and_needs(client):
    session_id = await make_session()
    _, url = await _register(client, session_id, accessibility_needs=["captions_cart"])

    response = await client.patch(
        url, json={"preferred_language": "ar", "accessibility_needs": ["captions_cart", "easy_read"]}
    )
    bad = await client.patch(url, json={"preferred_language": "de"})
    unknown = await client.patch(url, json={"status": "confirmed"})

    assert response.status_code == 200
    assert response.json()["preferred_language"] == "ar"
    assert [n["code"] for n in response.json()["needs"]] == ["captions_cart", "easy_read"]
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "preferred_language")
    assert (unknown.status_code, unknown.json()["errors"][0]["field"]) == (400, "status")


async def test_manage_cancel_frees_seat_and_withdraws_invite(client):
    session_id = await make_session(capacity=3)
    _, url = await _register(client, session_id)

    response = await client.delete(url)
    again = await client.delete(url)

    assert response.json()["status"] == "cancelled"
    assert again.status_code == 409
    session = await Session.select(Session.seats_taken).first()
    assert session["seats_taken"] == 0
    cancelled = await OutboxMessage.select(OutboxMessage.context).where(
        OutboxMessage.template == "registration_cancelled"
    ).output(load_json=True)
    assert cancelled[0]["context"]["method"] == "CANCEL"


async def test_manage_export_and_erase(client):
    session_id = await make_session(capacity=1)
    body, url = await _register(client, session_id, accessibility_needs=["other"], accessibility_other="Quiet room")
    await client.post(f"/api/v1/sessions/{session_id}/registrations", json=submission(email="next@example.org"))

    exported = await client.get(f"{url}/export")
    erased = await client.post(f"{url}/erase")
    after = await client.get(url)

    assert exported.status_code == 200
    assert exported.json()["email"] == "amina.diallo@example.org"
    assert exported.json()["needs"][0]["text"] == "Quiet room"
    assert erased.json() == {"status": "erased"}
    assert after.status_code == 404
    gone = await Registration.select(Registration.name, Registration.email, Registration.status).where(
        Registration.id == body["id"]
    ).first()
    assert gone == {"name": "", "email": f"erased-{body['id']}", "status": "cancelled"}
    assert await Need.select(Need.text) == [{"text": ""}]
    promoted = await Registration.select(Registration.status).where(Registration.email == "next@example.org").first()
    assert promoted["status"] == "confirmed"


async def test_staff_rotation_revokes_link(client, admin):
    session_id = await make_session()
    body, url = await _register(client, session_id)

    rotated = await client.post(
        f"/api/v1/sessions/{session_id}/registrations/{body['id']}/rotate-link", headers=admin.headers
    )
    old = await client.get(url)

    assert rotated.status_code == 200
    assert old.status_code == 404
    resent = await OutboxMessage.select(OutboxMessage.context).where(
        OutboxMessage.template == "manage_link_resent"
    ).output(load_json=True)
    new_url = resent[0]["context"]["resent_manage_url"].replace("http://convene.test/manage/", "/api/v1/manage/")
    assert (await client.get(new_url)).status_code == 200


async def test_manage_consent_to_recording_only_for_listening_sessions(client):
    webinar = await make_session(kind="webinar")
    listening = await make_session(kind="listening_session")
    _, webinar_url = await _register(client, webinar)
    _, listening_url = await _register(client, listening)

    refused = await client.patch(webinar_url, json={"consent_recorded": True})
    withdrawn_on_webinar = await client.patch(webinar_url, json={"consent_recorded": False})
    given = await client.patch(listening_url, json={"consent_recorded": True})

    assert (refused.status_code, [e["field"] for e in refused.json()["errors"]]) == (422, ["consent_recorded"])
    assert (withdrawn_on_webinar.status_code, withdrawn_on_webinar.json()["consent_recorded"]) == (200, False)
    assert (given.status_code, given.json()["consent_recorded"]) == (200, True)


async def test_manage_refuses_control_characters_naming_the_field(client):
    session_id = await make_session()
    _, url = await _register(client, session_id, accessibility_other="Quiet room")

    response = await client.patch(url, json={"accessibility_other": "a\x00b\x1bc"})
    multiline = await client.patch(url, json={"accessibility_other": "Quiet room\n\tnear the exit"})

    assert (response.status_code, [e["field"] for e in response.json()["errors"]]) == (422, ["accessibility_other"])
    assert multiline.status_code == 200
    assert await Need.select(Need.kind, Need.text) == [{"kind": "other", "text": "Quiet room\n\tnear the exit"}]


async def _needs() -> list[tuple[str, str, str, str]]:
    rows = await Need.select(Need.kind, Need.code, Need.text, Need.status).order_by(Need.id)
    return [(n["kind"], n["code"], n["text"], n["status"]) for n in rows]


async def test_manage_partial_update_keeps_the_needs_not_sent(client):
    session_id = await make_session()
    _, url = await _register(client, session_id, interpretation_language="fr", accessibility_needs=["captions_cart"],
                             accessibility_other="Quiet room")
    await Need.update({Need.status: "arranged"}).where(Need.code == "captions_cart")

    provisions = await client.patch(url, json={"accessibility_needs": ["captions_cart", "easy_read"]})
    needs_after_provisions = await _needs()
    language = await client.patch(url, json={"interpretation_language": "es"})
    needs_after_language = await _needs()
    cleared = await client.patch(url, json={"interpretation_language": None, "accessibility_other": None})

    assert (provisions.status_code, provisions.json()["interpretation_language"]) == (200, "fr")
    assert needs_after_provisions == [
        ("interpretation", "fr", "", "requested"), ("accessibility", "captions_cart", "", "arranged"),
        ("other", "", "Quiet room", "requested"), ("accessibility", "easy_read", "", "requested"),
    ]
    assert (language.status_code, language.json()["interpretation_language"]) == (200, "es")
    assert needs_after_language == [
        ("accessibility", "captions_cart", "", "arranged"), ("other", "", "Quiet room", "requested"),
        ("accessibility", "easy_read", "", "requested"), ("interpretation", "es", "", "requested"),
    ]
    assert (cleared.status_code, cleared.json()["interpretation_language"]) == (200, None)
    assert await _needs() == [
        ("accessibility", "captions_cart", "", "arranged"), ("accessibility", "easy_read", "", "requested"),
    ]


async def test_manage_partial_update_checked_against_the_needs_kept(client):
    session_id = await make_session()
    _, url = await _register(client, session_id, accessibility_needs=["national_sign_language"], sign_language="bzs")

    other_without_text = await client.patch(url, json={"accessibility_needs": ["national_sign_language", "other"]})
    sign_language_kept = await client.patch(url, json={"accessibility_needs": ["national_sign_language", "easy_read"]})

    assert (other_without_text.status_code, [e["field"] for e in other_without_text.json()["errors"]]) == (
        422, ["accessibility_other"],
    )
    assert sign_language_kept.status_code == 200
    assert await _needs() == [
        ("accessibility", "national_sign_language", "bzs", "requested"),
        ("accessibility", "easy_read", "", "requested"),
    ]


async def test_erase_anonymises_the_invitation_too(client):
    session_id = await make_session(audience="invitation")
    token = await invite(session_id, "amina.diallo@example.org")
    await invite(session_id, "other@example.org")
    body, url = await _register(client, session_id, invitation=token)

    erased = await client.post(f"{url}/erase")

    assert erased.status_code == 200
    invitations = await Invitation.select(Invitation.email, Invitation.used).order_by(Invitation.id)
    assert invitations == [
        {"email": f"erased-{body['id']}", "used": True}, {"email": "other@example.org", "used": False},
    ]


async def test_manage_refuses_changes_once_the_session_is_cancelled_or_over(client, admin):
    cancelled_id = await make_session(capacity=3)
    ended_id = await make_session(capacity=3)
    _, cancelled_url = await _register(client, cancelled_id)
    _, ended_url = await _register(client, ended_id, email="b@example.org")
    await client.post(f"/api/v1/sessions/{cancelled_id}/cancel", headers=admin.headers)
    await Session.update({Session.status: "completed"}).where(Session.id == ended_id)

    changed = await client.patch(cancelled_url, json={"preferred_language": "es"})
    withdrawn = await client.delete(cancelled_url)
    changed_after = await client.patch(ended_url, json={"preferred_language": "es"})
    exported = await client.get(f"{cancelled_url}/export")

    assert changed.status_code == 409
    assert changed.json()["errors"] == [
        {"field": "status", "message": "The session is cancelled: there is nothing left to change."}
    ]
    assert withdrawn.status_code == 409
    assert changed_after.json()["errors"] == [
        {"field": "status", "message": "The session has ended: there is nothing left to change."}
    ]
    assert exported.status_code == 200
    assert await Registration.select(Registration.preferred_language, Registration.status).order_by(
        Registration.id
    ) == [{"preferred_language": "fr", "status": "confirmed"}, {"preferred_language": "fr", "status": "confirmed"}]


async def test_consent_time_moves_only_when_a_consent_changes(client):
    session_id = await make_session()
    _, url = await _register(client, session_id, consent_listed=False)
    given = (await Registration.select(Registration.consented_at).first())["consented_at"]

    same = await client.patch(url, json={"consent_listed": False, "preferred_language": "es"})
    kept = (await Registration.select(Registration.consented_at).first())["consented_at"]
    changed = await client.patch(url, json={"consent_listed": True})
    moved = (await Registration.select(Registration.consented_at).first())["consented_at"]

    assert (same.status_code, changed.status_code) == (200, 200)
    assert kept == given
    assert moved > given
