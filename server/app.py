"""The Litestar app factory: one place that assembles settings, database, templates, security and routes."""

from __future__ import annotations

__all__ = ["ROUTE_MODULES", "create_app", "jinja_environment"]

import asyncio
import importlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Litestar, Request
from litestar.config.csrf import CSRFConfig
from litestar.logging import LoggingConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from server import i18n
from server.auth import BEARER_SCHEME
from server.db import ConnectionPool, bind_engine, engine_from_url
from server.errors import exception_handlers, log_uncaught
from server.settings import ROOT, Settings
from server.web import LANGUAGE_COOKIE, TIMEZONE_COOKIE, RequestContextMiddleware, bounded_path_ids

# Route modules, each exposing ``route_handlers``; named, not imported, so that server/ depends on no domain.
ROUTE_MODULES = (
    "server.controllers",
    "server.accounts",
    "server.mail.pages",
    "events.controllers",
    "events.calendar",
    "events.summaries",
    "registrations.controllers",
)
# Background services started with the app: ``(settings) -> coroutine`` factories, named for the same reason.
WORKER_FACTORY = "server.mail.worker:run_worker"
# Template globals that domain packages provide: ``() -> dict`` functions, named for the same reason.
TEMPLATE_GLOBALS = ("registrations.labels:template_globals",)
STATIC_DIR = Path(__file__).resolve().parent / "static"


def jinja_environment() -> Environment:
    """Templates for pages and mail: autoescaped, translated through the current locale."""
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
    )
    for target in TEMPLATE_GLOBALS:
        env.globals.update(_load(target)())
    return env


def _route_handlers() -> list:
    handlers: list = []
    for name in ROUTE_MODULES:
        handlers.extend(importlib.import_module(name).route_handlers)
    return handlers


def _load(target: str) -> Callable:
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


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


async def _start_pool(request: Request) -> None:
    """Before each request: start the database pool if it is not yet (the database was down at startup)."""
    pool: ConnectionPool = request.app.state.pool
    if pool.needed:
        await pool.start()


def create_app(settings: Settings | None = None, *, with_worker: bool = False) -> Litestar:
    """The Convene app; ``with_worker`` also runs the mail outbox worker inside the server process."""
    settings = settings or Settings.from_env()
    engine = engine_from_url(settings.database_url)
    bind_engine(engine)
    pool = ConnectionPool(engine)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await pool.start()  # a database down at startup is logged, not fatal: /health says so meanwhile
        worker = None
        if with_worker:
            worker = asyncio.create_task(_load(WORKER_FACTORY)(settings))
        try:
            yield
        finally:
            if worker is not None:
                worker.cancel()
                await asyncio.gather(worker, return_exceptions=True)
            await pool.close()

    app = Litestar(
        route_handlers=[*_route_handlers(), create_static_files_router(path="/static", directories=[STATIC_DIR])],
        lifespan=[lifespan],
        guards=[bounded_path_ids],
        before_request=_start_pool,
        exception_handlers=exception_handlers,  # type: ignore[arg-type]
        template_config=TemplateConfig(engine=JinjaTemplateEngine.from_environment(jinja_environment())),
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name="convene_csrf",
            cookie_httponly=True,
            cookie_samesite="lax",
            cookie_secure=settings.public_url.startswith("https://"),
            exclude=["/api/", "/health", "/schema", "/unsubscribe/"],  # one-click unsubscribe (RFC 8058) has no token
        ),
        openapi_config=OpenAPIConfig(
            title="Convene API",
            version="1",
            path="/schema",
            render_plugins=[JsonRenderPlugin(), SwaggerRenderPlugin()],
            components=Components(security_schemes={BEARER_SCHEME: SecurityScheme(
                type="http", scheme="bearer",
                description="An API token: `convene user create` prints one; staff make more at /staff/tokens.",
            )}),
        ),
        logging_config=_logging_config(),
        request_max_body_size=10 * 1024 * 1024,
        debug=False,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.pool = pool
    # Outermost, not per route: addresses that match no route also get a request id, headers and an access log.
    app.asgi_handler = RequestContextMiddleware()(app.asgi_handler)
    logging.getLogger("convene").setLevel(logging.INFO)
    return app
