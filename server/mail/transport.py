"""Handing a message over: SMTP through one reused aiosmtplib connection, or ``.eml`` files without SMTP_URL.

Failures are classified so the worker knows what to do: :class:`TemporaryFailure` (4xx, refused connection,
timeout: retry later) and :class:`PermanentFailure` (5xx: give up, keep the server's reason).
"""

from __future__ import annotations

__all__ = [
    "FileTransport",
    "discard_copies_older_than",
    "discard_written_copies",
    "PermanentFailure",
    "ServerUnreachable",
    "SmtpTransport",
    "TemporaryFailure",
    "Transport",
    "transport_for",
]

import re
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

from server.settings import Settings

SMTP_TIMEOUT_SECONDS = 30


class TemporaryFailure(Exception):
    """Try again later (4xx reply, refused connection, timeout)."""


class ServerUnreachable(TemporaryFailure):
    """No conversation with the server (refused, timed out, dropped): nothing is wrong with the message, so
    an outage, however long, only delays it."""


class PermanentFailure(Exception):
    """The server refused for good (5xx): the reason is the server's."""


class Transport(Protocol):
    async def send(self, message: EmailMessage, recipient: str) -> None: ...

    async def close(self) -> None: ...


def _reason(code: int, text: str) -> str:
    return f"{code} {text}".strip()


class SmtpTransport:
    """One connection per worker, opened on first use and reopened after a failure; STARTTLS when offered."""

    def __init__(self, url: str, *, timeout: float = SMTP_TIMEOUT_SECONDS) -> None:
        parts = urlsplit(url)
        self._implicit_tls = parts.scheme == "smtps"
        self._host = parts.hostname or "localhost"
        self._port = parts.port or (465 if self._implicit_tls else 25)
        self._username = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self._timeout = timeout
        self._client: aiosmtplib.SMTP | None = None

    async def _connect(self) -> aiosmtplib.SMTP:
        client = aiosmtplib.SMTP(
            hostname=self._host,
            port=self._port,
            use_tls=self._implicit_tls,
            start_tls=None,  # STARTTLS when the server offers it
            timeout=self._timeout,
        )
        await client.connect()
        if self._username:
            await client.login(self._username, self._password or "")
        return client

    async def _connection(self) -> aiosmtplib.SMTP:
        if self._client is None or not self._client.is_connected:
            self._client = await self._connect()
        return self._client

    async def send(self, message: EmailMessage, recipient: str) -> None:
        """Deliver ``message`` to ``recipient``; raise a classified failure otherwise."""
        try:
            client = await self._connection()
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as error:
            # Connecting, greeting or logging in failed: nothing about this message, so always retry.
            await self._drop()
            raise ServerUnreachable(f"{type(error).__name__}: {error}") from error
        try:
            await client.send_message(message, recipients=[recipient])
        except aiosmtplib.SMTPRecipientsRefused as error:
            await self._reset()
            refusal = error.recipients[0]
            self._raise_for(refusal.code, refusal.message)
        except aiosmtplib.SMTPResponseException as error:
            await self._reset()
            self._raise_for(error.code, error.message)
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as error:
            await self._drop()
            raise ServerUnreachable(f"{type(error).__name__}: {error}") from error

    @staticmethod
    def _raise_for(code: int, text: str) -> None:
        if 500 <= code < 600:
            raise PermanentFailure(_reason(code, text))
        raise TemporaryFailure(_reason(code, text))

    async def _reset(self) -> None:
        """After a refused transaction the connection stays usable: RSET it, or drop it if that fails."""
        if self._client is None or not self._client.is_connected:
            return
        try:
            await self._client.rset()
        except (TimeoutError, aiosmtplib.SMTPException, OSError):
            await self._drop()

    async def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()

    async def close(self) -> None:
        if self._client is not None and self._client.is_connected:
            try:
                await self._client.quit()
            except (TimeoutError, aiosmtplib.SMTPException, OSError):
                pass
        await self._drop()


def _written_copy(directory: Path, message_id: str) -> Path:
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", message_id.strip("<>")) or "message"
    return directory / f"{name}.eml"


def discard_written_copies(directory: Path, message_ids: list[str]) -> None:
    """Mail whose address is forgotten must not live on as a development ``.eml`` file either."""
    for message_id in message_ids:
        _written_copy(directory, message_id).unlink(missing_ok=True)


def discard_copies_older_than(directory: Path, cutoff: datetime) -> None:
    """Development copies outlive no delivery log: older ones go (a message erased since may have left one)."""
    for path in directory.glob("*.eml"):
        if datetime.fromtimestamp(path.stat().st_mtime, UTC) < cutoff:
            path.unlink(missing_ok=True)


class FileTransport:
    """Development without SMTP: each message is written as ``<mail_dir>/<message id>.eml``."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory

    async def send(self, message: EmailMessage, recipient: str) -> None:
        self._directory.mkdir(parents=True, exist_ok=True)
        path = _written_copy(self._directory, str(message["Message-ID"]))
        temporary = path.with_suffix(".eml.tmp")
        temporary.write_bytes(message.as_bytes())
        temporary.replace(path)  # atomic: a reader never sees half a message

    async def close(self) -> None:
        return None


def transport_for(settings: Settings) -> Transport:
    """SMTP when SMTP_URL is set, else .eml files under var/mail/."""
    if settings.smtp_url:
        return SmtpTransport(settings.smtp_url)
    return FileTransport(settings.mail_dir)
