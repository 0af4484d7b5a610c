"""Ids in paths are bounded app-wide: a number no row can have is a 404, before any guard or query reads it."""

from __future__ import annotations

import re

import httpx

from tests.conftest import Staff, login_cookie_client
from tests.server.helpers import csrf_token

HUGE = "99999999999999999999"
_INT_PARAMETER = re.compile(r"\{\w+:int\}")


async def test_every_int_path_parameter_is_bounded(app, client: httpx.AsyncClient, admin: Staff) -> None:
    """Every route of the app, every package's: walked as an admin, so no guard refuses first."""
    await login_cookie_client(client, admin)
    failures, walked = [], 0
    for route in app.routes:
        if not _INT_PARAMETER.search(route.path):
            continue
        url = _INT_PARAMETER.sub(HUGE, route.path)
        for method in sorted(set(getattr(route, "methods", ())) - {"HEAD", "OPTIONS"}):
            headers = admin.headers if url.startswith("/api/") else {"x-csrftoken": await csrf_token(client)}
            response = await client.request(method, url, headers=headers)
            walked += 1
            if response.status_code != 404:
                failures.append(f"{method} {route.path} -> {response.status_code}")

    assert failures == []
    assert walked >= 30


async def test_huge_id_page_is_a_404_page(client: httpx.AsyncClient, admin: Staff) -> None:
    await login_cookie_client(client, admin)

    response = await client.get(f"/staff/users/{HUGE}")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert f"Nothing has the user_id {HUGE}." in response.text
