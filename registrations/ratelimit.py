"""An in-process limit on the public registration endpoints, per client address (``RATE_LIMIT=off`` disables it).

In-process means per worker: with several workers each counts on its own, which still bounds a flood.
"""

from __future__ import annotations

__all__ = ["limit_public_writes"]

import time
from collections import defaultdict, deque

from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from server.errors import ConveneError
from server.i18n import gettext as _
from server.web import client_address

#: Requests allowed per address within the window.
MAX_REQUESTS = 60
WINDOW_SECONDS = 60.0


class TooManyRequests(ConveneError):
    status_code = 429
    title = "Too many requests"


class SlidingWindow:
    """Timestamps of recent requests per key; old ones fall out of the window."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self.hits: dict[str, deque[float]] = defaultdict(deque)

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        hits = self.hits[key]
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        return True


async def limit_public_writes(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    """Guard: refuse (429) an address that registered too often in the last minute."""
    state = connection.app.state
    if not state.settings.rate_limit:
        return
    if "registration_limiter" not in state:
        state.registration_limiter = SlidingWindow(MAX_REQUESTS, WINDOW_SECONDS)
    if not state.registration_limiter.allow(client_address(connection)):  # type: ignore[arg-type]
        raise TooManyRequests(_("Too many requests from your address; try again in a minute."))
