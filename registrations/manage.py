"""Self-service through the manage link: view, change language and needs, cancel, export, erase; staff rotate it.

A cancellation or an erasure frees the seat and promotes the next in line in the same transaction.
"""

from __future__ import annotations

__all__ = [
    "cancel", "erase", "export", "registration_by_token", "registration_view", "rotate_and_resend", "rotate_link",
    "stated_needs", "update",
]

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import msgspec

from events.queries import effective_status, load_row
from events.tables import Session
from registrations import input_files, inputs, notifications, questions, speakers
from registrations.links import manage_url, new_nonce, read_token
from registrations.reference import commissions_of, regional_group_of
from registrations.registering import _check_needs, _window_error, need_rows
from registrations.schemas import NeedOut, RegistrationOut, RegistrationUpdate, StatusChangeOut
from registrations.tables import ACTIVE_STATUSES, Invitation, Need, Registration, Speaker, StatusChange
from registrations.waitlist import fill_freed_seats, lock_session, record_change, release_seat, waitlist_position
from server.db import write_transaction
from server.errors import Conflict, FieldError, InvalidInput, NotFound
from server.i18n import LANGUAGES
from server.i18n import gettext as _
from server.mail import outbox
from server.settings import Settings
from server.timezones import timezone_error
from server.validation import check_text
from server.web import valid_timezone


async def registration_by_token(token: str, settings: Settings) -> dict[str, Any]:
    """The registration a manage link points to; 404 for forged, rotated or erased links."""
    found = read_token(settings.secret_key, token)
    if found is None:
        raise NotFound(_("This link is not valid (it may have been replaced)."))
    reg_id, nonce = found
    reg = await Registration.select().where((Registration.id == reg_id) & (Registration.manage_nonce == nonce)).first()
    if reg is None or reg["anonymised_at"] is not None:
        raise NotFound(_("This link is not valid (it may have been replaced)."))
    return reg


async def registration_view(reg: dict[str, Any]) -> RegistrationOut:
    """The registration as its registrant sees it: needs, history, position, and the region derived from its
    country. Who registers an address again sees the history from then on, not that of the earlier registration."""
    needs = await Need.select().where(Need.registration == reg["id"]).order_by(Need.id)
    history = await StatusChange.select().where(StatusChange.registration == reg["id"]).order_by(StatusChange.id)
    again = [index for index, change in enumerate(history) if change["reason"] == "registered_again"]
    history = history[again[-1]:] if again else history
    position = await waitlist_position(reg["session"], reg["participation_mode"], reg["waitlist_order"])
    answers = (await questions.answers_of([reg["id"]])).get(reg["id"], {})
    return registration_out(reg, needs, history, position, answers=answers)


def registration_out(
    reg: dict, needs: list[dict], history: list[dict], position: int | None, staff_names: dict[int, str] | None = None,
    *, answers: dict[str, Any] | None = None,
) -> RegistrationOut:
    """The registration as its registrant sees it; ``staff_names`` (staff views) names the organisers who acted;
    ``answers`` are its answers to the session's extra questions."""
    names = staff_names or {}
    return RegistrationOut(
        id=reg["id"],
        session_id=reg["session"],
        status=reg["status"],
        waitlist_position=position,
        name=reg["name"],
        email=reg["email"],
        organisation=reg["organisation"],
        stakeholder_category=reg["stakeholder_category"],
        country=reg["country"],
        preferred_language=reg["preferred_language"],
        timezone=reg["timezone"],
        gender=reg["gender"],
        delegation_role=reg["delegation_role"],
        participation_mode=reg["participation_mode"],
        interpretation_language=reg["interpretation_language"],
        personal_assistant=reg["personal_assistant"],
        consent_processing=reg["consent_processing"],
        consent_listed=reg["consent_listed"],
        consent_recorded=reg["consent_recorded"],
        consented_at=reg["consented_at"],
        consent_text_version=reg["consent_text_version"],
        created_at=reg["created_at"],
        needs=[NeedOut(n["id"], n["kind"], n["code"], n["text"], n["status"], n["note"]) for n in needs],
        history=[
            StatusChangeOut(
                h["from_status"], h["to_status"], h["actor"], h["reason"], h["created_at"], names.get(h["staff_user"])
            )
            for h in history
        ],
        regional_group=regional_group_of(reg["country"]),
        commissions=commissions_of(reg["country"]),
        attendance=reg["attendance"],
        minutes_attended=reg["minutes_attended"],
        walk_in=bool(reg.get("walk_in")),
        answers=answers or {},
    )


