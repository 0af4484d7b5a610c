"""Mail forgets too: erasing a registration, and ``convene purge``, take the address and facts out of sent mail."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

import httpx

from events.tables import Session
from registrations import notifications
from registrations.manage import erase
from registrations.retention import purge_expired
from server.app import MAIL_BUILDERS
from server.mail.worker import WorkerOptions, deliver_due
from server.settings import Settings
from server.tables import OutboxMessage
from tests.conftest import Staff, login_cookie_client
from tests.mail_data import make_registration, make_session
from tests.server.helpers import post_form
from tests.smtp_server import (
    SmtpServer,
)

FAST = WorkerOptions(backoff_seconds=0.01, backoff_max_seconds=0.05)


async def _outbox() -> list[dict]:
    rows = await OutboxMessage.select(
        OutboxMessage.template, OutboxMessage.to_address, OutboxMessage.status, OutboxMessage.context
    ).order_by(OutboxMessage.id)
    return [{**row, "context": json.loads(row["context"]) if isinstance(row["context"], str) else row["context"]}
            for row in rows]


async def test_erasure_forgets_sent_mail_and_drops_mail_not_yet_sent(mail_settings: Settings, smtp: SmtpServer):
    session = await make_session()
    reg = await make_registration(session["id"], "ana@example.org")
    other = await make_registration(session["id"], "bo@example.org")
    await notifications.notify_registration_confirmed(reg, settings=mail_settings)
    await deliver_due(mail_settings, builders=MAIL_BUILDERS, options=FAST)
    smtp.sink.take(1)
    need = {"id": 1, "registration": reg["id"], "kind": "accessibility", "code": "captioning", "note": "Captions"}
    await notifications.notify_need_arranged(need, settings=mail_settings)
    await notifications.notify_registration_confirmed(other, settings=mail_settings)

    await erase(reg, settings=mail_settings)
    rows = await _outbox()

    assert [(r["template"], r["to_address"], r["status"]) for r in rows] == [
        ("registration_confirmed", "", "sent"),
        ("registration_confirmed", "bo@example.org", "queued"),
        ("data_erased", "ana@example.org", "queued"),  # the withdrawn invite; forgotten once delivered
    ]
    assert (rows[0]["context"], rows[1]["context"]["registration_id"]) == ({"session_id": session["id"]}, other["id"])


async def test_purge_forgets_old_mail_and_mail_of_expired_sessions(mail_settings: Settings, smtp: SmtpServer, capsys):
    live, expired = await make_session(), await make_session()
    for session, address in ((live, "old@example.org"), (live, "new@example.org"), (expired, "gone@example.org")):
        reg = await make_registration(session["id"], address)
        await notifications.notify_registration_confirmed(reg, settings=mail_settings)
    waiting = await make_registration(live["id"], "waiting@example.org")
    await deliver_due(mail_settings, builders=MAIL_BUILDERS, options=FAST)
    smtp.sink.take(3)
    await notifications.notify_registration_confirmed(waiting, settings=mail_settings)  # still queued
    now = datetime.now(UTC)
    await OutboxMessage.update({OutboxMessage.created_at: now - timedelta(days=31)}).where(
        OutboxMessage.to_address == "old@example.org"
    )
    ended = now - timedelta(days=400)
    await Session.update({Session.starts_at: ended - timedelta(hours=1), Session.ends_at: ended}).where(
        Session.id == expired["id"]
    )

    await purge_expired(mail_settings, now)

    assert [(r["to_address"], r["status"]) for r in await _outbox()] == [
        ("", "sent"), ("new@example.org", "sent"), ("", "sent"), ("waiting@example.org", "queued"),
    ]
    assert capsys.readouterr().out == "purged: 1 registrations anonymised, 2 sent messages forgotten\n"


async def test_forgotten_message_has_no_preview_and_no_retry(
    client: httpx.AsyncClient, settings: Settings, admin: Staff
):
    session = await make_session()
    reg = await make_registration(session["id"], "ana@example.org")
    await notifications.notify_registration_confirmed(reg, settings=settings)
    await OutboxMessage.update(
        {OutboxMessage.status: "failed", OutboxMessage.last_error: "550 No such user"}
    ).where(OutboxMessage.id == 1)
    await erase(reg, settings=settings)
    await login_cookie_client(client, admin)

    page = await client.get("/staff/outbox/1")
    html = await client.get("/staff/outbox/1/message.html")
    retry = await post_form(client, "/staff/outbox/1/retry")

    assert page.status_code == 200
    assert "The address and content of this message were erased under the retention rules." in page.text
    assert (html.status_code, retry.status_code) == (409, 409)
    assert (await OutboxMessage.select(OutboxMessage.status).where(OutboxMessage.id == 1).first()) == {
        "status": "failed"
    }


async def test_purge_and_erasure_remove_development_copies_of_forgotten_mail(settings: Settings):
    assert settings.smtp_url is None  # so mail is written under var/mail
    mail_dir = settings.mail_dir
    earlier = set(mail_dir.glob("*.eml"))
    session = await make_session()
    reg = await make_registration(session["id"], "ana@example.org")
    await notifications.notify_registration_confirmed(reg, settings=settings)
    await deliver_due(settings, builders=MAIL_BUILDERS, options=FAST)
    (copy,) = set(mail_dir.glob("*.eml")) - earlier
    old = mail_dir / "old-message.eml"
    old.write_text("To: someone@example.org\n")
    long_ago = (datetime.now(UTC) - timedelta(days=31)).timestamp()
    os.utime(old, (long_ago, long_ago))

    await erase(reg, settings=settings)
    await purge_expired(settings)

    assert not copy.exists()
    assert not old.exists()
