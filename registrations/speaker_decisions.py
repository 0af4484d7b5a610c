"""The organisers' decisions on the speakers' list: the order (``set_order``, ``move_speaker``), one request's
status, minutes and quotation (``change_speaker``), and the list's settings (``update_settings``). Each runs in one
transaction and leaves the list settled through ``speakers.settle`` (gaps closed, speakers told); the requests and
the list as read are ``registrations/speakers.py``."""

from __future__ import annotations

__all__ = ["MAX_MINUTES", "change_speaker", "move_speaker", "set_order", "update_settings"]

from datetime import UTC, datetime
from typing import Any

import msgspec

from events.tables import Session
from registrations import speakers
from registrations.schemas import SpeakerChange, SpeakerListSettings, SpeakerOut
from registrations.tables import Registration, Speaker, SpeakerList
from server.db import write_transaction
from server.errors import Conflict, FieldError, InvalidInput, NotFound
from server.i18n import gettext as _
from server.settings import Settings

#: Bounds of the minutes an organiser may give (or record as used).
MAX_MINUTES = 240


def _refuse_over(session: dict[str, Any]) -> None:
    if session["status"] == Session.Status.cancelled.value:
        message = _("The session was cancelled.")
        raise Conflict(message, [FieldError("status", message)])


async def _speaker(session_id: int, speaker_id: int) -> dict[str, Any]:
    row = await Speaker.select().where((Speaker.id == speaker_id) & (Speaker.session == session_id)).first()
    if row is None:
        raise NotFound(_("No such request to speak on this session."))
    return row


async def _require_confirmed(registration_ids: list[int]) -> None:
    waiting = await Registration.select(Registration.id).where(
        Registration.id.is_in(registration_ids) & (Registration.status != Registration.Status.confirmed.value)
    ) if registration_ids else []
    if waiting:
        message = _("Only requests of confirmed registrations can be accepted.")
        raise Conflict(message, [FieldError("ids", message)])


async def set_order(session_id: int, ids: list[int], *, settings: Settings) -> list[SpeakerOut]:
    """Accept these requests in this order (positions from 1); those accepted before and not listed go back to
    ``requested``. Speakers hear of it: newly accepted, and moved when their expected time changes by more than
    ``MOVE_THRESHOLD``."""
    session = await speakers.load_session(session_id)
    _refuse_over(session)
    if len(set(ids)) != len(ids):
        raise InvalidInput.field("ids", _("Name each request once."))
    async with write_transaction(Speaker._meta.db):
        rows = {r["id"]: r for r in await Speaker.select().where(Speaker.session == session_id)}
        if unknown := [i for i in ids if i not in rows]:
            raise InvalidInput.field("ids", _("No such request to speak on this session: %(ids)s",
                                              ids=", ".join(map(str, unknown))))
        await _require_confirmed([rows[i]["registration"] for i in ids])
        now = datetime.now(UTC)
        await Speaker.update({Speaker.status: Speaker.Status.requested.value, Speaker.position: None,
                              Speaker.updated_at: now}).where(
            (Speaker.session == session_id) & (Speaker.status == Speaker.Status.accepted.value)
            & Speaker.id.not_in(ids or [0]))
        for position, speaker_id in enumerate(ids, start=1):
            kept = rows[speaker_id]["status"] in (Speaker.Status.spoke.value, Speaker.Status.absent.value)
            await Speaker.update({
                Speaker.status: rows[speaker_id]["status"] if kept else Speaker.Status.accepted.value,
                Speaker.position: position, Speaker.reason: "", Speaker.updated_at: now,
            }).where(Speaker.id == speaker_id)
        await speakers.settle(session, settings, before=rows)
    return await speakers.list_speakers(session_id)


def _check_change(data: SpeakerChange, row: dict[str, Any]) -> None:
    errors = []
    if data.status is not None and data.status not in Speaker.Status._value2member_map_:
        errors.append(FieldError("status", _("Choose requested, accepted, declined, spoke or absent.")))
    if data.status == Speaker.Status.declined.value and not (data.reason or row["reason"]).strip():
        errors.append(FieldError("reason", _("Give the reason for declining; the requester is told.")))
    for name in ("minutes", "minutes_used"):
        value = getattr(data, name)
        if value is not None and not 0 < value <= MAX_MINUTES:
            errors.append(FieldError(name, _("Give a number of minutes from 1 to %(max)s.", max=MAX_MINUTES)))
    if data.position is not None and data.position < 1:
        errors.append(FieldError("position", _("Give a place from 1.")))
    if errors:
        raise InvalidInput("; ".join(f"{e.field}: {e.message}" for e in errors), errors)


