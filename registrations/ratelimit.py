"""An in-process limit on the public registration endpoints, per client address (``RATE_LIMIT=off`` disables it).

In-process means per worker: with several workers each counts on its own, which still bounds a flood. Its memory
is bounded too: an address idle for a whole window is forgotten, and at most MAX_ADDRESSES are tracked (the one idle
longest gives way), each with at most MAX_REQUESTS timestamps.
"""

from __future__ import annotations

__all__ = ["limit_public_writes"]

import time
from collections import OrderedDict, deque

from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from server.errors import ConveneError
from server.i18n import gettext as _
from server.web import client_address

#: Requests allowed per address within the window.
MAX_REQUESTS = 60
WINDOW_SECONDS = 60.0
#: Addresses tracked at most; past it the address idle longest is forgotten. Measured: about 27 MiB with every one
#: at the limit, 8.5 MiB with one request each.
MAX_ADDRESSES = 10_000


class TooManyRequests(ConveneError):
    status_code = 429
    title = "Too many requests"


class SlidingWindow:
    """Timestamps of recent requests per key; old ones fall out of the window, and keys idle for a window go.

    Keys are kept in order of their last request (refused ones included), so the front is the key idle longest:
    forgetting idle keys and making room past ``max_keys`` both take from the front, in amortised constant time.
    An address still sending is never the one idle longest while others were quieter, so giving way past the bound
    frees no flooder of its count.
    """

    def __init__(self, limit: int, window: float, max_keys: int = MAX_ADDRESSES) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self.hits: OrderedDict[str, deque[float]] = OrderedDict()

    def allow(self, key: str, now: float | None = None) -> bool:
        """Count a request from ``key`` at ``now`` (default the monotonic clock); False when over the limit."""
        now = time.monotonic() if now is None else now
        self._forget_idle(now)
        hits = self.hits.get(key)
        if hits is None:
            if len(self.hits) >= self.max_keys:
                self.hits.popitem(last=False)
            hits = self.hits[key] = deque()
        else:
            self.hits.move_to_end(key)
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        return True

    def _forget_idle(self, now: float) -> None:
        """Drop keys from the front while their last request has left the window."""
        while self.hits:
            hits = next(iter(self.hits.values()))
            if hits and hits[-1] > now - self.window:
                return
            self.hits.popitem(last=False)


async def limit_public_writes(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    """Guard: refuse (429) an address that registered too often in the last minute."""
    state = connection.app.state
    if not state.settings.rate_limit:
        return
    if "registration_limiter" not in state:
        state.registration_limiter = SlidingWindow(MAX_REQUESTS, WINDOW_SECONDS)
    if not state.registration_limiter.allow(client_address(connection)):  # type: ignore[arg-type]
        raise TooManyRequests(_("Too many requests from your address; try again in a minute."))
