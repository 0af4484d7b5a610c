"""The OpenAPI of the JSON API: bearer tokens as its security scheme, errors as application/problem+json."""

from __future__ import annotations

import httpx
import pytest

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
#: Routes of server/ and events/, each with the security it documents.
STAFF = [{"BearerToken": []}]
DOCUMENTED = [
    ("get", "/api/v1/tokens", STAFF),
    ("post", "/api/v1/tokens", STAFF),
    ("delete", "/api/v1/tokens/{token_id}", STAFF),
    ("get", "/api/v1/users", STAFF),
    ("post", "/api/v1/users", STAFF),
    ("get", "/api/v1/users/{user_id}", STAFF),
    ("patch", "/api/v1/users/{user_id}", STAFF),
    ("post", "/api/v1/users/{user_id}/password", STAFF),
    ("post", "/api/v1/sessions", STAFF),
    ("get", "/api/v1/sessions", None),
    ("get", "/api/v1/sessions/{session_id}", [{}, {"BearerToken": []}]),  # anyone; staff see more
    ("patch", "/api/v1/sessions/{session_id}", STAFF),
    ("post", "/api/v1/sessions/{session_id}/publish", STAFF),
    ("post", "/api/v1/sessions/{session_id}/cancel", STAFF),
    ("post", "/api/v1/sessions/{session_id}/complete", STAFF),
    ("post", "/api/v1/sessions/{session_id}/reschedule", STAFF),
    ("post", "/api/v1/series", STAFF),
    ("get", "/api/v1/series/{series_id}", None),
    ("patch", "/api/v1/series/{series_id}", STAFF),
    # Documented from their guards by server/openapi.py (registrations/ declares none itself).
    ("get", "/api/v1/sessions/{session_id}/registrations", STAFF),
    ("get", "/api/v1/sessions/{session_id}/speakers", STAFF),
    ("get", "/api/v1/reports/participation", STAFF),
    ("get", "/api/v1/manage/{token}", None),
]


@pytest.fixture
async def schema(client: httpx.AsyncClient) -> dict:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    return response.json()


async def test_bearer_token_is_the_security_scheme(schema: dict) -> None:
    assert schema["components"]["securitySchemes"] == {"BearerToken": {
        "type": "http", "scheme": "bearer",
        "description": "An API token: `convene user create` prints one; staff make more at /staff/tokens.",
    }}


@pytest.mark.parametrize(("method", "path", "security"), DOCUMENTED, ids=[f"{m} {p}" for m, p, _s in DOCUMENTED])
async def test_route_documents_its_security_and_problem_errors(schema: dict, method: str, path: str,
                                                               security: list | None) -> None:
    operation = schema["paths"][path][method]
    errors = {status: response for status, response in operation["responses"].items() if status[0] == "4"}

    assert operation.get("security") == security
    assert sorted(errors) == (["400", "404", "422"] if security is None else
                              ["400", "401", "403", "404", "409", "422"])
    assert all(response["content"] == PROBLEM for response in errors.values())


async def test_problem_schema_matches_what_errors_look_like(schema: dict, client: httpx.AsyncClient,
                                                            admin) -> None:
    problem = schema["components"]["schemas"]["Problem"]
    response = await client.post("/api/v1/sessions", json={"kind": "party"}, headers=admin.headers)

    assert sorted(problem["required"]) == ["detail", "status", "title", "type"]
    assert sorted(problem["properties"]) == ["detail", "errors", "status", "title", "type"]
    assert sorted(response.json()) == ["detail", "errors", "status", "title", "type"]
    assert sorted(schema["components"]["schemas"]["ProblemField"]["properties"]) == sorted(
        response.json()["errors"][0])


async def test_registrant_writes_document_their_refusals(schema: dict) -> None:
    errors = sorted(status for status in schema["paths"]["/api/v1/manage/{token}"]["delete"]["responses"]
                    if status[0] == "4")

    assert errors == ["400", "403", "404", "409", "413", "422", "429"]


async def test_calendars_are_documented_as_calendars_with_page_errors(schema: dict) -> None:
    for path in ("/calendar.ics", "/sessions/{session_id}/calendar.ics"):
        responses = schema["paths"][path]["get"]["responses"]

        assert sorted(responses["200"]["content"]) == ["text/calendar"]
        assert sorted(responses["404"]["content"]) == ["text/html"]


@pytest.mark.parametrize("path", ["/schema/swagger", "/schema/redoc", "/schema/elements", "/schema/rapidoc"])
async def test_no_schema_viewer_that_the_csp_would_blank(client: httpx.AsyncClient, path: str) -> None:
    # Their scripts come from a CDN that ``script-src 'self'`` refuses: none is offered, the JSON document is.
    assert (await client.get(path)).status_code == 404
    assert (await client.get("/schema/openapi.json")).status_code == 200
