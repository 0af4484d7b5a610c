"""Malformed requests get a clear 4xx naming what is wrong (problem+json on the API), never a 500, and are not
logged as crashes."""

from __future__ import annotations

import logging

import httpx
import pytest

from server.i18n import gettext, use_locale
from tests.conftest import Staff, login_cookie_client
from tests.events.helpers import create_published

DEEP_JSON = b"[" * 100_000 + b"]" * 100_000


def _no_crash_logged(caplog: pytest.LogCaptureFixture) -> None:
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize(("case", "body"), [
    ("nested_100000_deep", DEEP_JSON),
    ("invalid_utf8", b'{"kind": "\xff\xfe"}'),
    ("invalid_utf8_in_key", b'{"\xc3\x28": 1}'),
])
async def test_unreadable_json_body_is_400_naming_body(client: httpx.AsyncClient, organiser: Staff, caplog,
                                                       case: str, body: bytes) -> None:
    caplog.set_level(logging.INFO)
    session = await create_published(client, organiser)
    headers = {"content-type": "application/json", "accept-language": "es"}

    staff = await client.post("/api/v1/sessions", content=body, headers={**organiser.headers, **headers})
    public = await client.post(f"/api/v1/sessions/{session['id']}/registrations", content=body, headers=headers)

    with use_locale("es"):
        message = gettext("The request body is not valid JSON.")
    for response in (staff, public):
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"] == [{"field": "body", "message": message}]
    _no_crash_logged(caplog)


async def test_body_too_large_is_413_naming_body_and_not_logged_as_a_crash(client: httpx.AsyncClient,
                                                                         organiser: Staff, caplog) -> None:
    caplog.set_level(logging.INFO)

    response = await client.post("/api/v1/sessions", content=b" " * (10 * 1024 * 1024 + 1),
                                 headers={**organiser.headers, "content-type": "application/json"})

    assert response.status_code == 413
    assert response.json()["errors"] == [{"field": "body", "message": gettext("The request body is too large.")}]
    _no_crash_logged(caplog)


@pytest.mark.parametrize("path", ["/static/a%00b.css", "/static/%00", "/sessions%00/1"])
async def test_nul_in_path_is_404(client: httpx.AsyncClient, caplog, path: str) -> None:
    caplog.set_level(logging.INFO)

    response = await client.get(path)

    assert response.status_code == 404
    _no_crash_logged(caplog)


HUGE = "99999999999999999999"


#: The staff registration list's forms (the page answers 400 with the message in its error summary).
@pytest.mark.parametrize(("action", "data", "field"), [
    ("approve", {"registration_ids": HUGE}, "registration_ids"),
    ("decline", {"registration_ids": ["1", HUGE]}, "registration_ids"),
    ("move", {"registration_id": HUGE, "to": "confirmed"}, "registration_id"),
    ("need", {"need_id": HUGE, "status": "arranged"}, "need_id"),
    ("rotate", {"registration_id": HUGE}, "registration_id"),
    ("rotate", {"registration_id": "0"}, "registration_id"),
])
async def test_staff_form_ids_no_row_can_have_are_refused(client: httpx.AsyncClient, organiser: Staff, caplog,
                                                          action: str, data: dict, field: str) -> None:
    session = await create_published(client, organiser)
    await login_cookie_client(client, organiser)
    caplog.set_level(logging.INFO)

    response = await client.post(f"/staff/sessions/{session['id']}/registrations/{action}",
                                 data={"_csrf_token": client.cookies["convene_csrf"], **data})

    expected = gettext("Choose registrations from the list." if field == "registration_ids" else
                       "Choose from the list.")
    assert response.status_code == 400, response.text[:300]
    assert expected in response.text
    _no_crash_logged(caplog)
