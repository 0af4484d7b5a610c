"""Registering for a session: validation, window and audience, the seat claim, and repeats of the same email.

``register()`` is the one use case: one write transaction holds the seat claim (or waitlist place), the
registration row, its needs, the first history line and the outbox row of its mail, so nothing is half-written.
"""

from __future__ import annotations

__all__ = ["CONSENT_TEXT_VERSION", "RegistrationClosed", "register", "register_again", "validate"]

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from events.queries import RegistrationPhase, registration_window
from events.tables import Session
from registrations import fastpath, notifications, questions, speakers
from registrations.links import manage_url, new_nonce, read_invitation_token
from registrations.reference import (
    GENDERS,
    PROVISIONS,
    STAKEHOLDER_CATEGORIES,
    is_country,
    is_language_tag,
    is_sign_language,
)
from registrations.schemas import RegistrationCreate, RegistrationCreated
from registrations.tables import Invitation, Need, Registration
from registrations.waitlist import lock_session, record_change
from server.db import write_transaction
from server.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from server.i18n import LANGUAGES
from server.i18n import gettext as _
from server.mail.outbox import enqueue, new_message_id
from server.settings import Settings
from server.timezones import timezone_error
from server.validation import check_text, normalised_email
from server.web import valid_timezone

#: Version of the privacy notice and consent wording shown with the form; stored with each consent.
CONSENT_TEXT_VERSION = "2026-11"
_UNIQUE_VIOLATIONS = (asyncpg.exceptions.UniqueViolationError, sqlite3.IntegrityError)


class RegistrationClosed(Conflict):
    """Outside the registration window, or the session is not open for registration."""


@dataclass(frozen=True)
class Outcome:
    """What ``register`` did: ``created`` is False for a repeat of an address already registered."""

    reply: RegistrationCreated
    created: bool


def is_hybrid(session: dict[str, Any]) -> bool:
    """A session with a venue takes registrations in person and online, each with its own seats."""
    return bool(session["venue"].strip())


def _email(value: str, errors: list[FieldError]) -> str:
    if email := normalised_email(value):
        return email
    # The library's own message is English only: say it in the registrant's language.
    errors.append(FieldError("email", _("Enter a valid email address.")))
    return ""


def _check_text(data: Any, errors: list[FieldError]) -> None:
    if not data.name.strip():
        errors.append(FieldError("name", _("Enter your name.")))
    check_text("name", data.name, errors)
    check_text("organisation", data.organisation, errors)
    check_text("accessibility_other", data.accessibility_other, errors, multiline=True)


def _check_codes(data: RegistrationCreate, session: dict[str, Any], errors: list[FieldError]) -> None:
    if data.stakeholder_category not in STAKEHOLDER_CATEGORIES:
        errors.append(FieldError("stakeholder_category", _("Choose a stakeholder category from the list.")))
    if not is_country(data.country):
        errors.append(FieldError("country", _("Choose a country (ISO 3166-1 alpha-2 code).")))
    if data.preferred_language not in LANGUAGES:
        errors.append(FieldError("preferred_language", _("Choose one of the six UN languages.")))
    if not valid_timezone(data.timezone):
        errors.append(FieldError("timezone", timezone_error(data.timezone)))
    if data.gender is not None and data.gender not in GENDERS:
        errors.append(FieldError("gender", _("Choose a gender from the list, or leave it empty.")))
    if data.delegation_role is not None and data.delegation_role not in Registration.DelegationRole._value2member_map_:
        errors.append(FieldError("delegation_role", _("Choose head of delegation or member, or leave it empty.")))
    _check_needs(data, errors)
    _check_mode(data, session, errors)
    if not data.consent_processing:
        errors.append(FieldError("consent_processing", _("Consent to the processing of your data is required.")))
    if data.consent_recorded and session["kind"] != Session.Kind.listening_session.value:
        errors.append(FieldError("consent_recorded", _("Only listening sessions are recorded.")))


def _check_needs(data: Any, errors: list[FieldError]) -> None:
    if data.interpretation_language is not None and not is_language_tag(data.interpretation_language):
        errors.append(FieldError("interpretation_language", _("Give a language code such as fr or es-419.")))
    needs = data.accessibility_needs or []
    unknown = [code for code in needs if code not in PROVISIONS]
    if unknown or len(set(needs)) != len(needs):
        errors.append(FieldError("accessibility_needs", _("Choose provisions from the list, each once.")))
    if "national_sign_language" in needs and not (data.sign_language and is_sign_language(data.sign_language)):
        errors.append(FieldError("sign_language", _("Give the sign language's ISO 639-3 code, such as ase.")))
    if "other" in needs and not (data.accessibility_other or "").strip():
        errors.append(FieldError("accessibility_other", _("Describe the other provision you need.")))