def stated_needs(interpretation_language: str | None, needs: list[dict[str, Any]]) -> dict[str, Any]:
    """The needs as the registrant stated them (the fields of the form and API), rebuilt from the Need rows."""
    return {
        "interpretation_language": interpretation_language,
        "accessibility_needs": [n["code"] for n in needs if n["kind"] == Need.Kind.accessibility.value],
        "sign_language": next((n["text"] for n in needs if n["code"] == "national_sign_language"), None),
        "accessibility_other": next(
            (n["text"] for n in needs if n["kind"] == Need.Kind.other.value or n["code"] == "other"), ""
        ),
    }


_NEED_FIELDS = ("interpretation_language", "accessibility_needs", "sign_language", "accessibility_other")


def _sent_needs(data: RegistrationUpdate) -> dict[str, Any]:
    """The need fields the update states (``null`` clears one); fields left out are not among them."""
    sent = {name: getattr(data, name) for name in _NEED_FIELDS if getattr(data, name) is not msgspec.UNSET}
    if "accessibility_needs" in sent:
        sent["accessibility_needs"] = sent["accessibility_needs"] or []
    if "accessibility_other" in sent:
        sent["accessibility_other"] = sent["accessibility_other"] or ""
    return sent


def _check_update(data: RegistrationUpdate, needs: SimpleNamespace | None, session_kind: str) -> None:
    errors: list[FieldError] = []
    if data.preferred_language is not None and data.preferred_language not in LANGUAGES:
        errors.append(FieldError("preferred_language", _("Choose one of the six UN languages.")))
    if data.timezone is not None and not valid_timezone(data.timezone):
        errors.append(FieldError("timezone", timezone_error(data.timezone)))
    if needs is not None:
        check_text("accessibility_other", needs.accessibility_other, errors, multiline=True)
        _check_needs(needs, errors)
    if data.consent_recorded and session_kind != Session.Kind.listening_session.value:
        errors.append(FieldError("consent_recorded", _("Only listening sessions are recorded.")))
    if errors:
        raise InvalidInput("; ".join(f"{e.field}: {e.message}" for e in errors), errors)


async def _merged_needs(reg: dict[str, Any], data: RegistrationUpdate) -> SimpleNamespace | None:
    """The needs after the update: the fields sent over what was stated before; None when none is sent."""
    sent = _sent_needs(data)
    if not sent:
        return None
    existing = await Need.select().where(Need.registration == reg["id"]).order_by(Need.id)
    return SimpleNamespace(**{**stated_needs(reg["interpretation_language"], existing), **sent})


async def _replace_needs(reg: dict[str, Any], needs: SimpleNamespace) -> None:
    """The registrant restated their needs: keep the ones unchanged (with their status), replace the rest."""
    existing = await Need.select().where(Need.registration == reg["id"])
    wanted = need_rows(needs, reg["id"])
    keep = {(n["kind"], n["code"], n["text"]) for n in existing}
    stated = {(n.kind, n.code, n.text) for n in wanted}
    gone = [n["id"] for n in existing if (n["kind"], n["code"], n["text"]) not in stated]
    if gone:
        await Need.delete().where(Need.id.is_in(gone))
    new = [n for n in wanted if (n.kind, n.code, n.text) not in keep]
    if new:
        await Need.insert(*new)


def _refuse_when_session_over(session: dict[str, Any]) -> None:
    """A cancelled or ended session leaves nothing to change (export and erasure stay possible)."""
    status = effective_status(session)
    if status == Session.Status.cancelled.value:
        message = _("The session is cancelled: there is nothing left to change.")
        raise Conflict(message, [FieldError("status", message)])
    if status == Session.Status.completed.value:
        message = _("The session has ended: there is nothing left to change.")
        raise Conflict(message, [FieldError("status", message)])


async def _changed_answers(
    reg: dict[str, Any], data: RegistrationUpdate, session: dict[str, Any]
) -> tuple[list[dict[str, Any]], dict[int, Any]] | None:
    """The questions asked and the answers after the update (those sent over those given before, all checked as
    on registering); None when no answer is sent. Answers change only while registration is open (409 naming
    ``answers``)."""
    if data.answers is msgspec.UNSET:
        return None
    if reason := _window_error(session, datetime.now(UTC)):
        raise Conflict(reason, [FieldError("answers", reason)])
    asked = await questions.session_questions(reg["session"])
    keys = {str(question["id"]) for question in asked}
    given = (await questions.answers_of([reg["id"]])).get(reg["id"], {})
    merged = {**{key: value for key, value in given.items() if key in keys}, **data.answers}
    return asked, questions.check_answers(asked, merged)


