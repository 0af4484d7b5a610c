"""JSON shapes of staff accounts and API tokens (msgspec: unknown fields refused, text bounded), and the bounded
integer types every package uses for ids and counts in bodies, paths and queries."""

from __future__ import annotations

__all__ = [
    "DATE_OR_DATE_TIME",
    "DATE_TIME",
    "IN_RANGE_IDS",
    "LINE_TEXT",
    "MAX_INT",
    "MULTILINE_TEXT",
    "NON_BLANK_LINE",
    "NON_BLANK_MULTILINE",
    "UN_LANGUAGES",
    "ZONE_NAMES",
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
    "empty_or_one_of",
    "stated",
]

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import available_timezones

import msgspec
from litestar.params import PathParameter, QueryParameter

from server.i18n import LANGUAGES

#: The largest value an ``integer`` column (and a serial id) holds on PostgreSQL. Larger numbers are refused where
#: they come in, naming the field, instead of overflowing in the database (a 500 on either engine).
MAX_INT = 2**31 - 1


def stated(**schema: Any) -> msgspec.Meta:
    """A rule the service checks itself (answering 422 with its own message naming the field), stated in the
    OpenAPI document only: msgspec does not enforce ``extra_json_schema``, and Litestar copies its ``extra`` onto the
    field's schema (keys are ``litestar.openapi.spec.Schema`` attributes: ``enum``, ``pattern``, ``any_of``…; a
    schema nested in one is a plain dict in JSON Schema's own words, ``{"type": "string", "maxLength": 20}``). So
    the document says what the API accepts, and the answer to a wrong value stays the service's."""
    return msgspec.Meta(extra_json_schema={"extra": schema})


def empty_or_one_of(choices: Iterable[Any]) -> dict[str, list[Any]]:
    """A query filter's ``schema_extra``: empty or absent (no filter), or one of ``choices`` (enum members or
    strings), which the route checks itself."""
    return {"enum": ["", *(getattr(choice, "value", choice) for choice in choices), None]}


#: Items of a list of ids the service looks up: an id outside ``RowId``'s range is one of no row.
IN_RANGE_IDS = stated(items={"type": "integer", "minimum": 1, "maximum": MAX_INT})
#: ``preferred_language``: one of the six UN languages.
UN_LANGUAGES = stated(enum=list(LANGUAGES))
#: The IANA zone names ``server.web.valid_timezone`` accepts (what ``zoneinfo`` knows, less its aliases of none).
ZONE_NAMES = sorted(available_timezones() - {"Factory", "localtime", "posixrules"})
#: Free text on one line (``server.validation.text_error``): no line break nor control character (a tab passes).
LINE_TEXT = r"^[^\x00-\x08\x0a-\x1f\x7f]*$"
#: Free text of several lines (``text_error(multiline=True)``): no control character but tabs and line breaks (LF,
#: or CR LF as browsers send them).
MULTILINE_TEXT = r"^(?:[^\x00-\x08\x0b-\x1f\x7f]|\r\n)*$"
#: The same, with something besides white space (a name).
NON_BLANK_LINE = r"^[^\x00-\x08\x0a-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x08\x0a-\x1f\x7f]*$"
NON_BLANK_MULTILINE = (r"^(?:[^\x00-\x08\x0b-\x1f\x7f]|\r\n)*[^\s\x00-\x1f\x7f]"
                       r"(?:[^\x00-\x08\x0b-\x1f\x7f]|\r\n)*$")
#: A date-time as query parameters take it (``events.queries.parse_instant``): RFC 3339 with its offset, in a year
#: people may enter (``server.dates``: 2000 to 2100).
#: (The pattern spells the whole date so that a generator can follow it; ``format`` then rules out the 30th of
#: February.)
_DATE = r"(20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
DATE_TIME = {"format": "date-time", "pattern": rf"^{_DATE}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{{1,6}})?"
                                               r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"}
#: ``from`` / ``to`` of the reports (``registrations.reports.parse_bound``): empty, a date, or a date-time.
DATE_OR_DATE_TIME = {"any_of": [{"type": "string", "maxLength": 0},
                                {"type": "string", "format": "date", "pattern": f"^{_DATE}$"},
                                {"type": "string", **DATE_TIME}]}

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

    email: Annotated[Email, stated(format="email")]
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
