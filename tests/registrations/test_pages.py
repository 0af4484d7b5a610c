"""The registration form on the session page, the manage page and the staff page: server-rendered, CSRF,
errors beside the fields, hostile text escaped."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from events.tables import Session
from registrations.links import manage_token
from registrations.tables import Need, Registration, StatusChange
from server.i18n import format_datetime, use_locale
from server.tables import OutboxMessage
from tests.conftest import TEST_SECRET, login_cookie_client
from tests.mail_data import make_registration
from tests.registrations.conftest import assign, invite, make_session, submission


async def _csrf(client, path: str) -> str:
    page = await client.get(path)
    assert page.status_code == 200, page.text
    return client.cookies["convene_csrf"]


def _form(csrf: str, **overrides) -> dict:
    values = {k: ("on" if v is True else v) for k, v in submission(**overrides).items() if v is not False}
    return {**values, "_csrf_token": csrf}


async def test_session_page_shows_labelled_form(client):
    session_id = await make_session()

    page = await client.get(f"/sessions/{session_id}")

    assert page.status_code == 200
    html = page.text
    assert f'action="/sessions/{session_id}/register"' in html
    for field in ("name", "email", "stakeholder_category", "country", "timezone", "consent_processing"):
        assert f'<label for="field-{field}">' in html
    assert "data-detect-timezone" in html
    assert '<option value="SN">Senegal</option>' in html


async def test_form_errors_rerender_page_with_messages(client):
    session_id = await make_session()
    csrf = await _csrf(client, f"/sessions/{session_id}")

    response = await client.post(
        f"/sessions/{session_id}/register",
        data=_form(csrf, name="<script>alert(1)</script>", email="nope", consent_processing=False),
    )

    assert response.status_code == 400
    html = response.text
    assert 'class="error-summary"' in html
    assert 'id="error-email"' in html and 'aria-describedby="error-email" aria-invalid="true"' in html
    assert 'id="error-consent_processing"' in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert await Registration.count() == 0


async def test_form_registers_and_redirects_to_manage_page(client):
    session_id = await make_session(capacity=1)
    csrf = await _csrf(client, f"/sessions/{session_id}")

    response = await client.post(
        f"/sessions/{session_id}/register",
        data={**_form(csrf, name="<b>Amina</b>"), "accessibility_needs": ["captions_cart", "easy_read"]},
    )

    assert response.status_code == 303
    assert response.headers["location"].startswith("/manage/")
    page = await client.get(response.headers["location"])
    assert page.status_code == 200
    assert "<strong>Confirmée</strong>" in page.text  # in the registrant's language (fr)
    assert "&lt;b&gt;Amina&lt;/b&gt;" in page.text
    reg = await Registration.select(Registration.name, Registration.status).first()
    assert reg == {"name": "<b>Amina</b>", "status": "confirmed"}


async def test_form_repeat_shows_link_mailed_page(client):
    session_id = await make_session()
    csrf = await _csrf(client, f"/sessions/{session_id}")
    await client.post(f"/sessions/{session_id}/register", data=_form(csrf))

    again = await client.post(f"/sessions/{session_id}/register", data=_form(csrf))

    assert again.status_code == 200
    assert "If this address is registered for this session, we have emailed it the link" in again.text
    assert "/manage/" not in again.text
    assert await Registration.count() == 1


def _main(page) -> str:
    """The page's main content (the rest carries per-request tokens)."""
    return page.text.split("<main", 1)[1].split("</main>", 1)[0]


