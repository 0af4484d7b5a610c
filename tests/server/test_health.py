from piccolo.engine.sqlite import SQLiteEngine


async def test_health_reports_ok_when_database_answers(client):
    response = await client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_health_is_503_when_database_unreachable(app, client):
    # A database file in a folder that does not exist cannot be opened: the engine is down.
    app.state.engine = SQLiteEngine(path="/nonexistent/convene/health.db")

    response = await client.get("/health")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unreachable"}


async def test_responses_carry_security_headers_and_request_id(client):
    response = await client.get("/health")

    assert response.headers["content-security-policy"].startswith("default-src 'self'; script-src 'self';")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert len(response.headers["x-request-id"]) == 16


async def test_openapi_schema_is_served(client):
    response = await client.get("/schema/openapi.json")

    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Convene API"
