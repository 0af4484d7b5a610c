"""Per-request plumbing: request ids and access logs without personal data, locale, security headers."""

from __future__ import annotations

__all__ = [
    "ConveneRequest",
    "RequestContextMiddleware",
    "bounded_path_ids",
    "checked_path",
    "client_address",
    "negotiate_language",
    "no_nul_in_path",
    "redact_secrets",
    "request_id",
    "template_environment",
]

import contextvars
import functools
import logging
import os
import re
import time
from collections.abc import Mapping
from typing import Any
from zoneinfo import available_timezones

from babel import Locale, UnknownLocaleError, negotiate_locale
from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import SerializationException
from litestar.handlers import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from server import i18n
from server.errors import NotFound
from server.i18n import DEFAULT_LANGUAGE, LANGUAGES, set_request_locale
from server.i18n import gettext as _
from server.schemas import MAX_INT
from server.settings import ROOT
from server.timezones import timezone_choices

LANGUAGE_COOKIE = "convene_lang"
#: The staff session cookie (``server.auth`` signs it; named here, where every response passes).
SESSION_COOKIE = "convene_staff"
TIMEZONE_COOKIE = "convene_tz"



def template_environment(extra_globals: Mapping[str, Any] | None = None) -> Environment:
    """Templates for pages and mail: autoescaped, translated through the current locale; ``extra_globals`` are
    what the domains add (the composition root, server.app, hands them over)."""
    env = Environment(
        loader=FileSystemLoader(ROOT / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    i18n.install_jinja(env)
    env.globals.update(
        LANGUAGES=i18n.LANGUAGES,
        current_locale=i18n.current_locale,
        current_timezone=i18n.current_timezone,
        text_direction=i18n.text_direction,
        pick_text=i18n.pick_text,
        format_datetime=i18n.format_datetime,
        format_time_range=i18n.format_time_range,
        format_date=i18n.format_date,
        format_number=i18n.format_number,
        format_list=i18n.format_list,
        language_name=i18n.language_name,
        autonym=i18n.autonym,
        lang_attrs=i18n.lang_attrs,
        language_note=i18n.language_note,
        LANGUAGE_COOKIE=LANGUAGE_COOKIE,
        TIMEZONE_COOKIE=TIMEZONE_COOKIE,
        timezone_choices=timezone_choices,
        valid_timezone=valid_timezone,
        language_choices=i18n.language_choices,
    )
    env.globals.update(extra_globals or {})
    return env


_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
access_log = logging.getLogger("convene.access")

# Tokens in paths (manage links, unsubscribe links, password resets) and in query strings are secrets: never
# written to logs, whoever writes the line (our access log, Litestar's exception log, a library).
_SECRET_PATH = re.compile(r"(/(?:manage|unsubscribe|password-reset|reset)/)[^/?#\s\"'<>]+")
_SECRET_QUERY = re.compile(r"([?&](?:token|key|code)=)[^&#\s\"'<>]+")


def redact_secrets(text: str) -> str:
    """``text`` with every secret path segment and query value replaced by ``…``."""
    # What every match of those patterns contains: text with none of them holds no secret (most log lines).
    if not ("/manage/" in text or "/unsubscribe/" in text or "reset/" in text
            or "token=" in text or "key=" in text or "code=" in text):
        return text
    return _SECRET_QUERY.sub(r"\1…", _SECRET_PATH.sub(r"\1…", text))

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
#: Paths whose answers hold personal data (a registrant's own, staff views, accounts, tokens): never stored by a
#: browser or proxy. Any answer to a request that carries staff credentials is treated the same.
PERSONAL_PREFIXES = ("/manage/", "/api/v1/manage/", "/unsubscribe/", "/staff", "/api/v1/users", "/api/v1/tokens")
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}
_RAW_SECURITY_HEADERS = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in SECURITY_HEADERS.items()]


def request_id() -> str:
    return _request_id.get()


def _install_request_id_on_records() -> None:
    """Every log record carries ``request_id`` from its creation, whatever handler formats it (Litestar's own
    queue handler has no filters, and its records would otherwise fail the format that names the field), and
    its message and traceback are redacted (``redact_secrets``) before any handler sees them."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "adds_request_id", False):
        return

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = _request_id.get()
        _redact_record(record)
        return record

    factory.adds_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except (TypeError, ValueError):  # a malformed call is logging's to report, as it would without us
        return
    redacted = redact_secrets(message)
    if redacted != message:
        record.msg, record.args = redacted, None
    if record.exc_info and record.exc_info[0] is not None:
        record.exc_text = redact_secrets(logging.Formatter().formatException(record.exc_info))


_install_request_id_on_records()


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every log record, so log lines of one request can be found together."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


#: Real IANA zones: tzdata also ships ``Factory`` (a placeholder that reads "-00") and ``localtime`` (whatever the
#: host is set to), which are no place's time.
_ZONES = frozenset(available_timezones()) - {"Factory", "localtime", "posixrules"}


def valid_timezone(name: str | None) -> bool:
    return bool(name) and name in _ZONES


def negotiate_language(cookie: str | None, accept_language: str | None) -> str:
    """The person's choice (cookie), then Accept-Language, then English."""
    if cookie in LANGUAGES:
        return cookie
    if accept_language is None or len(accept_language) <= _REMEMBERED_HEADER_LENGTH:
        return _negotiated(accept_language)  # browsers send few distinct headers: each is parsed once
    return _negotiate(accept_language)


