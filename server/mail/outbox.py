"""Deciding a message: one outbox row, written in the caller's transaction; and what the staff outbox page
lists, previews and retries."""

from __future__ import annotations

__all__ = [
    "DELIVERY_LOG_DAYS",
    "about",
    "enqueue",
    "forget_delivered",
    "forget_mail_of",
    "forgotten_fields",
    "is_forgotten",
    "is_retryable",
    "list_outbox",
    "new_message_id",
    "retry",
    "visible_message",
]

import json
import uuid
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from piccolo.columns.combination import WhereRaw

from server.errors import Conflict, FieldError, InvalidInput, NotFound
from server.i18n import gettext as _
from server.mail.transport import discard_copies_older_than, discard_written_copies
from server.tables import OutboxMessage


def _domain(mail_from: str) -> str:
    return mail_from.rsplit("@", 1)[-1].strip(" >") or "localhost"


def new_message_id(mail_from: str) -> str:
    """A fresh Message-ID in the sender's domain (also for hot paths that write the outbox row in SQL)."""
    return f"<{uuid.uuid4().hex}@{_domain(mail_from)}>"


def about(context: dict[str, Any], key: str) -> int | None:
    """The id ``context`` names under ``key`` (``session_id``, ``registration_id``), for the row's own column."""
    value = context.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


async def enqueue(
    *,
    template: str,
    to_address: str,
    language: str,
    timezone: str,
    context: dict[str, Any],
    mail_from: str = "events@localhost",
    dedupe_key: str | None = None,
) -> int | None:
    """Queue ``template`` for ``to_address``; call it inside the transaction of the change that causes it.

    ``context`` holds ids and the facts that must not drift (calendar SEQUENCE, METHOD, what changed); the
    worker renders from it later. A ``dedupe_key`` makes the message unique (reminders are sent once):
    a repeat returns None.
    """
    message_id = new_message_id(mail_from)
    query = OutboxMessage.insert(
        OutboxMessage(
            template=template,
            to_address=to_address,
            language=language,
            timezone=timezone,
            context=context,
            session_id=about(context, "session_id"),
            registration_id=about(context, "registration_id"),
            message_id=message_id,
            dedupe_key=dedupe_key,
        )
    )
    if dedupe_key is not None:
        # A second decision of the same message is no error, and must not abort the caller's transaction.
        query = query.on_conflict(target=OutboxMessage.dedupe_key, action="DO NOTHING")
    rows = await query.returning(OutboxMessage.id)
    return rows[0]["id"] if rows else None


# --- Forgetting: the outbox is a delivery queue, not an archive of who was written to about what. ---------------

#: Sent and failed mail keeps its address and facts this long, for the staff outbox page; then ``convene purge``
#: keeps only the session it was about, the template, the status and the dates (and the once-only key).
DELIVERY_LOG_DAYS = 30


def forgotten_fields(row: dict[str, Any]) -> dict[Any, Any]:
    """What forgetting a message writes: it keeps only the session it was about (so organisers still see it
    listed)."""
    return {
        OutboxMessage.to_address: "",
        OutboxMessage.context: {"session_id": row["context"].get("session_id")},
        OutboxMessage.registration_id: None,
    }


async def _forget(rows: list[dict[str, Any]], mail_dir: Path) -> None:
    """Forget each row, its error too (a refusal often quotes the address); a copy written to ``mail_dir``
    (``Settings.mail_dir``) in development goes."""
    discard_written_copies(mail_dir, [row["message_id"] for row in rows])
    for row in rows:
        await OutboxMessage.update({**forgotten_fields(row), OutboxMessage.last_error: ""}).where(
            OutboxMessage.id == row["id"]
        )


async def _rows(where: Any) -> list[dict[str, Any]]:
    """Rows matching ``where``, their contexts decoded."""
    rows = await OutboxMessage.select(
        OutboxMessage.id, OutboxMessage.status, OutboxMessage.created_at, OutboxMessage.context,
        OutboxMessage.message_id,
    ).where(where)
    return [_loaded(row) for row in rows]


async def forget_mail_of(to_address: str, registration_id: int, *, mail_dir: Path) -> None:
    """A registrant's data is erased: their mail not yet sent is dropped, their sent and failed mail loses
    address and facts (and its development copy in ``mail_dir``)."""
    rows = await _rows((OutboxMessage.registration_id == registration_id) & (OutboxMessage.to_address == to_address))
    queued = [r["id"] for r in rows if r["status"] == OutboxMessage.Status.queued]
    if queued:
        await OutboxMessage.delete().where(OutboxMessage.id.is_in(queued))
    await _forget([r for r in rows if r["id"] not in queued], mail_dir)


