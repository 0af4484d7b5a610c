"""Bad session input: a 4xx problem+json naming the field, and nothing written."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from events.tables import Session
from server.i18n import format_number, gettext, use_locale
from tests.conftest import Staff
from tests.events.helpers import create, field_errors, future, session_body

STARTS = future()

BAD_BODIES = [
    ("end_before_start", {"ends_at": (STARTS - timedelta(hours=1)).isoformat()}, 422, "ends_at"),
    ("end_equals_start", {"ends_at": STARTS.isoformat()}, 422, "ends_at"),
    ("unknown_zone", {"timezone": "Mars/Olympus_Mons"}, 422, "timezone"),
    ("city_without_zone", {"timezone": "Europe/Lausanne"}, 422, "timezone"),
    ("pseudo_zone_factory", {"timezone": "Factory"}, 422, "timezone"),
    ("pseudo_zone_localtime", {"timezone": "localtime"}, 422, "timezone"),
    ("unknown_floor_language", {"floor_language": "xx"}, 422, "floor_language"),
    ("malformed_floor_language", {"floor_language": "english!"}, 422, "floor_language"),
    ("unknown_interpretation_language", {"interpretation_languages": ["fr", "qq"]}, 422,
     "interpretation_languages"),
    ("title_key_not_bcp47", {"title": {"en": "Title", "french": "Titre"}}, 422, "title"),
    ("title_missing_floor_language", {"title": {"fr": "Titre"}}, 422, "title"),
    ("description_key_unknown", {"description": {"zz": "x"}}, 422, "description"),
    ("negative_capacity", {"capacity": -1}, 400, "capacity"),
    ("unknown_kind", {"kind": "party"}, 400, "kind"),
    ("unknown_audience", {"audience": "everyone"}, 400, "audience"),
    ("unknown_region", {"region": "EU"}, 400, "region"),
    ("unknown_provision", {"accessibility_provisions": ["subtitles"]}, 400, "accessibility_provisions[0]"),
    ("sign_language_not_sign", {"accessibility_provisions": ["national_sign_language"], "sign_languages": ["fra"]},
     422, "sign_languages"),
    ("national_sign_without_code", {"accessibility_provisions": ["national_sign_language"]}, 422,
     "sign_languages"),
    ("oversized_title", {"title": {"en": "x" * 301}}, 400, "title[...]"),
    ("oversized_description", {"description": {"en": "x" * 20001}}, 400, "description[...]"),
    ("naive_start", {"starts_at": STARTS.replace(tzinfo=None).isoformat()}, 400, "starts_at"),
    ("unknown_field", {"colour": "blue"}, 400, "colour"),
    ("join_url_script", {"join": {"url": "javascript:alert(1)"}}, 422, "join.url"),
    ("join_url_without_host", {"join": {"url": "https:///nowhere"}}, 422, "join.url"),
    ("unknown_series", {"series_id": 99}, 422, "series_id"),
    ("unknown_organiser", {"organiser_ids": [999]}, 422, "organiser_ids"),
    ("agenda_title_key_unknown", {"agenda": [{"title": {"qq": "x"}}]}, 422, "agenda"),
    ("registration_opens_after_start", {"registration_opens_at": (STARTS + timedelta(minutes=5)).isoformat()}, 422,
     "registration_opens_at"),
    ("registration_closes_after_end", {"registration_closes_at": (STARTS + timedelta(days=1)).isoformat()}, 422,
     "registration_closes_at"),
    ("registration_closes_before_opens",
     {"registration_opens_at": (STARTS - timedelta(days=1)).isoformat(),
      "registration_closes_at": (STARTS - timedelta(days=2)).isoformat()}, 422, "registration_opens_at"),
]


@pytest.mark.parametrize(("case", "overrides", "status", "field"), BAD_BODIES, ids=[c[0] for c in BAD_BODIES])
async def test_create_session_bad_input_names_field(
    client: httpx.AsyncClient, admin: Staff, case: str, overrides: dict, status: int, field: str
) -> None:
    response = await client.post("/api/v1/sessions", json=session_body(**overrides), headers=admin.headers)
    assert response.status_code == status, response.text
    assert field_errors(response) == [field]
    assert await Session.count() == 0


@pytest.mark.parametrize("missing", ["kind", "title", "starts_at", "ends_at", "timezone", "floor_language"])
async def test_create_session_missing_required_field_names_it(client: httpx.AsyncClient, admin: Staff,
                                                              missing: str) -> None:
    body = session_body()
    del body[missing]
    response = await client.post("/api/v1/sessions", json=body, headers=admin.headers)
    assert response.status_code == 400
    assert field_errors(response) == [missing]


async def test_create_session_valid_bcp47_and_sign_language_accepted(client: httpx.AsyncClient,
                                                                     admin: Staff) -> None:
    body = await create(client, admin, floor_language="es-419", title={"es-419": "Título"},
                        interpretation_languages=["zh-Hans", "pt-BR"],
                        accessibility_provisions=["national_sign_language"], sign_languages=["ase", "bfi"])
    assert body["floor_language"] == "es-419"
    assert body["sign_languages"] == ["ase", "bfi"]


async def test_patch_session_bad_input_writes_nothing(client: httpx.AsyncClient, admin: Staff) -> None:
    session = await create(client, admin)
    response = await client.patch(
        f"/api/v1/sessions/{session['id']}",
        json={"capacity": 5, "ends_at": datetime.fromisoformat(session["starts_at"]).isoformat()},
        headers=admin.headers,
    )
    assert response.status_code == 422
    assert field_errors(response) == ["ends_at"]
    read = (await client.get(f"/api/v1/sessions/{session['id']}", headers=admin.headers)).json()
    assert read["capacity"] is None


async def test_patch_unknown_field_refused(client: httpx.AsyncClient, admin: Staff) -> None:
    session = await create(client, admin)
    response = await client.patch(f"/api/v1/sessions/{session['id']}", json={"status": "published"},
                                  headers=admin.headers)
    assert response.status_code == 400
    assert field_errors(response) == ["status"]


async def test_get_unknown_session_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/sessions/12345")
    assert response.status_code == 404


@pytest.mark.parametrize("language", ["en", "ar"])
async def test_api_field_errors_are_sentences_in_the_readers_language(client: httpx.AsyncClient, admin: Staff,
                                                                      language: str) -> None:
    response = await client.post("/api/v1/sessions", json=session_body(capacity=-1),
                                 headers={**admin.headers, "Accept-Language": language})

    with use_locale(language):
        message = gettext("Must be a whole number of %(min)s or more.", min=format_number(0))
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "capacity", "message": message}]
    assert response.json()["detail"] == f"capacity: {message}"


async def test_language_codes_are_stored_in_their_conventional_case(client: httpx.AsyncClient,
                                                                   admin: Staff) -> None:
    body = await create(client, admin, floor_language="EN", title={"EN": "Title", "ZH-HANS": "标题"},
                        description={"Fr": "Texte"}, interpretation_languages=["FR", "pt-br", "fr", "ES-419"],
                        agenda=[{"title": {"EN": "Opening"}}])

    assert body["floor_language"] == "en"
    assert body["title"] == {"en": "Title", "zh-Hans": "标题"}
    assert body["description"] == {"fr": "Texte"}
    assert body["interpretation_languages"] == ["fr", "pt-BR", "es-419"]
    assert body["agenda"][0]["title"] == {"en": "Opening"}


async def test_patch_in_another_case_is_no_change(client: httpx.AsyncClient, admin: Staff) -> None:
    session = await create(client, admin, interpretation_languages=["fr"])

    response = await client.patch(f"/api/v1/sessions/{session['id']}",
                                  json={"floor_language": "EN", "title": {k.upper(): v for k, v in
                                                                           session["title"].items()},
                                        "interpretation_languages": ["FR"]}, headers=admin.headers)

    assert response.status_code == 200, response.text
    assert (response.json()["floor_language"], response.json()["title"], response.json()["sequence"]) == (
        "en", session["title"], 0)
    assert response.json()["interpretation_languages"] == ["fr"]
