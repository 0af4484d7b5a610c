"""The staff series pages (list, create, edit) over the series API's rules, through real HTTP."""

from __future__ import annotations

import httpx

from tests.conftest import Staff, login_cookie_client
from tests.events.helpers import create, field_errors, page_error_summary, page_field_errors


def _form(client: httpx.AsyncClient, **values: str) -> dict[str, str]:
    return {"_csrf_token": client.cookies["convene_csrf"], **values}


async def test_admin_creates_lists_and_edits_a_series(client: httpx.AsyncClient, admin: Staff) -> None:
    await login_cookie_client(client, admin)
    assert (await client.get("/staff/series/new")).status_code == 200

    created = await client.post("/staff/series/new", data=_form(
        client, title_en="GCM regional reviews 2020-21", title_fr="Examens régionaux du PMM",
        description_en="Five reviews"))

    assert created.status_code == 303, created.text
    assert created.headers["location"] == "/staff/series"
    api = (await client.get("/api/v1/series")).json()
    assert api == [{"id": 1, "title": {"en": "GCM regional reviews 2020-21", "fr": "Examens régionaux du PMM"},
                    "description": {"en": "Five reviews"}}]
    await create(client, admin, series_id=1)
    await create(client, admin, series_id=1)
    listing = await client.get("/staff/series")
    assert '<a href="/staff/series/1">GCM regional reviews 2020-21</a>' in listing.text
    assert "<td>2</td>" in listing.text
    edit_page = await client.get("/staff/series/1")
    assert 'value="Examens régionaux du PMM"' in edit_page.text
    edited = await client.post("/staff/series/1", data=_form(client, title_en="GCM reviews", title_es="Exámenes"))
    assert edited.status_code == 303, edited.text
    assert (await client.get("/api/v1/series/1")).json() == {
        "id": 1, "title": {"en": "GCM reviews", "es": "Exámenes"}, "description": {}}


async def test_series_form_bad_input_is_shown_beside_the_field(client: httpx.AsyncClient, admin: Staff) -> None:
    await login_cookie_client(client, admin)

    no_title = await client.post("/staff/series/new", data=_form(client, description_en="No title"))
    too_long = await client.post("/staff/series/new", data=_form(client, title_en="x" * 301))

    assert no_title.status_code == 422
    assert page_field_errors(no_title.text) == {"title": "A title is required."}
    assert page_error_summary(no_title.text) == [("title", "A title is required.")]
    assert ">No title</textarea>" in no_title.text
    assert too_long.status_code == 422
    assert list(page_field_errors(too_long.text)) == ["title"]
    assert (await client.get("/api/v1/series")).json() == []


async def test_series_edit_bad_input_keeps_the_series(client: httpx.AsyncClient, admin: Staff) -> None:
    await client.post("/api/v1/series", json={"title": {"en": "Kept", "pt": "Mantido"}}, headers=admin.headers)
    await login_cookie_client(client, admin)

    emptied = await client.post("/staff/series/1", data=_form(client, title_en=""))
    saved = await client.post("/staff/series/1", data=_form(client, title_en="Renamed"))

    assert emptied.status_code == 303  # the Portuguese title, which has no field, is kept: still a title
    assert saved.status_code == 303
    assert (await client.get("/api/v1/series/1")).json()["title"] == {"en": "Renamed", "pt": "Mantido"}


async def test_series_api_bad_input_names_the_field(client: httpx.AsyncClient, admin: Staff) -> None:
    empty = await client.post("/api/v1/series", json={"title": {}}, headers=admin.headers)
    bad_code = await client.post("/api/v1/series", json={"title": {"en": "A"}, "description": {"xx!": "b"}},
                                 headers=admin.headers)

    assert (empty.status_code, field_errors(empty)) == (422, ["title"])
    assert (bad_code.status_code, field_errors(bad_code)) == (422, ["description"])


async def test_series_pages_for_organisers_list_only(client: httpx.AsyncClient, admin: Staff,
                                                    organiser: Staff) -> None:
    await client.post("/api/v1/series", json={"title": {"en": "Mobility"}}, headers=admin.headers)
    await login_cookie_client(client, organiser)

    listing = await client.get("/staff/series")
    new_form = await client.get("/staff/series/new")
    edit = await client.post("/staff/series/1", data=_form(client, title_en="Taken over"))

    assert listing.status_code == 200
    assert "<span>Mobility</span>" in listing.text
    assert 'href="/staff/series/1"' not in listing.text
    assert (new_form.status_code, edit.status_code) == (403, 403)
    assert (await client.get("/api/v1/series/1")).json()["title"] == {"en": "Mobility"}


async def test_series_pages_send_anonymous_visitors_to_the_login(client: httpx.AsyncClient) -> None:
    for path in ("/staff/series", "/staff/series/new", "/staff/series/1"):
        response = await client.get(path)
        assert response.status_code in (302, 303)
        assert response.headers["location"].startswith("/staff/login")