async def forget_delivered(now: datetime, expired_session_ids: set[int], *, mail_dir: Path) -> int:
    """Sent and failed mail older than DELIVERY_LOG_DAYS, or about a session whose retention ran out, loses its
    address and facts (and development copies in ``mail_dir`` that old go); returns how many messages."""
    cutoff = now - timedelta(days=DELIVERY_LOG_DAYS)
    due = OutboxMessage.created_at < cutoff
    if expired_session_ids:
        due |= OutboxMessage.session_id.is_in(sorted(expired_session_ids))
    rows = await _rows(
        (OutboxMessage.to_address != "") & (OutboxMessage.status != OutboxMessage.Status.queued) & due
    )
    await _forget(rows, mail_dir)
    discard_copies_older_than(mail_dir, cutoff)
    return len(rows)


def is_forgotten(row: dict[str, Any]) -> bool:
    return not row["to_address"]


# --- The staff outbox page's queries and actions. --------------------------------------------------------

#: Rows shown at most on the staff page (newest first).
PAGE_LIMIT = 200


def _loaded(row: dict[str, Any]) -> dict[str, Any]:
    if isinstance(row.get("context"), str):
        row["context"] = json.loads(row["context"] or "{}")
    return row


#: ``sessions`` below: the ids of the sessions whose mail the viewer may see, None for all (an admin). Who organises
#: what is a rule of events/, which the caller asks (server/ imports no domain).
Sessions = Collection[int] | None


async def list_outbox(sessions: Sessions, status: str | None = None) -> list[dict[str, Any]]:
    """Newest messages first; only mail about ``sessions`` (an organiser's own)."""
    query = OutboxMessage.select().order_by(OutboxMessage.id, ascending=False)
    if status:
        if status not in {s.value for s in OutboxMessage.Status}:
            raise InvalidInput.field("status", _("Unknown status."))
        query = query.where(OutboxMessage.status == status)
    if sessions is not None:
        query = query.where(OutboxMessage.session_id.is_in(sorted(sessions)) if sessions else WhereRaw("1 = 0"))
    return [_loaded(row) for row in await query.limit(PAGE_LIMIT)]


async def visible_message(sessions: Sessions, message_id: int) -> dict[str, Any]:
    """One message about ``sessions``, else NotFound (an organiser learns nothing of other sessions' mail)."""
    row = await OutboxMessage.select().where(OutboxMessage.id == message_id).first()
    if row is None:
        raise NotFound(_("No such message."))
    if sessions is not None and row["session_id"] not in sessions:
        raise NotFound(_("No such message."))
    return _loaded(row)


def _being_sent(row: dict[str, Any], now: datetime) -> bool:
    return row["lease_until"] is not None and row["lease_until"] > now


def is_retryable(row: dict[str, Any]) -> bool:
    """Not sent, not erased, and no worker holding it right now (a retry then would send it twice)."""
    return (row["status"] != OutboxMessage.Status.sent and not is_forgotten(row)
            and not _being_sent(row, datetime.now(UTC)))


async def retry(sessions: Sessions, message_id: int) -> None:
    """Queue a failed (or waiting) message about ``sessions`` again, to go at once with a fresh count of
    attempts."""
    row = await visible_message(sessions, message_id)
    if row["status"] == OutboxMessage.Status.sent:
        raise Conflict(_("This message was already sent."), [FieldError("status", _("Already sent."))])
    if is_forgotten(row):
        raise Conflict(_("The address of this message was erased."), [FieldError("to_address", _("Erased."))])
    now = datetime.now(UTC)
    requeued = await OutboxMessage.update(
        {
            OutboxMessage.status: OutboxMessage.Status.queued,
            OutboxMessage.attempts: 0,
            OutboxMessage.next_attempt_at: now,
            OutboxMessage.lease_until: None,
        }
    ).where(
        (OutboxMessage.id == message_id)
        & (OutboxMessage.status != OutboxMessage.Status.sent)
        & (OutboxMessage.lease_until.is_null() | (OutboxMessage.lease_until < now))
    ).returning(OutboxMessage.id)
    if not requeued:
        raise Conflict(_("This message is being sent right now."), [FieldError("status", _("Being sent."))])
