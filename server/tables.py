"""Staff accounts, API tokens, and the mail outbox."""

from __future__ import annotations

from enum import Enum

from piccolo.columns import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class User(Table, tablename="staff_user"):
    """A member of the secretariat: an admin sees everything, an organiser the sessions assigned to them."""

    class Role(str, Enum):
        admin = "admin"
        organiser = "organiser"

    id: Serial
    #: Login name, lower-cased; unique.
    email = Varchar(length=254, unique=True, index=True)
    #: How the person is addressed on pages.
    name = Varchar(length=200, default="")
    #: ``admin`` or ``organiser``.
    role = Varchar(length=20, choices=Role, default=Role.organiser)
    #: argon2 hash of the password.
    password_hash = Varchar(length=200)
    #: A disabled user can neither log in nor use tokens.
    active = Boolean(default=True)
    #: Raised on every password change and disabling; cookies carry it, so old sessions stop working.
    session_version = Integer(default=1)
    #: Opt-in notices about the sessions they organise (off by default).
    notify_staff = Boolean(default=False)
    #: Language of the staff pages and notices.
    preferred_language = Varchar(length=8, default="en")
    #: When the account was made.
    created_at = Timestamptz(default=TimestamptzNow())
    #: Last successful login, null before the first.
    last_login_at = Timestamptz(null=True, default=None)


class ApiToken(Table):
    """A bearer token for the JSON API; only its SHA-256 is stored, the token is shown once."""

    id: Serial
    #: Whose token it is.
    user = ForeignKey(references=User, null=False)
    #: What the token is for, as its owner named it.
    name = Varchar(length=100)
    #: SHA-256 hex digest of the token.
    token_hash = Varchar(length=64, unique=True, index=True)
    #: When it was made.
    created_at = Timestamptz(default=TimestamptzNow())
    #: Last request authenticated by it, null if never used.
    last_used_at = Timestamptz(null=True, default=None)
    #: When it was revoked; a revoked token authenticates nothing.
    revoked_at = Timestamptz(null=True, default=None)


class LoginAttempt(Table):
    """A failed login, counted per address and per email to slow down password guessing."""

    id: Serial
    #: Client address the attempt came from.
    address = Varchar(length=64, index=True)
    #: SHA-256 of the lower-cased email tried (no personal data kept in clear).
    email_hash = Varchar(length=64, index=True)
    #: When it failed.
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


class OutboxMessage(Table):
    """One message to one person, decided in the transaction of the change that causes it.

    The worker renders it from ``template`` and ``context`` in the recipient's language and time zone,
    and sends it with retries: a crash or an SMTP outage delays it, never drops it.
    """

    class Status(str, Enum):
        queued = "queued"
        sent = "sent"
        failed = "failed"

    id: Serial
    #: Template name under templates/emails/, e.g. ``registration_confirmed``.
    template = Varchar(length=100)
    #: Recipient address.
    to_address = Varchar(length=254)
    #: Recipient's language (one of the six UN languages).
    language = Varchar(length=8, default="en")
    #: Recipient's IANA time zone.
    timezone = Varchar(length=64, default="UTC")
    #: The facts that must not drift between decision and sending: ids, calendar SEQUENCE and METHOD, changes.
    context = JSON(default="{}")
    #: The session the message is about, copied from ``context`` (the outbox page and forgetting filter on it).
    session_id = Integer(null=True, default=None, index=True)
    #: The registration the message is about, copied from ``context``; null for mail to staff and invitations.
    registration_id = Integer(null=True, default=None, index=True)
    #: Stable Message-ID header value.
    message_id = Varchar(length=200, unique=True)
    #: Makes a message that must go once (a reminder) unique; null for the rest.
    dedupe_key = Varchar(length=200, null=True, default=None, unique=True)
    #: ``queued``, ``sent`` or ``failed``.
    status = Varchar(length=10, choices=Status, default=Status.queued, index=True)
    #: Delivery attempts so far.
    attempts = Integer(default=0)
    #: Not to be tried before this time (backoff).
    next_attempt_at = Timestamptz(default=TimestamptzNow(), index=True)
    #: A worker holds the row until then; an expired lease means the worker died and the row is free again.
    lease_until = Timestamptz(null=True, default=None)
    #: The last error or the server's reason for refusing.
    last_error = Text(default="")
    #: When it was decided.
    created_at = Timestamptz(default=TimestamptzNow())
    #: When the SMTP server accepted it.
    sent_at = Timestamptz(null=True, default=None)


class PasswordReset(Table):
    """A request for a password reset link by mail. Every request is kept (known address or not) for the rate
    limits; only a known, active account gets a token, of which only the SHA-256 is stored."""

    id: Serial
    #: Client address the request came from.
    address = Varchar(length=64, index=True)
    #: SHA-256 of the lower-cased email asked for (no personal data kept in clear).
    email_hash = Varchar(length=64, index=True)
    #: The account the link resets; null when the address is no active account.
    user = ForeignKey(references=User, null=True, default=None)
    #: SHA-256 hex digest of the link's token; null when no link was sent.
    token_hash = Varchar(length=64, null=True, default=None, unique=True)
    #: When it was asked for.
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    #: The link works until then.
    expires_at = Timestamptz(default=TimestamptzNow())
    #: When the link was used (or superseded); a used link works no more.
    used_at = Timestamptz(null=True, default=None)
