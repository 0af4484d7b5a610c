"""``convene purge``: registrations past their session's retention are anonymised, counts kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from events.tables import Session
from registrations.retention import purge_expired
from registrations.tables import Registration
from server.tables import OutboxMessage
from tests.registrations.conftest import make_session, submission


async def test_purge_anonymises_expired_keeps_counts(client, settings, capsys):
    old = await make_session(capacity=5, retention_days=30)
    recent = await make_session(capacity=5, retention_days=30)
    for session_id in (old, recent):
        response = await client.post(f"/api/v1/sessions/{session_id}/registrations",
                                     json=submission(country="EG", stakeholder_category="academia"))
        assert response.status_code == 201
    past = datetime.now(UTC) - timedelta(days=40)
    await Session.update({Session.starts_at: past - timedelta(hours=2), Session.ends_at: past}).where(
        Session.id == old
    )

    count = await purge_expired(settings)

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
    assert await purge_expired(settings) == 0


async def _ended_session_with_a_registrant(client, ended_at: datetime, retention_days: int) -> int:
    """A session that ended at ``ended_at`` with one registrant, whose confirmation mail was sent."""
    session_id = await make_session(capacity=5, retention_days=retention_days)
    response = await client.post(f"/api/v1/sessions/{session_id}/registrations", json=submission())
    assert response.status_code == 201
    await Session.update({Session.starts_at: ended_at - timedelta(hours=2), Session.ends_at: ended_at}).where(
        Session.id == session_id
    )
    await OutboxMessage.update({OutboxMessage.status: OutboxMessage.Status.sent}, force=True)
    return session_id


async def _kept() -> tuple[list[str], list[str]]:
    """The registrants' addresses and the sent mail's addresses as they are now."""
    registrations = await Registration.select(Registration.email)
    mail = await OutboxMessage.select(OutboxMessage.to_address)
    return [r["email"] for r in registrations], [m["to_address"] for m in mail]


async def test_purge_keeps_a_session_that_ended_but_is_within_its_retention(client, settings, capsys):
    await _ended_session_with_a_registrant(client, datetime.now(UTC) - timedelta(days=1), retention_days=30)

    count = await purge_expired(settings)

    assert count == 0
    assert capsys.readouterr().out == "purged: 0 registrations anonymised, 0 sent messages forgotten\n"
    assert await _kept() == (["amina.diallo@example.org"], ["amina.diallo@example.org"])


async def test_purge_anonymises_just_after_ends_at_plus_retention_days_not_just_before(client, settings, capsys):
    ended_at = (datetime.now(UTC) - timedelta(days=3)).replace(microsecond=0)
    session_id = await _ended_session_with_a_registrant(client, ended_at, retention_days=2)
    expiry = ended_at + timedelta(days=2)

    just_before = await purge_expired(settings, now=expiry - timedelta(seconds=1))
    kept = await _kept()
    just_after = await purge_expired(settings, now=expiry + timedelta(seconds=1))

    assert (just_before, kept) == (0, (["amina.diallo@example.org"], ["amina.diallo@example.org"]))
    assert just_after == 1
    assert capsys.readouterr().out.splitlines() == [
        "purged: 0 registrations anonymised, 0 sent messages forgotten",
        "purged: 1 registrations anonymised, 1 sent messages forgotten",
    ]
    registrations = await Registration.select(Registration.session, Registration.email)
    assert registrations == [{"session": session_id, "email": "erased-1"}]
    assert [m["to_address"] for m in await OutboxMessage.select(OutboxMessage.to_address)] == [""]
