"""The privacy notice: anyone reads it at /privacy in their language, naming the secretariat's contact; a
deployment replaces it with its own text per language."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from server.app import create_app
from server.settings import ConfigError, Settings

HEADINGS = {
    "en": ("Privacy notice", "Your rights"),
    "fr": ("Notice de confidentialité", "Vos droits"),
    "es": ("Aviso de privacidad", "Sus derechos"),
    "ru": ("Уведомление о конфиденциальности", "Ваши права"),
    "zh": ("隐私声明", "您的权利"),
    "ar": ("إشعار الخصوصية", "حقوقك"),
}
CONTACT = '<a href="mailto:events@convene.test" dir="ltr">events@convene.test</a>'


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP through an app made with ``settings``, its lifespan running (as the conftest's client does)."""
    app = create_app(settings)
    started, stop = asyncio.Event(), asyncio.Event()

    async def run_lifespan() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(run_lifespan())
    await started.wait()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://convene.test") as http:
        yield http
    stop.set()
    await task


@pytest.mark.parametrize("language", sorted(HEADINGS))
async def test_privacy_notice_in_the_readers_language(client: httpx.AsyncClient, language: str):
    response = await client.get("/privacy", headers={"Accept-Language": language})

    assert response.status_code == 200
    title, rights = HEADINGS[language]
    direction = "rtl" if language == "ar" else "ltr"
    assert re.search(r"<html[^>]*>", response.text).group(0).startswith(f'<html lang="{language}" dir="{direction}"')
    assert re.findall(r"<h1>(.*?)</h1>", response.text) == [title]
    assert f"<h2>{rights}</h2>" in response.text
    assert response.text.count(CONTACT) == 1


async def test_privacy_notice_names_the_secretariat_setting(settings: Settings, database: str):
    named = dataclasses.replace(settings, secretariat_name="GCM Network", secretariat_contact="dpo@example.org")
    async with serving(named) as client:
        response = await client.get("/privacy")

    assert "<p><bdi>GCM Network</bdi> runs this site to organise its sessions." in response.text
    assert "write to <a href=\"mailto:dpo@example.org\" dir=\"ltr\">dpo@example.org</a>." in response.text


async def test_deployment_replaces_the_notice_per_language(settings: Settings, database: str, tmp_path: Path):
    folder = tmp_path / "privacy"
    folder.mkdir()
    (folder / "en.html").write_text("<p>Our own notice.</p>", encoding="utf-8")
    (folder / "fr.html").write_text("<p>Notre propre notice.</p>", encoding="utf-8")
    async with serving(dataclasses.replace(settings, privacy_dir=folder)) as client:
        french = await client.get("/privacy", headers={"Accept-Language": "fr"})
        russian = await client.get("/privacy", headers={"Accept-Language": "ru"})

    assert "<p>Notre propre notice.</p>" in french.text and "Vos droits" not in french.text
    assert "<p>Our own notice.</p>" in russian.text  # no ru.html: the deployment's English one
    assert re.findall(r"<h1>(.*?)</h1>", russian.text) == ["Уведомление о конфиденциальности"]


def test_secretariat_settings_are_read_and_checked(tmp_path: Path):
    env = {"SECRET_KEY": "x" * 32, "CONVENE_VAR_DIR": str(tmp_path), "MAIL_FROM": "Network <events@example.org>"}
    assert Settings.from_env(env).secretariat == {"name": "Network", "contact": "events@example.org", "logo_url": ""}
    named = Settings.from_env({**env, "SECRETARIAT_NAME": "GCM Network", "SECRETARIAT_CONTACT": "dpo@example.org",
                               "SECRETARIAT_LOGO": "https://example.org/logo.png"})
    assert named.secretariat == {"name": "GCM Network", "contact": "dpo@example.org",
                                 "logo_url": "https://example.org/logo.png"}
    for name, value, message in [
        ("SECRETARIAT_CONTACT", "not an address", "SECRETARIAT_CONTACT: expected an email address"),
        ("SECRETARIAT_LOGO", "../settings.py",
         "SECRETARIAT_LOGO: expected an https:// URL or a file under server/static/"),
        ("PRIVACY_NOTICE_DIR", str(tmp_path / "missing"), "PRIVACY_NOTICE_DIR: not a folder"),
    ]:
        with pytest.raises(ConfigError) as refused:
            Settings.from_env({**env, name: value})
        assert str(refused.value) == message