async def test_form_repeat_page_is_the_same_whatever_the_registrations_status(client, admin):
    session_id = await make_session(capacity=1)
    csrf = await _csrf(client, f"/sessions/{session_id}")
    for email in ("confirmed@example.org", "waitlisted@example.org", "declined@example.org", "cancelled@example.org"):
        await client.post(f"/sessions/{session_id}/register", data=_form(csrf, email=email))
    ids = {r["email"]: r["id"] for r in await Registration.select(Registration.id, Registration.email)}
    await client.post(f"/api/v1/sessions/{session_id}/registrations/decline", headers=admin.headers,
                      json={"registration_ids": [ids["declined@example.org"]], "reason": "Not eligible"})
    nonce = (await Registration.select(Registration.manage_nonce).where(
        Registration.id == ids["cancelled@example.org"]
    ))[0]["manage_nonce"]
    token = manage_token(TEST_SECRET, ids["cancelled@example.org"], nonce)
    await client.post(f"/manage/{token}/cancel", data={"_csrf_token": csrf, "confirm": "yes"})
    statuses = {r["email"]: r["status"] for r in await Registration.select(Registration.email, Registration.status)}
    assert statuses == {"confirmed@example.org": "confirmed", "waitlisted@example.org": "waitlisted",
                        "declined@example.org": "declined", "cancelled@example.org": "cancelled"}

    pages = [await client.post(f"/sessions/{session_id}/register", data=_form(csrf, email=email)) for email in statuses]

    assert [page.status_code for page in pages] == [200] * 4
    assert len({_main(page) for page in pages}) == 1


async def test_form_without_csrf_refused(client):
    session_id = await make_session()

    response = await client.post(f"/sessions/{session_id}/register", data=submission(consent_processing="on"))

    assert response.status_code == 403
    assert await Registration.count() == 0


async def test_form_on_closed_session_shows_window_error(client):
    session_id = await make_session(status="cancelled")
    csrf = await _csrf(client, "/staff/login")

    response = await client.post(f"/sessions/{session_id}/register", data=_form(csrf))

    assert response.status_code == 400
    assert 'class="error-summary"' in response.text
    assert await Registration.count() == 0


async def test_manage_page_update_and_cancel(client):
    session_id = await make_session(capacity=1)
    csrf = await _csrf(client, f"/sessions/{session_id}")
    location = (await client.post(f"/sessions/{session_id}/register", data=_form(csrf))).headers["location"]
    manage_path = location.split("?")[0]

    bad = await client.post(f"{manage_path}/update", data={"_csrf_token": csrf, "preferred_language": "xx",
                                                           "timezone": "UTC"})
    good = await client.post(f"{manage_path}/update", data={"_csrf_token": csrf, "preferred_language": "es",
                                                            "timezone": "America/Bogota"})
    cancelled = await client.post(f"{manage_path}/cancel", data={"_csrf_token": csrf, "confirm": "yes"})

    assert bad.status_code == 400
    assert 'id="error-preferred_language"' in bad.text
    assert good.status_code == 303
    assert cancelled.status_code == 303
    reg = await Registration.select(Registration.preferred_language, Registration.timezone, Registration.status).first()
    assert reg == {"preferred_language": "es", "timezone": "America/Bogota", "status": "cancelled"}


async def test_staff_page_lists_and_approves(client, organiser):
    session_id = await make_session(audience="approval", capacity=5)
    await assign(session_id, organiser.id)
    await client.post(f"/api/v1/sessions/{session_id}/registrations", json=submission(name="<i>Zed</i>"))
    await login_cookie_client(client, organiser)
    url = f"/staff/sessions/{session_id}/registrations"

    page = await client.get(url)
    approved = await client.post(
        f"{url}/approve", data={"_csrf_token": client.cookies["convene_csrf"], "registration_ids": "1"}
    )

    assert page.status_code == 200
    assert "&lt;i&gt;Zed&lt;/i&gt;" in page.text
    assert '<th scope="row">' in page.text
    assert approved.status_code == 303
    assert await Registration.select(Registration.status) == [{"status": "confirmed"}]
    templates = [o["template"] for o in await OutboxMessage.select(OutboxMessage.template).order_by(OutboxMessage.id)]
    assert templates == ["registration_pending", "registration_approved"]


async def test_staff_page_other_organiser_forbidden(client, organiser, other_organiser):
    session_id = await make_session()
    await assign(session_id, organiser.id)
    await login_cookie_client(client, other_organiser)

    response = await client.get(f"/staff/sessions/{session_id}/registrations")

    assert response.status_code == 403


async def test_staff_page_csv_download(client, admin):
    session_id = await make_session()
    await client.post(f"/api/v1/sessions/{session_id}/registrations", json=submission(organisation="@SUM(A1)"))
    await login_cookie_client(client, admin)

    response = await client.get(f"/staff/sessions/{session_id}/registrations/export.csv")

    assert response.status_code == 200
    assert response.content.startswith("\ufeffid,status,".encode())
    assert response.text.splitlines()[1].split(",")[5] == "'@SUM(A1)"


