"""The staff workspace (``/staff``): each viewer's upcoming sessions with exact counts of what waits, and the
links to act on them, through real HTTP."""

from __future__ import annotations

import re

import httpx

from events.tables import Session
from registrations.tables import Need, Registration
from server.tables import OutboxMessage
from tests.conftest import Staff, login_cookie_client
from tests.events.helpers import create, create_published, move_times

CELLS = re.compile(r'<td data-count="(\w+)">(.*?)</td>', re.DOTALL)


def counts(page: str) -> dict[int, dict[str, str]]:
    """The counts shown per session row, as the reader sees them (tags stripped), in page order."""
    rows = re.findall(r'<tr id="session-(\d+)">(.*?)</tr>', page, re.DOTALL)
    return {int(session_id): {name: re.sub(r"<[^>]+>", "", text) for name, text in CELLS.findall(row)}
            for session_id, row in rows}


async def _registrations(session_id: int, statuses: list[str]) -> list[int]:
    ids = []
    for status in statuses:
        n = await Registration.count()
        rows = await Registration.insert(Registration(
            session=session_id, name=f"Person {n}", email=f"p{n}.{session_id}@example.org",
            stakeholder_category="civil_society", country="CH", status=status, manage_nonce=f"n{n}",
        )).returning(Registration.id)
        ids.append(rows[0]["id"])
    return ids


async def _needs(registration_ids: list[int], status: str = "requested") -> None:
    await Need.insert(*(Need(registration=rid, kind="interpretation", code="fr", status=status)
                        for rid in registration_ids))


async def _mail(session_id: int, statuses: list[str]) -> None:
    await OutboxMessage.insert(*(OutboxMessage(
        template="registration_confirmed", to_address="x@example.org", session_id=session_id, status=status,
        message_id=f"<{session_id}.{n}@convene.test>") for n, status in enumerate(statuses)))


async def _scene(client: httpx.AsyncClient, admin: Staff, organiser: Staff, other: Staff) -> dict[str, int]:
    """Sessions of two organisers: upcoming, far off (a draft), over, cancelled; registrations, needs, mail."""
    mine = (await create_published(client, admin, capacity=10, organiser_ids=[organiser.id]))["id"]
    theirs = (await create_published(client, admin, organiser_ids=[other.id], title={"en": "Theirs"}))["id"]
    await move_times(theirs, hours_from_now=48)
    draft = (await create(client, admin, organiser_ids=[organiser.id], title={"en": "Later draft"}))["id"]
    await move_times(draft, hours_from_now=24 * 30)
    over = (await create_published(client, admin, organiser_ids=[organiser.id], title={"en": "Over"}))["id"]
    await move_times(over, hours_from_now=-5)
    cancelled = (await create(client, admin, organiser_ids=[organiser.id], title={"en": "Called off"}))["id"]
    await Session.update({Session.status: "cancelled"}).where(Session.id == cancelled)

    confirmed = await _registrations(mine, ["confirmed"] * 3)
    await _registrations(mine, ["waitlisted", "waitlisted"])
    pending = await _registrations(mine, ["pending"])
    gone = await _registrations(mine, ["declined", "cancelled"])
    await _needs(confirmed[:2] + pending)
    await _needs(confirmed[2:], status="arranged")
    await _needs(gone)  # no longer expected: nothing to arrange
    await _mail(mine, ["failed", "failed", "sent", "queued"])
    their_confirmed = await _registrations(theirs, ["confirmed"])
    await _needs(their_confirmed)
    await _registrations(over, ["confirmed", "pending"])
    await _mail(over, ["failed"])
    return {"mine": mine, "theirs": theirs, "draft": draft, "over": over, "cancelled": cancelled}


async def test_admin_sees_every_upcoming_session_with_exact_counts(client: httpx.AsyncClient, admin: Staff,
                                                                  organiser: Staff, other_organiser: Staff) -> None:
    ids = await _scene(client, admin, organiser, other_organiser)
    await login_cookie_client(client, admin)

    page = (await client.get("/staff")).text

    zero = {"waitlisted": "0", "pending": "0", "needs": "0", "failed_mail": "0"}
    assert counts(page) == {
        ids["theirs"]: {"confirmed": "1", **zero, "needs": "1"},
        ids["mine"]: {"confirmed": "3 of 10", "waitlisted": "2", "pending": "1", "needs": "3", "failed_mail": "2"},
        ids["draft"]: {"confirmed": "0", **zero},
    }
    assert list(counts(page)) == [ids["theirs"], ids["mine"], ids["draft"]]
    assert re.findall(r'<li><a href="/staff/sessions/(\d+)/registrations"', page) == [
        str(ids["theirs"]), str(ids["mine"])]  # needs to arrange, nearest deadline first
    assert "2 messages could not be delivered: see the outbox." in page


async def test_organiser_sees_only_their_sessions_with_links_to_act(client: httpx.AsyncClient, admin: Staff,
                                                                   organiser: Staff,
                                                                   other_organiser: Staff) -> None:
    ids = await _scene(client, admin, organiser, other_organiser)
    await login_cookie_client(client, organiser)

    page = (await client.get("/staff")).text

    assert list(counts(page)) == [ids["mine"], ids["draft"]]
    base = f"/staff/sessions/{ids['mine']}/registrations"
    for link in (f"{base}?status=confirmed", f"{base}?status=waitlisted", f"{base}?status=pending",
                 "/staff/outbox?status=failed", f"/staff/sessions/{ids['mine']}"):
        assert f'href="{link}"' in page
    assert "Theirs" not in page
    await login_cookie_client(client, other_organiser)
    assert list(counts((await client.get("/staff")).text)) == [ids["theirs"]]


async def test_workspace_without_sessions_and_anonymous(client: httpx.AsyncClient, organiser: Staff) -> None:
    anonymous = await client.get("/staff")
    await login_cookie_client(client, organiser)
    page = await client.get("/staff")

    assert (anonymous.status_code, anonymous.headers["location"]) == (302, "/staff/login")
    assert page.status_code == 200
    assert counts(page.text) == {}
    assert "No upcoming sessions." in page.text
    assert "could not be delivered" not in page.text
