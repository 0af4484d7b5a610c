"""Helpers for registration tests: published sessions made directly in the database, and a valid submission."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from events.tables import Session, SessionOrganiser
from registrations.links import invitation_token
from registrations.tables import Invitation
from tests.conftest import TEST_SECRET

#: The answer to a repeat of an address, whatever its registration's status (DESIGN.md).
REPEAT = {"id": None, "status": None, "manage_url": None, "waitlist_position": None, "participation_mode": None}


async def make_session(**overrides: Any) -> int:
    """A published online webinar two weeks ahead, registration open now; ``overrides`` set any column."""
    starts_at = datetime.now(UTC).replace(microsecond=0) + timedelta(days=14)
    values: dict[str, Any] = {
        "kind": "webinar",
        "title": {"en": "Migration data in the Arab region"},
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=2),
        "timezone": "Europe/Zurich",
        "floor_language": "en",
        "interpretation_languages": ["fr", "ar"],
        "accessibility_provisions": ["captions_cart"],
        "status": "published",
        "published_at": datetime.now(UTC) - timedelta(days=1),
        **overrides,
    }
    rows = await Session.insert(Session(**values)).returning(Session.id)
    return rows[0]["id"]


async def assign(session_id: int, user_id: int) -> None:
    await SessionOrganiser.insert(SessionOrganiser(session=session_id, user=user_id))


async def invite(session_id: int, email: str) -> str:
    """Invite ``email`` directly in the database; returns the token its invitation mail's link carries."""
    rows = await Invitation.insert(Invitation(session=session_id, email=email)).returning(Invitation.id)
    return invitation_token(TEST_SECRET, rows[0]["id"], session_id)


def submission(**overrides: Any) -> dict[str, Any]:
    """A complete, valid registration body."""
    return {
        "name": "Amina Diallo",
        "email": "Amina.Diallo@Example.org",
        "organisation": "Migrant Rights Network",
        "stakeholder_category": "civil_society",
        "country": "SN",
        "preferred_language": "fr",
        "timezone": "Africa/Dakar",
        "consent_processing": True,
        **overrides,
    }


@pytest.fixture
def unlimited(settings):
    """Settings with the rate limit off (concurrency and burst tests)."""
    from dataclasses import replace

    return replace(settings, rate_limit=False)
