"""The public registration form refuses what msgspec refuses (too long, too many) in the reader's language, beside
the field: the form decodes through ``server.validation`` like the JSON API, never through msgspec's English."""

from __future__ import annotations

import re

import pytest

from registrations.tables import Registration
from tests.registrations.conftest import make_session, submission

#: The name 201 characters long (the limit is 200), in each language.
TOO_LONG = {
    "en": "Must be at most 200 characters.",
    "fr": "Doit comporter au plus 200 caractères.",
    "es": "Debe tener como máximo 200 caracteres.",
    "ru": "Должно содержать не более 200 символов.",
    "zh": "最多 200 个字符。",
    "ar": "يجب ألا يزيد عدد الأحرف على 200.",
}
#: Eleven accessibility needs ticked (the limit is ten), in each language.
TOO_MANY = {
    "en": "Give at most 10 items.",
    "fr": "Indiquez au plus 10 éléments.",
    "es": "Indique como máximo 10 elementos.",
    "ru": "Укажите не более 10 элементов.",
    "zh": "最多给出 10 项。",
    "ar": "الحد الأقصى لعدد العناصر: 10.",
}


def _field_error(html: str, field: str) -> str:
    """The error text beside ``field`` (the element its ``aria-describedby`` names)."""
    found = re.search(rf'<span class="field-error" id="error-{field}">([^<]*)</span>', html)
    assert found, f"no error beside {field}"
    return found.group(1)


async def _post(client, language: str, **overrides) -> str:
    session_id = await make_session()
    client.cookies.set("convene_lang", language)
    await client.get(f"/sessions/{session_id}")
    form = {k: ("on" if v is True else v) for k, v in submission(**overrides).items()}
    response = await client.post(f"/sessions/{session_id}/register",
                                 data={**form, "_csrf_token": client.cookies["convene_csrf"]})
    assert response.status_code == 400
    return response.text


@pytest.mark.parametrize("language", sorted(TOO_LONG))
async def test_form_refuses_a_too_long_name_in_the_readers_language(client, language):
    html = await _post(client, language, name="N" * 201)

    assert _field_error(html, "name") == TOO_LONG[language]
    assert 'aria-describedby="error-name" aria-invalid="true"' in html
    assert await Registration.count() == 0


@pytest.mark.parametrize("language", sorted(TOO_MANY))
async def test_form_refuses_too_many_needs_in_the_readers_language(client, language):
    needs = ["captions_cart", "captions_auto", "international_sign", "national_sign_language", "accessible_documents",
             "easy_read", "other", "captions_cart", "captions_auto", "easy_read", "other"]

    html = await _post(client, language, accessibility_needs=needs)

    assert _field_error(html, "accessibility_needs") == TOO_MANY[language]
    assert await Registration.count() == 0
