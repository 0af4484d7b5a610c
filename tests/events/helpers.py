"""Shared bits of the events tests: a valid session body and shortcuts through the real API."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import httpx

from events.tables import Session
from server import signals
from tests.conftest import Staff


def future(days: int = 10, hour: int = 12) -> datetime:
    """A whole hour some days ahead, in UTC."""
    base = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return base.replace(hour=hour) + timedelta(days=days)


def session_body(**overrides: object) -> dict:
    starts = future()
    body = {
        "kind": "webinar",
        "title": {"en": "Mobility in the Time of COVID-19", "fr": "La mobilité au temps de la COVID-19"},
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=1, minutes=30)).isoformat(),
        "timezone": "Europe/Zurich",
        "floor_language": "en",
    }
    body.update(overrides)
    return body


async def create(client: httpx.AsyncClient, staff: Staff, **overrides: object) -> dict:
    response = await client.post("/api/v1/sessions", json=session_body(**overrides), headers=staff.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def create_published(client: httpx.AsyncClient, staff: Staff, **overrides: object) -> dict:
    session = await create(client, staff, **overrides)
    response = await client.post(f"/api/v1/sessions/{session['id']}/publish", headers=staff.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def move_times(session_id: int, *, hours_from_now: float, hours_long: float = 2) -> None:
    """Put a session's start ``hours_from_now`` (negative: in the past) straight into the table, as time
    passing would: the API refuses to move sessions into the past."""
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=hours_from_now)
    await Session.update({Session.starts_at: starts, Session.ends_at: starts + timedelta(hours=hours_long)}).where(
        Session.id == session_id)


def staff_form(client: httpx.AsyncClient, **overrides: object) -> dict:
    """A valid staff session form (``/staff/sessions/new``) for a logged-in ``client``, CSRF token included."""
    starts = future(12, 9)
    form = {
        "_csrf_token": client.cookies["convene_csrf"], "kind": "webinar", "title_en": "Form-made webinar",
        "title_fr": "", "timezone": "Asia/Beirut", "starts_at": starts.strftime("%Y-%m-%dT09:00"),
        "ends_at": starts.strftime("%Y-%m-%dT10:30"), "floor_language": "en", "audience": "open",
        "region": "ESCWA", "capacity": "40", "interpretation_languages": ["ar", "fr"],
        "accessibility_provisions": ["captions_cart"], "agenda": "Opening | Chair | 10\nDebate | | 60",
    }
    form.update(overrides)
    return form


def page_field_errors(page: str) -> dict[str, str]:
    """The messages shown beside the fields of a staff form, by field name."""
    found = re.findall(r'<span class="field-error" id="error-(\w+)">(.*?)</span>', page, re.DOTALL)
    return {name: html.unescape(message) for name, message in found}


def page_error_summary(page: str) -> list[tuple[str, str]]:
    """The (field, message) links of a staff form's error summary, in order."""
    found = re.findall(r'<li><a href="#field-(\w+)">(.*?)</a></li>', page, re.DOTALL)
    return [(name, html.unescape(message)) for name, message in found]


def field_errors(response: httpx.Response) -> list[str]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return [error["field"] for error in response.json()["errors"]]


@contextmanager
def received(signal: str) -> Iterator[list[dict]]:
    """Connect a recording receiver to ``signal`` (our own registry) for the block; yields what it got."""
    payloads: list[dict] = []

    async def receiver(**payload: object) -> None:
        payloads.append(payload)

    before = signals.connected()
    signals.connect({**before, signal: (*before.get(signal, ()), receiver)})
    try:
        yield payloads
    finally:
        signals.connect(before)
