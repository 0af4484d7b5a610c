"""Rows for mail tests, written straight into the real tables (arranging data, not mocking behaviour)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from events.tables import Session
from registrations.links import new_nonce
from registrations.tables import Registration

START = datetime(2037, 12, 3, 13, 0, tzinfo=UTC)  # a Thursday, far enough ahead to stay upcoming


async def make_session(**values: Any) -> dict[str, Any]:
    row = {
        "kind": "webinar",
        "title": {"en": "Migration data for policy", "fr": "Données migratoires pour les politiques"},
        "description": {"en": "How countries use migration data.", "fr": "Comment les pays utilisent les données."},
        "starts_at": START,
        "ends_at": START + timedelta(minutes=90),
        "timezone": "Europe/Zurich",
        "floor_language": "en",
        "status": "published",
        "sequence": 0,
        "join_url": "https://meet.example.org/j/123",
        "join_meeting_id": "123 456",
        "join_passcode": "secret-pass",
        **values,
    }
    inserted = await Session.insert(Session(**row)).returning(Session.id)
    return await Session.select().where(Session.id == inserted[0]["id"]).output(load_json=True).first()


async def make_registration(session_id: int, email: str, **values: Any) -> dict[str, Any]:
    row = {
        "session": session_id,
        "name": email.split("@")[0].title(),
        "email": email,
        "stakeholder_category": "civil_society",
        "country": "CH",
        "preferred_language": "en",
        "timezone": "UTC",
        "consent_processing": True,
        "status": "confirmed",
        "manage_nonce": new_nonce(),
        **values,
    }
    inserted = await Registration.insert(Registration(**row)).returning(Registration.id)
    return await Registration.select().where(Registration.id == inserted[0]["id"]).first()
