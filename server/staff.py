"""Staff accounts and API tokens: the rules (services) behind the admin, token and profile pages and their API.
Their HTTP side (pages and JSON controllers) is ``server/accounts.py``; a session's registrations as staff see
them are ``registrations/staff.py``, which has nothing to do with staff accounts.

Disabling a user or setting a new password raises ``User.session_version``, which every session cookie
carries, so the person's open sessions end at once; a disabled user's tokens stop working too.
There is always at least one active admin.
"""

from __future__ import annotations

__all__ = [
    "add_user",
    "change_own_password",
    "check_new_password",
    "create_token",
    "get_user",
    "list_tokens",
    "list_users",
    "reset_password",
    "revoke_token",
    "set_password",
    "update_profile",
    "update_user",
]

import secrets
from datetime import UTC, datetime

from server.auth import create_user, hash_password, issue_api_token, verify_password
from server.db import write_transaction
from server.errors import Conflict, InvalidInput, NotFound
from server.i18n import LANGUAGES
from server.i18n import gettext as _
from server.schemas import TokenCreated, TokenOut, UserCreate, UserCreated, UserOut, UserUpdate
from server.tables import ApiToken, User

MIN_PASSWORD_LENGTH = 10

_USER_OUT = (
    User.id,
    User.email,
    User.name,
    User.role,
    User.active,
    User.preferred_language,
    User.notify_staff,
    User.created_at,
    User.last_login_at,
)


def _user_out(row: dict) -> UserOut:
    return UserOut(**{column._meta.name: row[column._meta.name] for column in _USER_OUT})


async def list_users() -> list[UserOut]:
    rows = await User.select(*_USER_OUT).order_by(User.email)
    return [_user_out(row) for row in rows]


async def get_user(user_id: int) -> UserOut:
    row = await User.select(*_USER_OUT).where(User.id == user_id).first()
    if row is None:
        raise NotFound(_("No such user."))
    return _user_out(row)


def check_new_password(password: str, field: str = "password") -> None:
    """A 422 naming ``field`` when the new password is too short."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput.field(field, _("Use at least %(count)s characters.", count=MIN_PASSWORD_LENGTH))


async def add_user(data: UserCreate) -> UserCreated:
    """A new staff account; returns it with its password (generated unless the admin chose one)."""
    if data.password:
        check_new_password(data.password)
    async with write_transaction(User._meta.db):
        user_id, password = await create_user(data.email, data.role, name=data.name.strip(), password=data.password)
    return UserCreated(user=await get_user(user_id), password=password)


async def _ensure_an_admin_remains(user_id: int) -> None:
    """Refuse a change that would leave no active admin (called inside the write transaction)."""
    others = await User.count().where(
        (User.role == User.Role.admin.value) & (User.active == True) & (User.id != user_id)  # noqa: E712
    )
    if others == 0:
        raise Conflict(_("This is the last active admin; make another admin first."))


async def update_user(user_id: int, data: UserUpdate) -> UserOut:
    """Change role, active state or name; disabling ends the person's sessions."""
    async with write_transaction(User._meta.db):
        current = await get_user(user_id)
        loses_admin = current.role == User.Role.admin.value and current.active and (
            data.role == User.Role.organiser.value or data.active is False
        )
        if loses_admin:
            await _ensure_an_admin_remains(user_id)
        changes: dict = {}
        if data.role is not None:
            changes[User.role] = data.role
        if data.name is not None:
            changes[User.name] = data.name.strip()
        if data.active is not None and data.active != current.active:
            changes[User.active] = data.active
            if not data.active:
                changes[User.session_version] = User.session_version + 1
                await revoke_all_tokens(user_id)  # enabling the account again must not revive them
        if changes:
            await User.update(changes).where(User.id == user_id)
    return await get_user(user_id)


async def reset_password(user_id: int) -> str:
    """A new generated password for someone who lost theirs (or whose account was taken over): their open
    sessions end and their API tokens are revoked."""
    password = secrets.token_urlsafe(12)
    async with write_transaction(User._meta.db):
        await set_password(user_id, password)
        await revoke_all_tokens(user_id)
    return password


async def revoke_all_tokens(user_id: int) -> int:
    """Revoke every API token of the person that still works; returns how many."""
    rows = await ApiToken.update({ApiToken.revoked_at: datetime.now(UTC)}).where(
        (ApiToken.user == user_id) & ApiToken.revoked_at.is_null()
    ).returning(ApiToken.id)
    return len(rows)


async def set_password(user_id: int, password: str) -> int:
    """Store a new password and end every session; returns the new session version."""
    rows = await User.update(
        {User.password_hash: hash_password(password), User.session_version: User.session_version + 1}
    ).where(User.id == user_id).returning(User.session_version)
    if not rows:
        raise NotFound(_("No such user."))
    return rows[0]["session_version"]


async def change_own_password(user_id: int, current: str, new: str) -> int:
    """Change one's own password (the current one is required); returns the new session version."""
    row = await User.select(User.password_hash).where(User.id == user_id).first()
    if row is None or not verify_password(row["password_hash"], current):
        raise InvalidInput.field("current_password", _("The current password is not right."))
    check_new_password(new, "new_password")
    return await set_password(user_id, new)


async def update_profile(user_id: int, *, name: str, preferred_language: str, notify_staff: bool) -> UserOut:
    if preferred_language not in LANGUAGES:
        raise InvalidInput.field("preferred_language", _("Choose one of the six UN languages."))
    await User.update(
        {User.name: name.strip(), User.preferred_language: preferred_language, User.notify_staff: notify_staff}
    ).where(User.id == user_id)
    return await get_user(user_id)


async def list_tokens(user_id: int) -> list[TokenOut]:
    """The person's tokens that still work, by name."""
    rows = (
        await ApiToken.select(ApiToken.id, ApiToken.name, ApiToken.created_at, ApiToken.last_used_at)
        .where((ApiToken.user == user_id) & ApiToken.revoked_at.is_null())
        .order_by(ApiToken.name)
        .order_by(ApiToken.id)
    )
    return [TokenOut(**row) for row in rows]


async def create_token(user_id: int, name: str) -> TokenCreated:
    name = name.strip()
    if not name:
        raise InvalidInput.field("name", _("Give the token a name."))
    row, token = await issue_api_token(user_id, name)
    return TokenCreated(id=row["id"], name=row["name"], token=token, created_at=row["created_at"])


async def revoke_token(user_id: int, token_id: int) -> None:
    """Revoke one of the person's own tokens; someone else's is not found."""
    rows = await ApiToken.update({ApiToken.revoked_at: datetime.now(UTC)}).where(
        (ApiToken.id == token_id) & (ApiToken.user == user_id) & ApiToken.revoked_at.is_null()
    ).returning(ApiToken.id)
    if not rows:
        raise NotFound(_("No such token."))
