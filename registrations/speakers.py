"""Requests to speak and the speakers' list of listening sessions and regional reviews.

A registrant asks to take the floor while registering or later through their manage link, until the list's
deadline (48 hours before the start unless the organisers set another). Organisers accept, decline, order and time
the requests (``registrations/speaker_decisions.py``); ``suggestion`` proposes the balanced order DESIGN.md states.
Speakers hear of each decision through the outbox in the transaction that makes it (``settle``); a change of place
only re-notifies when the expected time moves by more than ``MOVE_THRESHOLD``. The rules that need no database
(what a request must satisfy, the balanced order) are ``registrations/speaking_rules.py``.
"""

from __future__ import annotations

__all__ = [
    "MOVE_THRESHOLD", "ON_LIST",
    "ListSettings", "add_request", "change_request", "list_settings", "list_speakers", "load_session",
    "on_list_rows", "own_request", "public_list", "request_to_speak", "settle", "suggestion", "summary_speakers",
    "tell", "withdraw_request",
]

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from events.queries import effective_status
from events.tables import Session
from registrations import notifications
from registrations.reference import regional_group_of
from registrations.schemas import (
    SpeakerOut,
    SpeakingOut,
    SpeakingRequest,
    SpeakingRequestUpdate,
)
from registrations.speaking_rules import balanced_order, check_request, requests_close_at
from registrations.tables import ACTIVE_STATUSES, Registration, Speaker, SpeakerList
from server.db import write_transaction
from server.errors import Conflict, FieldError, NotFound
from server.i18n import gettext as _
from server.settings import Settings

#: A speaker is told of a new place only when their expected time moves by more than this.
MOVE_THRESHOLD = timedelta(minutes=10)
#: Statuses that hold a place on the list.
ON_LIST = (Speaker.Status.accepted.value, Speaker.Status.spoke.value, Speaker.Status.absent.value)


# --- The registrant's request ------------------------------------------------------------------------------

async def load_session(session_id: int) -> dict[str, Any]:
    """The session's row; NotFound when there is none."""
    row = await Session.select().where(Session.id == session_id).output(load_json=True).first()
    if row is None:
        raise NotFound(_("No such session."))
    return row


async def _settings_row(session_id: int) -> dict[str, Any] | None:
    return await SpeakerList.select().where(SpeakerList.session == session_id).first()


def _request_values(data: SpeakingRequest) -> dict[str, Any]:
    return {
        "topic": data.topic.strip(), "summary": data.summary.strip(), "language": data.language,
        "on_behalf_of": data.on_behalf_of.strip(), "needs": data.needs.strip(),
    }


async def add_request(session_id: int, registration_id: int, data: SpeakingRequest) -> int:
    """Write the request of a registration in the caller's transaction (checked already). Returns its id."""
    row = Speaker(session=session_id, registration=registration_id, **_request_values(data))
    return (await Speaker.insert(row).returning(Speaker.id))[0]["id"]


async def prepare_request(session_id: int, data: SpeakingRequest, *, prefix: str = "") -> None:
    """The checks of a request made with a registration: run them before anything is written."""
    check_request(await load_session(session_id), data, prefix=prefix, settings_row=await _settings_row(session_id))


def _refuse_inactive(reg: dict[str, Any]) -> None:
    if reg["status"] not in ACTIVE_STATUSES:
        message = _("This registration is closed.")
        raise Conflict(message, [FieldError("status", message)])


async def request_to_speak(reg: dict[str, Any], data: SpeakingRequest) -> int:
    """The registrant asks to take the floor through their link: one request per registration (409 for a second).
    A waitlisted or pending registrant may ask; the request counts once the registration is confirmed."""
    _refuse_inactive(reg)
    session = await load_session(reg["session"])
    check_request(session, data, settings_row=await _settings_row(reg["session"]))
    async with write_transaction(Speaker._meta.db):
        if await Speaker.exists().where(Speaker.registration == reg["id"]):
            message = _("You have asked to speak already: change or withdraw that request.")
            raise Conflict(message, [FieldError("speaking_request", message)])
        return await add_request(reg["session"], reg["id"], data)


