"""Requests to speak through the registration form and the manage page, the organisers' page (accept, decline,
move up and down without JavaScript, balance and time), and the published list on the session page, which names
only those who consented to be listed."""

from __future__ import annotations

from registrations.tables import Registration, Speaker, SpeakerList
from tests.conftest import login_cookie_client
from tests.registrations.conftest import assign, make_session, submission

LISTENING = {"kind": "listening_session", "interpretation_languages": ["fr"]}


async def _csrf(client, path: str) -> str:
    page = await client.get(path)
    assert page.status_code == 200, page.text
    return client.cookies["convene_csrf"]


def _form(csrf: str, **overrides) -> dict:
    values = {k: ("on" if v is True else v) for k, v in submission(**overrides).items() if v is not False}
    return {**values, "_csrf_token": csrf}


async def test_registration_form_takes_a_request_to_speak(client):
    session_id = await make_session(**LISTENING)
    page = await client.get(f"/sessions/{session_id}")
    csrf = client.cookies["convene_csrf"]

    response = await client.post(f"/sessions/{session_id}/register", data={
        **_form(csrf), "speaking_topic": "Remittances", "speaking_language": "fr",
        "speaking_on_behalf_of": "Diaspora Network", "speaking_summary": "Costs.\r\nAccess.",
    })

    assert '<label for="field-speaking_topic">Topic</label>' in page.text
    assert '<option value="fr">French</option>' in page.text
    assert response.status_code == 303
    row = await Speaker.select(Speaker.topic, Speaker.language, Speaker.on_behalf_of, Speaker.summary).first()
    assert row == {"topic": "Remittances", "language": "fr", "on_behalf_of": "Diaspora Network",
                   "summary": "Costs.\nAccess."}


async def test_registration_form_refuses_a_language_not_offered_beside_the_field(client):
    session_id = await make_session(**LISTENING)
    csrf = await _csrf(client, f"/sessions/{session_id}")

    response = await client.post(f"/sessions/{session_id}/register", data={
        **_form(csrf), "speaking_topic": "Remittances", "speaking_language": "ru"})

    assert response.status_code == 400
    assert ('<span class="field-error" id="error-speaking_language">Choose a language this session offers.</span>'
            in response.text)
    assert 'value="Remittances"' in response.text  # what was typed stays
    assert await Registration.count() == 0
    assert await Speaker.count() == 0


async def test_webinar_form_has_no_request_to_speak(client):
    session_id = await make_session()
    page = await client.get(f"/sessions/{session_id}")
    assert "speaking_topic" not in page.text


async def test_manage_page_asks_changes_and_withdraws(client):
    session_id = await make_session(**LISTENING)
    reply = (await client.post(f"/api/v1/sessions/{session_id}/registrations",
                               json=submission(preferred_language="en"))).json()
    path = "/manage/" + reply["manage_url"].split("/manage/", 1)[1]
    csrf = await _csrf(client, path)

    empty = await client.post(f"{path}/speaking", data={"_csrf_token": csrf, "topic": "", "language": "en"})
    asked = await client.post(f"{path}/speaking", data={"_csrf_token": csrf, "topic": "Labour", "language": "en"})
    changed = await client.post(f"{path}/speaking", data={"_csrf_token": csrf, "topic": "Decent work",
                                                          "language": "fr"})
    shown = await client.get(path)
    withdrawn = await client.post(f"{path}/speaking/withdraw", data={"_csrf_token": csrf})

    assert empty.status_code == 422
    assert '<span class="field-error" id="error-speaking_topic">Say what you will speak about.</span>' in empty.text
    assert (asked.status_code, changed.status_code, withdrawn.status_code) == (303, 303, 303)
    assert "<dd><strong>Requested</strong></dd>" in shown.text
    assert "<dt>Topic</dt><dd>Decent work</dd>" in shown.text
    assert await Speaker.count() == 0