async def test_manage_page_shows_join_link_only_when_confirmed(client):
    session_id = await make_session(capacity=1, join_url="https://meet.example.org/j/123")
    csrf = await _csrf(client, f"/sessions/{session_id}")
    confirmed = (await client.post(f"/sessions/{session_id}/register", data=_form(csrf))).headers["location"]
    waiting = (await client.post(f"/sessions/{session_id}/register", data=_form(csrf, email="b@example.org")))
    session_page = await client.get(f"/sessions/{session_id}")

    assert "https://meet.example.org/j/123" in (await client.get(confirmed)).text
    assert "https://meet.example.org/j/123" not in (await client.get(waiting.headers["location"])).text
    assert "https://meet.example.org/j/123" not in session_page.text


async def test_staff_page_invites_and_declines(client, admin):
    session_id = await make_session(audience="invitation")
    await login_cookie_client(client, admin)
    url = f"/staff/sessions/{session_id}/registrations"
    csrf = client.cookies["convene_csrf"]

    invited = await client.post(
        f"{url}/invite",
        data={"_csrf_token": csrf, "emails": "amina.diallo@example.org\nbad-address"},
    )
    fixed = await client.post(f"{url}/invite", data={"_csrf_token": csrf, "emails": "amina.diallo@example.org"})
    mailed = await OutboxMessage.select(OutboxMessage.context).output(load_json=True)
    token = mailed[0]["context"]["register_url"].split("?invitation=", 1)[1]
    registered = await client.post(f"/api/v1/sessions/{session_id}/registrations",
                                   json=submission(invitation=token))
    no_reason = await client.post(f"{url}/decline", data={"_csrf_token": csrf, "registration_ids": "1"})
    asked = await client.post(
        f"{url}/decline", data={"_csrf_token": csrf, "registration_ids": "1", "reason": "Seats are for delegates"}
    )
    status_when_asked = await Registration.select(Registration.status)
    declined = await client.post(f"{url}/decline", data={
        "_csrf_token": csrf, "registration_ids": "1", "reason": "Seats are for delegates", "confirm": "yes"})

    assert invited.status_code == 400
    assert 'class="error-summary"' in invited.text
    assert fixed.status_code == 303
    assert registered.status_code == 201
    assert no_reason.status_code == 400
    assert 'id="error-reason"' in no_reason.text
    assert asked.status_code == 200
    assert "<h1>Decline these registrations?</h1>" in asked.text
    assert "<li>1 registration is declined; a seat it held goes to the next in line.</li>" in asked.text
    assert "<li>1 confirmed participant, whose invite is withdrawn from their calendar.</li>" in asked.text
    assert '<input type="hidden" name="registration_ids" value="1">' in asked.text
    assert status_when_asked == [{"status": "confirmed"}]
    assert declined.status_code == 303
    assert await Registration.select(Registration.status) == [{"status": "declined"}]
    templates = [o["template"] for o in await OutboxMessage.select(OutboxMessage.template).order_by(OutboxMessage.id)]
    assert templates == ["invitation_sent", "registration_confirmed", "registration_declined"]


async def test_manage_page_form_keeps_stated_needs(client):
    session_id = await make_session()
    body = submission(accessibility_needs=["national_sign_language", "other"], sign_language="bzs",
                      accessibility_other="Front row", interpretation_language="fr")
    created = (await client.post(f"/api/v1/sessions/{session_id}/registrations", json=body)).json()
    manage_path = created["manage_url"].replace("http://convene.test", "")

    page = await client.get(manage_path)

    assert page.status_code == 200
    assert '<option value="bzs" selected>Langue des signes brésilienne</option>' in page.text
    assert ">Front row</textarea>" in page.text


async def test_form_oversized_field_refused_beside_it(client):
    session_id = await make_session()
    csrf = await _csrf(client, f"/sessions/{session_id}")

    response = await client.post(f"/sessions/{session_id}/register", data=_form(csrf, name="N" * 201))

    assert response.status_code == 400
    assert 'id="error-name"' in response.text
    assert await Registration.count() == 0


