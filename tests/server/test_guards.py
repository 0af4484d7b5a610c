"""The session guard: a session's own organisers and admins pass, other staff get 403, strangers 401."""

from __future__ import annotations

import pytest
from litestar import get
from litestar.params import FromPath

from server.auth import require_session_manager
from tests.server.test_staff_routes import published_session


@pytest.fixture
async def guarded(app):
    @get("/api/v1/sessions/{session_id:int}/probe", guards=[require_session_manager], sync_to_thread=False)
    def probe(session_id: FromPath[int]) -> dict:
        """A session-scoped staff route."""
        return {"session_id": session_id}

    app.register(probe)
    return app


async def test_session_guard_lets_the_sessions_organiser_and_admins_through(guarded, client, admin, organiser):
    session_id = await published_session(organiser)

    mine = await client.get(f"/api/v1/sessions/{session_id}/probe", headers=organiser.headers)
    admins = await client.get(f"/api/v1/sessions/{session_id}/probe", headers=admin.headers)

    assert (mine.status_code, mine.json()) == (200, {"session_id": session_id})
    assert admins.status_code == 200


async def test_session_guard_refuses_other_organisers_and_strangers(guarded, client, organiser, other_organiser):
    session_id = await published_session(organiser)

    other = await client.get(f"/api/v1/sessions/{session_id}/probe", headers=other_organiser.headers)
    anonymous = await client.get(f"/api/v1/sessions/{session_id}/probe")
    missing = await client.get("/api/v1/sessions/999/probe", headers=other_organiser.headers)

    assert (other.status_code, other.json()["detail"]) == (403, "You are not an organiser of this session.")
    assert (anonymous.status_code, missing.status_code) == (401, 404)
