"""The Litestar app factory, and with server.cli the composition root: the one place in server/ that imports the
domains (plain imports, so a rename fails at once and linters see every edge) and hands infrastructure what it
needs: route handlers, template globals, the session access check, the session ids an organiser may see, the
mail context builders (by template name), the periodic jobs and the signal receivers, given the settings.
Importing a domain module registers nothing by itself.
"""

from __future__ import annotations

__all__ = [
    "JOBS", "MAIL_BUILDERS", "ROUTE_HANDLERS", "connect_signal_receivers", "create_app", "jinja_environment",
]

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

from jinja2 import Environment
from litestar import Litestar, Request
from litestar.config.csrf import CSRFConfig
from litestar.logging import LoggingConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

import events.access
import events.calendar
import events.controllers
import events.services
import events.summaries
import registrations.controllers
import registrations.inputs
import registrations.labels
import registrations.mail_context
import registrations.notifications
import registrations.questions
import registrations.reporting_controllers
import registrations.speakers_pages
import registrations.waitlist
import server.accounts
import server.auth
import server.controllers
import server.mail.pages
import server.password_reset
import server.privacy
from server import signals
from server.auth import BEARER_SCHEME, CURRENT_STAFF
from server.db import ConnectionPool, bind_engine, engine_from_url
from server.errors import exception_handlers, log_uncaught
from server.jobs import Jobs, without_settings
from server.mail.render import MailBuilders, from_row_only
from server.mail.worker import run_worker
from server.openapi import ClosedStructSchemaPlugin, complete_options_allow, document_routes
from server.settings import Settings
from server.web import ConveneRequest, RequestContextMiddleware, checked_path, template_environment

# Every route of the app, infrastructure's and the domains'.
ROUTE_HANDLERS: list = [
    *server.controllers.route_handlers,
    *server.accounts.route_handlers,
    *server.mail.pages.route_handlers,
    *server.privacy.route_handlers,
    *events.controllers.route_handlers,
    *events.calendar.route_handlers,
    *events.summaries.route_handlers,
    *registrations.controllers.route_handlers,
    *registrations.reporting_controllers.route_handlers,
]
_REGISTRANT_MESSAGES = [
    "manage_link_resent", "need_arranged", "need_not_possible", "registrants_message", "registration_approved",
    "registration_cancelled", "registration_confirmed", "registration_declined", "registration_pending",
    "registration_promoted", "registration_waitlisted", "reminder", "session_cancelled", "session_rescheduled",
    "session_rescheduled_waiting", "session_updated",
]
#: The context builder of every mail template (``templates/emails/<name>.html``), by its exact name: a template
#: missing here cannot be sent (tests/server/test_app_wiring.py walks the templates).
MAIL_BUILDERS: MailBuilders = {
    **dict.fromkeys(_REGISTRANT_MESSAGES, registrations.mail_context.registrant_content),
    **dict.fromkeys(["speaker_accepted", "speaker_declined", "speaker_moved"],
                    registrations.mail_context.speaker_content),
    "data_erased": registrations.mail_context.erased_content,
    "invitation_sent": registrations.mail_context.invitation_content,
    "summary": registrations.mail_context.summary_content,
    "staff_approval_needed": registrations.mail_context.staff_content,
    "password_reset": from_row_only,  # the link and the name travel in the outbox row
}
#: What the worker runs about once a minute, by name; each gets the worker's settings.
JOBS: Jobs = {
    "send_reminders": registrations.notifications.send_reminders,
    "fill_waitlists": registrations.waitlist.fill_waitlists,
    "complete_finished_sessions": without_settings(events.services.complete_finished_sessions),
    "forget_old_login_attempts": without_settings(server.auth.forget_old_login_attempts),
    "forget_old_password_resets": without_settings(server.password_reset.forget_old_resets),
}


def connect_signal_receivers(settings: Settings) -> None:
    """Connect the domains' receivers to the signals, those that write mail with ``settings`` (replacing any
    connected before: the app, the commands and tests build this again with their own settings)."""
    signals.connect({
        "session_updated": [partial(registrations.notifications.on_session_updated, settings=settings)],
        "session_rescheduled": [partial(registrations.notifications.on_session_rescheduled, settings=settings)],
        "session_cancelled": [partial(registrations.notifications.on_session_cancelled, settings=settings)],
        "session_capacity_changed": [partial(registrations.waitlist.promote_after_capacity_change, settings=settings)],
        # The pages of the events package that registrations adds to. They stay signals: the session page's
        # context is also built by registrations' own form pages, away from any app state.
        "session_page_shown": [
            registrations.questions.add_to_session_page,
            registrations.inputs.add_to_session_page,
            registrations.speakers_pages.add_to_session_page,
        ],
        "summary_page_shown": [registrations.inputs.add_to_summary_page],
    })


STATIC_DIR = Path(__file__).resolve().parent / "static"
#: Paths whose unsafe requests need no CSRF token, as anchored patterns.
CSRF_EXEMPT_PATTERNS = [r"\A/api/v1/", r"\A/health\Z", r"\A/schema/", r"\A/unsubscribe/"]