async def _manage_page_of(client, session_id: int, **overrides) -> tuple[str, str]:
    """Register through the API; returns the manage page's path and a CSRF token."""
    created = (await client.post(f"/api/v1/sessions/{session_id}/registrations", json=submission(**overrides))).json()
    path = created["manage_url"].replace("http://convene.test", "")
    return path, await _csrf(client, path)


async def test_manage_page_keeps_consent_to_recording_unless_unticked(client):
    session_id = await make_session(kind="listening_session")
    path, csrf = await _manage_page_of(client, session_id, consent_recorded=True)
    form = {"_csrf_token": csrf, "preferred_language": "fr", "timezone": "Africa/Dakar"}

    page = await client.get(path)
    kept = await client.post(f"{path}/update", data={**form, "consent_recorded": "on"})
    consent_after_save = (await Registration.select(Registration.consent_recorded).first())["consent_recorded"]
    withdrawn = await client.post(f"{path}/update", data=form)

    assert ('id="field-consent_recorded" name="consent_recorded" value="on" checked' in page.text) is True
    assert (kept.status_code, consent_after_save) == (303, True)
    assert withdrawn.status_code == 303
    assert await Registration.select(Registration.consent_recorded) == [{"consent_recorded": False}]


async def test_manage_page_of_webinar_leaves_consent_to_recording_alone(client):
    session_id = await make_session(kind="webinar")
    path, csrf = await _manage_page_of(client, session_id)
    await Registration.update({Registration.consent_recorded: True}).where(Registration.id == 1)

    page = await client.get(path)
    saved = await client.post(f"{path}/update", data={"_csrf_token": csrf, "preferred_language": "fr",
                                                      "timezone": "Africa/Dakar"})

    assert ('name="consent_recorded"' in page.text) is False
    assert saved.status_code == 303
    assert await Registration.select(Registration.consent_recorded) == [{"consent_recorded": True}]


async def test_manage_page_speaks_the_registrants_language_and_time_zone(client):
    session_id = await make_session()
    path, _csrf_token = await _manage_page_of(client, session_id, preferred_language="fr", timezone="Asia/Tokyo")
    client.cookies.delete("convene_lang")
    registered_at = (await StatusChange.select(StatusChange.created_at).first())["created_at"]
    with use_locale("fr", "Asia/Tokyo"):
        shown_at = format_datetime(registered_at)

    page = await client.get(path)

    assert '<html lang="fr"' in page.text
    assert "<h1>Votre inscription</h1>" in page.text
    assert f'<th scope="row">{shown_at}</th>' in page.text


async def test_manage_page_follows_the_visitors_own_choice_of_language(client):
    session_id = await make_session()
    path, _csrf_token = await _manage_page_of(client, session_id, preferred_language="fr")
    client.cookies.set("convene_lang", "es")

    page = await client.get(path, headers={"accept-language": "ru"})

    assert '<html lang="es"' in page.text
    assert "<h1>Su inscripción</h1>" in page.text


async def test_manage_page_error_keeps_what_was_typed(client):
    session_id = await make_session()
    path, csrf = await _manage_page_of(client, session_id, accessibility_needs=["captions_cart"])

    response = await client.post(f"{path}/update", data={
        "_csrf_token": csrf, "preferred_language": "es", "timezone": "Mars/Olympus", "interpretation_language": "pt",
        "accessibility_needs": ["easy_read"], "accessibility_other": "Large print", "personal_assistant": "on",
    })

    assert response.status_code == 400
    html = response.text
    assert '<option value="es" selected>' in html
    assert '<option value="Mars/Olympus" selected>Mars/Olympus</option>' in html
    assert '<option value="pt" selected>portugais</option>' in html
    assert 'value="easy_read" checked>' in html
    assert ('value="captions_cart" checked>' in html) is False
    assert ">Large print</textarea>" in html
    assert 'name="personal_assistant" value="on" checked>' in html
    assert 'id="error-timezone"' in html
    reg = await Registration.select(Registration.preferred_language, Registration.timezone).first()
    assert reg == {"preferred_language": "fr", "timezone": "Africa/Dakar"}