async def _own(reg: dict[str, Any]) -> dict[str, Any]:
    row = await Speaker.select().where(Speaker.registration == reg["id"]).first()
    if row is None:
        message = _("You have not asked to speak.")
        raise NotFound(message, [FieldError("speaking_request", message)])
    return row


async def change_request(reg: dict[str, Any], data: SpeakingRequestUpdate) -> None:
    """The registrant changes topic, summary, language, organisation or needs, until the deadline; a declined
    request stays declined."""
    _refuse_inactive(reg)
    row = await _own(reg)
    check_request(await load_session(reg["session"]), data, settings_row=await _settings_row(reg["session"]))
    values = {getattr(Speaker, name): getattr(data, name).strip() if name != "language" else getattr(data, name)
              for name in ("topic", "summary", "language", "on_behalf_of", "needs") if getattr(data, name) is not None}
    values[Speaker.updated_at] = datetime.now(UTC)
    await Speaker.update(values).where(Speaker.id == row["id"])


async def withdraw_request(reg: dict[str, Any], *, settings: Settings) -> None:
    """The registrant withdraws: the request goes, and those after them on the list move up (told when their
    expected time moves by more than ``MOVE_THRESHOLD``)."""
    row = await _own(reg)
    session = await load_session(reg["session"])
    if effective_status(session) != Session.Status.published.value:
        message = _("The session is over: there is nothing left to change.")
        raise Conflict(message, [FieldError("status", message)])
    async with write_transaction(Speaker._meta.db):
        await Speaker.delete().where(Speaker.id == row["id"])
        await settle(session, settings)


async def drop_for_registration(registration_id: int, *, settings: Settings) -> None:
    """A registration left (cancelled, declined): its request goes with it, in the caller's transaction."""
    row = await Speaker.select(Speaker.session).where(Speaker.registration == registration_id).first()
    if row is None:
        return
    await Speaker.delete().where(Speaker.registration == registration_id)
    await settle(await load_session(row["session"]), settings)


async def own_request(reg: dict[str, Any]) -> SpeakingOut | None:
    """The registrant's request and where it stands (None when they have not asked)."""
    row = await Speaker.select().where(Speaker.registration == reg["id"]).first()
    if row is None:
        return None
    session = await load_session(reg["session"])
    expected = _expected_times(session, await _settings_row(reg["session"]), await on_list_rows(reg["session"]))
    return SpeakingOut(
        id=row["id"], status=row["status"], topic=row["topic"], summary=row["summary"], language=row["language"],
        on_behalf_of=row["on_behalf_of"], needs=row["needs"], position=row["position"], minutes=row["minutes"],
        expected_at=expected.get(row["id"]), reason=row["reason"], requested_at=row["requested_at"],
        counts=reg["status"] == Registration.Status.confirmed.value,
    )


async def request_deadline(session_id: int) -> datetime:
    """When requests to speak close for the session."""
    return requests_close_at(await load_session(session_id), await _settings_row(session_id))


# --- The list ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ListSettings:
    """The list's settings as they apply: defaults filled in."""

    requests_close_at: datetime
    slot_minutes: int
    offset_minutes: int
    default_minutes: int
    published_at: datetime | None
    deadline_is_default: bool
    slot_is_default: bool