def jinja_environment() -> Environment:
    """Templates for pages: the shared environment with the globals the domains provide."""
    return template_environment(registrations.labels.template_globals())


def _logging_config() -> LoggingConfig:
    return LoggingConfig(
        root={"level": "INFO", "handlers": ["console"]},
        formatters={
            "standard": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
        },
        filters={"request_id": {"()": "server.web.RequestIdFilter"}},
        handlers={
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "standard",
                "filters": ["request_id"],
            }
        },
        log_exceptions="always",
        exception_logging_handler=log_uncaught,
        # Answers to the client's own mistakes (a body too large included), not crashes: not logged as such.
        disable_stack_trace={400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 503},
    )


def configure_logging() -> None:
    """The server's log lines (format, request ids, tokens redacted) for a command that runs without the app: the
    worker would otherwise drop its INFO lines and print its errors bare."""
    _logging_config().configure()
    logging.getLogger("convene").setLevel(logging.INFO)


async def _start_pool(request: Request) -> None:
    """Before each request: start the database pool if it is not yet (the database was down at startup)."""
    pool: ConnectionPool = request.app.state.pool
    if pool.needed:
        await pool.start()


#: Seconds the in-process worker has to finish its round when the server stops, before it is cancelled.
WORKER_STOP_SECONDS = 10.0


async def _stop_worker(worker: asyncio.Task[None], stop: asyncio.Event) -> None:
    """Let the worker end after its round: cancelled inside a transaction, it would leave its pool connection
    checked out, and closing the pool would then wait for it forever."""
    stop.set()
    done, _ = await asyncio.wait({worker}, timeout=WORKER_STOP_SECONDS)
    if not done:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)


def create_app(settings: Settings | None = None, *, with_worker: bool = False) -> Litestar:
    """The Convene app; ``with_worker`` also runs the mail outbox worker inside the server process."""
    settings = settings or Settings.from_env()
    connect_signal_receivers(settings)
    engine = engine_from_url(settings.database_url)
    bind_engine(engine)
    pool = ConnectionPool(engine)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await pool.start()  # a database down at startup is logged, not fatal: /health says so meanwhile
        worker, stop = None, asyncio.Event()
        if with_worker:
            worker = asyncio.create_task(run_worker(settings, builders=MAIL_BUILDERS, jobs=JOBS, stop=stop))
        try:
            yield
        finally:
            if worker is not None:
                await _stop_worker(worker, stop)
            await pool.close()

    app = Litestar(
        route_handlers=[*ROUTE_HANDLERS, create_static_files_router(path="/static", directories=[STATIC_DIR])],
        lifespan=[lifespan],
        guards=[checked_path],
        dependencies=CURRENT_STAFF,
        request_class=ConveneRequest,
        before_request=_start_pool,
        exception_handlers=exception_handlers,  # type: ignore[arg-type]
        template_config=TemplateConfig(engine=JinjaTemplateEngine.from_environment(jinja_environment())),
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name="convene_csrf",
            cookie_httponly=True,
            cookie_samesite="lax",
            cookie_secure=settings.public_url.startswith("https://"),
            # Prefixes, not anywhere in the path (Litestar searches each pattern in the path): the JSON API (which
            # never reads cookies), health, the schema, and one-click unsubscribe (RFC 8058), which has no token.
            exclude=CSRF_EXEMPT_PATTERNS,
        ),
        openapi_config=OpenAPIConfig(
            title="Convene API",
            version="1",
            path="/schema",
            # The JSON document only: Swagger UI and ReDoc load their scripts from a CDN, which the pages' CSP
            # (script-src 'self') blocks, so an interactive page here would only ever show a blank screen.
            render_plugins=[JsonRenderPlugin()],
            components=Components(security_schemes={BEARER_SCHEME: SecurityScheme(
                type="http", scheme="bearer",
                description="An API token: `convene user create` prints one; staff make more at /staff/tokens.",
            )}),
        ),
        plugins=[ClosedStructSchemaPlugin()],
        logging_config=_logging_config(),
        request_max_body_size=10 * 1024 * 1024,
        debug=False,
    )
    document_routes(app)
    complete_options_allow(app)
    app.state.settings = settings
    app.state.engine = engine
    app.state.pool = pool
    # What server/ needs to know of sessions, asked of events (server.auth's guard, the staff outbox pages).
    app.state.session_access_check = events.access.ensure_can_manage
    app.state.managed_session_ids = events.access.managed_session_ids
    app.state.mail_builders = MAIL_BUILDERS  # the staff outbox pages render messages as the worker does
    # What the events package's summary pages ask of registrations: who gets a summary, which speakers it lists.
    app.state.notify_summary = partial(registrations.notifications.notify_summary, settings=settings)
    app.state.summary_speakers = registrations.speakers_pages.summary_speakers_labelled
    # Outermost, not per route: addresses that match no route also get a request id, headers and an access log.
    app.asgi_handler = RequestContextMiddleware()(app.asgi_handler)
    logging.getLogger("convene").setLevel(logging.INFO)
    return app
