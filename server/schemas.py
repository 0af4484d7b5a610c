"""JSON shapes of staff accounts and API tokens (msgspec: unknown fields refused, text bounded)."""

from __future__ import annotations

__all__ = [
    "PasswordOut",
    "TokenCreate",
    "TokenCreated",
    "TokenOut",
    "UserCreate",
    "UserCreated",
    "UserOut",
    "UserUpdate",
]

from datetime import datetime
from typing import Annotated, Literal

import msgspec

Role = Literal["admin", "organiser"]
Email = Annotated[str, msgspec.Meta(max_length=254)]
Name = Annotated[str, msgspec.Meta(max_length=200)]
TokenName = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Password = Annotated[str, msgspec.Meta(max_length=1000)]


class UserOut(msgspec.Struct):
    """A staff account as admins see it (never its password hash)."""

    id: int
    email: str
    name: str
    role: str
    active: bool
    preferred_language: str
    notify_staff: bool
    created_at: datetime
    last_login_at: datetime | None


class UserCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A new account; without a password one is generated and returned once."""

    email: Email
    role: Role
    name: Name = ""
    password: Password | None = None


class UserCreated(msgspec.Struct):
    user: UserOut
    password: str


class UserUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """What an admin may change; omitted fields stay as they are."""

    role: Role | None = None
    active: bool | None = None
    name: Name | None = None


class PasswordOut(msgspec.Struct):
    """A new password, shown this one time."""

    password: str


class TokenOut(msgspec.Struct):
    """An API token as listed: never the token itself."""

    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None


class TokenCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: TokenName


class TokenCreated(msgspec.Struct):
    """The token, shown this one time; only its hash is kept."""

    id: int
    name: str
    token: str
    created_at: datetime
