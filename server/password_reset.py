"""Staff password reset by mail: anyone may ask for a link for an address; the answer is the same whether the
address is an account or not (no enumeration), and the work done is the same (a row written either way).

The link's token is stored only as its SHA-256, works once and for ``LINK_VALID`` only; the outbox row that
carries it forgets it once delivered. Asking is limited per address asked for and per client address. Setting
the new password ends the account's sessions and revokes its API tokens: whoever had the old password (or a
token made with it) is out.
"""

from __future__ import annotations

__all__ = [
    "LINK_VALID",
    "MAX_PER_CLIENT",
    "MAX_PER_EMAIL",
    "ResetLinkInvalid",
    "forget_old_resets",
    "link_is_valid",
    "request_reset",
    "reset_password_with",
]

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from server.db import write_transaction
from server.errors import ConveneError
from server.i18n import gettext as _
from server.mail.outbox import enqueue
from server.settings import Settings
from server.staff import check_new_password, revoke_all_tokens, set_password
from server.tables import PasswordReset, User

#: How long a link works.
LINK_VALID = timedelta(hours=1)
#: Within ``WINDOW``, at most this many links go to one address, and this many requests come from one client.
WINDOW = timedelta(hours=1)
MAX_PER_EMAIL = 3
MAX_PER_CLIENT = 10


class ResetLinkInvalid(ConveneError):
    """The link is unknown, used or expired."""

    status_code = 410
    title = "Link no longer valid"


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


async def _over_limit(email_hash: str, address: str) -> bool:
    since = _now() - WINDOW
    by_email = await PasswordReset.count().where(
        (PasswordReset.email_hash == email_hash) & (PasswordReset.created_at > since))
    by_client = await PasswordReset.count().where(
        (PasswordReset.address == address) & (PasswordReset.created_at > since))
    return by_email >= MAX_PER_EMAIL or by_client >= MAX_PER_CLIENT


async def request_reset(email: str, address: str, *, settings: Settings) -> None:
    """Mail a reset link to ``email`` if it is an active account, in its language; the caller answers the same
    in every case. Over a limit, nothing is recorded or sent. A new link replaces the account's earlier ones."""
    email = email.strip().lower()[:254]
    email_hash = _sha256(email)
    token = secrets.token_urlsafe(32)  # made for unknown addresses too: the same work either way
    now = _now()
    async with write_transaction(PasswordReset._meta.db):
        if settings.rate_limit and await _over_limit(email_hash, address):
            return
        user = await User.select(User.id, User.email, User.name, User.preferred_language).where(
            (User.email == email) & (User.active == True)  # noqa: E712 (SQL)
        ).first()
        if user is not None:
            await PasswordReset.update({PasswordReset.used_at: now}).where(
                (PasswordReset.user == user["id"]) & PasswordReset.used_at.is_null())
        await PasswordReset.insert(PasswordReset(
            address=address[:64], email_hash=email_hash, user=user["id"] if user else None,
            token_hash=_sha256(token) if user else None, created_at=now, expires_at=now + LINK_VALID,
        ))
        if user is None:
            return
        await enqueue(
            template="password_reset", to_address=user["email"], language=user["preferred_language"],
            timezone="UTC", mail_from=settings.mail_from,
            context={"reset_url": f"{settings.public_url}/staff/password-reset/{token}", "name": user["name"],
                     "valid_minutes": int(LINK_VALID.total_seconds() // 60), "forget_when_delivered": True},
        )


def _usable(token: str):
    return ((PasswordReset.token_hash == _sha256(token)) & PasswordReset.used_at.is_null()
            & (PasswordReset.expires_at > _now()))


async def link_is_valid(token: str) -> bool:
    """Whether the link still works (not used, not expired, not replaced)."""
    return await PasswordReset.exists().where(_usable(token))


async def reset_password_with(token: str, new_password: str) -> int:
    """Set the account's new password through a link, once: the link is spent, the account's sessions end and
    its API tokens are revoked. Returns the user id; ``ResetLinkInvalid`` (410) for a spent or unknown link, a
    422 naming ``password`` for a password too short (the link stays usable)."""
    check_new_password(new_password, "password")
    async with write_transaction(PasswordReset._meta.db):
        # The guarded update spends the link: of two uses at once, one finds it unused.
        spent = await PasswordReset.update({PasswordReset.used_at: _now()}).where(_usable(token)).returning(
            PasswordReset.user)
        if not spent or spent[0]["user"] is None:
            raise ResetLinkInvalid(_("This link has expired or was already used. Ask for a new one."))
        user_id = spent[0]["user"]
        await set_password(user_id, new_password)
        await revoke_all_tokens(user_id)
    return user_id


async def forget_old_resets() -> None:
    """Requests older than a day count for no limit and their links are dead: the worker deletes them."""
    await PasswordReset.delete().where(PasswordReset.created_at < _now() - timedelta(days=1))
