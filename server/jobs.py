"""Periodic jobs (reminders, completing finished sessions) that the worker runs about once a minute.

Domain packages register their jobs here; the worker (server.mail.worker) runs them, so ``convene worker``
and ``convene serve --with-worker`` run them too.
"""

from __future__ import annotations

__all__ = ["periodic", "registered_jobs"]

from collections.abc import Awaitable, Callable
from typing import Any

Job = Callable[[], Awaitable[Any]]
_jobs: dict[str, Job] = {}


def periodic(name: str) -> Callable[[Job], Job]:
    """Decorator: run the coroutine function periodically under ``name``."""

    def register(job: Job) -> Job:
        _jobs[name] = job
        return job

    return register


def registered_jobs() -> dict[str, Job]:
    return dict(_jobs)
