"""Time zones are real IANA zones: tzdata's pseudo-zones ``Factory`` and ``localtime`` are no place's time."""

from __future__ import annotations

import httpx
import pytest

from server.web import valid_timezone


@pytest.mark.engine_independent
@pytest.mark.parametrize(("name", "valid"), [
    ("Europe/Zurich", True), ("UTC", True), ("America/Argentina/Buenos_Aires", True),
    ("Factory", False), ("localtime", False), ("posixrules", False), ("Europe/Lausanne", False), ("", False),
    (None, False),
])
def test_valid_timezone_takes_only_real_zones(name, valid):
    assert valid_timezone(name) is valid


@pytest.mark.parametrize("zone", ["Factory", "localtime", "Mars/Olympus"])
async def test_preferences_refuse_a_zone_that_is_no_place(client: httpx.AsyncClient, zone: str):
    await client.get("/staff/login")

    response = await client.post("/preferences", data={
        "timezone": zone, "next": "/staff/login", "_csrf_token": client.cookies["convene_csrf"]})

    assert response.status_code == 422
    assert "Unknown time zone: choose one from the list, such as Zurich — Switzerland (Europe/Zurich)." in response.text
    assert "convene_tz" not in response.cookies


async def test_preferences_with_an_empty_zone_keep_the_zone_and_change_the_language(client: httpx.AsyncClient):
    await client.get("/staff/login")

    response = await client.post("/preferences", data={
        "language": "fr", "timezone": "", "next": "/staff/login", "_csrf_token": client.cookies["convene_csrf"]})

    assert (response.status_code, response.headers["location"]) == (302, "/staff/login")
    assert response.cookies["convene_lang"] == "fr"
    assert "convene_tz" not in response.cookies


@pytest.mark.parametrize("zone", ["Factory", "localtime"])
async def test_pseudo_zone_cookie_reads_as_utc(client: httpx.AsyncClient, zone: str):
    client.cookies.set("convene_tz", zone)

    page = await client.get("/staff/login")

    assert 'id="pref-timezone" name="timezone" value="UTC"' in page.text
