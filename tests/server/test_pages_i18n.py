"""Pages in the viewer's language: the switcher's cookie, Accept-Language, right to left for Arabic, isolation."""

from __future__ import annotations

import re

import httpx


def html_tag(page: str) -> str:
    return re.search(r"<html[^>]*>", page).group(0)


async def test_page_in_arabic_from_accept_language_is_right_to_left(client: httpx.AsyncClient):
    response = await client.get("/staff/login", headers={"Accept-Language": "ar-EG,ar;q=0.9,en;q=0.5"})
    assert response.status_code == 200
    assert html_tag(response.text) == '<html lang="ar" dir="rtl">'


async def test_page_without_accept_language_is_english_left_to_right(client: httpx.AsyncClient):
    response = await client.get("/staff/login")
    assert html_tag(response.text) == '<html lang="en" dir="ltr">'


async def test_language_switcher_choice_is_remembered_over_accept_language(client: httpx.AsyncClient):
    await client.get("/staff/login")
    response = await client.post(
        "/preferences",
        data={"language": "ru", "timezone": "Asia/Almaty", "next": "/staff/login",
              "_csrf_token": client.cookies.get("convene_csrf")},
    )
    assert (response.status_code, response.headers["location"]) == (302, "/staff/login")
    page = await client.get("/staff/login", headers={"Accept-Language": "ar"})
    assert html_tag(page.text) == '<html lang="ru" dir="ltr">'
    assert '<option value="ru" lang="ru" selected>Русский</option>' in page.text


async def test_switcher_refuses_to_redirect_off_site(client: httpx.AsyncClient):
    await client.get("/staff/login")
    response = await client.post(
        "/preferences",
        data={"language": "es", "next": "//evil.example/", "_csrf_token": client.cookies.get("convene_csrf")},
    )
    assert response.headers["location"] == "/"


async def test_arabic_page_isolates_the_latin_time_zone_name(client: httpx.AsyncClient):
    client.cookies.set("convene_tz", "America/Argentina/Buenos_Aires")
    page = await client.get("/staff/login", headers={"Accept-Language": "ar"})
    assert "<bdi>America/Argentina/Buenos_Aires</bdi>" in page.text
    assert 'id="pref-timezone" name="timezone" value="America/Argentina/Buenos_Aires"' in page.text


async def test_every_language_is_offered_in_its_own_name(client: httpx.AsyncClient):
    page = await client.get("/staff/login", headers={"Accept-Language": "zh"})
    options = re.findall(r'<option value="(\w+)" lang="\w+"(?: selected)?>([^<]+)</option>', page.text)
    assert options == [("ar", "العربية"), ("zh", "中文"), ("en", "English"), ("fr", "Français"), ("ru", "Русский"),
                       ("es", "Español")]


async def test_unknown_address_answers_in_the_viewer_language(client: httpx.AsyncClient):
    response = await client.get("/no/such/page", headers={"Accept-Language": "ar"})
    assert response.status_code == 404
    assert html_tag(response.text) == '<html lang="ar" dir="rtl">'


async def test_arabic_staff_page_isolates_the_email_in_its_sentence(client: httpx.AsyncClient, admin):
    from tests.conftest import login_cookie_client

    await login_cookie_client(client, admin)
    page = await client.get("/staff", headers={"Accept-Language": "ar"})
    assert html_tag(page.text) == '<html lang="ar" dir="rtl">'
    assert "تم تسجيل الدخول باسم <bdi>admin@convene.test</bdi>" in page.text


async def test_session_shown_in_floor_language_is_marked_in_arabic(client: httpx.AsyncClient, admin):
    body = {"kind": "webinar", "title": {"en": "Safe and regular pathways"}, "starts_at": "2030-03-03T13:00:00+00:00",
            "ends_at": "2030-03-03T14:00:00+00:00", "timezone": "Europe/Vienna", "floor_language": "en"}
    created = await client.post("/api/v1/sessions", json=body, headers=admin.headers)
    await client.post(f"/api/v1/sessions/{created.json()['id']}/publish", headers=admin.headers)
    page = await client.get(f"/sessions/{created.json()['id']}", headers={"Accept-Language": "ar"})
    assert (
        '<h1><span lang="en" dir="ltr">Safe and regular pathways</span>'
        ' <span class="language-note">(باللغة الإنجليزية)</span></h1>'
    ) in page.text
    assert "(\u2068Europe/Vienna, UTC+01:00\u2069)" in page.text


async def test_registration_form_offers_the_page_language_for_emails(client: httpx.AsyncClient, admin):
    body = {"kind": "briefing", "title": {"en": "Briefing"}, "starts_at": "2030-03-03T13:00:00+00:00",
            "ends_at": "2030-03-03T14:00:00+00:00", "timezone": "Africa/Nairobi", "floor_language": "en"}
    created = await client.post("/api/v1/sessions", json=body, headers=admin.headers)
    await client.post(f"/api/v1/sessions/{created.json()['id']}/publish", headers=admin.headers)
    page = await client.get(f"/sessions/{created.json()['id']}", headers={"Accept-Language": "es"})
    chosen = re.search(r'<select id="field-preferred_language".*?</select>', page.text, re.S).group(0)
    assert re.findall(r'<option value="(\w+)"[^>]* selected', chosen) == ["es"]