async def test_manage_page_says_why_a_change_to_a_cancelled_registration_was_not_saved(client):
    session_id = await make_session()
    path, csrf = await _manage_page_of(client, session_id, preferred_language="en")
    await client.post(f"{path}/cancel", data={"_csrf_token": csrf, "confirm": "yes"})  # in another tab

    response = await client.post(f"{path}/update", data={"_csrf_token": csrf, "preferred_language": "es",
                                                          "timezone": "Africa/Dakar"})

    assert response.status_code == 400
    assert ('<div class="error-summary" role="alert" aria-labelledby="manage-closed-title" tabindex="-1">\n'
            '  <h2 id="manage-closed-title">Your change was not saved</h2>\n'
            '  <ul><li>This registration is closed.</li></ul>') in response.text
    reg = await Registration.select(Registration.preferred_language, Registration.status).first()
    assert reg == {"preferred_language": "en", "status": "cancelled"}


async def test_manage_page_takes_line_breaks_from_a_textarea(client):
    session_id = await make_session()
    path, csrf = await _manage_page_of(client, session_id)

    response = await client.post(f"{path}/update", data={
        "_csrf_token": csrf, "preferred_language": "fr", "timezone": "Africa/Dakar",
        "accessibility_other": "Quiet room\r\nnear the exit",
    })

    assert response.status_code == 303
    assert await Need.select(Need.kind, Need.text) == [{"kind": "other", "text": "Quiet room\nnear the exit"}]


async def _many_registrations(session_id: int, count: int, status: str) -> None:
    rows = [
        Registration(session=session_id, name=f"Person {i:04}", email=f"p{i:04}@example.org",
                     stakeholder_category="academia", country="SN", status=status, manage_nonce=f"n{i}")
        for i in range(count)
    ]
    for start in range(0, count, 200):
        await Registration.insert(*rows[start : start + 200])


async def test_staff_page_pages_through_the_list_keeping_filters(client, admin):
    session_id = await make_session()
    await _many_registrations(session_id, 205, "confirmed")
    await Registration.insert(Registration(session=session_id, name="Other", email="other@example.org",
                                           stakeholder_category="academia", country="SN", status="cancelled",
                                           manage_nonce="x"))
    await login_cookie_client(client, admin)
    url = f"/staff/sessions/{session_id}/registrations"

    first = await client.get(url, params={"status": "confirmed"})
    second = await client.get(url, params={"status": "confirmed", "offset": 200})

    assert first.text.count('<th scope="row">Person ') == 200
    assert "<p>Showing 1 to 200 of 205.</p>" in first.text
    assert first.text.count('<a href="?status=confirmed&amp;offset=200" rel="next">Next page</a>') == 2
    assert 'rel="prev"' not in first.text
    assert f'href="{url}/export.csv?status=confirmed" download' in first.text
    assert second.text.count('<th scope="row">Person ') == 5
    assert "<p>Showing 201 to 205 of 205.</p>" in second.text
    assert second.text.count('<a href="?status=confirmed&amp;offset=0" rel="prev">Previous page</a>') == 2
    assert 'rel="next"' not in second.text


async def test_staff_page_csv_holds_every_match_beyond_a_thousand(client, admin):
    session_id = await make_session()
    await _many_registrations(session_id, 1001, "confirmed")
    await login_cookie_client(client, admin)

    everything = await client.get(f"/staff/sessions/{session_id}/registrations/export.csv")
    none_waiting = await client.get(f"/staff/sessions/{session_id}/registrations/export.csv",
                                    params={"status": "waitlisted"})

    assert len(everything.text.splitlines()) == 1 + 1001
    assert everything.text.splitlines()[-1].split(",")[4] == "p1000@example.org"
    assert len(none_waiting.text.splitlines()) == 1


async def test_staff_page_names_the_organiser_who_acted(client, admin):
    session_id = await make_session(audience="approval")
    path, _csrf_token = await _manage_page_of(client, session_id, preferred_language="en")
    await client.post(f"/api/v1/sessions/{session_id}/registrations/approve", json={"registration_ids": [1]},
                      headers=admin.headers)
    manage_page = await client.get(path)
    await login_cookie_client(client, admin)

    staff_page = await client.get(f"/staff/sessions/{session_id}/registrations")

    assert "(Organiser: <bdi>Admin</bdi>)" in staff_page.text
    assert "<td>An organiser</td>" in manage_page.text
    assert "Admin" not in manage_page.text