async def update(reg: dict[str, Any], data: RegistrationUpdate) -> dict[str, Any]:
    """Change language, time zone, needs, optional consents or answers; need fields sent replace those stated
    before, answers sent replace those given to the same questions, the others stay as they were."""
    session = await load_row(reg["session"])
    needs = await _merged_needs(reg, data)
    _check_update(data, needs, session["kind"])
    if reg["status"] not in ACTIVE_STATUSES:
        raise Conflict(_("This registration is closed."), [FieldError("status", _("This registration is closed."))])
    _refuse_when_session_over(session)
    answers = await _changed_answers(reg, data, session)
    values: dict[Any, Any] = {Registration.updated_at: datetime.now(UTC)}
    for field in ("preferred_language", "timezone", "personal_assistant", "consent_listed", "consent_recorded"):
        if getattr(data, field) is not None:
            values[getattr(Registration, field)] = getattr(data, field)
    if any(getattr(data, name) not in (None, reg[name]) for name in ("consent_listed", "consent_recorded")):
        values[Registration.consented_at] = datetime.now(UTC)  # when the consent given last changed
    if needs is not None:
        values[Registration.interpretation_language] = needs.interpretation_language
    async with write_transaction(Registration._meta.db):
        await Registration.update(values).where(Registration.id == reg["id"])
        if needs is not None:
            await _replace_needs(reg, needs)
        if answers is not None:
            await questions.save_answers(reg["id"], *answers)
    return await Registration.select().where(Registration.id == reg["id"]).first()


async def leave(
    reg: dict[str, Any], to_status: str, *, settings: Settings, actor: str, reason: str = "", staff_user=None
) -> bool:
    """Move an active registration to ``cancelled`` or ``declined`` inside the caller's transaction, which holds
    the session lock already (taken before any registration's, as every path does); a held seat goes to the next
    in line. False, with nothing done, when its status changed meanwhile (a cancellation and a
    decline at once must free the seat once)."""
    # A walk-in was let in at the door without taking a seat (registrations.checkin): none to give back.
    had_seat = reg["status"] == Registration.Status.confirmed.value and not reg["walk_in"]
    moved = await Registration.update(
        {Registration.status: to_status, Registration.waitlist_order: None, Registration.updated_at: datetime.now(UTC)}
    ).where((Registration.id == reg["id"]) & (Registration.status == reg["status"])).returning(Registration.id)
    if not moved:
        return False
    await record_change(reg["id"], reg["status"], to_status, actor=actor, staff_user=staff_user, reason=reason)
    await speakers.drop_for_registration(reg["id"], settings=settings)  # who leaves no longer asks to speak
    if had_seat:
        await release_seat(reg["session"], reg["participation_mode"])
        await fill_freed_seats(reg["session"], reg["participation_mode"], settings=settings)
    return True


async def ensure_cancellable(reg: dict[str, Any]) -> None:
    """A 409 when the registration can no longer be cancelled: closed already, or its session over."""
    if reg["status"] not in ACTIVE_STATUSES:
        raise Conflict(_("This registration is closed."), [FieldError("status", _("This registration is closed."))])
    _refuse_when_session_over(await load_row(reg["session"]))


async def cancel(reg: dict[str, Any], *, settings: Settings) -> None:
    """The registrant cancels: the invite is withdrawn, the seat freed and the next in line promoted."""
    await ensure_cancellable(reg)
    async with write_transaction(Registration._meta.db):
        await lock_session(reg["session"])  # the session before the registration, as every path takes them
        current = await _locked(reg["id"])
        if current["status"] not in ACTIVE_STATUSES:
            return
        had_invite = current["status"] == Registration.Status.confirmed.value
        if not await leave(current, Registration.Status.cancelled.value, settings=settings, actor="registrant"):
            return
        await notifications.notify_registration_cancelled(
            {**current, "status": Registration.Status.cancelled.value}, settings=settings, had_invite=had_invite
        )


