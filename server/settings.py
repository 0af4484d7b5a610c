"""Configuration, read from the environment once and validated at start (DESIGN.md, Contracts)."""

from __future__ import annotations

__all__ = ["MAX_UPLOAD_BYTES", "ROOT", "ConfigError", "Settings", "parse_database_url"]

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
#: The most ``CONVENE_UPLOAD_MAX_MB`` may allow: upload routes cap request bodies a little above it.
MAX_UPLOAD_BYTES = 100 * 1024 * 1024
STATIC_DIR = ROOT / "server" / "static"


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class DatabaseURL:
    """A parsed ``DATABASE_URL``."""

    engine: str
    """``sqlite`` or ``postgresql``."""
    path: Path | None = None
    """SQLite: the database file."""
    host: str = "127.0.0.1"
    port: int = 5432
    user: str | None = None
    password: str | None = None
    database: str = ""

    @property
    def is_sqlite(self) -> bool:
        return self.engine == "sqlite"


def parse_database_url(url: str) -> DatabaseURL:
    """``sqlite:///relative.db``, ``sqlite:////absolute.db`` or ``postgresql://user:pass@host:port/db``."""
    if url.startswith("sqlite:///"):
        rest = url[len("sqlite:///"):]
        if not rest or rest == "/":
            raise ConfigError("DATABASE_URL: sqlite URL has no file path")
        path = Path(rest) if rest.startswith("/") else ROOT / rest
        return DatabaseURL(engine="sqlite", path=path)
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ConfigError(
            "DATABASE_URL: expected sqlite:///path.db or postgresql://user[:pass]@host[:port]/db, "
            f"got scheme {parts.scheme!r}"
        )
    database = parts.path.lstrip("/")
    if not parts.hostname or not database:
        raise ConfigError("DATABASE_URL: a postgresql URL needs a host and a database name")
    try:
        port = parts.port or 5432
    except ValueError as error:
        raise ConfigError("DATABASE_URL: the port is not a number") from error
    return DatabaseURL(
        engine="postgresql",
        host=parts.hostname,
        port=port,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        database=database,
    )


def _flag(name: str, value: str) -> bool:
    if value.lower() in ("on", "true", "1", "yes"):
        return True
    if value.lower() in ("off", "false", "0", "no"):
        return False
    raise ConfigError(f"{name}: expected on or off, got {value!r}")


def _development_secret(var_dir: Path) -> str:
    """A secret kept in ``var/secret_key`` so that restarts keep sessions and manage links valid."""
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.write_text(secret)
    path.chmod(0o600)
    return secret


def _var_dir(env: Mapping[str, str]) -> Path:
    """``CONVENE_VAR_DIR``, else ``var/`` in the checkout."""
    return Path(env.get("CONVENE_VAR_DIR", str(ROOT / "var")))


def _uploads_dir(env: Mapping[str, str]) -> Path:
    """``CONVENE_UPLOADS_DIR``, else ``uploads/`` under the var dir."""
    return Path(env["CONVENE_UPLOADS_DIR"]) if env.get("CONVENE_UPLOADS_DIR") else _var_dir(env) / "uploads"


def _megabytes(name: str, value: str) -> int:
    try:
        megabytes = int(value)
    except ValueError as error:
        raise ConfigError(f"{name}: expected a whole number of megabytes, got {value!r}") from error
    return megabytes * 1024 * 1024