def _check_mode(data: RegistrationCreate, session: dict[str, Any], errors: list[FieldError]) -> None:
    if is_hybrid(session):
        if data.participation_mode not in Registration.Mode._value2member_map_:
            errors.append(FieldError("participation_mode", _("Choose in person or online.")))
    elif data.participation_mode not in (None, Registration.Mode.online.value):
        errors.append(FieldError("participation_mode", _("This session is online only.")))


def validate(data: RegistrationCreate, session: dict[str, Any]) -> str:
    """Check every field; raise one InvalidInput naming each field refused. Returns the normalised email."""
    errors: list[FieldError] = []
    email = _email(data.email, errors)
    _check_text(data, errors)
    _check_codes(data, session, errors)
    if errors:
        raise InvalidInput("; ".join(f"{e.field}: {e.message}" for e in errors), errors)
    return email


def _window_error(session: dict[str, Any], now: datetime) -> str | None:
    """Why registration is refused now (``events.queries.registration_window`` decides), or none while open."""
    phase = registration_window(session).phase(session["status"], now)
    if phase is RegistrationPhase.unavailable:
        return _("This session is not open for registration.")
    if phase is RegistrationPhase.not_yet:
        return _("Registration has not opened yet.")
    if phase is RegistrationPhase.closed:
        return _("Registration has closed.")
    return None


async def _check_audience(session: dict[str, Any], email: str, token: str | None, settings: Settings) -> None:
    """An invitation session takes only who holds an invitation's link (its token) and registers the invited
    address. Without a valid token the answer is the same whatever the address, so nobody learns who is invited."""
    if session["audience"] != Session.Audience.invitation.value:
        return
    invitation_id = read_invitation_token(settings.secret_key, token or "", session["id"])
    invited = invitation_id is not None and await Invitation.select(Invitation.email).where(
        (Invitation.id == invitation_id) & (Invitation.session == session["id"])
    ).first()
    if not invited:
        reason = _("This session is by invitation: use the link in your invitation.")
        raise Forbidden(reason, [FieldError("invitation", reason)])
    if invited["email"] != email:
        # Only the holder of the invitation mail gets here: naming the address it went to tells them nothing new.
        raise Forbidden(
            _("This session is by invitation: use the link in your invitation."),
            [FieldError("email", _("Register with the address your invitation was sent to."))],
        )


def _row(data: RegistrationCreate, session: dict[str, Any], email: str) -> dict:
    """The new registration's columns, but its place (``status``, ``waitlist_order``)."""
    return {
        "id": session["next_registration_id"],
        "session": session["id"],
        "name": data.name.strip(),
        "email": email,
        "organisation": data.organisation.strip(),
        "stakeholder_category": data.stakeholder_category,
        "country": data.country,
        "preferred_language": data.preferred_language,
        "timezone": data.timezone,
        "gender": data.gender,
        "delegation_role": data.delegation_role,
        "participation_mode": data.participation_mode or Registration.Mode.online.value,
        "interpretation_language": data.interpretation_language,
        "personal_assistant": data.personal_assistant,
        "consent_processing": data.consent_processing,
        "consent_listed": data.consent_listed,
        "consent_recorded": data.consent_recorded,
        "consent_text_version": CONSENT_TEXT_VERSION,
        "manage_nonce": new_nonce(),
    }


def need_rows(data: Any, registration_id: int) -> list[Need]:
    """One Need per interpretation language asked for, per provision, and per free-text request."""
    needs = []
    if data.interpretation_language:
        language = data.interpretation_language
        needs.append(Need(registration=registration_id, kind=Need.Kind.interpretation, code=language))
    for code in data.accessibility_needs or []:
        text = ""
        if code == "other":
            text = (data.accessibility_other or "").strip()
        elif code == "national_sign_language":
            text = data.sign_language or ""
        needs.append(Need(registration=registration_id, kind=Need.Kind.accessibility, code=code, text=text))
    if (data.accessibility_other or "").strip() and "other" not in (data.accessibility_needs or []):
        needs.append(Need(registration=registration_id, kind=Need.Kind.other, text=data.accessibility_other.strip()))
    return needs