#: Accept-Language headers up to this length have their answer remembered (at most 512 of them).
_REMEMBERED_HEADER_LENGTH = 200


def _negotiate(accept_language: str | None) -> str:
    return negotiate_locale(_accepted_locales(accept_language), list(LANGUAGES), sep="_") or DEFAULT_LANGUAGE


_negotiated = functools.lru_cache(maxsize=512)(_negotiate)


def _accepted_locales(accept_language: str | None) -> list[str]:
    """The locales of an Accept-Language header, most wanted first (RFC 9110 q-values; q=0 means "not this")."""
    weighted = []
    for position, part in enumerate((accept_language or "")[:1000].split(",")):
        tag, *parameters = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for parameter in parameters:
            name, _sep, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if not tag or tag == "*" or not 0 < quality <= 1:
            continue
        try:
            weighted.append((-quality, position, str(Locale.parse(tag, sep="-"))))
        except (ValueError, UnknownLocaleError):
            continue
    return [locale for _quality, _position, locale in sorted(weighted)]


async def bounded_path_ids(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    """App-wide guard, so it runs before every other: an ``{…:int}`` path value no row can have is a 404, like any
    unknown id, instead of overflowing in the database (routes whose other guards read the id included)."""
    for name, value in connection.path_params.items():
        if isinstance(value, int) and not 1 <= value <= MAX_INT:
            raise NotFound(_("Nothing has the %(name)s %(value)s.", name=name, value=value))


async def no_nul_in_path(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    """App-wide guard: no file, row or page is named with a NUL (``/static/a%00b.css``); a 404, not a crash in
    the file system call."""
    if "\x00" in connection.scope["path"]:
        raise NotFound(_("There is no page at this address. It may have moved, or the link may be incomplete."))


async def checked_path(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """The app's one guard, ``no_nul_in_path`` then ``bounded_path_ids``: Litestar copies the route handler for
    each guard it calls, on every request, so one guard is cheaper than two."""
    await no_nul_in_path(connection, handler)
    await bounded_path_ids(connection, handler)


class ConveneRequest(Request):
    """The app's requests: a JSON body too deeply nested for the decoder, or not UTF-8, is a body that is not
    valid JSON (400 naming ``body``), like any other, instead of a crash."""

    async def json(self) -> Any:
        try:
            return await super().json()
        except (RecursionError, UnicodeDecodeError) as error:
            raise SerializationException(f"{type(error).__name__}: {error}") from error


def client_address(request: Request) -> str:
    """The client's address; ``X-Forwarded-For`` only when the peer is a trusted proxy."""
    peer = request.client.host if request.client else "unknown"
    if peer in request.app.state.settings.trusted_proxies:
        forwarded = request.headers.get("x-forwarded-for", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return peer


def _holds_personal_data(request: Request) -> bool:
    """Whether the answer may hold personal data: a personal path, the answer to a submission (a registration's
    reply carries its manage link), or a request made with staff credentials (a staff member's view of a session,
    registrations, exports and reports)."""
    if request.scope["path"].startswith(PERSONAL_PREFIXES) or request.method not in ("GET", "HEAD"):
        return True
    return "authorization" in request.headers or SESSION_COOKIE in request.cookies


def _add_headers(message: Message, rid: str, *, personal: bool) -> None:
    """The request id, the security headers the answer does not set itself, and ``no-store`` when ``personal``.
    Appended to the raw list in that order when the answer has neither of the headers set here (one pass over its
    headers); otherwise through ``MutableScopeHeaders``, which replaces them."""
    raw = message.get("headers")
    if type(raw) is list:
        present = {name.lower() for name, _value in raw}
        if b"x-request-id" not in present and not (personal and b"cache-control" in present):
            raw.append((b"x-request-id", rid.encode("latin-1")))
            raw.extend(header for header in _RAW_SECURITY_HEADERS if header[0] not in present)
            if personal:
                raw.append((b"cache-control", b"no-store"))
            return
    headers = MutableScopeHeaders.from_message(message)
    headers["x-request-id"] = rid
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)
    if personal:
        headers["cache-control"] = "no-store"


class RequestContextMiddleware(ASGIMiddleware):
    """Sets the request id, locale and time zone for the request, adds security headers, logs the outcome."""

    scopes = ("http",)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        rid = os.urandom(8).hex()
        _request_id.set(rid)
        request = Request(scope)
        timezone = request.cookies.get(TIMEZONE_COOKIE)
        set_request_locale(
            negotiate_language(request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language")),
            timezone if valid_timezone(timezone) else "UTC",
        )
        started = time.perf_counter()
        status = 500
        personal = _holds_personal_data(request)

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                _add_headers(message, rid, personal=personal)
            await send(message)

        try:
            await next_app(scope, receive, send_with_headers)
        finally:
            access_log.info(
                "%s %s %s %.1fms",
                scope["method"],
                redact_secrets(scope["path"]),
                status,
                (time.perf_counter() - started) * 1000,
            )
