"""Words, not codes: the time zone, language and needs pickers of the registration form and the manage page
offer names in the reader's language and only what the session offers; a zone typed wrong gets a suggestion."""

from __future__ import annotations

import re

from tests.registrations.conftest import make_session, submission


def _select(html: str, name: str) -> str:
    """The <select> named ``name`` in the page, whole."""
    found = re.search(rf'<select id="field-{name}" name="{name}".*?</select>', html, re.S)
    assert found, name
    return found.group(0)


def _options(select: str) -> list[tuple[str, str]]:
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select)


def _checkboxes(html: str, name: str) -> list[str]:
    return re.findall(rf'name="{name}" value="([^"]+)"', html)


async def test_time_zones_are_listed_by_city_and_country_in_english(client):
    session_id = await make_session()

    page = await client.get(f"/sessions/{session_id}")

    zones = _select(page.text, "timezone")
    assert '<optgroup label="Switzerland">' in zones
    assert ('<option value="Europe/Zurich" data-alias>Geneva — Switzerland (Europe/Zurich)</option>'
            '<option value="Europe/Zurich">Zurich — Switzerland (Europe/Zurich)</option>') in zones
    assert '<option value="America/Argentina/Buenos_Aires">Buenos Aires — Argentina ' \
           '(America/Argentina/Buenos_Aires)</option>' in zones
    assert '<option value="UTC" selected>UTC (Coordinated Universal Time)</option>' in zones
    assert "data-detect-timezone" in zones


async def test_time_zones_are_named_in_french_and_arabic(client):
    session_id = await make_session()

    client.cookies.set("convene_lang", "fr")
    french = _select((await client.get(f"/sessions/{session_id}")).text, "timezone")
    client.cookies.set("convene_lang", "ar")
    arabic = _select((await client.get(f"/sessions/{session_id}")).text, "timezone")

    assert '<optgroup label="Suisse">' in french
    assert '<option value="Europe/Zurich">Zurich — Suisse (Europe/Zurich)</option>' in french
    assert '<option value="Africa/Dakar">Dakar — Sénégal (Africa/Dakar)</option>' in french
    assert '<option value="Europe/Zurich">زيورخ — سويسرا (Europe/Zurich)</option>' in arabic


async def test_form_offers_only_the_sessions_languages_and_provisions(client):
    session_id = await make_session(sign_languages=["bzs", "ase"])

    html = (await client.get(f"/sessions/{session_id}")).text

    assert _options(_select(html, "interpretation_language")) == [
        ("", "The floor language (English)"), ("fr", "French"), ("ar", "Arabic")]
    others = _options(_select(html, "interpretation_language_other"))
    assert others[0] == ("", "None")
    assert ("pt", "Portuguese") in others and ("sw", "Swahili") in others
    assert [name for _, name in others[1:]] == sorted((name for _, name in others[1:]), key=str.casefold)
    assert _checkboxes(html, "accessibility_needs") == ["captions_cart", "other"]
    assert _options(_select(html, "sign_language")) == [
        ("", "None"), ("bzs", "Brazilian Sign Language"), ("ase", "American Sign Language")]
    assert "code such as pt" not in html and "ISO 639-3" not in html


async def test_form_without_sign_languages_asks_for_none(client):
    session_id = await make_session()

    html = (await client.get(f"/sessions/{session_id}")).text

    assert 'name="sign_language"' not in html


async def test_form_languages_are_named_in_french(client):
    session_id = await make_session()
    client.cookies.set("convene_lang", "fr")

    html = (await client.get(f"/sessions/{session_id}")).text

    assert _options(_select(html, "interpretation_language")) == [
        ("", "La langue de la salle (anglais)"), ("fr", "français"), ("ar", "arabe")]
    assert ("pt", "portugais") in _options(_select(html, "interpretation_language_other"))


async def test_form_takes_another_language_chosen_by_name(client):
    session_id = await make_session()
    page = await client.get(f"/sessions/{session_id}")
    assert page.status_code == 200
    form = {**submission(), "consent_processing": "on", "interpretation_language_other": "pt",
            "_csrf_token": client.cookies["convene_csrf"]}

    registered = await client.post(f"/sessions/{session_id}/register", data=form)
    manage = await client.get(registered.headers["location"])

    assert registered.status_code == 303
    assert _options(_select(manage.text, "interpretation_language"))[0] == ("", "La langue de la salle (anglais)")
    assert '<option value="pt" selected>portugais</option>' in _select(manage.text, "interpretation_language_other")


async def test_manage_page_has_the_forms_controls(client):
    session_id = await make_session(sign_languages=["bzs"])
    body = submission(interpretation_language="ar", accessibility_needs=["captions_cart"], preferred_language="en")
    created = (await client.post(f"/api/v1/sessions/{session_id}/registrations", json=body)).json()

    html = (await client.get(created["manage_url"].replace("http://convene.test", ""))).text

    assert _options(_select(html, "interpretation_language")) == [
        ("", "The floor language (English)"), ("fr", "French"), ("ar", "Arabic")]
    assert '<option value="ar" selected>Arabic</option>' in _select(html, "interpretation_language")
    assert _checkboxes(html, "accessibility_needs") == ["captions_cart", "other"]
    assert '<option value="Africa/Dakar" selected>Dakar — Senegal (Africa/Dakar)</option>' in _select(html, "timezone")
    assert _options(_select(html, "sign_language")) == [("", "None"), ("bzs", "Brazilian Sign Language")]
    assert 'type="text" name="interpretation_language"' not in html