def _effective(session: dict[str, Any], row: dict[str, Any] | None) -> ListSettings:
    duration = int((session["ends_at"] - session["starts_at"]).total_seconds() // 60)
    return ListSettings(
        requests_close_at=requests_close_at(session, row),
        slot_minutes=row["slot_minutes"] if row and row["slot_minutes"] is not None else duration,
        offset_minutes=row["offset_minutes"] if row else 0,
        default_minutes=row["default_minutes"] if row else 3,
        published_at=row["published_at"] if row else None,
        deadline_is_default=not (row and row["requests_close_at"] is not None),
        slot_is_default=not (row and row["slot_minutes"] is not None),
    )


async def list_settings(session_id: int) -> ListSettings:
    """The settings of the session's list, defaults filled in."""
    return _effective(await load_session(session_id), await _settings_row(session_id))


async def on_list_rows(session_id: int) -> list[dict[str, Any]]:
    """Requests holding a place, in the list's order."""
    return await Speaker.select().where(
        (Speaker.session == session_id) & Speaker.status.is_in(list(ON_LIST)) & Speaker.position.is_not_null()
    ).order_by(Speaker.position).order_by(Speaker.id)


def _expected_times(session: dict[str, Any], row: dict[str, Any] | None,
                    on_list: list[dict[str, Any]]) -> dict[int, datetime]:
    """When each speaker on the list is expected to take the floor: the start, the list's offset, then the minutes
    of everyone before them."""
    current = _effective(session, row)
    moment = session["starts_at"] + timedelta(minutes=current.offset_minutes)
    expected = {}
    for speaker in on_list:
        expected[speaker["id"]] = moment
        moment += timedelta(minutes=speaker["minutes"] or current.default_minutes)
    return expected


async def _rows(session_id: int) -> list[dict[str, Any]]:
    """Every request of the session with its registration's fields, in request order."""
    return await Speaker.select(
        Speaker.all_columns(),
        Speaker.registration.name.as_alias("r_name"),
        Speaker.registration.stakeholder_category.as_alias("r_category"),
        Speaker.registration.country.as_alias("r_country"),
        Speaker.registration.gender.as_alias("r_gender"),
        Speaker.registration.status.as_alias("r_status"),
        Speaker.registration.consent_listed.as_alias("r_listed"),
        Speaker.registration.consent_recorded.as_alias("r_recorded"),
        Speaker.registration.preferred_language.as_alias("r_language"),
    ).where(Speaker.session == session_id).order_by(Speaker.requested_at).order_by(Speaker.id)


def _out(row: dict[str, Any], expected: dict[int, datetime]) -> SpeakerOut:
    return SpeakerOut(
        id=row["id"], registration_id=row["registration"], name=row["r_name"],
        stakeholder_category=row["r_category"], country=row["r_country"],
        regional_group=regional_group_of(row["r_country"]), language=row["language"], topic=row["topic"],
        status=row["status"], position=row["position"], minutes=row["minutes"], requested_at=row["requested_at"],
        summary=row["summary"], on_behalf_of=row["on_behalf_of"], needs=row["needs"], gender=row["r_gender"],
        registration_status=row["r_status"], consent_listed=row["r_listed"], consent_recorded=row["r_recorded"],
        minutes_used=row["minutes_used"], reason=row["reason"], quote=row["quote"],
        expected_at=expected.get(row["id"]),
    )


async def list_speakers(session_id: int) -> list[SpeakerOut]:
    """Every request of the session: those on the list in their order first, then the others in request order."""
    session = await load_session(session_id)
    rows = await _rows(session_id)
    expected = _expected_times(session, await _settings_row(session_id), await on_list_rows(session_id))
    placed = sorted((r for r in rows if r["id"] in expected), key=lambda r: r["position"])
    return [_out(r, expected) for r in [*placed, *(r for r in rows if r["id"] not in expected)]]


async def suggestion(session_id: int) -> list[SpeakerOut]:
    """The balanced order of the requests not declined whose registration is confirmed; changes nothing."""
    session = await load_session(session_id)
    eligible = [s for s in await list_speakers(session_id) if s.status != Speaker.Status.declined
                and s.registration_status == Registration.Status.confirmed]
    return balanced_order(eligible, session["kind"])


async def _renumber(session_id: int) -> None:
    """Positions 1, 2, … in the list's order, without gaps; off the list, none."""
    await Speaker.update({Speaker.position: None}).where(
        (Speaker.session == session_id) & Speaker.status.not_in(list(ON_LIST)))
    for position, row in enumerate(await on_list_rows(session_id), start=1):
        if row["position"] != position:
            await Speaker.update({Speaker.position: position}).where(Speaker.id == row["id"])


async def settle(session: dict[str, Any], settings: Settings, before: dict[int, dict] | None = None) -> None:
    """After a change to the list (in its transaction): close the gaps, then tell each speaker what changed for
    them: newly accepted (place, minutes, expected time), newly declined (the reason), or moved when the
    expected time they were told last moved by more than ``MOVE_THRESHOLD``."""
    await _renumber(session["id"])
    if session["ends_at"] <= datetime.now(UTC):
        return  # the session is over: the list is a record now, nobody is told of places they no longer take
    on_list = await on_list_rows(session["id"])
    current = _effective(session, await _settings_row(session["id"]))
    expected = _expected_times(session, await _settings_row(session["id"]), on_list)
    for speaker in on_list:
        if speaker["status"] != Speaker.Status.accepted.value:
            continue
        told = speaker["notified_expected_at"]
        minutes = speaker["minutes"] or current.default_minutes
        if told is None:
            template = "speaker_accepted"
        elif abs(expected[speaker["id"]] - told) > MOVE_THRESHOLD:
            template = "speaker_moved"
        else:
            continue
        values = {"position": speaker["position"], "minutes": minutes,
                  "expected_at": expected[speaker["id"]].isoformat()}
        if told is not None:
            values["previous_expected_at"] = told.isoformat()
        await tell(template, speaker, settings, **values)
        await Speaker.update({Speaker.notified_expected_at: expected[speaker["id"]]}).where(
            Speaker.id == speaker["id"])
    if before is not None:
        for speaker_id, old in before.items():
            if old["status"] == Speaker.Status.accepted.value and speaker_id not in expected:
                await Speaker.update({Speaker.notified_expected_at: None}).where(Speaker.id == speaker_id)


async def tell(template: str, speaker: dict[str, Any], settings: Settings, **extra: Any) -> None:
    """Write the mail ``template`` names to the speaker's outbox (none once their registration is anonymised)."""
    reg = await Registration.select().where(Registration.id == speaker["registration"]).first()
    if reg is None or reg["anonymised_at"] is not None:
        return
    notify = {
        "speaker_accepted": notifications.notify_speaker_accepted,
        "speaker_declined": notifications.notify_speaker_declined,
        "speaker_moved": notifications.notify_speaker_moved,
    }[template]
    await notify(reg, settings=settings, speaker_id=speaker["id"], **extra)


# --- What others read of the list ----------------------------------------------------------------------------

async def public_list(session_id: int) -> list[dict[str, Any]] | None:
    """The published list as the session page shows it: for each speaker on it, the name of those who consented to
    be listed, else only their category and regional group. None while unpublished."""
    row = await _settings_row(session_id)
    if row is None or row["published_at"] is None:
        return None
    speakers = [s for s in await list_speakers(session_id) if s.position is not None]
    return [
        {"position": s.position, "name": s.name if s.consent_listed else None,
         "stakeholder_category": s.stakeholder_category, "regional_group": s.regional_group,
         "language": s.language, "topic": s.topic if s.consent_listed else None}
        for s in speakers
    ]


async def summary_speakers(session_id: int) -> list[dict[str, Any]]:
    """The speakers a post-session summary lists: those on the list who spoke (everyone on it before anyone is
    marked), each with their name only when they consented to be recorded and quoted by name, else their
    category and regional group, and the organiser's quotation."""
    speakers = [s for s in await list_speakers(session_id) if s.position is not None]
    if any(s.status == Speaker.Status.spoke.value for s in speakers):
        speakers = [s for s in speakers if s.status == Speaker.Status.spoke.value]
    else:
        speakers = [s for s in speakers if s.status == Speaker.Status.accepted.value]
    return [
        {"id": s.id, "name": s.name if s.consent_recorded else None, "consent_recorded": s.consent_recorded,
         "registered_name": s.name,
         "stakeholder_category": s.stakeholder_category, "regional_group": s.regional_group, "topic": s.topic,
         "quote": s.quote}
        for s in speakers
    ]


async def minutes_on_list(session_id: int) -> int:
    """The minutes the speakers on the list take together (the list's default for those without their own)."""
    current = await list_settings(session_id)
    return sum(row["minutes"] or current.default_minutes for row in await on_list_rows(session_id))
