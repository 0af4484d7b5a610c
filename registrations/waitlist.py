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
from registrations import notifications
from registrations.tables import Registration, StatusChange
from server.db import write_transaction
from server.settings import Settings

# Each participation mode has its own pool of seats on the session row.
_POOLS = {
    Registration.Mode.online.value: ("seats_taken", "capacity"),
    Registration.Mode.in_person.value: ("in_person_seats_taken", "in_person_capacity"),
}


# Nobody waits for a seat of the mode: newcomers take a seat only then, so they never pass the waitlist (after
# the promotion cutoff, or after an organiser moved someone to it, a seat may be free while people wait).
_NOBODY_WAITING = (
    " AND NOT EXISTS (SELECT 1 FROM registration WHERE session = {} AND participation_mode = {}"
    " AND status = 'waitlisted')"
)


async def claim_seat(session_id: int, mode: str, *, behind_waitlist: bool = False) -> bool:
    """Take one seat of ``mode`` if one is left: one guarded statement, never above capacity.

    ``behind_waitlist`` (newcomers: registering, approving): only while nobody of that mode is waitlisted, so a
    free seat goes to the waitlist first. A session without a capacity limit seats everyone.
    """
    taken, capacity = _POOLS[mode]
    guard, values = (_NOBODY_WAITING, (session_id, mode)) if behind_waitlist else ("", ())
    rows = await Session.raw(
        f"UPDATE event_session SET {taken} = {taken} + 1 "  # noqa: S608 (column names from _POOLS, not input)
        f"WHERE id = {{}} AND ({capacity} IS NULL OR ({taken} < {capacity}{guard})) RETURNING {taken}",
        session_id,
        *values,
    )
    return bool(rows)


async def seat_left(session_id: int, mode: str) -> bool:
    """Whether a seat of ``mode`` is free now (always, without a capacity limit)."""
    taken, capacity = _POOLS[mode]
    rows = await Session.raw(
        f"SELECT 1 AS free FROM event_session WHERE id = {{}} AND ({capacity} IS NULL OR {taken} < {capacity})",  # noqa: S608
        session_id,
    )
    return bool(rows)


async def release_seat(session_id: int, mode: str) -> None:
    taken, _ = _POOLS[mode]
    await Session.raw(
        f"UPDATE event_session SET {taken} = {taken} - 1 WHERE id = {{}} AND {taken} > 0",  # noqa: S608
        session_id,
    )


async def _lock_session(session_id: int) -> None:
    """Hold the session row until commit (a no-op write), so waitlist places are handed out one at a time."""
    await Session.raw("UPDATE event_session SET seats_taken = seats_taken WHERE id = {}", session_id)


async def take_waitlist_place(session_id: int, mode: str) -> int | None:
    """No seat: lock the session, try the claim once more (behind the waitlist), else the next waitlist order.

    Returns None when the second claim got a seat after all (one freed meanwhile), else the order number.
    """
    await _lock_session(session_id)
    if await claim_seat(session_id, mode, behind_waitlist=True):
        return None
    rows = await Registration.raw(
        "SELECT MAX(waitlist_order) AS last FROM registration WHERE session = {} AND participation_mode = {}",
        session_id,
        mode,
    )
    return (rows[0]["last"] or 0) + 1


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
    for mode in _POOLS:
        await fill_freed_seats(session_id, mode, settings=settings)


async def fill_waitlists(settings: Settings) -> None:
    """The periodic job, a safety net: seats free while people wait (capacity raised outside the API)."""
    waiting = await Registration.select(Registration.session, Registration.participation_mode).where(
        Registration.status == Registration.Status.waitlisted
    ).distinct()
    for row in waiting:
        async with write_transaction(Registration._meta.db):
            await fill_freed_seats(row["session"], row["participation_mode"], settings=settings)
