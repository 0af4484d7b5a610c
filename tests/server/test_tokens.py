"""API tokens: shown once, stored hashed, listed by name and last use, revocable, each person's own."""

from __future__ import annotations

import hashlib

from server.tables import ApiToken
from tests.conftest import login_cookie_client
from tests.server.helpers import post_form


async def test_token_api_creates_token_shown_once_and_stored_hashed(client, organiser):
    response = await client.post("/api/v1/tokens", headers=organiser.headers, json={"name": "reporting script"})

    assert response.status_code == 201
    body = response.json()
    assert (body["id"], body["name"], body["token"][:4]) == (2, "reporting script", "cvn_")
    stored = await ApiToken.select(ApiToken.token_hash).where(ApiToken.id == body["id"]).first()
    assert stored == {"token_hash": hashlib.sha256(body["token"].encode()).hexdigest()}
    assert (await client.get("/api/v1/tokens", headers={"Authorization": f"Bearer {body['token']}"})).status_code == 200


async def test_token_api_lists_by_name_with_last_use_and_no_secret(client, organiser):
    await client.post("/api/v1/tokens", headers=organiser.headers, json={"name": "a script"})

    response = await client.get("/api/v1/tokens", headers=organiser.headers)

    assert response.status_code == 200
    listed = response.json()
    assert [(t["id"], t["name"]) for t in listed] == [(2, "a script"), (1, "tests")]
    assert listed[0]["last_used_at"] is None
    assert listed[1]["last_used_at"] is not None
    assert sorted(listed[0]) == ["created_at", "id", "last_used_at", "name"]


async def test_revoked_token_authenticates_nothing(client, organiser):
    response = await client.delete("/api/v1/tokens/1", headers=organiser.headers)

    assert response.status_code == 204
    refused = await client.get("/api/v1/tokens", headers=organiser.headers)
    assert (refused.status_code, refused.headers["content-type"]) == (401, "application/problem+json")


async def test_token_of_someone_else_cannot_be_revoked(client, organiser, other_organiser):
    response = await client.delete("/api/v1/tokens/1", headers=other_organiser.headers)

    assert response.status_code == 404
    assert (await client.get("/api/v1/tokens", headers=organiser.headers)).status_code == 200


async def test_token_api_refuses_empty_and_oversized_names(client, organiser):
    empty = await client.post("/api/v1/tokens", headers=organiser.headers, json={"name": ""})
    long = await client.post("/api/v1/tokens", headers=organiser.headers, json={"name": "x" * 101})

    assert (empty.status_code, empty.json()["errors"][0]["field"]) == (400, "name")
    assert (long.status_code, long.json()["errors"][0]["field"]) == (400, "name")


async def test_bearer_token_is_not_read_on_pages_nor_cookie_on_api(client, organiser):
    page = await client.get("/staff/tokens", headers=organiser.headers)
    await login_cookie_client(client, organiser)
    api = await client.get("/api/v1/tokens")

    assert (page.status_code, api.status_code) == (302, 401)


async def test_tokens_page_creates_lists_and_revokes(client, organiser):
    await login_cookie_client(client, organiser)

    created = await post_form(client, "/staff/tokens", {"name": "calendar sync"})

    assert created.status_code == 201
    assert '<code id="new-token">cvn_' in created.text
    listing = await client.get("/staff/tokens")
    assert '<th scope="row">calendar sync</th>' in listing.text
    assert "cvn_" not in listing.text
    revoked = await post_form(client, "/staff/tokens/2/revoke")
    assert (revoked.status_code, revoked.headers["location"]) == (303, "/staff/tokens")
    assert '<th scope="row">calendar sync</th>' not in (await client.get("/staff/tokens")).text


async def test_tokens_page_refuses_nameless_token_beside_the_field(client, organiser):
    await login_cookie_client(client, organiser)

    page = await post_form(client, "/staff/tokens", {"name": "  "})

    assert page.status_code == 422
    assert '<span class="field-error" id="error-name">Give the token a name.</span>' in page.text
    assert await ApiToken.count() == 1
