"""In-process domain signals, so that ``events`` can announce a change that ``registrations`` acts on
without importing it (dependencies point one way: registrations → events → server).

Receivers run in the sender's transaction: what they write (outbox rows) commits or rolls back with it.
"""

from __future__ import annotations

__all__ = ["connect", "send"]

from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

Receiver = Callable[..., Awaitable[Any]]
_receivers: dict[str, list[Receiver]] = defaultdict(list)


def connect(signal: str) -> Callable[[Receiver], Receiver]:
    """Decorator: call the function on every ``send(signal, ...)``."""

    def register(receiver: Receiver) -> Receiver:
        if receiver not in _receivers[signal]:
            _receivers[signal].append(receiver)
        return receiver

    return register


async def send(signal: str, **payload: Any) -> None:
    """Call every receiver of ``signal`` in order, in the caller's transaction."""
    for receiver in _receivers[signal]:
        await receiver(**payload)