async def _locked(registration_id: int) -> dict[str, Any]:
    """The registration as it is now, held until the transaction ends (touching the row locks it on PostgreSQL;
    SQLite's write transaction holds everything already)."""
    await Registration.update({Registration.updated_at: datetime.now(UTC)}).where(Registration.id == registration_id)
    return await Registration.select().where(Registration.id == registration_id).first()


async def export(reg: dict[str, Any]) -> dict[str, Any]:
    """Everything kept about the registrant, as JSON."""
    view = await registration_view(reg)
    return {**msgspec.to_builtins(view),
            "speaking_request": msgspec.to_builtins(await speakers.own_request(reg)),
            "answers_worded": await questions.worded_answers(reg["id"], reg["session"])}


async def erase(reg: dict[str, Any], *, settings: Settings) -> None:
    """Anonymise: personal data goes, the seat is freed; category, country and status stay for the counts.
    Whoever held a seat still gets their invite withdrawn, or their calendar would keep a session they left.
    Their written inputs go too: the rows with the rest, the files once that has committed."""
    async with write_transaction(Registration._meta.db):
        await lock_session(reg["session"])  # the session before the registration, as every path takes them
        current = await _locked(reg["id"])
        if current["anonymised_at"] is not None:
            return
        had_invite = current["status"] == Registration.Status.confirmed.value
        if current["status"] in ACTIVE_STATUSES:
            await leave(current, Registration.Status.cancelled.value, settings=settings, actor="registrant",
                        reason="erased")
        sequence = await notifications.invite_sequence(current)
        files = await anonymise(current["id"], mail_dir=settings.mail_dir)
        # A calendar keeps an upcoming session only: a cancelled session's invite was withdrawn already.
        if had_invite and effective_status(await load_row(current["session"])) == Session.Status.published.value:
            await notifications.notify_data_erased(current, settings=settings, sequence=sequence)
    input_files.remove_files(files, settings.upload_dir)


async def anonymise(registration_id: int, *, mail_dir: Path) -> list[str]:
    """Remove personal data from one registration, its invitation, its delivered mail (and its development copies
    in ``mail_dir``) and its written inputs (in the caller's transaction). The invitation stays, anonymised, so the
    counts of invitations used still add up. Returns the names of the inputs' files, for the caller to remove once
    the transaction has committed."""
    current = await Registration.select(Registration.email, Registration.session).where(
        Registration.id == registration_id
    ).first()
    await outbox.forget_mail_of(current["email"], registration_id, mail_dir=mail_dir)
    await Invitation.update({Invitation.email: f"erased-{registration_id}"}).where(
        (Invitation.session == current["session"]) & (Invitation.email == current["email"])
    )
    await Registration.update(
        {
            Registration.name: "",
            Registration.email: f"erased-{registration_id}",
            Registration.organisation: "",
            Registration.gender: None,
            Registration.timezone: "UTC",
            Registration.manage_nonce: new_nonce(),
            Registration.anonymised_at: datetime.now(UTC),
            Registration.updated_at: datetime.now(UTC),
        }
    ).where(Registration.id == registration_id)
    await Need.update({Need.text: "", Need.note: ""}).where(Need.registration == registration_id)
    await Speaker.update({Speaker.topic: "", Speaker.summary: "", Speaker.on_behalf_of: "", Speaker.needs: "",
                          Speaker.quote: "", Speaker.reason: ""}).where(Speaker.registration == registration_id)
    await StatusChange.update({StatusChange.reason: ""}).where(StatusChange.registration == registration_id)
    await questions.forget_answers(registration_id)
    return await inputs.forget_inputs_of(registration_id)


async def rotate_link(registration_id: int) -> str:
    """Replace the link's nonce: every earlier link stops working. Returns the new nonce."""
    nonce = new_nonce()
    await Registration.update({Registration.manage_nonce: nonce}).where(Registration.id == registration_id)
    return nonce


async def rotate_and_resend(session_id: int, registration_id: int, *, settings: Settings) -> None:
    """Staff revoke a registrant's link: a new nonce, and the new link mailed to the registrant."""
    async with write_transaction(Registration._meta.db):
        reg = await Registration.select().where(
            (Registration.id == registration_id) & (Registration.session == session_id)
        ).first()
        if reg is None or reg["anonymised_at"] is not None:
            raise NotFound(_("No such registration on this session."))
        reg["manage_nonce"] = await rotate_link(registration_id)
        url = manage_url(settings, registration_id, reg["manage_nonce"])
        await notifications.notify_manage_link_resent(reg, url, settings=settings)
