"""Staff authentication: argon2 passwords, signed session cookies for pages, hashed bearer tokens for the API.

The API (``/api/``) reads only ``Authorization: Bearer``, pages read only the session cookie, so the API
needs no CSRF protection and a stolen cookie is no API key.
"""

from __future__ import annotations

__all__ = [
    "BEARER_SCHEME",
    "CURRENT_STAFF",
    "OPTIONAL_SECURITY",
    "SESSION_COOKIE",
    "STAFF_SECURITY",
    "Me",
    "StaffUser",
    "TooManyAttempts",
    "authenticate",
    "create_api_token",
    "create_user",
    "current_staff",
    "end_sessions",
    "forget_old_login_attempts",
    "hash_password",
    "issue_api_token",
    "login",
    "require_admin",
    "require_session_manager",
    "require_staff",
    "session_cookie",
    "session_cookie_value",
    "use_password_parameters",
    "verify_password",
]

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import Parameters, PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler

from server.errors import ConveneError, InvalidInput
from server.i18n import gettext
from server.i18n import gettext as _
from server.settings import Settings
from server.tables import ApiToken, LoginAttempt, User
from server.validation import normalised_email
from server.web import SESSION_COOKIE

#: The API's OpenAPI security scheme (``Authorization: Bearer <token>``), and the ``security`` of its staff routes
#: and of routes anyone may call that show staff more.
BEARER_SCHEME = "BearerToken"
STAFF_SECURITY: list[dict[str, list[str]]] = [{BEARER_SCHEME: []}]
OPTIONAL_SECURITY: list[dict[str, list[str]]] = [{}, {BEARER_SCHEME: []}]
SESSION_MAX_AGE = timedelta(hours=12)
#: Guessing is throttled, not the account's owner: failures count per (email, client address) pair, so the right
#: password from another address still works while someone guesses. A pair has this many failures free; each
#: further one waits ``PAIR_FIRST_DELAY`` doubled per failure (up to ``PAIR_MAX_DELAY``) after the last.
FREE_FAILURES_PER_PAIR = 5
PAIR_FIRST_DELAY = timedelta(seconds=30)
PAIR_MAX_DELAY = timedelta(hours=1)
#: How long a pair's failures count (a success clears them).
PAIR_WINDOW = timedelta(hours=24)
#: Failed logins allowed from one address over every email, in ``FAILURE_WINDOW``.
MAX_FAILURES_PER_ADDRESS = 20
FAILURE_WINDOW = timedelta(minutes=15)