@dataclass(frozen=True)
class Settings:
    """Everything Convene reads from the environment."""

    database_url: str = "sqlite:///var/convene.db"
    """Where the data lives: SQLite for development, PostgreSQL in production."""
    smtp_url: str | None = None
    """``smtp://[user:pass@]host:port`` or ``smtps://…``; unset writes mail as .eml files under var/mail/."""
    mail_from: str = "Convene <events@localhost>"
    """Sender of every message and ORGANIZER of every invite."""
    public_url: str = "http://127.0.0.1:8000"
    """Base of links in mail and calendars."""
    secret_key: str = ""
    """Signs cookies and manage links."""
    environment: str = "development"
    """``development`` or ``production`` (``CONVENE_ENV``)."""
    rate_limit: bool = True
    """``RATE_LIMIT=off`` turns rate limits off for benchmarks and load tests."""
    trusted_proxies: tuple[str, ...] = ()
    """Addresses whose ``X-Forwarded-For`` is believed."""
    var_dir: Path = field(default=ROOT / "var")
    """Where development state lives: the SQLite file, the secret, written mail."""
    uploads_dir: Path | None = None
    """Where written inputs' files are kept (``CONVENE_UPLOADS_DIR``); unset: ``uploads/`` under ``var_dir``."""
    upload_max_bytes: int = 10 * 1024 * 1024
    """The largest file a written input may be (``CONVENE_UPLOAD_MAX_MB``, in megabytes; 10 by default)."""
    secretariat_name: str = ""
    """Who every message is from, named in its footer (``SECRETARIAT_NAME``); empty: the name in ``mail_from``."""
    secretariat_contact: str = ""
    """The address people may write to (``SECRETARIAT_CONTACT``), in every message and the privacy notice; empty:
    the address in ``mail_from``."""
    secretariat_logo: str = ""
    """``SECRETARIAT_LOGO``: an https:// URL, or a file under server/static/ (``logo.png``), shown atop mail."""
    privacy_dir: Path | None = None
    """``PRIVACY_NOTICE_DIR``: a folder of ``<language>.html`` files replacing the default privacy notice."""

    def __post_init__(self) -> None:
        parse_database_url(self.database_url)
        if self.environment not in ("development", "production"):
            raise ConfigError(f"CONVENE_ENV: expected development or production, got {self.environment!r}")
        if not self.secret_key:
            raise ConfigError("SECRET_KEY: required when CONVENE_ENV=production")
        if len(self.secret_key) < 16:
            raise ConfigError("SECRET_KEY: must be at least 16 characters")
        if self.smtp_url:
            smtp = urlsplit(self.smtp_url)
            if smtp.scheme not in ("smtp", "smtps") or not smtp.hostname:
                raise ConfigError("SMTP_URL: expected smtp://[user:pass@]host:port or smtps://[user:pass@]host:port")
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_address(proxy)
            except ValueError as error:
                raise ConfigError(f"TRUSTED_PROXIES: {proxy!r} is not an IP address") from error
        if not self.public_url.startswith(("http://", "https://")):
            raise ConfigError("PUBLIC_URL: expected an http:// or https:// URL")
        if not 1 <= self.upload_max_bytes <= MAX_UPLOAD_BYTES:
            raise ConfigError("CONVENE_UPLOAD_MAX_MB: expected a number of megabytes from 1 to 100")
        self._check_secretariat()

    def _check_secretariat(self) -> None:
        if self.secretariat_contact and "@" not in parseaddr(self.secretariat_contact)[1]:
            raise ConfigError("SECRETARIAT_CONTACT: expected an email address")
        logo = self.secretariat_logo
        if logo and not logo.startswith(("http://", "https://")):
            path = (STATIC_DIR / logo).resolve()
            if not path.is_relative_to(STATIC_DIR) or not path.is_file():
                raise ConfigError("SECRETARIAT_LOGO: expected an https:// URL or a file under server/static/")
        if self.privacy_dir is not None and not self.privacy_dir.is_dir():
            raise ConfigError("PRIVACY_NOTICE_DIR: not a folder")

    @property
    def secretariat(self) -> dict[str, str]:
        """The secretariat as mail and pages name it: ``name``, ``contact`` (an address) and ``logo_url``."""
        sender_name, sender_address = parseaddr(self.mail_from)
        logo = self.secretariat_logo
        if logo and not logo.startswith(("http://", "https://")):
            logo = f"{self.public_url}/static/{logo.lstrip('/')}"
        return {
            "name": self.secretariat_name or sender_name or sender_address,
            "contact": parseaddr(self.secretariat_contact)[1] if self.secretariat_contact else sender_address,
            "logo_url": logo,
        }

    @property
    def database(self) -> DatabaseURL:
        return parse_database_url(self.database_url)

    @property
    def mail_dir(self) -> Path:
        return self.var_dir / "mail"

    @property
    def upload_dir(self) -> Path:
        """Where written inputs' files are kept."""
        return self.uploads_dir or self.var_dir / "uploads"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        var_dir = _var_dir(env)
        environment = env.get("CONVENE_ENV", "development")
        secret = env.get("SECRET_KEY", "")
        if not secret and environment == "development":
            secret = _development_secret(var_dir)
        proxies = tuple(p.strip() for p in env.get("TRUSTED_PROXIES", "").split(",") if p.strip())
        return cls(
            database_url=env.get("DATABASE_URL", "sqlite:///var/convene.db"),
            smtp_url=env.get("SMTP_URL") or None,
            mail_from=env.get("MAIL_FROM", "Convene <events@localhost>"),
            public_url=env.get("PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
            secret_key=secret,
            environment=environment,
            rate_limit=_flag("RATE_LIMIT", env.get("RATE_LIMIT", "on")),
            trusted_proxies=proxies,
            var_dir=var_dir,
            uploads_dir=_uploads_dir(env),
            upload_max_bytes=_megabytes("CONVENE_UPLOAD_MAX_MB", env.get("CONVENE_UPLOAD_MAX_MB", "10")),
            secretariat_name=env.get("SECRETARIAT_NAME", "").strip(),
            secretariat_contact=env.get("SECRETARIAT_CONTACT", "").strip(),
            secretariat_logo=env.get("SECRETARIAT_LOGO", "").strip(),
            privacy_dir=Path(env["PRIVACY_NOTICE_DIR"]) if env.get("PRIVACY_NOTICE_DIR") else None,
        )