async def _take_place(
    path: fastpath.PostgresPath | fastpath.PiccoloPath, session: dict[str, Any], mode: str
) -> fastpath.Place:
    """The place of who registers again: pending (approval: no seat yet), else confirmed or waitlisted in order."""
    if session["audience"] == Session.Audience.approval.value:
        return fastpath.Place(Registration.Status.pending.value, None, None, session["sequence"])
    return await path.place(session["id"], mode)


async def _announce(
    row: dict[str, Any], position: int | None, sequence: int, settings: Settings, write: Any
) -> dict[str, Any]:
    """The registrant's first message of this place (one function chooses it), written by ``write``; organisers
    who opted in hear of a registration awaiting their approval. Returns the message."""
    message = notifications.new_registration_message(row, position, sequence, settings)
    await write(message)
    if row["status"] == Registration.Status.pending.value:
        await notifications.notify_staff_approval_needed(row, settings=settings)
    return message


async def _admit(
    data: RegistrationCreate, session: dict[str, Any] | None, settings: Settings
) -> tuple[str, list[dict[str, Any]], dict[int, Any]]:
    """Every check before a place is taken: the session, each field, the answers to its extra questions, the
    audience, the window, and the request to speak that may come with the registration. The audience comes before
    the window: a closed window answers as a repeat would, which must not happen without an invitation's proof.
    Returns the normalised email, the questions asked and the answers to keep."""
    if session is None or session["status"] == Session.Status.draft.value:
        raise NotFound(_("No such session."))
    email = validate(data, session)
    asked = await questions.session_questions(session["id"]) if session["has_questions"] else []
    answers = questions.check_answers(asked, data.answers)
    await _check_audience(session, email, data.invitation, settings)
    if reason := _window_error(session, datetime.now(UTC)):
        raise RegistrationClosed(reason, [FieldError("registration_window", reason)])
    if data.speaking_request is not None:
        await speakers.prepare_request(session["id"], data.speaking_request, prefix="speaking_request.")
    return email, asked, answers


async def _place_and_write(
    path: fastpath.PostgresPath | fastpath.PiccoloPath, session: dict[str, Any], row: dict[str, Any],
    settings: Settings,
) -> fastpath.Place:
    """The new registration's place, its row, first history line and first message: pending (approval: no seat
    yet, organisers who opted in are told), else confirmed or waitlisted in order."""
    message_id = new_message_id(settings.mail_from)

    def first_message(reg: dict[str, Any], position: int | None, sequence: int) -> dict[str, Any]:
        return {**notifications.new_registration_message(reg, position, sequence, settings), "message_id": message_id}

    if session["audience"] != Session.Audience.approval.value:
        return await path.take_place(session["id"], row["participation_mode"], row, first_message)
    place = fastpath.Place(Registration.Status.pending.value, None, None, session["sequence"])
    reg = {**row, "status": place.status, "waitlist_order": None}
    await _announce(reg, None, place.sequence, settings,
                    lambda message: path.insert_all(reg, {**message, "message_id": message_id}))
    return place


async def _write_the_rest(data: RegistrationCreate, session: dict[str, Any], reg_id: int, email: str,
                          asked: list[dict[str, Any]], answers: dict[int, Any]) -> None:
    """What a registration may bring besides its row: needs, answers, a request to speak, its invitation used."""
    needs = need_rows(data, reg_id)
    if needs:
        await Need.insert(*needs)
    await questions.save_answers(reg_id, asked, answers)
    if data.speaking_request is not None:
        await speakers.add_request(session["id"], reg_id, data.speaking_request)
    if session["audience"] == Session.Audience.invitation.value:
        await Invitation.update({Invitation.used: True}).where(
            (Invitation.session == session["id"]) & (Invitation.email == email)
        )


def _nothing_but_the_place(data: RegistrationCreate, session: dict[str, Any] | None) -> bool:
    """Whether the registration writes only its place, row, history line and message, and its checks ask the
    database nothing more (most registrations): then the lean path's one call is the whole transaction."""
    return (
        session is not None and session["audience"] == Session.Audience.open.value and not session["has_questions"]
        and data.speaking_request is None and not need_rows(data, 0)
    )


def _created(row: dict[str, Any], place: fastpath.Place, settings: Settings) -> Outcome:
    url = manage_url(settings, row["id"], row["manage_nonce"])  # cached: the message's link, not signed again
    return Outcome(
        RegistrationCreated(row["id"], place.status, url, place.position, row["participation_mode"]), True
    )