_hasher = PasswordHasher()
# Verified against when the email is unknown, so a login takes the same time either way.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def use_password_parameters(parameters: Parameters) -> None:
    """Choose argon2's cost: production keeps argon2-cffi's default (RFC 9106 low-memory profile); the test suite
    uses ``argon2.profiles.CHEAPEST`` so that hundreds of accounts and logins stay fast."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher.from_parameters(parameters)
    _DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class TooManyAttempts(ConveneError):
    """Refused for now; ``retry_after`` (whole seconds) says when to try again (the ``Retry-After`` header)."""

    status_code = 429
    title = "Too many attempts"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


@dataclass(frozen=True)
class StaffUser:
    """The authenticated staff member of a request."""

    id: int
    email: str
    name: str
    role: str
    preferred_language: str

    @property
    def is_admin(self) -> bool:
        return self.role == User.Role.admin.value


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def normalise_email(email: str, field: str = "email") -> str:
    """The address normalised (server.validation.normalised_email); an invalid one is refused (422)."""
    address = normalised_email(email)
    if address is None:
        raise InvalidInput.field(field, _("Enter a valid email address."))
    return address


def _staff(row: dict) -> StaffUser:
    return StaffUser(
        id=row["id"],
        email=row["email"],
        name=row["name"],
        role=row["role"],
        preferred_language=row["preferred_language"],
    )


async def create_user(email: str, role: str, name: str = "", password: str | None = None) -> tuple[int, str]:
    """Make a staff account; returns its id and the password (generated when not given)."""
    if role not in {r.value for r in User.Role}:
        raise InvalidInput.field("role", _("Choose admin or organiser."))
    email = normalise_email(email)
    if await User.exists().where(User.email == email):
        raise InvalidInput.field("email", _("A user with this email exists already."))
    password = password or secrets.token_urlsafe(12)
    rows = await User.insert(
        User(email=email, role=role, name=name, password_hash=hash_password(password))
    ).returning(User.id)
    return rows[0]["id"], password


async def issue_api_token(user_id: int, name: str) -> tuple[dict, str]:
    """A new bearer token and its row (id, name, created_at); only its hash is kept, so this is the one
    time the token is seen."""
    token = "cvn_" + secrets.token_urlsafe(32)
    rows = await ApiToken.insert(
        ApiToken(user=user_id, name=name[:100], token_hash=_sha256(token))
    ).returning(ApiToken.id, ApiToken.name, ApiToken.created_at)
    return rows[0], token


async def create_api_token(user_id: int, name: str) -> str:
    """A new bearer token (see ``issue_api_token``)."""
    return (await issue_api_token(user_id, name))[1]


_USER_COLUMNS = (User.id, User.email, User.name, User.role, User.preferred_language)


async def user_by_token(token: str) -> StaffUser | None:
    row = (
        await ApiToken.select(ApiToken.id, *(getattr(ApiToken.user, c._meta.name) for c in _USER_COLUMNS))
        .where(
            (ApiToken.token_hash == _sha256(token))
            & ApiToken.revoked_at.is_null()
            & (ApiToken.user.active == True)  # noqa: E712  (Piccolo builds SQL from ==)
        )
        .first()
    )
    if row is None:
        return None
    await ApiToken.update({ApiToken.last_used_at: datetime.now(UTC)}).where(ApiToken.id == row["id"])
    return _staff({key.removeprefix("user."): value for key, value in row.items()})


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="convene-staff-session")


def session_cookie_value(secret_key: str, user_id: int, session_version: int) -> str:
    return _serializer(secret_key).dumps([user_id, session_version])


def session_cookie(settings: Settings, user_id: int, session_version: int) -> Cookie:
    """The signed staff session cookie: HttpOnly, SameSite=Lax, Secure when served over https."""
    return Cookie(
        key=SESSION_COOKIE,
        value=session_cookie_value(settings.secret_key, user_id, session_version),
        max_age=int(SESSION_MAX_AGE.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=settings.public_url.startswith("https://"),
    )


async def user_by_cookie(secret_key: str, cookie: str) -> StaffUser | None:
    try:
        user_id, version = _serializer(secret_key).loads(cookie, max_age=SESSION_MAX_AGE.total_seconds())
    except (BadSignature, ValueError, TypeError):
        return None
    row = (
        await User.select(*_USER_COLUMNS)
        .where((User.id == user_id) & (User.session_version == version) & (User.active == True))  # noqa: E712
        .first()
    )
    return _staff(row) if row else None


async def end_sessions(user_id: int) -> None:
    """Every session cookie of this user stops working, a copied one included (logout)."""
    await User.update({User.session_version: User.session_version + 1}).where(User.id == user_id)


async def authenticate(connection: ASGIConnection) -> StaffUser | None:
    """The staff member behind this request, or None: bearer token on the API, cookie on pages."""
    if "convene_user" in connection.scope:
        return connection.scope["convene_user"]
    user = None
    if connection.url.path.startswith("/api/"):
        scheme, _, token = connection.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token:
            user = await user_by_token(token.strip())
    elif cookie := connection.cookies.get(SESSION_COOKIE):
        user = await user_by_cookie(connection.app.state.settings.secret_key, cookie)
    connection.scope["convene_user"] = user
    return user


async def current_staff(request: Request) -> StaffUser:
    """The signed-in staff member of a handler behind a staff guard; a handler without one that asks for it
    answers 401 to anonymous callers rather than serving them."""
    user = await authenticate(request)
    if user is None:
        raise NotAuthorizedException("Authentication required")
    return user


#: The app's dependency ``me``: a staff handler takes ``me: Me`` for the signed-in staff member.
CURRENT_STAFF = {"me": Provide(current_staff)}
Me = NamedDependency[StaffUser]


async def require_staff(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Guard: any active staff member (what they may touch is checked per session by the services)."""
    if await authenticate(connection) is None:
        raise NotAuthorizedException("Authentication required")


