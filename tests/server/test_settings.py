"""Settings are read from the environment once and refused at start, naming the variable, when wrong."""

from __future__ import annotations

import pytest

from server.settings import ROOT, ConfigError, Settings

pytestmark = pytest.mark.engine_independent

GOOD = {"SECRET_KEY": "a-long-enough-secret-key", "DATABASE_URL": "sqlite:///var/test-settings.db"}


@pytest.mark.parametrize(
    "url",
    [
        "mysql://db/convene",
        "sqlite://relative.db",
        "sqlite:///",
        "postgresql://",
        "postgresql://host:port/db",
        "nonsense",
    ],
)
def test_malformed_database_url_is_refused_naming_the_variable(url):
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({**GOOD, "DATABASE_URL": url})

    assert str(refused.value).startswith("DATABASE_URL: ")


def test_missing_secret_key_in_production_is_refused(tmp_path):
    environ = {"CONVENE_ENV": "production", "DATABASE_URL": "postgresql://db/convene", "CONVENE_VAR_DIR": str(tmp_path)}

    with pytest.raises(ConfigError) as refused:
        Settings.from_env(environ)

    assert str(refused.value) == "SECRET_KEY: required when CONVENE_ENV=production"
    assert not (tmp_path / "secret_key").exists()


def test_development_secret_is_generated_once_and_kept(tmp_path):
    first = Settings.from_env({"CONVENE_VAR_DIR": str(tmp_path)})
    second = Settings.from_env({"CONVENE_VAR_DIR": str(tmp_path)})

    assert first.secret_key == second.secret_key
    assert len(first.secret_key) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("RATE_LIMIT", "sometimes"),
        ("CONVENE_ENV", "staging"),
        ("SMTP_URL", "http://mail.example.org"),
        ("SMTP_URL", "smtp://"),
        ("TRUSTED_PROXIES", "10.0.0.1, proxy.internal"),
        ("PUBLIC_URL", "convene.example.org"),
        ("SECRET_KEY", "short"),
    ],
)
def test_malformed_setting_is_refused_naming_the_variable(variable, value):
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({**GOOD, variable: value})

    assert str(refused.value).startswith(f"{variable}: ")


def test_settings_read_every_documented_variable(tmp_path):
    settings = Settings.from_env(
        {
            "DATABASE_URL": "postgresql://convene:p%40ss@db.internal:6432/convene",
            "SMTP_URL": "smtps://mailer:pw@smtp.example.org:465",
            "MAIL_FROM": "Secretariat <events@example.org>",
            "PUBLIC_URL": "https://convene.example.org/",
            "SECRET_KEY": "a-long-enough-secret-key",
            "CONVENE_ENV": "production",
            "RATE_LIMIT": "off",
            "TRUSTED_PROXIES": "10.0.0.1, 10.0.0.2",
            "CONVENE_VAR_DIR": str(tmp_path),
        }
    )

    database = settings.database
    assert (database.engine, database.host, database.port, database.user, database.password, database.database) == (
        "postgresql",
        "db.internal",
        6432,
        "convene",
        "p@ss",
        "convene",
    )
    assert settings.smtp_url == "smtps://mailer:pw@smtp.example.org:465"
    assert settings.mail_from == "Secretariat <events@example.org>"
    assert settings.public_url == "https://convene.example.org"
    assert settings.rate_limit is False
    assert settings.trusted_proxies == ("10.0.0.1", "10.0.0.2")


def test_defaults_follow_the_design(tmp_path):
    settings = Settings.from_env({"CONVENE_VAR_DIR": str(tmp_path)})

    assert settings.database.path == ROOT / "var" / "convene.db"
    assert (settings.smtp_url, settings.mail_from, settings.public_url) == (
        None,
        "Convene <events@localhost>",
        "http://127.0.0.1:8000",
    )
    assert (settings.rate_limit, settings.trusted_proxies, settings.environment) == (True, (), "development")


def test_sqlite_absolute_path_is_kept():
    settings = Settings.from_env({**GOOD, "DATABASE_URL": "sqlite:////srv/convene/data.db"})

    assert str(settings.database.path) == "/srv/convene/data.db"


def test_uploads_folder_defaults_under_the_var_dir_and_can_be_moved(tmp_path):
    default = Settings.from_env({**GOOD, "CONVENE_VAR_DIR": str(tmp_path)})
    moved = Settings.from_env({**GOOD, "CONVENE_VAR_DIR": str(tmp_path), "CONVENE_UPLOADS_DIR": "/srv/convene/files"})

    assert default.upload_dir == tmp_path / "uploads"
    assert str(moved.upload_dir) == "/srv/convene/files"
    assert default.upload_max_bytes == 10 * 1024 * 1024


@pytest.mark.parametrize(("value", "expected"), [("25", 25 * 1024 * 1024), ("1", 1024 * 1024)])
def test_upload_limit_is_read_in_megabytes(tmp_path, value, expected):
    settings = Settings.from_env({**GOOD, "CONVENE_VAR_DIR": str(tmp_path), "CONVENE_UPLOAD_MAX_MB": value})

    assert settings.upload_max_bytes == expected


@pytest.mark.parametrize("value", ["ten", "0", "101", "-5"])
def test_upload_limit_out_of_range_is_refused_naming_the_variable(tmp_path, value):
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({**GOOD, "CONVENE_VAR_DIR": str(tmp_path), "CONVENE_UPLOAD_MAX_MB": value})

    assert str(refused.value).startswith("CONVENE_UPLOAD_MAX_MB: ")