async def test_manage_page_keeps_a_provision_no_longer_offered(client):
    session_id = await make_session(accessibility_provisions=["captions_cart", "easy_read"])
    body = submission(accessibility_needs=["easy_read"], preferred_language="en")
    created = (await client.post(f"/api/v1/sessions/{session_id}/registrations", json=body)).json()
    from events.tables import Session
    await Session.update({Session.accessibility_provisions: ["captions_cart"]}).where(Session.id == session_id)

    html = (await client.get(created["manage_url"].replace("http://convene.test", ""))).text

    assert _checkboxes(html, "accessibility_needs") == ["captions_cart", "easy_read", "other"]


async def test_a_city_without_a_zone_is_answered_with_the_zone_it_keeps(client):
    session_id = await make_session()

    response = await client.post(f"/api/v1/sessions/{session_id}/registrations",
                                 json=submission(timezone="Europe/Geneva"))

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "timezone", "message": "Unknown time zone. Did you mean Geneva — Switzerland (Europe/Zurich)?"}]


async def test_a_zone_close_to_a_real_one_is_suggested_in_french(client):
    session_id = await make_session()

    response = await client.post(f"/api/v1/sessions/{session_id}/registrations",
                                 json=submission(timezone="Africa/Dakkar"), headers={"Accept-Language": "fr"})

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "timezone", "message": "Fuseau horaire inconnu. Vouliez-vous dire Dakar — Sénégal (Africa/Dakar) ?"}]


async def test_a_wrong_zone_on_the_form_stays_shown_beside_its_message(client):
    session_id = await make_session()
    await client.get(f"/sessions/{session_id}")
    form = {**submission(timezone="Europe/Geneva"), "consent_processing": "on",
            "_csrf_token": client.cookies["convene_csrf"]}

    response = await client.post(f"/sessions/{session_id}/register", data=form)

    assert response.status_code == 400
    zones = _select(response.text, "timezone")
    assert zones.count(" selected") == 1
    assert '<option value="Europe/Geneva" selected>Europe/Geneva</option>' in zones
    assert ('<span class="field-error" id="error-timezone">Unknown time zone. Did you mean Geneva — Switzerland '
            '(Europe/Zurich)?</span>') in response.text


async def test_staff_list_filters_are_lists_of_words(client, admin):
    from tests.conftest import login_cookie_client

    session_id = await make_session(interpretation_languages=["fr", "pt"])
    await login_cookie_client(client, admin)

    html = (await client.get(f"/staff/sessions/{session_id}/registrations", params={"region": "ESCWA"})).text

    assert ("civil_society", "Civil society") in _options(_select(html, "category"))
    region = _select(html, "region")
    assert '<optgroup label="Regional groups">' in region and '<optgroup label="Regional Commissions">' in region
    assert '<option value="ESCWA" selected>Economic and Social Commission for Western Asia (ESCWA)</option>' in region
    assert _options(_select(html, "language")) == [
        ("", "Any"), ("ar", "Arabic"), ("zh", "Chinese"), ("en", "English"), ("fr", "French"),
        ("pt", "Portuguese"), ("ru", "Russian"), ("es", "Spanish")]
    assert _options(_select(html, "need"))[:4] == [
        ("", "Any"), ("fr", "Interpretation into French"), ("pt", "Interpretation into Portuguese"),
        ("interpretation", "Any interpretation")]
    assert 'type="text" value="' not in html.split('id="field-search"')[1].split("</fieldset>")[0]


async def test_staff_list_shows_first_columns_and_the_rest_in_an_expandable_row(client, admin):
    from tests.conftest import login_cookie_client

    session_id = await make_session()
    body = submission(interpretation_language="fr", email="amina-diallo@example-org.test")
    await client.post(f"/api/v1/sessions/{session_id}/registrations", json=body)
    await login_cookie_client(client, admin)

    html = (await client.get(f"/staff/sessions/{session_id}/registrations")).text

    header = re.search(r'<table id="field-registration_ids" class="registrations">.*?</thead>', html, re.S).group(0)
    assert re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', header) == [
        "Select", "Name", "Status", "Category and country"]
    assert "<td>Civil society<br>Senegal</td>" in html
    assert "<summary>Details, needs and actions: <bdi>Amina Diallo</bdi></summary>" in html
    assert '<dd><bdi dir="ltr" class="email">amina-diallo@example-org.test</bdi></dd>' in html
    assert "<dd>French; listens in French</dd>" in html


async def test_attendance_import_zone_is_a_list_defaulting_to_the_sessions_own(client, admin):
    from tests.conftest import login_cookie_client

    session_id = await make_session()
    await login_cookie_client(client, admin)

    html = (await client.get(f"/staff/sessions/{session_id}/attendance")).text

    zones = _select(html, "timezone")
    assert zones.startswith('<select id="field-timezone" name="timezone" autocomplete="off" '
                            'aria-describedby="hint-timezone">\n<option value="" selected>'
                            "The session's own: Europe/Zurich</option>")
    assert '<option value="Asia/Tokyo">Tokyo — Japan (Asia/Tokyo)</option>' in zones
    assert "data-detect-timezone" not in zones
