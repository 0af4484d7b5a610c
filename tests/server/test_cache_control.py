"""Answers that may hold personal data are never stored by browsers or proxies (``Cache-Control: no-store``)."""

from __future__ import annotations

import httpx

from tests.conftest import Staff, login_cookie_client
from tests.registrations.conftest import assign, make_session, submission


async def test_personal_answers_are_not_stored(client: httpx.AsyncClient, organiser: Staff) -> None:
    session_id = await make_session()
    await assign(session_id, organiser.id)
    registered = await client.post(f"/api/v1/sessions/{session_id}/registrations", json=submission())
    manage = registered.json()["manage_url"].removeprefix("http://convene.test")
    token = manage.rsplit("/", 1)[1]
    bearer = organiser.headers

    answers = {
        "registration reply": registered,
        "manage page": await client.get(manage),
        "manage API": await client.get(f"/api/v1/manage/{token}"),
        "manage export": await client.get(f"/api/v1/manage/{token}/export"),
        "staff session API": await client.get(f"/api/v1/sessions/{session_id}", headers=bearer),
        "registrations API": await client.get(f"/api/v1/sessions/{session_id}/registrations", headers=bearer),
        "registrations CSV": await client.get(f"/api/v1/sessions/{session_id}/registrations",
                                              params={"format": "csv"}, headers=bearer),
        "tokens API": await client.get("/api/v1/tokens", headers=bearer),
    }
    await login_cookie_client(client, organiser)
    answers["staff page"] = await client.get(f"/staff/sessions/{session_id}/registrations")
    answers["staff export"] = await client.get(f"/staff/sessions/{session_id}/registrations/export.csv")

    assert {name: (r.status_code, r.headers.get("cache-control")) for name, r in answers.items()} == {
        name: (201 if name == "registration reply" else 200, "no-store") for name in answers}


async def test_public_answers_without_credentials_may_be_cached(client: httpx.AsyncClient) -> None:
    session_id = await make_session()

    answers = [await client.get(path) for path in ("/", f"/sessions/{session_id}", "/api/v1/sessions",
                                                    f"/sessions/{session_id}/calendar.ics", "/static/convene.css")]

    assert [(r.status_code, r.headers.get("cache-control")) for r in answers] == [(200, None)] * 5
