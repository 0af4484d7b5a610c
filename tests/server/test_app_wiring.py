"""The composition root (server.app) hands infrastructure what it needs: a context builder for every mail template
by its exact name, and jobs and signal receivers that write mail with the settings they were given, never with
the process environment."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest

from registrations import notifications
from registrations.tables import Registration
from server import signals
from server.app import JOBS, MAIL_BUILDERS, create_app
from server.db import write_transaction
from server.mail.render import MailContent, MissingContextBuilder, builder_for, render_message
from server.settings import ROOT, Settings
from server.tables import OutboxMessage
from tests.mail_data import START, make_registration, make_session

EMAIL_TEMPLATES = ROOT / "templates" / "emails"


def _template_names(directory: Path) -> list[str]:
    """Every message template; files starting with ``_`` are layouts and macros, not messages."""
    return sorted(path.stem for path in directory.glob("*.html") if not path.name.startswith("_"))


@pytest.mark.engine_independent
def test_every_mail_template_has_a_builder_and_every_builder_a_template() -> None:
    templates = _template_names(EMAIL_TEMPLATES)

    assert len(templates) == 24  # the walk found the templates (a wrong directory would find none)
    assert sorted(MAIL_BUILDERS) == templates


async def _no_values(template: str, context: dict, settings: Settings) -> MailContent:
    return MailContent()


@pytest.mark.engine_independent
def test_a_builder_is_found_by_exact_name_only() -> None:
    builders = {"registration_": _no_values, "reminder": _no_values}

    assert builder_for(builders, "reminder") is _no_values
    with pytest.raises(MissingContextBuilder) as missing:
        builder_for(builders, "registration_confirmed")  # a prefix is no match
    assert str(missing.value) == "no mail context builder for the template 'registration_confirmed'"


@pytest.mark.engine_independent
async def test_rendering_a_template_without_a_builder_fails(settings: Settings) -> None:
    row = {"template": "password_reset", "language": "en", "timezone": "UTC", "context": {"reset_url": "x"}}

    with pytest.raises(MissingContextBuilder):
        await render_message(row, settings, {"reminder": _no_values})


@pytest.fixture
def given_settings(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings unlike both the test defaults and the process environment, which says something else again."""
    monkeypatch.setenv("MAIL_FROM", "Environment <mail@environment.test>")
    monkeypatch.setenv("PUBLIC_URL", "http://environment.test")
    return dataclasses.replace(settings, mail_from="Given Sender <mail@given.test>", public_url="http://given.test")


async def _outbox() -> list[dict]:
    return await OutboxMessage.select(
        OutboxMessage.template, OutboxMessage.message_id, OutboxMessage.context
    ).order_by(OutboxMessage.id).output(load_json=True)


async def test_a_receiver_writes_mail_with_the_settings_the_app_was_built_with(
    given_settings: Settings, database: str
) -> None:
    session = await make_session()
    await make_registration(session["id"], "ana@example.org")
    create_app(given_settings)

    async with write_transaction(OutboxMessage._meta.db):
        await signals.send("session_updated", session_id=session["id"], changes=["title"])

    (row,) = await _outbox()
    assert row["template"] == "session_updated"
    assert row["message_id"].endswith("@given.test>")


async def test_the_capacity_receiver_promotes_with_the_apps_settings(given_settings: Settings, database: str) -> None:
    session = await make_session(capacity=1)
    waiting = await make_registration(session["id"], "wait@example.org", status="waitlisted", waitlist_order=1)
    create_app(given_settings)

    async with write_transaction(OutboxMessage._meta.db):
        await signals.send("session_capacity_changed", session_id=session["id"])

    (row,) = await _outbox()
    assert row["template"] == "registration_promoted"
    assert row["message_id"].endswith("@given.test>")
    assert row["context"]["manage_url"].startswith("http://given.test/manage/")
    assert (await Registration.select(Registration.status).where(Registration.id == waiting["id"]).first()) == {
        "status": "confirmed"
    }


async def test_a_job_writes_mail_with_the_settings_it_is_given(given_settings: Settings, database: str) -> None:
    session = await make_session(capacity=1)
    await make_registration(session["id"], "wait@example.org", status="waitlisted", waitlist_order=1)

    await JOBS["fill_waitlists"](given_settings)

    (row,) = await _outbox()
    assert row["template"] == "registration_promoted"
    assert row["message_id"].endswith("@given.test>")
    assert row["context"]["manage_url"].startswith("http://given.test/manage/")


async def test_the_reminder_job_writes_mail_with_the_settings_it_is_given(
    given_settings: Settings, database: str
) -> None:
    session = await make_session(reminder_offsets=[60])
    await make_registration(session["id"], "ana@example.org")

    assert await notifications.send_reminders(given_settings, now=START - timedelta(minutes=30)) == 1

    (row,) = await _outbox()
    assert row["template"] == "reminder"
    assert row["message_id"].endswith("@given.test>")
