"""The staff session form chooses by name: the zone by city and country, the floor language and the sign
languages by their names in the reader's language; the values sent stay codes."""

from __future__ import annotations

import re

import httpx

from events.tables import Session
from tests.conftest import Staff, login_cookie_client
from tests.events.helpers import staff_form


def _select(html: str, name: str) -> str:
    found = re.search(rf'<select id="field-{name}" name="{name}".*?</select>', html, re.S)
    assert found, name
    return found.group(0)


async def test_staff_form_lists_zones_languages_and_sign_languages_by_name(
    client: httpx.AsyncClient, organiser: Staff
) -> None:
    await login_cookie_client(client, organiser)
    client.cookies.set("convene_lang", "fr")

    html = (await client.get("/staff/sessions/new")).text

    assert '<option value="Asia/Beirut">Beyrouth — Liban (Asia/Beirut)</option>' in _select(html, "timezone")
    floor = _select(html, "floor_language")
    assert '<option value="en" selected>anglais</option>' in floor
    assert '<option value="sw">swahili</option>' in floor
    signs = _select(html, "sign_languages")
    assert 'multiple size="6" aria-describedby="hint-sign_languages"' in signs
    assert '<option value="bfi">Langue des signes britannique</option>' in signs
    assert "ISO 639-3" not in html and "BCP 47" not in html and "IANA" not in html


async def test_staff_form_takes_sign_languages_chosen_in_the_list(
    client: httpx.AsyncClient, organiser: Staff
) -> None:
    await login_cookie_client(client, organiser)
    await client.get("/staff/sessions/new")
    form = staff_form(client, accessibility_provisions=["national_sign_language"], sign_languages=["bfi", "ase"])

    created = await client.post("/staff/sessions/new", data=form)
    edit = await client.get(created.headers["location"])

    assert created.status_code == 303
    stored = await Session.select(Session.sign_languages).output(load_json=True).first()
    assert stored == {"sign_languages": ["bfi", "ase"]}
    signs = _select(edit.text, "sign_languages")
    assert '<option value="ase" selected>American Sign Language</option>' in signs
    assert '<option value="bfi" selected>British Sign Language</option>' in signs
    assert signs.count(" selected") == 2
