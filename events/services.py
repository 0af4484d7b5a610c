"""Changing sessions: create, update, and the lifecycle draft → published → completed, or cancelled.

Every change is one write transaction; the signals it sends (``session_updated``, ``session_rescheduled``,
``session_cancelled``, ``session_published``) run their receivers inside it, so the mail they queue commits
with the change or not at all.
"""

from __future__ import annotations

__all__ = [
    "INVITE_FIELDS",
    "cancel",
    "complete",
    "complete_finished_sessions",
    "create_session",
    "duplicate_session",
    "publish",
    "reschedule",
    "update_session",
]

from datetime import UTC, datetime
from enum import Enum
from typing import Any

import msgspec
from msgspec import UNSET

from events.access import ensure_can_manage
from events.queries import conflict_warnings, effective_status, load_row, organiser_ids, staff_view
from events.schemas import (
    AgendaItemIn,
    JoinDetails,
    Reschedule,
    SessionCancel,
    SessionCreate,
    SessionOut,
    SessionUpdate,
)
from events.tables import AgendaItem, Series, Session, SessionOrganiser
from events.validation import canonical_language, canonical_texts, multilingual_errors, session_errors
from server import signals
from server.auth import StaffUser
from server.db import write_transaction
from server.errors import Conflict, FieldError, Forbidden, InvalidInput
from server.i18n import gettext as _
from server.i18n import ngettext
from server.tables import User

#: Fields a calendar invite shows: changing one raises the sequence and tells participants.
INVITE_FIELDS = ("starts_at", "ends_at", "title", "description", "join", "venue")
#: Fields stored in a column of the same name.
DIRECT_FIELDS = (
    "kind", "title", "description", "starts_at", "ends_at", "timezone", "capacity", "audience", "floor_language",
    "interpretation_languages", "accessibility_provisions", "sign_languages", "region", "registration_opens_at",
    "registration_closes_at", "inputs_close_at", "venue", "in_person_capacity", "waitlist_cutoff_minutes",
    "reminder_offsets", "retention_days",
)
VALUE_FIELDS = (*DIRECT_FIELDS, "series_id", "join")


def _db():
    return Session._meta.db


def _now() -> datetime:
    return datetime.now(UTC)


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _values_from_row(row: dict) -> dict[str, Any]:
    values = {name: row[name] for name in DIRECT_FIELDS}
    values["series_id"] = row["series"]
    values["join"] = JoinDetails(url=row["join_url"], meeting_id=row["join_meeting_id"],
                                 passcode=row["join_passcode"], dial_in=row["join_dial_in"])
    return values


def _canonical(name: str, value: Any) -> Any:
    """Language codes as sent, in their conventional case (``EN`` → ``en``), so they match as codes should."""
    if name == "floor_language":
        return canonical_language(value)
    if name == "interpretation_languages":
        return list(dict.fromkeys(canonical_language(code) for code in value))
    if name in ("title", "description"):
        return canonical_texts(value)
    if name == "agenda":
        return [msgspec.structs.replace(item, title=canonical_texts(item.title)) for item in value]
    return value


def _columns(values: dict[str, Any]) -> dict[str, Any]:
    """Values by field name → values by column name, ready for an insert or update."""
    columns = {name: _plain(values[name]) for name in DIRECT_FIELDS}
    columns["series"] = values["series_id"]
    join: JoinDetails = values["join"]
    columns.update(join_url=join.url, join_meeting_id=join.meeting_id, join_passcode=join.passcode,
                   join_dial_in=join.dial_in)
    return columns


def _columns_of(names: list[str]) -> list[str]:
    """The columns that hold these fields."""
    joined = {"series_id": ["series"], "join": ["join_url", "join_meeting_id", "join_passcode", "join_dial_in"]}
    return [column for name in names for column in joined.get(name, [name])]


def _raise_if(errors: list[FieldError]) -> None:
    if errors:
        raise InvalidInput("; ".join(f"{e.field}: {e.message}" for e in errors), errors)


#: Each capacity and the column counting the seats of its mode already taken.
SEATS = {"capacity": "seats_taken", "in_person_capacity": "in_person_seats_taken"}


