"""A real SMTP server for mail tests (aiosmtpd in a thread), with faults on demand, and mail test helpers.

Not a test module: a pytest plugin (``pytest_plugins`` in ``tests/conftest.py``) giving every test the fixtures
``smtp`` and ``mail_settings``; mail tests import its helpers. Every received message stays in ``received`` until
a test takes it, so a guard can fail a test on mail it did not expect.
"""

from __future__ import annotations

import asyncio
import dataclasses
import email
import json
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

import server.app  # noqa: F401 (the composition root registers the domains' mail context builders)
from server.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
ICAL_CHECK = ROOT / "tests" / "ical_check.cjs"


def free_port() -> int:
    """A concrete free port (aiosmtpd's Controller cannot use port 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    sender: str
    recipients: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=default_policy)  # type: ignore[return-value]


@dataclass
class SmtpSink:
    """What the server received, and the faults it is told to produce."""

    received: list[Received] = field(default_factory=list)
    refuse_recipients: dict[str, str] = field(default_factory=dict)
    """address -> full reply (``550 …``) to RCPT TO."""
    temporary_failures: int = 0
    """Answer this many DATA commands with 451 before accepting."""
    data_seconds: float = 0.0
    """How long each accepted DATA takes (a slow server)."""
    hold: threading.Event | None = None
    """When set to an unset Event, DATA waits for it (to kill a client mid-message)."""
    data_started: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, count: int | None = None) -> list[Received]:
        """Remove and return what was received (all, or exactly ``count``)."""
        with self.lock:
            taken = self.received if count is None else self.received[:count]
            self.received = [] if count is None else self.received[count:]
        if count is not None:
            assert len(taken) == count, f"expected {count} messages, got {len(taken)}"
        return taken

    def take_by_recipient(self) -> dict[str, Received]:
        messages = self.take()
        by_recipient = {m.recipients[0]: m for m in messages}
        assert len(by_recipient) == len(messages), "a recipient got more than one message"
        return by_recipient


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        refusal = self.sink.refuse_recipients.get(address)
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        sink = self.sink
        with sink.lock:
            if sink.temporary_failures > 0:
                sink.temporary_failures -= 1
                return "451 4.3.0 Try again later"
        if sink.hold is not None:
            sink.data_started.set()
            await asyncio.to_thread(sink.hold.wait)
            # The client went away before our reply: like a real MTA, do not take the message.
            if server.transport is None or server.transport.is_closing():
                return "421 client gone"
        if sink.data_seconds:
            await asyncio.sleep(sink.data_seconds)
        with sink.lock:
            sink.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"


class SmtpServer:
    """aiosmtpd on a concrete free port; ``stop()``/``start()`` to refuse connections for a while."""

    def __init__(self) -> None:
        self.port = free_port()
        self.sink = SmtpSink()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._controller = Controller(_Handler(self.sink), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def calendar_part(message: EmailMessage) -> tuple[str, bytes]:
    """``(method parameter, raw bytes)`` of the text/calendar part inside multipart/alternative."""
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return part.get_param("method"), part.get_payload(decode=True)
    raise AssertionError("no text/calendar part")


def structure(message: EmailMessage) -> object:
    """The MIME tree as nested lists of content types, e.g. ``["multipart/mixed", [...], "application/ics"]``."""
    if message.is_multipart():
        return [message.get_content_type(), *[structure(part) for part in message.iter_parts()]]
    return message.get_content_type()


def ical_js(calendar: bytes) -> dict:
    """Parse with Mozilla's ical.js (node) — an independent parser — and return what it read."""
    result = subprocess.run(
        ["node", str(ICAL_CHECK)], input=calendar, capture_output=True, check=True, timeout=30, cwd=ROOT
    )
    return json.loads(result.stdout)


def text_of(message: EmailMessage, subtype: str) -> str:
    for part in message.walk():
        if part.get_content_type() == f"text/{subtype}" and not part.is_attachment():
            return part.get_content()
    raise AssertionError(f"no text/{subtype} part")


# Fixtures ``smtp``, ``mail_settings`` and the autouse guard ``no_unexpected_mail``, which watches the tests that
# use ``smtp`` (directly or through ``mail_settings``): other tests start no SMTP server.
@pytest.fixture(name="smtp")
def smtp_fixture() -> Iterator[SmtpServer]:
    """A real SMTP server on a free port for this test."""
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(name="no_unexpected_mail", autouse=True)
def no_unexpected_mail_fixture(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fails a test using ``smtp`` if the SMTP server received mail the test did not take and check."""
    smtp: SmtpServer | None = request.getfixturevalue("smtp") if "smtp" in request.fixturenames else None
    yield
    if smtp is not None:
        assert smtp.sink.take() == []


@pytest.fixture(name="mail_settings")
def mail_settings_fixture(settings: Settings, smtp: SmtpServer, database: str) -> Settings:
    """The test settings, delivering to the test's SMTP server."""
    return dataclasses.replace(settings, smtp_url=smtp.url)
