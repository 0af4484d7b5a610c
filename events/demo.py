"""``convene demo``: sample data dated relative to today, loaded once; every run prints the admin login."""

from __future__ import annotations

__all__ = ["ADMIN_EMAIL", "ORGANISER_EMAIL", "load_demo"]

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from events.schemas import AgendaItemIn, JoinDetails, Provision, SessionCreate
from events.services import create_session, publish
from events.tables import Series, Session
from server.auth import StaffUser, create_user
from server.db import write_transaction
from server.settings import Settings
from server.tables import User

ADMIN_EMAIL = "admin@convene.example"
ORGANISER_EMAIL = "organiser@convene.example"
LOGIN_FILE = "demo-login.txt"

MOBILITY = {
    "en": "Mobility in the Time of COVID-19",
    "fr": "La mobilité au temps de la COVID-19",
    "es": "La movilidad en tiempos de la COVID-19",
}
WEBINARS = [
    {"en": "Migrant workers and the pandemic", "fr": "Les travailleurs migrants et la pandémie",
     "es": "Los trabajadores migrantes y la pandemia"},
    {"en": "Borders, health and human rights", "fr": "Frontières, santé et droits humains",
     "es": "Fronteras, salud y derechos humanos"},
    {"en": "Remittances in times of crisis", "fr": "Les envois de fonds en temps de crise",
     "es": "Las remesas en tiempos de crisis"},
]
# One regional review per UN Regional Commission, in a zone of the Commission's seat.
REVIEWS = [
    ("ECA", "Africa/Addis_Ababa", "en", "Regional review of the Global Compact for Migration: Africa"),
    ("ECE", "Europe/Zurich", "en", "Regional review of the Global Compact for Migration: UNECE region"),
    ("ECLAC", "America/Santiago", "es", "Examen regional del Pacto Mundial para la Migración: América Latina"),
    ("ESCAP", "Asia/Bangkok", "en", "Regional review of the Global Compact for Migration: Asia and the Pacific"),
    ("ESCWA", "Asia/Beirut", "ar", "الاستعراض الإقليمي للاتفاق العالمي من أجل الهجرة: المنطقة العربية"),
]


def _at(days: int, hour: int, zone: str) -> datetime:
    """``hour`` o'clock in ``zone``, ``days`` from today."""
    day = datetime.now(UTC).astimezone(ZoneInfo(zone)).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(zone))


def _session(kind: str, title: dict[str, str], days: int, hour: int, zone: str, minutes: int = 90,
             **extra: Any) -> SessionCreate:
    starts = _at(days, hour, zone)
    return SessionCreate(kind=Session.Kind(kind), title=title, starts_at=starts,
                         ends_at=starts + timedelta(minutes=minutes), timezone=zone,
                         floor_language=extra.pop("floor_language", "en"), **extra)


def _demo_sessions(series_id: int, organiser_id: int) -> list[SessionCreate]:
    join = JoinDetails(url="https://meet.example.org/j/123456789", meeting_id="123 456 789", passcode="gcm2020",
                       dial_in="+41 22 000 00 00")
    sessions = [
        _session("webinar", title, days, 14, "Europe/Zurich", series_id=series_id, join=join,
                 interpretation_languages=["fr", "es"], accessibility_provisions=[_p("captions_cart")],
                 organiser_ids=[organiser_id],
                 description={"en": "A webinar of the series on human mobility during the pandemic."},
                 agenda=[AgendaItemIn(title={"en": "Opening remarks"}, speakers="Secretariat", minutes=10),
                         AgendaItemIn(title={"en": "Panel discussion"}, speakers="Panellists", minutes=60),
                         AgendaItemIn(title={"en": "Questions and answers"}, minutes=20)])
        for title, days in zip(WEBINARS, (-14, 3, 17), strict=True)
    ]
    sessions[1].capacity = 30
    sessions.append(_session(
        "listening_session", {"en": "Stakeholder listening session on the progress declaration",
                              "fr": "Session d'écoute des parties prenantes"},
        6, 15, "America/New_York", minutes=120, audience=Session.Audience.approval, join=join,
        interpretation_languages=["ar", "zh", "fr", "ru", "es"],
        accessibility_provisions=[_p("captions_cart"), _p("international_sign")], organiser_ids=[organiser_id],
    ))
    for n, (region, zone, language, title) in enumerate(REVIEWS):
        sessions.append(_session(
            "regional_review", {language: title}, 9 + 7 * n, 10, zone, minutes=180, floor_language=language,
            region=Session.Region(region), join=join,
            interpretation_languages=[code for code in ("en", "fr", "ar", "es") if code != language][:2],
        ))
    sessions[-4].venue = "Palais des Nations, 8-14 avenue de la Paix, 1211 Geneva"
    sessions[-4].in_person_capacity = 80
    sessions.append(_session(
        "briefing", {"en": "Briefing for Member States on the International Migration Review Forum"},
        2, 11, "America/New_York", minutes=60, join=join, accessibility_provisions=[_p("captions_auto")],
    ))
    return sessions


def _p(code: str) -> Provision:
    return Provision(code)


def _login_path(settings: Settings) -> Path:
    return Path(settings.var_dir) / LOGIN_FILE


def _save_login(settings: Settings, password: str) -> None:
    path = _login_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{ADMIN_EMAIL}\n{password}\n")
    os.chmod(path, 0o600)  # a password: readable by its owner only


def _saved_password(settings: Settings) -> str:
    path = _login_path(settings)
    lines = path.read_text().splitlines() if path.exists() else []
    return lines[1] if len(lines) > 1 else "(unknown: see " + str(path) + ")"


async def _load(settings: Settings) -> None:
    admin_id, password = await create_user(ADMIN_EMAIL, "admin", name="Demo Secretariat")
    _save_login(settings, password)
    organiser_id, _ = await create_user(ORGANISER_EMAIL, "organiser", name="Demo Organiser")
    admin = StaffUser(id=admin_id, email=ADMIN_EMAIL, name="Demo Secretariat", role="admin",
                      preferred_language="en")
    async with write_transaction(Series._meta.db):
        rows = await Series.insert(Series(title=MOBILITY, description={
            "en": "Webinars on human mobility and the COVID-19 pandemic."})).returning(Series.id)
    for data in _demo_sessions(rows[0]["id"], organiser_id):
        session = await create_session(admin, data)
        await publish(admin, session.id)


async def load_demo(settings: Settings) -> None:
    """Load the demo once (nothing happens when the admin exists already); print the admin login."""
    if not await User.exists().where(User.email == ADMIN_EMAIL):
        await _load(settings)
    print(f"admin login: {ADMIN_EMAIL} / {_saved_password(settings)}")