def _seat_errors(values: dict[str, Any], row: dict) -> list[FieldError]:
    """A capacity changed, online or in person, may not go below the seats of its mode already taken."""
    errors = []
    for name, taken_column in SEATS.items():
        capacity, taken = values[name], row[taken_column]
        if capacity is None or capacity == row[name] or capacity >= taken:
            continue
        if name == "capacity":
            errors.append(FieldError(name, _("%(count)s seats are already taken.", count=taken)))
        else:
            errors.append(FieldError(name, ngettext(
                "%(num)s in-person seat is already taken.", "%(num)s in-person seats are already taken.", taken)))
    return errors


async def _validate(values: dict[str, Any], row: dict | None = None) -> None:
    """Every problem with a session's values; ``row``, the stored session, for the seats already taken."""
    errors = session_errors(values)
    if values["series_id"] is not None and not await Series.exists().where(Series.id == values["series_id"]):
        errors.append(FieldError("series_id", _("No series with id %(id)s.", id=values["series_id"])))
    if row is not None:
        errors += _seat_errors(values, row)
    _raise_if(errors)


def _row_where_seats_fit(session_id: int, values: dict[str, Any], row: dict) -> Any:
    """The session, if the capacities changed still hold the seats taken: a seat taken since the row was read
    (PostgreSQL reads don't lock) makes the update miss instead of leaving more seats taken than there are."""
    where = Session.id == session_id
    for name, taken_column in SEATS.items():
        if values[name] is not None and values[name] != row[name]:
            where &= getattr(Session, taken_column) <= values[name]
    return where


async def _checked_organisers(ids: list[int]) -> list[int]:
    ids = sorted(set(ids))
    if not ids:
        return []
    rows = await User.select(User.id).where(User.id.is_in(ids) & (User.active == True))  # noqa: E712
    unknown = sorted(set(ids) - {row["id"] for row in rows})
    if unknown:
        raise InvalidInput.field("organiser_ids", _("No active staff user with id %(ids)s.",
                                                    ids=", ".join(map(str, unknown))))
    return ids


async def _organisers_for_create(user: StaffUser, requested: list[int]) -> list[int]:
    """Admins assign anyone; an organiser who creates a session becomes its (only) organiser."""
    if user.is_admin:
        return await _checked_organisers(requested)
    if set(requested) - {user.id}:
        raise Forbidden(_("Only admins assign organisers."), [FieldError("organiser_ids", _("Admins only."))])
    return [user.id]


async def _set_organisers(session_id: int, ids: list[int]) -> None:
    await SessionOrganiser.delete().where(SessionOrganiser.session == session_id)
    if ids:
        await SessionOrganiser.insert(*(SessionOrganiser(session=session_id, user=uid) for uid in ids))


async def _set_agenda(session_id: int, items: list[AgendaItemIn]) -> None:
    await AgendaItem.delete().where(AgendaItem.session == session_id)
    if items:
        await AgendaItem.insert(*(
            AgendaItem(session=session_id, position=n, title=item.title, speakers=item.speakers,
                       minutes=item.minutes)
            for n, item in enumerate(items, start=1)
        ))


async def create_session(user: StaffUser, data: SessionCreate) -> SessionOut:
    """A new draft session; the reply carries overlap warnings."""
    values = {name: _canonical(name, getattr(data, name)) for name in VALUE_FIELDS}
    values["join"] = data.join or JoinDetails()
    values["agenda"] = agenda = _canonical("agenda", data.agenda)
    await _validate(values)
    organisers = await _organisers_for_create(user, data.organiser_ids)
    async with write_transaction(_db()):
        rows = await Session.insert(Session(**_columns(values), created_by=user.id)).returning(Session.id)
        session_id = rows[0]["id"]
        await _set_organisers(session_id, organisers)
        await _set_agenda(session_id, agenda)
    return await staff_view(session_id, await conflict_warnings(session_id))


