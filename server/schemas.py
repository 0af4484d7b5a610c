"""JSON shapes of staff accounts and API tokens (msgspec: unknown fields refused, text bounded), and the bounded
integer types every package uses for ids and counts in bodies, paths and queries."""

from __future__ import annotations

__all__ = [
    "MAX_INT",
    "Count",
    "OptionalQueryId",
    "PasswordOut",
    "PathId",
    "QueryOffset",
    "RowId",
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
from litestar.params import PathParameter, QueryParameter

#: The largest value an ``integer`` column (and a serial id) holds on PostgreSQL. Larger numbers are refused where
#: they come in, naming the field, instead of overflowing in the database (a 500 on either engine).
MAX_INT = 2**31 - 1
#: An id in a body (``series_id``, ``organiser_ids``…).
RowId = Annotated[int, msgspec.Meta(ge=1, le=MAX_INT)]
#: A count in a body (``capacity``…): 0 or more.
Count = Annotated[int, msgspec.Meta(ge=0, le=MAX_INT)]
#: An id in a path. Out of range it is a 404 like any unknown id (the app's ``bounded_path_ids`` guard answers
#: before any other guard reads it); the bound here documents it in the OpenAPI.
PathId = Annotated[int, PathParameter(ge=1, le=MAX_INT)]
#: An optional id in a query (``?series=``). Litestar applies a bound only when the whole annotation, ``None``
#: included, is inside ``Annotated``: ``Annotated[int, …] | None`` would not be checked.
OptionalQueryId = Annotated[int | None, QueryParameter(ge=1, le=MAX_INT)]
#: ``?offset=`` of a paginated listing.
QueryOffset = Annotated[int, QueryParameter(ge=0, le=MAX_INT)]

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