async def change_speaker(session_id: int, speaker_id: int, data: SpeakerChange, *, settings: Settings) -> SpeakerOut:
    """Change one request: accept it (at the end of the list, or at ``position``), decline it with a reason (the
    requester is told), put it back to ``requested``, mark spoke or absent with the minutes used, set the minutes
    given or the quotation for the summary."""
    session = await speakers.load_session(session_id)
    _refuse_over(session)
    async with write_transaction(Speaker._meta.db):
        row = await _speaker(session_id, speaker_id)
        _check_change(data, row)
        status = data.status or row["status"]
        if status == Speaker.Status.accepted.value and row["status"] not in speakers.ON_LIST:
            await _require_confirmed([row["registration"]])
        values: dict[Any, Any] = {Speaker.status: status, Speaker.updated_at: datetime.now(UTC)}
        for name in ("minutes", "minutes_used", "reason", "quote"):
            if getattr(data, name) is not None:
                values[getattr(Speaker, name)] = getattr(data, name).strip() if isinstance(
                    getattr(data, name), str) else getattr(data, name)
        if status in speakers.ON_LIST and row["position"] is None:
            values[Speaker.position] = 10**6  # after everyone; renumbering closes the gap
        if status in speakers.ON_LIST and data.position is not None:
            # Before whoever holds that place now (or after, moving down), then renumbered.
            values[Speaker.position] = data.position * 2 - (1 if row["position"] is None
                                                            or data.position < row["position"] else -1)
            await _double_positions(session_id)
        if status not in speakers.ON_LIST:
            values[Speaker.position] = None
        await Speaker.update(values).where(Speaker.id == speaker_id)
        if status == Speaker.Status.declined.value and row["status"] != status:
            if session["ends_at"] > datetime.now(UTC):
                await speakers.tell("speaker_declined", row, settings, reason=(data.reason or row["reason"]).strip())
        await speakers.settle(session, settings, before={speaker_id: row})
    return next(s for s in await speakers.list_speakers(session_id) if s.id == speaker_id)


async def _double_positions(session_id: int) -> None:
    """Spread positions (1, 2, 3 → 2, 4, 6) so one speaker can be put between two others."""
    for row in await speakers.on_list_rows(session_id):
        await Speaker.update({Speaker.position: row["position"] * 2}).where(Speaker.id == row["id"])


async def move_speaker(session_id: int, speaker_id: int, step: int, *, settings: Settings) -> None:
    """Move an accepted speaker one place up (``step`` -1) or down (+1) on the list."""
    row = await _speaker(session_id, speaker_id)
    if row["position"] is None:
        message = _("Accept the request before placing it.")
        raise Conflict(message, [FieldError("position", message)])
    target = max(1, row["position"] + step)
    await change_speaker(session_id, speaker_id, SpeakerChange(position=target), settings=settings)


async def update_settings(session_id: int, data: SpeakerListSettings, *, settings: Settings) -> speakers.ListSettings:
    """Change the deadline, slot, offset, default minutes or publication; expected times that move by more than
    ``MOVE_THRESHOLD`` are told to the speakers."""
    session = await speakers.load_session(session_id)
    errors = []
    if data.slot_minutes not in (None, msgspec.UNSET) and not 0 < data.slot_minutes <= 24 * 60:
        errors.append(FieldError("slot_minutes", _("Give a number of minutes from 1 to %(max)s.", max=24 * 60)))
    if data.offset_minutes is not None and not 0 <= data.offset_minutes <= 24 * 60:
        errors.append(FieldError("offset_minutes", _("Give a number of minutes from 0 to %(max)s.", max=24 * 60)))
    if data.default_minutes is not None and not 0 < data.default_minutes <= MAX_MINUTES:
        errors.append(FieldError("default_minutes", _("Give a number of minutes from 1 to %(max)s.",
                                                      max=MAX_MINUTES)))
    close = data.requests_close_at
    if close not in (None, msgspec.UNSET) and (close.tzinfo is None or close > session["ends_at"]):
        errors.append(FieldError("requests_close_at", _("Give a time with its zone, before the session ends.")))
    if errors:
        raise InvalidInput("; ".join(f"{e.field}: {e.message}" for e in errors), errors)
    values: dict[str, Any] = {}
    for name in ("requests_close_at", "slot_minutes", "offset_minutes", "default_minutes"):
        value = getattr(data, name)
        if value is not msgspec.UNSET and not (value is None and name in ("offset_minutes", "default_minutes")):
            values[name] = value
    if data.published is not None:
        values["published_at"] = datetime.now(UTC) if data.published else None
    async with write_transaction(SpeakerList._meta.db):
        if await SpeakerList.exists().where(SpeakerList.session == session_id):
            if values:
                await SpeakerList.update({getattr(SpeakerList, k): v for k, v in values.items()}).where(
                    SpeakerList.session == session_id)
        else:
            await SpeakerList.insert(SpeakerList(session=session_id, **values))
        await speakers.settle(session, settings)
    return await speakers.list_settings(session_id)