async def duplicate_session(user: StaffUser, session_id: int, data: Reschedule) -> SessionOut:
    """A new draft with the session's settings, agenda and organisers at new times (a new id, so a new calendar
    UID). An explicit registration window moves with the start; no registration, seat or sequence is copied."""
    await ensure_can_manage(user, session_id)
    row = await load_row(session_id)
    shift = data.starts_at - row["starts_at"]
    values = {**_values_from_row(row), "starts_at": data.starts_at, "ends_at": data.ends_at}
    for name in ("registration_opens_at", "registration_closes_at"):
        values[name] = row[name] and row[name] + shift
    await _validate(values)
    _raise_if(_past_time_errors(data.starts_at, data.ends_at, {"starts_at": None}))  # a new start: in the future
    agenda = await AgendaItem.select().where(AgendaItem.session == session_id).order_by(AgendaItem.position).output(
        load_json=True)
    organisers = await organiser_ids(session_id)
    async with write_transaction(_db()):
        rows = await Session.insert(Session(
            **_columns(values), attendance_threshold_minutes=row["attendance_threshold_minutes"],
            created_by=user.id,
        )).returning(Session.id)
        new_id = rows[0]["id"]
        await _set_organisers(new_id, organisers)
        await _set_agenda(new_id, [AgendaItemIn(title=item["title"], speakers=item["speakers"],
                                                minutes=item["minutes"]) for item in agenda])
    return await staff_view(new_id, await conflict_warnings(new_id))


def _changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [name for name in INVITE_FIELDS if _plain(after[name]) != _plain(before[name])]


async def update_session(user: StaffUser, session_id: int, data: SessionUpdate) -> SessionOut:
    """Change what was sent. A change participants can see raises the sequence and sends ``session_updated``."""
    await ensure_can_manage(user, session_id)
    if data.organiser_ids is not UNSET and not user.is_admin:
        raise Forbidden(_("Only admins assign organisers."), [FieldError("organiser_ids", _("Admins only."))])
    organisers = None if data.organiser_ids is UNSET else await _checked_organisers(data.organiser_ids)
    async with write_transaction(_db()):
        row = await load_row(session_id)
        status = effective_status(row)
        _refuse_unless(status, {Session.Status.draft.value, Session.Status.published.value,
                                Session.Status.completed.value})
        before = _values_from_row(row)
        after = dict(before)
        sent = [name for name in VALUE_FIELDS if getattr(data, name) is not UNSET]
        after.update({name: _canonical(name, getattr(data, name)) for name in sent})
        after["agenda"] = [] if data.agenda is UNSET else _canonical("agenda", data.agenda)
        moved = (after["starts_at"], after["ends_at"]) != (before["starts_at"], before["ends_at"])
        if moved:
            _refuse_unless(status, {Session.Status.draft.value, Session.Status.published.value})  # it took place
        await _validate(after, row)
        if moved:
            _raise_if(_past_time_errors(after["starts_at"], after["ends_at"], row))
        changes = _changed(before, after)
        # Only the fields sent are written, so concurrent edits of other fields are not undone.
        all_columns = _columns(after)
        columns: dict[Any, Any] = {name: all_columns[name] for name in _columns_of(sent)}
        columns[Session.updated_at] = _now()
        if changes:
            columns[Session.sequence] = Session.sequence + 1
        updated = await Session.update(columns).where(_row_where_seats_fit(session_id, after, row)).returning(
            Session.id)
        if not updated:
            await _validate(after, await load_row(session_id))  # says which capacity is now too small
        if organisers is not None:
            await _set_organisers(session_id, organisers)
        if data.agenda is not UNSET:
            await _set_agenda(session_id, after["agenda"])
        if changes:
            await signals.send("session_updated", session_id=session_id, changes=changes)
        if any(after[name] != before[name] for name in ("capacity", "in_person_capacity")):
            await signals.send("session_capacity_changed", session_id=session_id)  # the waitlist fills new seats
    return await staff_view(session_id, await conflict_warnings(session_id))


def _refuse_unless(status: str, allowed: set[str]) -> None:
    """Transitions not in the lifecycle are a 409 naming ``status``."""
    if status not in allowed:
        message = _("Not allowed while the session is %(status)s.", status=status)
        raise Conflict(message, [FieldError("status", message)])


async def _move(session_id: int, allowed: set[str], values: dict) -> None:
    """Change the status with the allowed ones in the WHERE: of two concurrent transitions only one applies
    (on PostgreSQL the reads above don't lock; the guarded update does)."""
    rows = await Session.update({**values, Session.updated_at: _now()}).where(
        (Session.id == session_id) & Session.status.is_in(sorted(allowed))
    ).returning(Session.id)
    if not rows:
        _refuse_unless((await load_row(session_id))["status"], set())


