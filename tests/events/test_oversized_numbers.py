"""Numbers no column can hold (PostgreSQL integer, SQLite's 64 bits) get a 4xx naming the field, never a 500:
in bodies, queries and the staff form; in a path they are an unknown id (404)."""

from __future__ import annotations

import httpx
import pytest

from events.tables import Session
from tests.conftest import Staff, login_cookie_client
from tests.events.helpers import create, field_errors, session_body, staff_form

HUGE = 99999999999999999999
#: One past the largest PostgreSQL integer: SQLite would store it, PostgreSQL would overflow.
INT4_OVERFLOW = 2**31

BODIES = [
    ("capacity", {"capacity": HUGE}, "capacity"),
    ("capacity_int4", {"capacity": INT4_OVERFLOW}, "capacity"),
    ("in_person_capacity", {"in_person_capacity": HUGE}, "in_person_capacity"),
    ("series_id", {"series_id": HUGE}, "series_id"),
    ("series_id_int4", {"series_id": INT4_OVERFLOW}, "series_id"),
    ("organiser_ids", {"organiser_ids": [HUGE]}, "organiser_ids[0]"),
]


@pytest.mark.parametrize(("case", "overrides", "field"), BODIES, ids=[c[0] for c in BODIES])
async def test_create_with_huge_number_names_the_field(client: httpx.AsyncClient, admin: Staff, case: str,
                                                       overrides: dict, field: str) -> None:
    response = await client.post("/api/v1/sessions", json=session_body(**overrides), headers=admin.headers)

    assert response.status_code == 400, response.text
    assert field_errors(response) == [field]
    assert await Session.count() == 0


@pytest.mark.parametrize(("case", "overrides", "field"), BODIES, ids=[c[0] for c in BODIES])
async def test_patch_with_huge_number_names_the_field(client: httpx.AsyncClient, admin: Staff, case: str,
                                                      overrides: dict, field: str) -> None:
    session = await create(client, admin)

    response = await client.patch(f"/api/v1/sessions/{session['id']}", json=overrides, headers=admin.headers)

    assert response.status_code == 400, response.text
    assert field_errors(response) == [field]
    assert (await Session.select(Session.capacity, Session.series).first()) == {"capacity": None, "series": None}


@pytest.mark.parametrize("value", [HUGE, INT4_OVERFLOW, 0, -1])
async def test_path_id_no_row_can_have_is_404(client: httpx.AsyncClient, admin: Staff, value: int) -> None:
    api = await client.get(f"/api/v1/sessions/{value}", headers=admin.headers)
    patch = await client.patch(f"/api/v1/sessions/{value}", json={"capacity": 1}, headers=admin.headers)
    page = await client.get(f"/sessions/{value}")
    calendar = await client.get(f"/sessions/{value}/calendar.ics")
    series = await client.get(f"/api/v1/series/{value}")

    assert [r.status_code for r in (api, patch, page, calendar, series)] == [404, 404, 404, 404, 404]
    assert api.headers["content-type"] == "application/problem+json"
    assert api.json()["detail"] == f"Nothing has the session_id {value}."


QUERIES = [
    ("/api/v1/sessions", {"offset": HUGE}, "offset"),
    ("/api/v1/sessions", {"offset": INT4_OVERFLOW}, "offset"),
    ("/api/v1/sessions", {"series": HUGE}, "series"),
    ("/api/v1/sessions", {"series": INT4_OVERFLOW}, "series"),
]


@pytest.mark.parametrize(("path", "params", "field"), QUERIES)
async def test_api_query_with_huge_number_names_the_field(client: httpx.AsyncClient, path: str, params: dict,
                                                          field: str) -> None:
    response = await client.get(path, params=params)

    assert response.status_code == 400, response.text
    assert field_errors(response) == [field]


@pytest.mark.parametrize("params", [{"offset": HUGE}, {"offset": INT4_OVERFLOW}])
async def test_index_with_huge_offset_is_a_4xx_page(client: httpx.AsyncClient, params: dict) -> None:
    response = await client.get("/", params=params)

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "offset" in response.text


async def test_index_ignores_a_huge_series(client: httpx.AsyncClient) -> None:
    response = await client.get("/", params={"series": HUGE})

    assert response.status_code == 200


async def test_calendar_feed_with_huge_series_names_the_field(client: httpx.AsyncClient) -> None:
    response = await client.get("/calendar.ics", params={"series": HUGE})

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")


async def test_staff_form_with_huge_capacity_shows_error_beside_it(client: httpx.AsyncClient,
                                                                   organiser: Staff) -> None:
    await login_cookie_client(client, organiser)
    form = staff_form(client, capacity=str(HUGE))

    response = await client.post("/staff/sessions/new", data=form)

    assert response.status_code == 422
    assert 'id="error-capacity"' in response.text
    assert await Session.count() == 0