async def test_organiser_accepts_declines_and_moves_without_javascript(client, organiser):
    session_id = await make_session(**LISTENING)
    await assign(session_id, organiser.id)
    ids = []
    for email, category, country in (("a@example.org", "civil_society", "SN"), ("b@example.org", "migrants", "DE"),
                                     ("c@example.org", "academia", "BR")):
        reply = (await client.post(f"/api/v1/sessions/{session_id}/registrations", json=submission(
            email=email, name=email[0].upper(), stakeholder_category=category, country=country,
            speaking_request={"topic": f"Topic {email[0]}", "language": "en"}))).json()
        ids.append((await Speaker.select(Speaker.id).where(Speaker.registration == reply["id"]).first())["id"])
    await login_cookie_client(client, organiser)
    csrf = client.cookies["convene_csrf"]
    base = f"/staff/sessions/{session_id}/speakers"

    page = await client.get(base)
    applied = await client.post(f"{base}/apply_suggestion", data={"_csrf_token": csrf})
    moved = await client.post(f"{base}/up", data={"_csrf_token": csrf, "speaker_id": ids[2]})
    declined = await client.post(f"{base}/decline", data={"_csrf_token": csrf, "speaker_id": ids[0],
                                                          "reason": "Off topic"})
    no_reason = await client.post(f"{base}/decline", data={"_csrf_token": csrf, "speaker_id": ids[1]})
    after = await client.get(base)

    assert page.status_code == 200
    assert "In a regional review, Member States speak first and then observer States" in page.text
    assert (applied.status_code, moved.status_code, declined.status_code) == (303, 303, 303)
    assert no_reason.status_code == 422
    assert "Give the reason for declining; the requester is told." in no_reason.text
    rows = await Speaker.select(Speaker.id, Speaker.status, Speaker.position).order_by(Speaker.id)
    assert rows == [{"id": ids[0], "status": "declined", "position": None},
                    {"id": ids[1], "status": "accepted", "position": 2},
                    {"id": ids[2], "status": "accepted", "position": 1}]
    assert "The list takes 6 of 120 minutes." in after.text
    assert f'<input type="hidden" name="ids" value="{ids[2]},{ids[1]}">' in after.text  # what dragging submits
    reordered = await client.post(f"{base}/order", data={"_csrf_token": csrf, "ids": f"{ids[1]},{ids[2]}"})
    assert reordered.status_code == 303
    assert [r["id"] for r in await Speaker.select(Speaker.id).where(Speaker.position.is_not_null())
            .order_by(Speaker.position)] == [ids[1], ids[2]]
    # Balance: migrants are a third of the requests and half of the list.
    assert '<tr><th scope="row">Migrants</th><td>1 (33 %)</td><td>1 (50 %)</td></tr>' in after.text


async def test_other_organisers_cannot_see_or_change_the_list(client, organiser, other_organiser):
    session_id = await make_session(**LISTENING)
    await assign(session_id, organiser.id)
    await login_cookie_client(client, other_organiser)

    page = await client.get(f"/staff/sessions/{session_id}/speakers")
    api = await client.get(f"/api/v1/sessions/{session_id}/speakers", headers=other_organiser.headers)

    assert (page.status_code, api.status_code) == (403, 403)


async def test_published_list_names_only_those_who_consented(client, organiser):
    session_id = await make_session(**LISTENING)
    await assign(session_id, organiser.id)
    for email, name, listed, country in (("a@example.org", "Listed Person", True, "SN"),
                                         ("b@example.org", "Private Person", False, "KE")):
        await client.post(f"/api/v1/sessions/{session_id}/registrations", json=submission(
            email=email, name=name, consent_listed=listed, country=country,
            speaking_request={"topic": f"Topic of {name}", "language": "en"}))
    ids = [row["id"] for row in await Speaker.select(Speaker.id).order_by(Speaker.id)]
    await client.put(f"/api/v1/sessions/{session_id}/speakers/order", headers=organiser.headers, json={"ids": ids})

    before = await client.get(f"/sessions/{session_id}")
    await client.patch(f"/api/v1/sessions/{session_id}/speakers/settings", headers=organiser.headers,
                       json={"published": True})
    after = await client.get(f"/sessions/{session_id}")
    arabic = await client.get(f"/sessions/{session_id}", headers={"Accept-Language": "ar"})

    assert "Speakers&#39; list" not in before.text
    assert "<li><bdi>Listed Person</bdi> — Topic of Listed Person</li>" in after.text
    assert "<li>Civil society, African Group</li>" in after.text
    assert "Private Person" not in after.text and "Topic of Private Person" not in after.text
    assert "<li>المجتمع المدني، مجموعة الدول الأفريقية</li>" in arabic.text


async def test_hostile_text_is_escaped_and_line_breaks_refused(client, organiser):
    session_id = await make_session(**LISTENING)
    await assign(session_id, organiser.id)
    hostile = "<script>alert(1)</script>"
    reply = (await client.post(f"/api/v1/sessions/{session_id}/registrations", json=submission(
        consent_listed=True, speaking_request={"topic": hostile, "language": "en", "on_behalf_of": hostile}))).json()
    token = reply["manage_url"].split("/manage/", 1)[1]
    broken = await client.patch(f"/api/v1/manage/{token}/speaking", json={"topic": "A\r\nBCC: x@example.org"})
    await client.put(f"/api/v1/sessions/{session_id}/speakers/order", headers=organiser.headers,
                     json={"ids": [(await Speaker.select(Speaker.id).first())["id"]]})
    await client.patch(f"/api/v1/sessions/{session_id}/speakers/settings", headers=organiser.headers,
                       json={"published": True})
    await login_cookie_client(client, organiser)

    public = await client.get(f"/sessions/{session_id}")
    staff = await client.get(f"/staff/sessions/{session_id}/speakers")

    assert (broken.status_code, broken.json()["errors"]) == (
        422, [{"field": "topic", "message": "Remove line breaks and control characters."}])
    for page in (public, staff):
        assert hostile not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


