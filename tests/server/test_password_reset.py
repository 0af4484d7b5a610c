"""Staff password reset by mail: the same answer for any address, a link that works once and within the hour,
stored hashed, limited, and a reset that ends the account's sessions and API tokens."""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import UTC, datetime, timedelta

from server.app import JOBS, MAIL_BUILDERS
from server.mail.worker import WorkerOptions, deliver_due
from server.settings import Settings
from server.tables import OutboxMessage, PasswordReset, User
from tests.conftest import Staff, login_cookie_client
from tests.server.helpers import browser, post_form, try_login
from tests.smtp_server import (
    SmtpServer,
    text_of,
)

FAST = WorkerOptions(backoff_seconds=0.01, backoff_max_seconds=0.05)
SENT = ("If this address belongs to a staff account, a link to set a new password is on its way. It works once, "
        "for one hour.")
LINK = re.compile(r"http://convene\.test(/staff/password-reset/[A-Za-z0-9_-]+)")


async def _ask(client, email: str):
    return await post_form(client, "/staff/password-reset", {"email": email})


async def _mailed_link(mail_settings: Settings, smtp: SmtpServer, to: str) -> tuple[str, object]:
    await deliver_due(mail_settings, builders=MAIL_BUILDERS, options=FAST)
    (received,) = smtp.sink.take(1)
    assert received.recipients == [to]
    return LINK.search(text_of(received.message, "plain")).group(1), received.message


async def test_login_page_links_to_the_reset(client):
    page = await client.get("/staff/login")

    assert '<a href="/staff/password-reset">Forgot your password?</a>' in page.text


async def test_reset_by_mail_in_the_staff_language_sets_the_password_once_and_ends_sessions_and_tokens(
    client, app, organiser: Staff, mail_settings: Settings, smtp: SmtpServer
):
    await User.update({User.preferred_language: "fr"}).where(User.id == organiser.id)
    async with browser(app, "127.0.0.2") as signed_in:
        await login_cookie_client(signed_in, organiser)
        asked = await _ask(client, organiser.email.upper())
        path, message = await _mailed_link(mail_settings, smtp, organiser.email)

        form = await client.get(path)
        too_short = await post_form(client, path, {"password": "short"})
        done = await post_form(client, path, {"password": "a new long password"})
        again = await post_form(client, path, {"password": "another long password"})
        old_session = await signed_in.get("/staff/profile")

    assert asked.status_code == 200
    assert SENT in asked.text
    assert message["Subject"] == "Définir un nouveau mot de passe pour Convene"
    assert message["Content-Language"] == "fr"
    assert f'<a href="http://convene.test{path}"' in text_of(message, "html")
    assert form.status_code == 200
    assert 'name="password" type="password" autocomplete="new-password"' in form.text
    assert too_short.status_code == 422
    assert 'id="reset-password-error"' in too_short.text
    assert done.status_code == 200
    assert "Your password is changed." in done.text
    assert again.status_code == 410
    assert "This link has expired or was already used. Ask for a new one." in again.text
    assert (await try_login(client, organiser.email, organiser.password)).status_code == 401
    assert (await try_login(client, organiser.email, "a new long password")).status_code in (302, 303)
    assert old_session.status_code in (302, 303)
    assert (await client.get("/api/v1/tokens", headers=organiser.headers)).status_code == 401
    # The token is kept only as its hash, and the delivered mail forgets the link.
    token = path.rsplit("/", 1)[1]
    rows = await PasswordReset.select(PasswordReset.token_hash, PasswordReset.used_at)
    assert [row["token_hash"] for row in rows] == [hashlib.sha256(token.encode()).hexdigest()]
    assert rows[0]["used_at"] is not None
    assert token not in str(await OutboxMessage.select(OutboxMessage.context, OutboxMessage.to_address))


async def test_unknown_address_gets_the_same_answer_and_no_mail(client, organiser: Staff):
    known = await _ask(client, organiser.email)
    unknown = await _ask(client, "nobody@convene.test")

    assert unknown.status_code == known.status_code == 200
    assert unknown.text == known.text
    assert await OutboxMessage.count() == 1  # the known address's (the guard would catch any delivery)
    assert await PasswordReset.select(PasswordReset.user).order_by(PasswordReset.id) == [
        {"user": organiser.id}, {"user": None}]
    await OutboxMessage.delete().where(OutboxMessage.id > 0)  # not delivered in this test


async def test_link_expires_after_an_hour(client, organiser: Staff, mail_settings: Settings, smtp: SmtpServer):
    await _ask(client, organiser.email)
    path, _message = await _mailed_link(mail_settings, smtp, organiser.email)
    await PasswordReset.update({PasswordReset.expires_at: datetime.now(UTC) - timedelta(seconds=1)}).where(
        PasswordReset.id > 0)

    page = await client.get(path)
    used = await post_form(client, path, {"password": "a new long password"})

    assert page.status_code == used.status_code == 410
    assert (await try_login(client, organiser.email, organiser.password)).status_code in (302, 303)


async def test_a_new_link_replaces_the_earlier_one(client, organiser: Staff, mail_settings: Settings,
                                                  smtp: SmtpServer):
    await _ask(client, organiser.email)
    first, _message = await _mailed_link(mail_settings, smtp, organiser.email)
    await _ask(client, organiser.email)
    second, _message = await _mailed_link(mail_settings, smtp, organiser.email)

    assert (await client.get(first)).status_code == 410
    assert (await client.get(second)).status_code == 200


async def test_asking_is_limited_per_address(client, organiser: Staff):
    answers = [await _ask(client, organiser.email) for _ in range(5)]

    assert [answer.status_code for answer in answers] == [200] * 5
    assert {answer.text for answer in answers} == {answers[0].text}
    assert await OutboxMessage.count() == 3
    await OutboxMessage.delete().where(OutboxMessage.id > 0)  # not delivered in this test


async def test_an_unknown_link_is_410(client):
    page = await client.get("/staff/password-reset/not-a-real-token")

    assert page.status_code == 410
    assert "Ask for a new link" in page.text


async def test_reset_links_stay_out_of_the_access_log(client, caplog):
    caplog.set_level(logging.INFO)

    await client.get("/staff/password-reset/secret-reset-token-789")

    logged = "\n".join(record.getMessage() for record in caplog.records if record.name == "convene.access")
    assert "GET /staff/password-reset/… 410" in logged
    assert "secret-reset-token-789" not in logged


async def test_requests_older_than_a_day_are_forgotten(client, settings):
    await _ask(client, "nobody@convene.test")
    await PasswordReset.update({PasswordReset.created_at: datetime.now(UTC) - timedelta(hours=25)}).where(
        PasswordReset.id > 0)
    await _ask(client, "nobody.else@convene.test")

    await JOBS["forget_old_password_resets"](settings)

    assert await PasswordReset.count() == 1