async def test_staff_page_unknown_filter_shown_beside_it_and_kept(client, admin):
    session_id = await make_session()
    await login_cookie_client(client, admin)

    response = await client.get(f"/staff/sessions/{session_id}/registrations", params={"category": "ngo"})

    assert response.status_code == 200
    assert '<a href="#field-category">Choose a stakeholder category from the list.</a>' in response.text
    assert ('<select id="field-category" name="category" aria-invalid="true"><option value="">Any</option>\n'
            '<option value="ngo" selected>ngo</option>') in response.text


async def test_manage_page_shows_needs_and_reasons_in_words(client):
    session_id = await make_session(capacity=1)
    first_path, _csrf_token = await _manage_page_of(client, session_id, email="first@example.org")
    path, _csrf_token = await _manage_page_of(
        client, session_id, preferred_language="en", interpretation_language="fr", sign_language="bzs",
        accessibility_needs=["captions_cart", "national_sign_language", "other"], accessibility_other="Quiet room",
    )
    await client.delete(f"/api/v1{first_path}")

    page = await client.get(path)

    assert re.findall(r'<tr><th scope="row">([^<]*)</th><td>Requested', page.text) == [
        "Interpretation into French", "Real-time human captioning (CART)",
        "National sign language interpretation: Brazilian Sign Language", "Other accessibility support: Quiet room",
    ]
    assert "<td>Convene</td><td>A seat was freed</td>" in page.text
    history = (await client.get(f"/api/v1{path}")).json()["history"]
    assert [(h["to_status"], h["reason"]) for h in history] == [("waitlisted", ""), ("confirmed", "seat_freed")]


async def test_staff_page_shows_needs_and_reasons_in_words(client, admin):
    session_id = await make_session(capacity=1)
    await _manage_page_of(client, session_id, email="first@example.org", interpretation_language="es-419")
    await _manage_page_of(client, session_id)
    await client.post(f"/api/v1/sessions/{session_id}/registrations/1/move", json={"to": "waitlisted"},
                      headers=admin.headers)
    await login_cookie_client(client, admin)

    page = await client.get(f"/staff/sessions/{session_id}/registrations")

    assert "<span>Interpretation into Spanish (Latin America) — Requested</span>" in page.text
    assert page.text.count("(Organiser: <bdi>Admin</bdi>) — Moved by an organiser</li>") == 1
    assert page.text.count("(Convene) — A seat was freed</li>") == 1


async def test_form_error_on_another_language_shown_beside_that_field(client):
    session_id = await make_session()
    csrf = await _csrf(client, f"/sessions/{session_id}")

    response = await client.post(f"/sessions/{session_id}/register",
                                 data=_form(csrf, interpretation_language_other="not a language"))

    assert response.status_code == 400
    html = response.text
    assert '<a href="#field-interpretation_language_other">' in html
    assert ('<select id="field-interpretation_language_other" name="interpretation_language_other" aria-describedby='
            '"hint-interpretation_language_other error-interpretation_language_other" aria-invalid="true">\n'
            '    <option value="">None</option>\n'
            '<option value="not a language" selected>not a language</option>') in html
    assert 'id="error-interpretation_language_other"' in html
    assert 'id="error-interpretation_language"' not in html


async def test_form_closed_window_error_links_to_what_says_so(client):
    session_id = await make_session()
    csrf = await _csrf(client, f"/sessions/{session_id}")
    await Session.update({Session.registration_closes_at: datetime.now(UTC) - timedelta(minutes=1)}).where(
        Session.id == session_id
    )

    response = await client.post(f"/sessions/{session_id}/register", data=_form(csrf))

    assert response.status_code == 400
    assert '<li><a href="#field-registration_window">Registration has closed.</a></li>' in response.text
    assert '<p id="field-registration_window" tabindex="-1">Registration is closed.</p>' in response.text


