"""``convene purge``: registrations past their session's retention are anonymised, counts kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from registrations.retention import purge_expired
from registrations.tables import Registration
from tests.registrations.conftest import make_session, submission


async def test_purge_anonymises_expired_keeps_counts(client, capsys):
    old = await make_session(capacity=5, retention_days=30)
    recent = await make_session(capacity=5, retention_days=30)
    for session_id in (old, recent):
        response = await client.post(f"/api/v1/sessions/{session_id}/registrations",
                                     json=submission(country="EG", stakeholder_category="academia"))
        assert response.status_code == 201
    past = datetime.now(UTC) - timedelta(days=40)
    from events.tables import Session
    await Session.update({Session.starts_at: past - timedelta(hours=2), Session.ends_at: past}).where(
        Session.id == old
    )

    count = await purge_expired()

    assert count == 1
    assert capsys.readouterr().out == "purged: 1 registrations anonymised, 0 sent messages forgotten\n"
    rows = await Registration.select(
        Registration.session, Registration.name, Registration.email, Registration.stakeholder_category,
        Registration.country, Registration.status,
    ).order_by(Registration.id)
    assert rows == [
        {"session": old, "name": "", "email": "erased-1", "stakeholder_category": "academia", "country": "EG",
         "status": "confirmed"},
        {"session": recent, "name": "Amina Diallo", "email": "amina.diallo@example.org",
         "stakeholder_category": "academia", "country": "EG", "status": "confirmed"},
    ]
    assert await purge_expired() == 0
