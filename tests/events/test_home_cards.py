"""The home page's session cards say how many places are left and whether registration is open."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx

from events.tables import Session
from tests.conftest import Staff
from tests.events.helpers import create_published

START = datetime(2037, 12, 3, 13, 0, tzinfo=UTC)


def cards(page: str) -> dict[str, str]:
    """Each card's title and its availability line, tags and spacing removed."""
    found = {}
    listing = re.search(r'<ul class="session-list">(.*?)</ul>', page, re.S).group(1)
    for item in re.findall(r"<li>(.*?)</li>", listing, re.S):
        title = re.search(r"<h2><a [^>]*>(.*?)</a>", item).group(1)
        line = re.search(r'<p class="availability">(.*?)</p>', item, re.S).group(1)
        found[title] = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", line)).strip()
    return found


async def test_cards_show_places_left_and_the_registration_window(client: httpx.AsyncClient, admin: Staff):
    times = {"starts_at": START.isoformat(), "ends_at": START.replace(hour=15).isoformat(), "timezone": "UTC"}
    open_one = await create_published(client, admin, title={"en": "Open"}, capacity=50, **times)
    await create_published(client, admin, title={"en": "Later"},
                           registration_opens_at=datetime(2037, 11, 1, 9, 0, tzinfo=UTC).isoformat(), **times)
    full = await create_published(client, admin, title={"en": "Closed"}, capacity=2, **times)
    await Session.update({Session.seats_taken: 2, Session.registration_closes_at: datetime(2026, 1, 5, tzinfo=UTC)}
                         ).where(Session.id == full["id"])
    await Session.update({Session.seats_taken: 3}).where(Session.id == open_one["id"])

    response = await client.get("/")

    assert cards(response.text) == {
        "Open": "47 places left of 50 Registration is open until Thursday, December 3, 2037, 1:00 PM (UTC, UTC+00:00).",
        "Later": "Registration opens on Sunday, November 1, 2037, 9:00 AM (UTC, UTC+00:00).",
        "Closed": "0 places left of 2 Registration is closed.",
    }