async def test_staff_page_error_without_a_field_is_not_a_broken_link(client, admin):
    session_id = await make_session(capacity=2)
    await _manage_page_of(client, session_id)
    await login_cookie_client(client, admin)

    refused = await client.post(f"/staff/sessions/{session_id}/registrations/move",
                                data={"_csrf_token": client.cookies["convene_csrf"], "registration_id": "1",
                                      "to": "waitlisted"})

    assert refused.status_code == 400
    assert ("<li>Nobody else is waiting: the seat would go straight back to this registration.</li>"
            in refused.text)


async def test_staff_list_offers_no_move_for_a_walk_in(client, admin):
    # Let in at the door without a seat: there is none to give up (the move is refused, registrations/approvals.py).
    session_id = await make_session(capacity=2, seats_taken=1)
    await make_registration(session_id, "seated@example.org")
    await make_registration(session_id, "door@example.org", walk_in=True)
    await login_cookie_client(client, admin)

    html = (await client.get(f"/staff/sessions/{session_id}/registrations")).text

    assert html.count('<button type="submit" name="to" value="waitlisted">Move to waitlist</button>') == 1
    assert "(walk-in)" in html


async def test_manage_page_of_a_cancelled_session_says_so_and_offers_no_join_details_or_changes(client, admin):
    session_id = await make_session(join_url="https://meet.example.org/j/9")
    path, csrf = await _manage_page_of(client, session_id, preferred_language="en")
    before = await client.get(path)
    await client.post(f"/api/v1/sessions/{session_id}/cancel", headers=admin.headers)

    page = await client.get(path)
    refused = await client.post(f"{path}/cancel", data={"_csrf_token": csrf, "confirm": "yes"})

    assert "https://meet.example.org/j/9" in before.text
    assert page.status_code == 200
    assert ('<p role="status"><strong>This session is cancelled. There is nothing to join, and nothing left to '
            'change.</strong></p>') in page.text
    assert "https://meet.example.org/j/9" not in page.text
    assert f'action="{path}/update"' not in page.text
    assert f'href="{path}/cancel"' not in page.text
    assert f'href="{path}/erase"' in page.text
    assert refused.status_code == 409
    assert "<li>The session is cancelled: there is nothing left to change.</li>" in refused.text
    assert (await Registration.select(Registration.status).first())["status"] == "confirmed"


async def test_manage_page_gives_the_session_time_in_the_registrants_zone_too(client):
    session_id = await make_session(starts_at=datetime(2027, 3, 3, 13, tzinfo=UTC),
                                    ends_at=datetime(2027, 3, 3, 15, tzinfo=UTC), timezone="Europe/Zurich")
    path, _ = await _manage_page_of(client, session_id, preferred_language="en", timezone="America/Bogota")

    page = await client.get(path)

    assert ("Wednesday, March 3, 2027, 2:00\u202fPM–4:00\u202fPM (Europe/Zurich, UTC+01:00)</time><br>"
            "Your time: Wednesday, March 3, 2027, 8:00\u202fAM–10:00\u202fAM (America/Bogota, UTC-05:00)") in page.text


async def test_staff_registrations_page_keeps_the_admins_users_link(client, admin):
    session_id = await make_session()
    await login_cookie_client(client, admin)

    page = await client.get(f"/staff/sessions/{session_id}/registrations")

    assert '<li><a href="/staff/users">Users</a></li>' in page.text


async def test_invitation_form_needs_the_link_from_the_invitation(client):
    session_id = await make_session(audience="invitation", join_url="https://meet.example.org/j/123")
    token = await invite(session_id, "amina.diallo@example.org")
    csrf = await _csrf(client, f"/sessions/{session_id}")

    bare = await client.get(f"/sessions/{session_id}")
    linked = await client.get(f"/sessions/{session_id}?invitation={token}")
    invited_no_token = await client.post(f"/sessions/{session_id}/register", data=_form(csrf))
    uninvited = await client.post(f"/sessions/{session_id}/register", data=_form(csrf, email="x@example.org"))
    forged = await client.post(f"/sessions/{session_id}/register", data=_form(csrf, invitation=token[:-2] + "xx"))
    accepted = await client.post(f"/sessions/{session_id}/register", data=_form(csrf, invitation=token))

    message = "This session is by invitation: use the link in your invitation."
    assert message in bare.text and 'name="email"' not in bare.text
    assert f'<input type="hidden" id="field-invitation" name="invitation" value="{token}">' in linked.text
    assert 'name="email"' in linked.text
    for refused in (invited_no_token, uninvited, forged):
        assert refused.status_code == 400
        assert f'<li><a href="#field-invitation">{message}</a></li>' in refused.text
    # The invited address and any other get the same page (only the address typed back differs).
    assert _main(invited_no_token).replace("amina.diallo@example.org", "x@example.org") == _main(uninvited)
    assert accepted.status_code == 303
    manage_page = await client.get(accepted.headers["location"])
    assert "https://meet.example.org/j/123" in manage_page.text
    assert await Registration.select(Registration.email) == [{"email": "amina.diallo@example.org"}]


