"""Periodic jobs (reminders, completing finished sessions) that the worker runs about once a minute.

The composition root (server.app) names the jobs and hands them to the worker (server.mail.worker), so
``convene worker`` and ``convene serve --with-worker`` run them; each job gets the worker's settings.
"""

from __future__ import annotations

__all__ = ["Job", "Jobs", "run_jobs", "without_settings"]

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from server.settings import Settings

logger = logging.getLogger("convene.jobs")

Job = Callable[[Settings], Awaitable[Any]]
Jobs = Mapping[str, Job]
"""Every job by the name its failures are logged under."""


def without_settings(job: Callable[[], Awaitable[Any]]) -> Job:
    """``job``, which needs no settings, as the worker calls it."""

    async def run(settings: Settings) -> Any:
        return await job()

    run.__name__ = run.__qualname__ = getattr(job, "__name__", "job")
    return run


async def run_jobs(jobs: Jobs, settings: Settings) -> None:
    """Run every job once with ``settings``; one failing job does not stop the others."""
    for name, job in jobs.items():
        try:
            await job(settings)
        except Exception:  # logged, retried on the next round
            logger.exception("periodic job %s failed", name)