async def publish(user: StaffUser, session_id: int) -> SessionOut:
    """draft → published: the session appears in listings and registration opens (by default)."""
    await ensure_can_manage(user, session_id)
    async with write_transaction(_db()):
        row = await load_row(session_id)
        allowed = {Session.Status.draft.value}
        _refuse_unless(row["status"], allowed)
        await _move(session_id, allowed, {Session.status: Session.Status.published.value,
                                          Session.published_at: _now()})
        await signals.send("session_published", session_id=session_id)
    return await staff_view(session_id)


def cancellation_reason(data: SessionCancel | None) -> dict[str, str]:
    """The reason's texts by canonical language code, blank ones dropped; a key that is no language is a 422
    naming ``reason``."""
    texts = {code: text.strip() for code, text in (data.reason if data else {}).items() if text.strip()}
    _raise_if(multilingual_errors("reason", texts))
    return canonical_texts(texts)


async def cancel(user: StaffUser, session_id: int, data: SessionCancel | None = None) -> SessionOut:
    """draft or published → cancelled; the sequence rises, as the cancellation is a change to the invite. The
    ``reason`` (by language) goes with the ``session_cancelled`` signal into every cancellation mail."""
    await ensure_can_manage(user, session_id)
    reason = cancellation_reason(data)
    async with write_transaction(_db()):
        row = await load_row(session_id)
        # A published session that has ended is over: it can no longer be cancelled.
        allowed = {Session.Status.draft.value, Session.Status.published.value}
        _refuse_unless(effective_status(row), allowed)
        await _move(session_id, allowed, {Session.status: Session.Status.cancelled.value,
                                          Session.sequence: Session.sequence + 1})
        await signals.send("session_cancelled", session_id=session_id, reason=reason)
    return await staff_view(session_id)


async def complete(user: StaffUser, session_id: int) -> SessionOut:
    """published → completed, by staff once the session has started (the periodic job does it after the end)."""
    await ensure_can_manage(user, session_id)
    async with write_transaction(_db()):
        row = await load_row(session_id)
        allowed = {Session.Status.published.value}
        _refuse_unless(effective_status(row), allowed)
        if row["starts_at"] > _now():
            message = _("The session has not started yet.")
            raise Conflict(message, [FieldError("status", message)])
        await _move(session_id, allowed, {Session.status: Session.Status.completed.value})
    return await staff_view(session_id)


def _past_time_errors(starts_at: datetime, ends_at: datetime, row: dict) -> list[FieldError]:
    """A session moves forward in time, not into the past (a running one may still end later)."""
    errors = []
    if starts_at != row["starts_at"] and starts_at < _now():
        errors.append(FieldError("starts_at", _("This time has already passed.")))
    if ends_at <= _now():
        errors.append(FieldError("ends_at", _("This time has already passed.")))
    return errors


async def reschedule(user: StaffUser, session_id: int, data: Reschedule) -> SessionOut:
    """New start and end for the same session (same id, same calendar UID); the sequence rises."""
    await ensure_can_manage(user, session_id)
    async with write_transaction(_db()):
        row = await load_row(session_id)
        # A published session whose end has passed took place: it can no longer move.
        _refuse_unless(effective_status(row), {Session.Status.draft.value, Session.Status.published.value})
        values = {**_values_from_row(row), "starts_at": data.starts_at, "ends_at": data.ends_at}
        await _validate(values, row)
        _raise_if(_past_time_errors(data.starts_at, data.ends_at, row))
        if (data.starts_at, data.ends_at) != (row["starts_at"], row["ends_at"]):
            await Session.update({
                Session.starts_at: data.starts_at, Session.ends_at: data.ends_at,
                Session.sequence: Session.sequence + 1, Session.updated_at: _now(),
            }).where(Session.id == session_id)
            await signals.send("session_rescheduled", session_id=session_id,
                               previous_starts_at=row["starts_at"], previous_ends_at=row["ends_at"])
    return await staff_view(session_id, await conflict_warnings(session_id))


async def complete_finished_sessions() -> int:
    """Mark published sessions whose end has passed as completed; returns how many."""
    async with write_transaction(_db()):
        rows = await Session.update({Session.status: Session.Status.completed.value, Session.updated_at: _now()}).where(
            (Session.status == Session.Status.published.value) & (Session.ends_at <= _now())
        ).returning(Session.id)
    return len(rows)