async def _one_request(client, organiser) -> tuple[int, int, str]:
    """A listening session with one request to speak, its organiser logged in: (session, speaker, CSRF token)."""
    session_id = await make_session(**LISTENING)
    await assign(session_id, organiser.id)
    reply = (await client.post(f"/api/v1/sessions/{session_id}/registrations", json=submission(
        speaking_request={"topic": "Water", "language": "en"}))).json()
    speaker_id = (await Speaker.select(Speaker.id).where(Speaker.registration == reply["id"]).first())["id"]
    await login_cookie_client(client, organiser)
    return session_id, speaker_id, client.cookies["convene_csrf"]


async def test_each_form_of_the_organisers_page_does_its_own_change(client, organiser):
    session_id, speaker_id, csrf = await _one_request(client, organiser)
    base = f"/staff/sessions/{session_id}/speakers"

    async def send(action: str, **fields) -> tuple[int, str]:
        reply = await client.post(f"{base}/{action}", data={"_csrf_token": csrf, **fields})
        return reply.status_code, reply.headers.get("location", "")

    async def speaker() -> dict:
        return await Speaker.select(Speaker.status, Speaker.position, Speaker.minutes, Speaker.quote,
                                    Speaker.minutes_used).where(Speaker.id == speaker_id).first()

    assert await send("accept", speaker_id=speaker_id) == (303, f"{base}?done=accept")
    assert await speaker() == {"status": "accepted", "position": 1, "minutes": None, "quote": "",
                               "minutes_used": None}
    assert await send("minutes", speaker_id=speaker_id, minutes="5", quote="Water is life.") == (
        303, f"{base}?done=minutes")
    assert await send("down", speaker_id=speaker_id) == (303, f"{base}?done=down")
    assert await send("spoke", speaker_id=speaker_id, minutes_used="4") == (303, f"{base}?done=spoke")
    assert await speaker() == {"status": "spoke", "position": 1, "minutes": 5, "quote": "Water is life.",
                               "minutes_used": 4}
    assert await send("absent", speaker_id=speaker_id) == (303, f"{base}?done=absent")
    assert (await speaker())["status"] == "absent"
    assert await send("requeue", speaker_id=speaker_id) == (303, f"{base}?done=requeue")
    assert (await speaker())["status"] == "requested"
    assert await send("settings", requests_close_at="", slot_minutes="30", offset_minutes="",
                      default_minutes="4") == (303, f"{base}?done=settings")
    assert await send("publish") == (303, f"{base}?done=publish")
    published = await SpeakerList.select(SpeakerList.slot_minutes, SpeakerList.default_minutes,
                                         SpeakerList.published_at).where(SpeakerList.session == session_id).first()
    assert (published["slot_minutes"], published["default_minutes"], published["published_at"] is not None) == (
        30, 4, True)
    assert await send("unpublish") == (303, f"{base}?done=unpublish")
    assert (await SpeakerList.select(SpeakerList.published_at).where(
        SpeakerList.session == session_id).first())["published_at"] is None
    # An action the page has no form for is no route at all.
    assert (await send("shout", speaker_id=speaker_id))[0] == 404


async def test_organisers_page_refuses_long_texts_and_minutes_not_a_number_beside_the_field(client, organiser):
    session_id, speaker_id, csrf = await _one_request(client, organiser)
    base = f"/staff/sessions/{session_id}/speakers"
    await client.post(f"{base}/accept", data={"_csrf_token": csrf, "speaker_id": speaker_id})
    client.cookies.set("convene_lang", "fr")

    long_quote = await client.post(f"{base}/minutes", data={"_csrf_token": csrf, "speaker_id": speaker_id,
                                                           "minutes": "5", "quote": "q" * 2001})
    soon = await client.post(f"{base}/minutes", data={"_csrf_token": csrf, "speaker_id": speaker_id,
                                                     "minutes": "soon", "quote": "Kept as typed"})
    await client.post(f"{base}/requeue", data={"_csrf_token": csrf, "speaker_id": speaker_id})
    long_reason = await client.post(f"{base}/decline", data={"_csrf_token": csrf, "speaker_id": speaker_id,
                                                            "reason": "r" * 2001})

    at_most = "Doit comporter au plus 2\u202f000 caractères."
    assert long_quote.status_code == 422
    assert f'<a href="#quote-{speaker_id}">{at_most}</a>' in long_quote.text
    assert f'<span class="field-error" id="error-quote-{speaker_id}">{at_most}</span>' in long_quote.text
    assert soon.status_code == 422
    assert (f'<span class="field-error" id="error-minutes-{speaker_id}">Saisissez un nombre entier.</span>'
            in soon.text)
    assert f'value="soon" aria-describedby="error-minutes-{speaker_id}" aria-invalid="true">' in soon.text
    assert ">Kept as typed</textarea>" in soon.text
    assert long_reason.status_code == 422
    assert f'<span class="field-error" id="error-reason-{speaker_id}">{at_most}</span>' in long_reason.text
    assert await Speaker.select(Speaker.status, Speaker.minutes, Speaker.quote, Speaker.reason).where(
        Speaker.id == speaker_id).first() == {"status": "requested", "minutes": None, "quote": "", "reason": ""}
