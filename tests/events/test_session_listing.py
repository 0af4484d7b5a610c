"""Public listing of sessions: filters, pagination, stable order; conflict warnings; series."""

from __future__ import annotations

import httpx

from tests.conftest import Staff
from tests.events.helpers import create, create_published, field_errors, future


async def test_list_sessions_only_published_in_start_order(client: httpx.AsyncClient, admin: Staff) -> None:
    late = await create_published(client, admin, starts_at=future(20).isoformat(), ends_at=future(20, 13).isoformat())
    await create(client, admin)  # a draft: never listed
    early = await create_published(client, admin, starts_at=future(5).isoformat(), ends_at=future(5, 13).isoformat())
    same_start = await create_published(client, admin, starts_at=future(5).isoformat(),
                                        ends_at=future(5, 14).isoformat())
    cancelled = await create_published(client, admin)
    await client.post(f"/api/v1/sessions/{cancelled['id']}/cancel", headers=admin.headers)
    response = await client.get("/api/v1/sessions")
    assert response.status_code == 200
    body = response.json()
    assert [item["id"] for item in body["items"]] == [early["id"], same_start["id"], late["id"]]
    assert body["total"] == 3
    assert "join" not in body["items"][0]


async def test_list_sessions_filters(client: httpx.AsyncClient, admin: Staff) -> None:
    webinar = await create_published(client, admin, interpretation_languages=["fr", "es"])
    review = await create_published(client, admin, kind="regional_review", region="ECLAC", floor_language="es",
                                    title={"es": "Examen regional"}, starts_at=future(40).isoformat(),
                                    ends_at=future(40, 15).isoformat())
    briefing = await create_published(client, admin, kind="briefing", floor_language="ar", title={"ar": "إحاطة"})

    async def ids(**params: str) -> list[int]:
        response = await client.get("/api/v1/sessions", params=params)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert await ids(kind="regional_review") == [review["id"]]
    assert await ids(region="ECLAC") == [review["id"]]
    assert await ids(region="global") == [webinar["id"], briefing["id"]]
    assert await ids(language="es") == [webinar["id"], review["id"]]
    assert await ids(language="ar") == [briefing["id"]]
    assert await ids(language="AR") == [briefing["id"]]
    assert await ids(language="Es") == [webinar["id"], review["id"]]
    assert await ids(**{"from": future(30).isoformat()}) == [review["id"]]
    assert await ids(to=future(30).isoformat()) == [webinar["id"], briefing["id"]]


async def test_list_sessions_filter_by_series(client: httpx.AsyncClient, admin: Staff) -> None:
    series = (await client.post("/api/v1/series", json={"title": {"en": "Series"}}, headers=admin.headers)).json()
    in_series = await create_published(client, admin, series_id=series["id"])
    await create_published(client, admin)
    body = (await client.get("/api/v1/sessions", params={"series": series["id"]})).json()
    assert [item["id"] for item in body["items"]] == [in_series["id"]]
    assert body["total"] == 1


async def test_list_sessions_pagination(client: httpx.AsyncClient, admin: Staff) -> None:
    made = [
        (await create_published(client, admin, starts_at=future(day).isoformat(),
                                ends_at=future(day, 13).isoformat()))["id"]
        for day in (3, 1, 2, 5, 4)
    ]
    first = (await client.get("/api/v1/sessions", params={"limit": 2})).json()
    second = (await client.get("/api/v1/sessions", params={"limit": 2, "offset": 2})).json()
    third = (await client.get("/api/v1/sessions", params={"limit": 2, "offset": 4})).json()
    ordered = [made[1], made[2], made[0], made[4], made[3]]
    assert [i["id"] for i in first["items"]] == ordered[:2]
    assert [i["id"] for i in second["items"]] == ordered[2:4]
    assert [i["id"] for i in third["items"]] == ordered[4:]
    assert first["total"] == 5


async def test_list_sessions_bad_filters_name_the_field(client: httpx.AsyncClient) -> None:
    for params, field in (({"limit": 201}, "limit"), ({"kind": "party"}, "kind"), ({"language": "xx"}, "language"),
                          ({"from": "yesterday"}, "from"), ({"from": "2026-01-01T10:00:00"}, "from"),
                          ({"offset": -1}, "offset")):
        response = await client.get("/api/v1/sessions", params=params)
        assert response.status_code in (400, 422), params
        assert field_errors(response) == [field], params


async def test_overlap_in_same_series_warns(client: httpx.AsyncClient, admin: Staff) -> None:
    series = (await client.post("/api/v1/series", json={"title": {"en": "Series"}}, headers=admin.headers)).json()
    first = await create(client, admin, series_id=series["id"])
    second = await create(client, admin, series_id=series["id"], starts_at=future(10, 13).isoformat(),
                          ends_at=future(10, 14).isoformat())
    assert second["warnings"] == [{"code": "overlap", "session_id": first["id"], "reason": "same_series"}]


async def test_overlap_with_shared_organiser_warns(client: httpx.AsyncClient, organiser: Staff) -> None:
    first = await create(client, organiser)
    second = await create(client, organiser)
    assert second["warnings"] == [{"code": "overlap", "session_id": first["id"], "reason": "same_organiser"}]


async def test_no_warning_without_overlap_or_when_cancelled(client: httpx.AsyncClient, organiser: Staff) -> None:
    first = await create(client, organiser)
    later = await create(client, organiser, starts_at=future(11).isoformat(), ends_at=future(11, 13).isoformat())
    assert later["warnings"] == []
    await client.post(f"/api/v1/sessions/{first['id']}/cancel", headers=organiser.headers)
    again = await create(client, organiser)
    assert again["warnings"] == []


async def test_reschedule_onto_another_session_warns(client: httpx.AsyncClient, organiser: Staff) -> None:
    first = await create(client, organiser)
    later = await create(client, organiser, starts_at=future(11).isoformat(), ends_at=future(11, 13).isoformat())
    response = await client.post(f"/api/v1/sessions/{later['id']}/reschedule",
                                 json={"starts_at": first["starts_at"], "ends_at": first["ends_at"]},
                                 headers=organiser.headers)
    assert response.json()["warnings"] == [{"code": "overlap", "session_id": first["id"], "reason": "same_organiser"}]


async def test_series_create_read_update(client: httpx.AsyncClient, admin: Staff, organiser: Staff) -> None:
    body = {"title": {"en": "Mobility", "fr": "Mobilité"}, "description": {"en": "Webinars"}}
    assert (await client.post("/api/v1/series", json=body, headers=organiser.headers)).status_code == 403
    created = await client.post("/api/v1/series", json=body, headers=admin.headers)
    assert created.status_code == 201
    assert created.json() == {"id": 1, **body}
    patched = await client.patch("/api/v1/series/1", json={"title": {"en": "Human mobility"}},
                                 headers=admin.headers)
    assert patched.json() == {"id": 1, "title": {"en": "Human mobility"}, "description": {"en": "Webinars"}}
    assert (await client.get("/api/v1/series")).json() == [patched.json()]
    assert (await client.get("/api/v1/series/1")).json() == patched.json()
    assert (await client.get("/api/v1/series/2")).status_code == 404


async def test_series_bad_input_names_field(client: httpx.AsyncClient, admin: Staff) -> None:
    response = await client.post("/api/v1/series", json={"title": {"xx": "x"}}, headers=admin.headers)
    assert response.status_code == 422
    assert field_errors(response) == ["title"]
    response = await client.post("/api/v1/series", json={"title": {"en": "x"}, "extra": 1}, headers=admin.headers)
    assert response.status_code == 400
    assert field_errors(response) == ["extra"]
