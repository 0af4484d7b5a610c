"""Demo data loads once and prints the login; the periodic job completes finished sessions."""

from __future__ import annotations

import stat
from datetime import UTC, datetime

import httpx
import pytest

from events.demo import ADMIN_EMAIL, load_demo
from events.tables import AgendaItem, Series, Session, SessionOrganiser
from server.app import JOBS
from server.settings import Settings
from server.tables import User
from tests.conftest import Staff
from tests.events.helpers import create_published, future


async def _counts() -> tuple[int, ...]:
    return (await User.count(), await Series.count(), await Session.count(), await AgendaItem.count(),
            await SessionOrganiser.count())


async def test_demo_loads_once_and_prints_login(database: str, settings: Settings,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    await load_demo(settings)
    first = capsys.readouterr().out
    counts = await _counts()
    await load_demo(settings)
    second = capsys.readouterr().out
    assert await _counts() == counts
    password = (settings.var_dir / "demo-login.txt").read_text().splitlines()[1]
    assert first == second == f"admin login: {ADMIN_EMAIL} / {password}\n"
    assert stat.S_IMODE((settings.var_dir / "demo-login.txt").stat().st_mode) == 0o600
    assert counts == (2, 1, 10, 9, 4)


async def test_demo_sessions_published_and_upcoming(database: str, settings: Settings,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    await load_demo(settings)
    rows = await Session.select(Session.status, Session.region, Session.kind, Session.ends_at, Session.audience,
                                Session.capacity, Session.venue)
    assert {row["status"] for row in rows} == {"published"}
    assert sum(row["ends_at"] > datetime.now(UTC) for row in rows) >= 5
    assert sorted(row["region"] for row in rows if row["kind"] == "regional_review") == [
        "ECA", "ECE", "ECLAC", "ESCAP", "ESCWA"]
    assert [row["audience"] for row in rows].count("approval") == 1
    assert [row["capacity"] for row in rows].count(30) == 1
    assert len([row for row in rows if row["venue"]]) == 1


async def test_complete_finished_sessions_job(client: httpx.AsyncClient, admin: Staff, settings: Settings) -> None:
    past = await create_published(client, admin, starts_at=future(-3).isoformat(), ends_at=future(-3, 13).isoformat())
    upcoming = await create_published(client, admin)
    # Read before the job runs: already shown as completed.
    assert (await client.get(f"/api/v1/sessions/{past['id']}")).json()["status"] == "completed"
    assert await JOBS["complete_finished_sessions"](settings) == 1
    statuses = {row["id"]: row["status"] for row in await Session.select(Session.id, Session.status)}
    assert statuses == {past["id"]: "completed", upcoming["id"]: "published"}
