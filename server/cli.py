"""The ``convene`` command: serve, worker, migrate, user create, demo, purge.

With server.app it is the composition root: it imports the domains' commands with plain imports, and hands the
worker the mail context builders and jobs that server.app names.
"""

from __future__ import annotations

__all__ = ["main"]

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from events.demo import load_demo
from registrations.retention import purge_expired
from server.app import JOBS, MAIL_BUILDERS, configure_logging, connect_signal_receivers
from server.errors import ConveneError
from server.mail.worker import run_worker
from server.settings import ConfigError, Settings


async def _with_database(settings: Settings, action: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    """Run ``action`` with every table bound to the configured engine, and the signal receivers connected with
    ``settings``."""
    from server.db import bind_engine, close_engine, engine_from_url, start_engine

    connect_signal_receivers(settings)
    engine = engine_from_url(settings.database_url)
    bind_engine(engine)
    await start_engine(engine)
    try:
        return await action()
    finally:
        await close_engine(engine)


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> None:
    from server.db import run_migrations

    asyncio.run(run_migrations(settings.database_url))
    print("migrations: up to date")


def cmd_user_create(settings: Settings, args: argparse.Namespace) -> None:
    from server.auth import create_api_token, create_user

    async def action() -> tuple[str, str]:
        user_id, password = await create_user(args.email, args.role, name=args.name or "")
        token = await create_api_token(user_id, "created with convene user create")
        return password, token

    password, token = asyncio.run(_with_database(settings, action))
    print(f"password: {password}")
    print(f"token: {token}")


def cmd_demo(settings: Settings, args: argparse.Namespace) -> None:
    asyncio.run(_with_database(settings, lambda: load_demo(settings)))


def cmd_purge(settings: Settings, args: argparse.Namespace) -> None:
    asyncio.run(_with_database(settings, lambda: purge_expired(settings)))


def cmd_worker(settings: Settings, args: argparse.Namespace) -> None:
    configure_logging()
    asyncio.run(_with_database(settings, lambda: _work_until_signalled(settings)))


async def _work_until_signalled(settings: Settings) -> None:
    """SIGTERM or Ctrl-C ends the worker after the batch in hand, not inside a transaction (whose connection
    would then never go back to the pool); a second signal acts as usual (Ctrl-C interrupts, SIGTERM ends)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)

    def stop_after_batch() -> None:
        stop.set()
        for signum in signals:
            loop.remove_signal_handler(signum)

    for signum in signals:
        loop.add_signal_handler(signum, stop_after_batch)
    await run_worker(settings, builders=MAIL_BUILDERS, jobs=JOBS, stop=stop)


def cmd_serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    if args.workers > 1 and settings.database.is_sqlite:
        raise ConfigError("--workers: several processes need PostgreSQL (DATABASE_URL=postgresql://…)")
    os.environ["CONVENE_WITH_WORKER"] = "1" if args.with_worker else "0"
    uvicorn.run(
        "server.asgi:create",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=False,
        server_header=False,
        log_config=None,
        # Our own access log (server.web) redacts manage tokens and carries the request id; uvicorn's would not.
        access_log=False,
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="convene", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the web app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="processes (PostgreSQL only for more than 1)")
    serve.add_argument("--with-worker", action="store_true", help="also deliver the mail outbox in-process")
    serve.set_defaults(handler=cmd_serve)

    commands.add_parser("worker", help="deliver the mail outbox").set_defaults(handler=cmd_worker)
    commands.add_parser("migrate", help="apply database migrations").set_defaults(handler=cmd_migrate)
    commands.add_parser("demo", help="load sample data dated relative to today").set_defaults(handler=cmd_demo)
    commands.add_parser("purge", help="anonymise personal data past its retention").set_defaults(
        handler=cmd_purge
    )

    user = commands.add_parser("user", help="staff accounts")
    user_commands = user.add_subparsers(dest="user_command", required=True)
    create = user_commands.add_parser("create", help="create a staff account; prints its password and a token")
    create.add_argument("email")
    create.add_argument("--role", choices=["admin", "organiser"], required=True)
    create.add_argument("--name", default="")
    create.set_defaults(handler=cmd_user_create)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        args.handler(settings, args)
    except ConfigError as error:
        print(f"convene: configuration error: {error}", file=sys.stderr)
        return 2
    except ConveneError as error:
        print(f"convene: {error.detail}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
