"""The OpenAPI document states what the API validates: each rule the services check themselves (answering 422 in
their own words) is in the schema of its parameter or field, with the same values the service uses, so a client
(or Schemathesis, ``tests/server/test_api_fuzz.py``) that follows the document is not refused."""

from __future__ import annotations

from zoneinfo import available_timezones

import httpx
import pytest

from events.tables import Session
from events.validation import is_sign_language
from registrations.reference import COMMISSIONS, REGIONAL_GROUPS, STAKEHOLDER_CATEGORIES, country_codes, is_country
from registrations.report_exports import MAX_SUPPRESS_BELOW
from registrations.speaker_decisions import MAX_MINUTES
from registrations.staff import MAX_LIMIT
from server.web import valid_timezone

DATE_TIME = {"format": "date-time", "pattern": (
    "^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    "(\\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$")}
DATE = {"format": "date", "pattern": "^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"}
LINE_TEXT = "^[^\\x00-\\x08\\x0a-\\x1f\\x7f]*$"
MULTILINE_TEXT = "^(?:[^\\x00-\\x08\\x0b-\\x1f\\x7f]|\\r\\n)*$"
LANGUAGE_KEY = {"type": "string", "maxLength": 35, "pattern": "^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"}
NON_BLANK_LINE = "^[^\\x00-\\x08\\x0a-\\x1f\\x7f]*[^\\s\\x00-\\x1f\\x7f][^\\x00-\\x08\\x0a-\\x1f\\x7f]*$"
IDS = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
CATEGORIES = ["member_state", "observer_state", "un_system", "igo", "migrants", "civil_society",
              "migrant_diaspora_org", "faith_based_org", "local_authority", "private_sector", "trade_union",
              "parliamentarian", "nhri", "red_cross_red_crescent", "academia", "media", "youth", "other"]
PROVISIONS = ["captions_cart", "captions_auto", "international_sign", "national_sign_language",
              "accessible_documents", "easy_read", "other"]


@pytest.fixture
async def schema(client: httpx.AsyncClient) -> dict:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    return response.json()


def query(schema: dict, path: str, name: str, method: str = "get") -> dict:
    parameters = schema["paths"][path][method]["parameters"]
    return next(p["schema"] for p in parameters if p["in"] == "query" and p["name"] == name)


def field(schema: dict, component: str, name: str) -> dict:
    return schema["components"]["schemas"][component]["properties"][name]


@pytest.mark.parametrize(("path", "formats"), [
    ("/api/v1/planning", ["json", "csv", "xlsx"]),
    ("/api/v1/sessions/{session_id}/report", ["json", "csv", "xlsx"]),
    ("/api/v1/reports/participation", ["json", "csv", "xlsx"]),
    ("/api/v1/sessions/{session_id}/registrations", ["json", "csv"]),
])
async def test_format_is_one_of_the_formats_and_each_is_a_documented_answer(schema: dict, path: str,
                                                                          formats: list[str]) -> None:
    media_types = {"json": "application/json", "csv": "text/csv",
                   "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}

    assert query(schema, path, "format") == {"type": "string", "enum": formats, "default": "json"}
    assert sorted(schema["paths"][path]["get"]["responses"]["200"]["content"]) == sorted(
        media_types[f] for f in formats)


async def test_session_list_states_its_filters(schema: dict) -> None:
    instant = {"anyOf": [{"type": "string", "maxLength": 0}, {"type": "string", **DATE_TIME}, {"type": "null"}],
               "oneOf": [{"type": "string"}, {"type": "null"}], "maxLength": 40}

    assert query(schema, "/api/v1/sessions", "from") == instant
    assert query(schema, "/api/v1/sessions", "to") == instant
    assert query(schema, "/api/v1/sessions", "kind")["enum"] == ["", *(k.value for k in Session.Kind), None]
    assert query(schema, "/api/v1/sessions", "region")["enum"] == [
        "", "global", "ECA", "ECE", "ECLAC", "ESCAP", "ESCWA", None]


async def test_participation_report_states_series_and_period(schema: dict) -> None:
    period = {"anyOf": [{"type": "string", "maxLength": 0}, {"type": "string", **DATE},
                        {"type": "string", **DATE_TIME}], "type": "string", "default": ""}
    path = "/api/v1/reports/participation"

    assert query(schema, path, "series") == {"type": "string", "pattern": "^([1-9][0-9]{0,9})?$", "default": ""}
    assert (query(schema, path, "from"), query(schema, path, "to")) == (period, period)
    assert query(schema, path, "suppress_below") == {"type": "integer", "minimum": 0, "maximum": MAX_SUPPRESS_BELOW,
                                                     "default": 5}


async def test_registration_list_states_its_filters_and_page(schema: dict) -> None:
    path = "/api/v1/sessions/{session_id}/registrations"

    assert query(schema, path, "status")["enum"] == ["", "pending", "confirmed", "waitlisted", "declined",
                                                     "cancelled"]
    assert query(schema, path, "category")["enum"] == ["", *CATEGORIES]
    assert query(schema, path, "region")["enum"] == ["", *REGIONAL_GROUPS, *COMMISSIONS]
    assert query(schema, path, "language")["pattern"] == "^$|^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$"
    assert query(schema, path, "limit") == {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 100}
    assert query(schema, path, "offset") == {"type": "integer", "minimum": 0, "maximum": 2**31 - 1, "default": 0}


async def test_registration_states_its_codes_and_consent(schema: dict) -> None:
    registration = schema["components"]["schemas"]["RegistrationCreate"]["properties"]

    assert registration["stakeholder_category"] == {"type": "string", "enum": CATEGORIES, "maxLength": 40}
    assert list(STAKEHOLDER_CATEGORIES) == CATEGORIES
    assert registration["country"]["enum"] == country_codes()
    assert (len(country_codes()), all(is_country(code) for code in country_codes())) == (249, True)
    assert registration["consent_processing"] == {"type": "boolean", "enum": [True]}
    assert registration["preferred_language"]["enum"] == ["ar", "zh", "en", "fr", "ru", "es"]
    assert registration["gender"]["enum"] == ["woman", "man", "non_binary", "another", "prefer_not_to_say", None]
    assert registration["delegation_role"]["enum"] == ["head_of_delegation", "member", None]
    assert registration["participation_mode"]["enum"] == ["online", "in_person", None]
    assert registration["accessibility_needs"] == {"type": "array", "items": {"type": "string", "enum": PROVISIONS},
                                                  "maxItems": 10, "uniqueItems": True}
    assert registration["email"] == {"type": "string", "maxLength": 254, "format": "email"}
    assert registration["name"]["pattern"] == NON_BLANK_LINE
    assert registration["accessibility_other"]["pattern"] == MULTILINE_TEXT


async def test_time_zones_are_those_the_service_accepts(schema: dict) -> None:
    zones = field(schema, "RegistrationCreate", "timezone")["enum"]

    assert zones == sorted(available_timezones() - {"Factory", "localtime", "posixrules"})
    assert (all(valid_timezone(zone) for zone in zones), valid_timezone("Factory")) == (True, False)
    assert field(schema, "SessionCreate", "timezone")["enum"] == zones


@pytest.mark.parametrize("component", ["RegistrationCreate", "RegistrationUpdate"])
async def test_answers_state_their_keys_and_values(schema: dict, component: str) -> None:
    values = [{"type": "string", "maxLength": 20000},
              {"type": "array", "items": {"type": "string", "maxLength": 40}, "maxItems": 100}, {"type": "boolean"}]
    if component == "RegistrationUpdate":
        values.append({"type": "null"})
    answers = field(schema, component, "answers")

    assert answers["propertyNames"] == {"type": "string", "maxLength": 20}
    assert answers["additionalProperties"] == {"oneOf": values}


async def test_series_title_is_required_in_language_codes(schema: dict) -> None:
    title = field(schema, "SeriesCreate", "title")

    assert title == {"type": "object", "minProperties": 1, "propertyNames": LANGUAGE_KEY,
                     "additionalProperties": {"type": "string", "maxLength": 300, "pattern": NON_BLANK_LINE}}
    assert field(schema, "SeriesCreate", "description")["additionalProperties"] == {
        "type": "string", "maxLength": 20000, "pattern": MULTILINE_TEXT}


async def test_session_states_its_times_offsets_and_ids(schema: dict) -> None:
    assert field(schema, "SessionCreate", "starts_at") == {"type": "string", **DATE_TIME}
    assert field(schema, "SessionCreate", "reminder_offsets")["items"] == {"type": "integer", "minimum": 1,
                                                                          "maximum": 86400}
    assert field(schema, "SessionUpdate", "reminder_offsets")["items"] == {"type": "integer", "minimum": 1,
                                                                          "maximum": 86400}
    assert field(schema, "SessionCreate", "organiser_ids")["items"] == IDS
    assert field(schema, "SessionCancel", "reason")["propertyNames"] == LANGUAGE_KEY


async def test_staff_bodies_state_their_rules(schema: dict) -> None:
    assert field(schema, "BulkDecision", "registration_ids")["items"] == IDS
    assert field(schema, "NeedsDecision", "need_ids")["items"] == IDS
    assert field(schema, "NeedsDecision", "status")["enum"] == ["arranged", "not_possible"]
    assert field(schema, "NeedDecision", "status")["enum"] == ["arranged", "not_possible"]
    assert field(schema, "NeedDecision", "note")["pattern"] == MULTILINE_TEXT
    assert [field(schema, "LeadTimes", kind)["minimum"] for kind in ("sign_language", "captioning")] == [0, 0]
    assert field(schema, "LeadTimes", "interpretation")["maximum"] == 365
    assert field(schema, "SpeakerListSettings", "default_minutes") == {
        "oneOf": [{"type": "integer"}, {"type": "null"}], "minimum": 1, "maximum": MAX_MINUTES}
    assert field(schema, "SpeakerChange", "status")["enum"] == ["requested", "accepted", "declined", "spoke",
                                                               "absent", None]
    assert field(schema, "MessageIn", "statuses")["items"] == {"type": "string",
                                                              "enum": ["confirmed", "waitlisted", "pending"]}
    assert field(schema, "QuestionIn", "kind")["enum"] == ["short_text", "long_text", "choice", "choices", "yes_no"]
    assert field(schema, "UserCreate", "email") == {"type": "string", "maxLength": 254, "format": "email"}
    assert field(schema, "InvitationCreate", "emails")["items"] == {"type": "string", "format": "email",
                                                                   "maxLength": 254}


async def test_calendar_feed_states_its_filters(schema: dict) -> None:
    assert query(schema, "/calendar.ics", "region")["enum"] == ["", "global", "ECA", "ECE", "ECLAC", "ESCAP", "ESCWA",
                                                               None]
    assert query(schema, "/calendar.ics", "kind")["enum"] == ["", *(k.value for k in Session.Kind), None]
    assert query(schema, "/calendar.ics", "language")["maxLength"] == 35


@pytest.mark.parametrize("path", ["/api/v1/sessions/{session_id}/invitations/import",
                                  "/api/v1/sessions/{session_id}/attendance/import"])
async def test_uploads_require_their_file(schema: dict, path: str) -> None:
    body = schema["paths"][path]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]

    assert (body["properties"]["file"], body["required"]) == ({"type": "string", "format": "binary"}, ["file"])


async def test_sign_languages_and_inputs_state_their_codes(schema: dict) -> None:
    sign_languages = field(schema, "SessionCreate", "sign_languages")["items"]["enum"]
    language = schema["paths"]["/api/v1/sessions/{session_id}/inputs"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]["properties"]["language"]

    assert (len(sign_languages), sign_languages[:3], all(is_sign_language(code) for code in sign_languages)) == (
        157, ["ads", "aed", "aen"], True)
    assert (language["maxLength"], language["pattern"]) == (40, LANGUAGE_KEY["pattern"])
