"""Deciding a message: one outbox row, written in the caller's transaction."""

from __future__ import annotations

__all__ = ["enqueue"]

import uuid
from typing import Any

from server.tables import OutboxMessage


def _domain(mail_from: str) -> str:
    return mail_from.rsplit("@", 1)[-1].strip(" >") or "localhost"


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
    message_id = f"<{uuid.uuid4().hex}@{_domain(mail_from)}>"
    query = OutboxMessage.insert(
        OutboxMessage(
            template=template,
            to_address=to_address,
            language=language,
            timezone=timezone,
            context=context,
            message_id=message_id,
            dedupe_key=dedupe_key,
        )
    )
    if dedupe_key is not None:
        # A second decision of the same message is no error, and must not abort the caller's transaction.
        query = query.on_conflict(target=OutboxMessage.dedupe_key, action="DO NOTHING")
    rows = await query.returning(OutboxMessage.id)
    return rows[0]["id"] if rows else None