async def require_admin(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Guard: admins only."""
    user = await authenticate(connection)
    if user is None:
        raise NotAuthorizedException("Authentication required")
    if not user.is_admin:
        raise PermissionDeniedException(gettext("Admins only."))  # `_` is the handler here


def pair_delay(failures: int) -> timedelta:
    """How long after its last failure a pair with ``failures`` waits before its next try (zero while free)."""
    if failures < FREE_FAILURES_PER_PAIR:
        return timedelta(0)
    return min(PAIR_FIRST_DELAY * 2 ** min(failures - FREE_FAILURES_PER_PAIR, 20), PAIR_MAX_DELAY)


async def _ensure_not_throttled(email_hash: str, address: str) -> None:
    """Refuse (429 with when to retry) a pair that must still wait, or an address that failed too often lately."""
    now = datetime.now(UTC)
    pair = await LoginAttempt.select(LoginAttempt.created_at).where(
        (LoginAttempt.created_at > now - PAIR_WINDOW) & (LoginAttempt.email_hash == email_hash)
        & (LoginAttempt.address == address)
    ).order_by(LoginAttempt.created_at, ascending=False)
    wait = pair[0]["created_at"] + pair_delay(len(pair)) - now if pair else timedelta(0)
    by_address = await LoginAttempt.select(LoginAttempt.created_at).where(
        (LoginAttempt.created_at > now - FAILURE_WINDOW) & (LoginAttempt.address == address)
    ).order_by(LoginAttempt.created_at, ascending=False).limit(MAX_FAILURES_PER_ADDRESS)
    if len(by_address) >= MAX_FAILURES_PER_ADDRESS:
        wait = max(wait, by_address[-1]["created_at"] + FAILURE_WINDOW - now)
    if wait > timedelta(0):
        raise TooManyAttempts(
            _("Too many failed logins; wait a while before trying again."), math.ceil(wait.total_seconds())
        )


async def forget_old_login_attempts() -> None:
    """Failed logins older than the pair window no longer count; the worker deletes them so the table stays small."""
    await LoginAttempt.delete().where(LoginAttempt.created_at < datetime.now(UTC) - PAIR_WINDOW)


async def require_session_manager(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    """Guard for staff routes under one session (``{session_id}`` in the path): its organisers and admins.

    It runs before the body is read, so someone else's organiser gets 403 whatever they send. Who may manage a
    session is a rule of events/: the composition root (server.app) hands the check over as
    ``app.state.session_access_check``, an ``(user, session_id)`` coroutine raising NotFound or Forbidden.
    """
    user = await authenticate(connection)
    if user is None:
        raise NotAuthorizedException("Authentication required")
    await connection.app.state.session_access_check(user, int(connection.path_params["session_id"]))


async def login(email: str, password: str, address: str, *, rate_limit: bool = True) -> tuple[StaffUser, int]:
    """Check a password; returns the user and the session version for the cookie.

    Failures are counted per (email, address) pair and per address in the database, so the limit holds across
    workers, and a success clears its pair's; ``rate_limit=False`` (``RATE_LIMIT=off``, for benchmarks) neither
    counts nor checks them.
    """
    email = email.strip().lower()
    email_hash = _sha256(email)
    if rate_limit:
        await _ensure_not_throttled(email_hash, address)
    row = await User.select().where((User.email == email) & (User.active == True)).first()  # noqa: E712
    if row is None or not verify_password(row["password_hash"], password):
        if row is None:
            verify_password(_DUMMY_HASH, password)
        if rate_limit:
            await LoginAttempt.insert(LoginAttempt(address=address, email_hash=email_hash))
        raise NotAuthorizedException("Wrong email or password")
    if rate_limit:
        await LoginAttempt.delete().where((LoginAttempt.email_hash == email_hash) & (LoginAttempt.address == address))
    await User.update({User.last_login_at: datetime.now(UTC)}).where(User.id == row["id"])
    return _staff(row), row["session_version"]