async def _create(session_id: int, data: RegistrationCreate, settings: Settings, path_for: Any) -> Outcome:
    """One transaction: the session read, the checks, the place, the rows and the first message. On PostgreSQL
    most registrations are one read and one call that commits alone (``fastpath.PostgresPath.take_place``), on
    one pooled connection held throughout (taken twice, a request could lose its turn to newcomers twice)."""
    engine = Registration._meta.db
    lean = path_for is fastpath.path_for and fastpath.has_lean_path(engine)
    if lean:
        async with fastpath.lean_path(engine) as path:
            session = await path.read_session(session_id)
            if _nothing_but_the_place(data, session):
                email, _asked, _answers = await _admit(data, session, settings)
                row = _row(data, session, email)
                return _created(row, await _place_and_write(path, session, row, settings), settings)
    async with write_transaction(engine) as transaction:
        path = path_for(transaction)
        if not lean:  # else read already (a read takes no lock: outside the transaction it reads the same)
            session = await path.read_session(session_id)
        email, asked, answers = await _admit(data, session, settings)
        row = _row(data, session, email)
        place = await _place_and_write(path, session, row, settings)
        await _write_the_rest(data, session, row["id"], email, asked, answers)
    return _created(row, place, settings)


async def register_again(reg: dict[str, Any], *, settings: Settings) -> None:
    """Who cancelled takes a place again through their manage link (a repeat of their address mails it to them):
    the registration keeps what it holds and its link, and takes a place as a new registration would, while the
    session is open for registration. 409 naming ``status`` when the registration is not cancelled."""
    async with write_transaction(Registration._meta.db) as transaction:
        # The session row first, as every registration takes it (another order deadlocks on PostgreSQL); then
        # touching the registration locks it: a concurrent request waits, then finds it taken.
        await lock_session(reg["session"])
        touched = await Registration.update({Registration.updated_at: datetime.now(UTC)}).where(
            (Registration.id == reg["id"]) & (Registration.status == Registration.Status.cancelled.value)
            & Registration.anonymised_at.is_null()
        ).returning(Registration.id)
        if not touched:
            reason = _("Only a cancelled registration can be registered again.")
            raise Conflict(reason, [FieldError("status", reason)])
        path = fastpath.path_for(transaction)
        session = await path.read_session(reg["session"])
        if reason := _window_error(session, datetime.now(UTC)):
            raise RegistrationClosed(reason, [FieldError("registration_window", reason)])
        place = await _take_place(path, session, reg["participation_mode"])
        await Registration.update(
            {Registration.status: place.status, Registration.waitlist_order: place.order}
        ).where(Registration.id == reg["id"])
        await record_change(reg["id"], "cancelled", place.status, actor="registrant", reason="registered_again")
        row = {**reg, "status": place.status, "waitlist_order": place.order}
        sequence = await notifications.invite_sequence(row)
        await _announce(
            row, place.position, sequence, settings, lambda message: enqueue(**message, mail_from=settings.mail_from)
        )


#: The answer to a repeated address, whatever its registration's status: it tells nothing of that registration.
_REPEAT_REPLY = RegistrationCreated(None, None, None, None, None)


async def _repeat(session_id: int, email: str, settings: Settings) -> Outcome | None:
    """The address is registered already (in any status, cancelled included): mail its link to the address (at
    most once in a while, so repeats cannot flood the inbox) and answer the same for every status; who
    cancelled registers again from that link."""
    reg = await Registration.select().where(
        (Registration.session == session_id) & (Registration.email == email)
    ).first()
    if reg is None:
        return None
    async with write_transaction(Registration._meta.db):
        url = manage_url(settings, reg["id"], reg["manage_nonce"])
        await notifications.notify_manage_link_requested(reg, url, settings=settings)
    return Outcome(_REPEAT_REPLY, created=False)


async def register(
    session_id: int, data: RegistrationCreate, *, settings: Settings, path_for: Any = fastpath.path_for
) -> Outcome:
    """Register ``data`` for the session: confirmed, waitlisted or pending; a repeated address gets its link by
    mail and an answer (``created`` False) that tells nothing of its registration. ``path_for`` chooses the
    driver of the statements (the engine's own; tests/registrations/test_paths_contract.py compares them)."""
    try:
        return await _create(session_id, data, settings, path_for)
    except (RegistrationClosed, *_UNIQUE_VIOLATIONS):
        # The address is registered already (perhaps by a concurrent request, or before the window closed):
        # answer as a repeat. Only an address that passed validation gets here.
        email = normalised_email(data.email) or ""
        repeat = await _repeat(session_id, email, settings)
        if repeat is None:
            raise
        return repeat
