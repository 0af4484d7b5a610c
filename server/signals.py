"""In-process domain signals, so that ``events`` can announce a change that ``registrations`` acts on
without importing it (dependencies point one way: registrations → events → server).

The composition root (server.app) connects the receivers, with the settings they need, when it builds the app
or a command; nothing connects itself on import. Receivers run in the sender's transaction: what they write
(outbox rows) commits or rolls back with it.
"""

from __future__ import annotations

__all__ = ["Receiver", "Receivers", "connect", "connected", "send"]

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

Receiver = Callable[..., Awaitable[Any]]
Receivers = Mapping[str, Sequence[Receiver]]
"""The receivers of each signal, called in order."""
_receivers: dict[str, tuple[Receiver, ...]] = {}


def connect(receivers: Receivers) -> None:
    """Make ``receivers`` the only ones: every earlier connection is replaced, so building the app again (with
    other settings) never leaves a receiver connected twice or with the old settings."""
    _receivers.clear()
    _receivers.update({signal: tuple(found) for signal, found in receivers.items()})


def connected() -> dict[str, tuple[Receiver, ...]]:
    """The receivers connected now (a test adds its own to them and restores them after)."""
    return dict(_receivers)


async def send(signal: str, **payload: Any) -> None:
    """Call every receiver of ``signal`` in order, in the caller's transaction."""
    for receiver in _receivers.get(signal, ()):
        await receiver(**payload)
