"""Seats and the waitlist: the guarded seat claim, releasing a seat, positions, and promotion in order.

Every function here runs inside the caller's write transaction (server.db.write_transaction): the claim
``UPDATE … WHERE seats_taken < capacity`` is one statement, so confirmed seats never exceed capacity on either
engine, and a freed seat is given to the next in line before the transaction commits.
"""

from __future__ import annotations

__all__ = [
    "claim_seat",
    "fill_freed_seats",
    "fill_waitlists",
    "lock_session",
    "promote_after_capacity_change",
    "promotion_open",
    "record_change",
    "release_seat",
    "seat_left",
    "take_waitlist_place",
    "waitlist_position",
]

from datetime import UTC, datetime, timedelta

from events.tables import Session
from registrations import notifications, seats
from registrations.tables import Registration, StatusChange
from server.db import write_transaction
from server.settings import Settings


async def _run(sql: str, session_id: int, mode: str | None = None) -> list[dict]:
    query, values = seats.for_piccolo(sql, {"session": session_id, "mode": mode})
    return await Session.raw(query, *values)


async def claim_seat(session_id: int, mode: str, *, behind_waitlist: bool = False) -> bool:
    """Take one seat of ``mode`` if one is left: one guarded statement, never above capacity.

    ``behind_waitlist`` (newcomers: registering, approving): only while nobody of that mode is waitlisted, so a
    free seat goes to the waitlist first. A session without a capacity limit seats everyone.
    """
    return bool(await _run(seats.claim(mode, behind_waitlist=behind_waitlist), session_id, mode))


async def seat_left(session_id: int, mode: str) -> bool:
    """Whether a seat of ``mode`` is free now (always, without a capacity limit)."""
    return bool(await _run(seats.seat_free(mode), session_id))


async def release_seat(session_id: int, mode: str) -> None:
    await _run(seats.release(mode), session_id)


async def lock_session(session_id: int) -> None:
    """Hold the session row until commit, so places are handed out one at a time (see ``registrations.seats``)."""
    await _run(seats.LOCK_SESSION, session_id)


async def take_waitlist_place(session_id: int, mode: str) -> int | None:
    """No seat: lock the session, try the claim once more (behind the waitlist), else the next waitlist order.

    Returns None when the second claim got a seat after all (one freed meanwhile), else the order number. The
    claim after the lock is what counts: see ``registrations.seats`` on why the first may miss a waitlist place.
    """
    await lock_session(session_id)
    if await claim_seat(session_id, mode, behind_waitlist=True):
        return None
    return (await _run(seats.next_in_line(mode), session_id, mode))[0]["next_order"]


async def waitlist_position(session_id: int, mode: str, order: int | None) -> int | None:
    """1 for the first in line; None for a registration that isn't waitlisted."""
    if order is None:
        return None
    return await Registration.count().where(
        (Registration.session == session_id)
        & (Registration.participation_mode == mode)
        & (Registration.status == Registration.Status.waitlisted)
        & (Registration.waitlist_order <= order)
    )


async def record_change(
    registration_id: int,
    from_status: str,
    to_status: str,
    *,
    actor: str,
    staff_user: int | None = None,
    reason: str = "",
) -> None:
    """One line of the registration's history: who changed its status, when and why."""
    await StatusChange.insert(
        StatusChange(
            registration=registration_id,
            from_status=from_status,
            to_status=to_status,
            actor=actor,
            staff_user=staff_user,
            reason=reason,
        )
    )


async def promotion_open(session_id: int) -> bool:
    """Promotion stops ``waitlist_cutoff_minutes`` before the start, and with the session's cancellation."""
    row = await Session.select(Session.starts_at, Session.waitlist_cutoff_minutes, Session.status).where(
        Session.id == session_id
    ).first()
    if row is None or row["status"] == Session.Status.cancelled.value:
        return False
    return datetime.now(UTC) < row["starts_at"] - timedelta(minutes=row["waitlist_cutoff_minutes"])


async def fill_freed_seats(session_id: int, mode: str, *, settings: Settings) -> list[int]:
    """Give free seats of ``mode`` to the waitlist, first in line first; returns the ids promoted."""
    promoted: list[int] = []
    if not await promotion_open(session_id):
        return promoted
    while True:
        first = await (
            Registration.select()
            .where(
                (Registration.session == session_id)
                & (Registration.participation_mode == mode)
                & (Registration.status == Registration.Status.waitlisted)
            )
            .order_by(Registration.waitlist_order)
            .first()
        )
        if first is None or not await claim_seat(session_id, mode):
            return promoted
        await Registration.update(
            {
                Registration.status: Registration.Status.confirmed,
                Registration.waitlist_order: None,
                Registration.updated_at: datetime.now(UTC),
            }
        ).where(Registration.id == first["id"])
        await record_change(first["id"], "waitlisted", "confirmed", actor="system", reason="seat_freed")
        first["status"] = "confirmed"
        await notifications.notify_registration_promoted(first, settings=settings)
        promoted.append(first["id"])


async def promote_after_capacity_change(session_id: int, *, settings: Settings, **_: object) -> None:
    """Receiver of ``session_capacity_changed`` (server.app connects it, ``settings`` bound): fill the new seats
    from the waitlist, in the sender's transaction."""
    for mode in seats.POOLS:
        await fill_freed_seats(session_id, mode, settings=settings)


async def fill_waitlists(settings: Settings) -> None:
    """The periodic job, a safety net: seats free while people wait (capacity raised outside the API)."""
    waiting = await Registration.select(Registration.session, Registration.participation_mode).where(
        Registration.status == Registration.Status.waitlisted
    ).distinct()
    for row in waiting:
        async with write_transaction(Registration._meta.db):
            # The lock before reading who is first, as every other path does: a cancellation meanwhile must not
            # promote the same registrant.
            await lock_session(row["session"])
            await fill_freed_seats(row["session"], row["participation_mode"], settings=settings)