async def test_manage_page_lets_who_cancelled_register_again(client):
    session_id = await make_session(capacity=1)
    csrf = await _csrf(client, f"/sessions/{session_id}")
    manage_path = (await client.post(f"/sessions/{session_id}/register", data=_form(csrf))).headers["location"]
    manage_path = manage_path.split("?", 1)[0]
    await client.post(f"{manage_path}/cancel", data={"_csrf_token": csrf, "confirm": "yes"})

    cancelled_page = await client.get(manage_path)
    again = await client.post(f"{manage_path}/register-again", data={"_csrf_token": csrf})
    twice = await client.post(f"{manage_path}/register-again", data={"_csrf_token": csrf})

    assert f'action="{manage_path}/register-again"' in cancelled_page.text
    assert (again.status_code, again.headers["location"]) == (303, manage_path)
    page = await client.get(manage_path)
    assert "<strong>Confirmée</strong>" in page.text
    assert "/register-again" not in page.text
    assert twice.status_code == 409
    assert "<li>Seule une inscription annulée peut être renouvelée.</li>" in twice.text
    assert await Registration.select(Registration.status) == [{"status": "confirmed"}]


async def test_cancelling_a_registration_goes_through_its_confirmation_page(client):
    session_id = await make_session()
    path, csrf = await _manage_page_of(client, session_id, preferred_language="en")

    manage_page = await client.get(path)
    confirmation = await client.get(f"{path}/cancel")
    unconfirmed = await client.post(f"{path}/cancel", data={"_csrf_token": csrf})
    status_after_unconfirmed = (await Registration.select(Registration.status).first())["status"]
    confirmed = await client.post(f"{path}/cancel", data={"_csrf_token": csrf, "confirm": "yes"})

    assert f'<a href="{path}/cancel">Cancel my registration</a>' in manage_page.text
    assert f'action="{path}/cancel"' not in manage_page.text
    for page in (confirmation, unconfirmed):
        assert page.status_code == 200
        assert "<h1>Cancel your registration?</h1>" in page.text
        assert "<li>Your place goes to the next person waiting, if there is one.</li>" in page.text
        assert ("<li>You: an email confirming the cancellation, with an update that removes the session from your "
                "calendar.</li>") in page.text
        assert f'<form method="post" action="{path}/cancel"' in page.text
    assert status_after_unconfirmed == "confirmed"
    assert confirmed.status_code == 303
    assert await Registration.select(Registration.status) == [{"status": "cancelled"}]


async def test_erasing_ones_data_goes_through_its_confirmation_page(client):
    session_id = await make_session()
    path, csrf = await _manage_page_of(client, session_id, preferred_language="fr")

    confirmation = await client.get(f"{path}/erase")
    unconfirmed = await client.post(f"{path}/erase", data={"_csrf_token": csrf})
    kept = await Registration.select(Registration.anonymised_at).first()
    erased = await client.post(f"{path}/erase", data={"_csrf_token": csrf, "confirm": "yes"})

    assert confirmation.status_code == unconfirmed.status_code == 200
    assert '<html lang="fr"' in confirmation.text
    assert "<h1>Effacer vos données ?</h1>" in confirmation.text
    assert "<h1>Effacer vos données ?</h1>" in unconfirmed.text
    assert kept["anonymised_at"] is None
    assert erased.status_code == 200
    assert (await Registration.select(Registration.anonymised_at).first())["anonymised_at"] is not None
