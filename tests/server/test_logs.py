"""Logs carry the request id and no personal data: no email address, no manage or unsubscribe token."""

from __future__ import annotations

import logging

import pytest
from litestar import get
from litestar.params import FromPath

from server.web import RequestIdFilter, redact_secrets
from tests.server.helpers import try_login


async def test_access_log_names_the_request_id_and_hides_email_and_tokens(client, organiser, caplog):
    caplog.handler.addFilter(RequestIdFilter())
    caplog.set_level(logging.INFO)  # the level the app logs at

    login = await try_login(client, organiser.email, "a wrong password")
    await client.get("/api/v1/manage/secret-manage-token-123")
    await client.get("/manage/secret-manage-token-123/cancel")
    await client.get("/unsubscribe/secret-unsubscribe-token-456")

    records = [record for record in caplog.records if record.name == "convene.access"]
    access = {record.getMessage().rsplit(" ", 2)[0]: record for record in records}
    assert list(access)[-4:] == [
        "POST /staff/login",
        "GET /api/v1/manage/…",
        "GET /manage/…/cancel",
        "GET /unsubscribe/…",
    ]
    assert access["POST /staff/login"].request_id == login.headers["x-request-id"]
    # Everything the app logged (the test's own HTTP client logs its URLs too; that is not the app).
    logged = "\n".join(record.getMessage() for record in caplog.records if not record.name.startswith("httpx"))
    assert organiser.email not in logged
    assert "secret-manage-token-123" not in logged
    assert "secret-unsubscribe-token-456" not in logged


async def test_address_matching_no_route_gets_request_id_headers_and_a_log_line(client, caplog):
    caplog.set_level(logging.INFO)

    response = await client.get("/no/such/address")

    assert response.status_code == 404
    assert len(response.headers["x-request-id"]) == 16
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    access = [r.getMessage() for r in caplog.records if r.name == "convene.access"]
    assert access[-1].startswith("GET /no/such/address 404 ")


async def test_unhandled_error_is_logged_by_every_handler_with_its_request_id(app, client, caplog):
    @get("/staff/broken-for-test", sync_to_thread=False)
    def broken() -> str:
        """Fails as a bug would."""
        raise RuntimeError("a bug")

    app.register(broken)
    caplog.set_level(logging.INFO)

    response = await client.get("/staff/broken-for-test")

    assert response.status_code == 500
    errors = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert {record.request_id for record in errors} == {response.headers["x-request-id"]}
    # The app's handlers (pytest adds its own capturing ones to the root logger).
    handlers = logging.getLogger("litestar").handlers + logging.getLogger().handlers
    ours = [h for h in handlers if h.formatter is not None and not type(h).__module__.startswith("_pytest")]
    formatted = [handler.format(errors[0]) for handler in ours]
    assert formatted and all(f"[{response.headers['x-request-id']}]" in line for line in formatted)


@pytest.mark.parametrize("path", ["/manage/{token}/broken-for-test", "/api/v1/manage/{token}/broken-for-test",
                                  "/unsubscribe/{token}/broken-for-test"])
async def test_crash_on_a_secret_route_logs_no_token(app, client, caplog, path):
    @get(path.replace("{token}", "{token:str}"), sync_to_thread=False)
    def broken(token: FromPath[str]) -> str:
        """Fails as a bug would, naming the path it was on (as exception messages sometimes do)."""
        raise RuntimeError(f"a bug on {path.format(token=token)}")

    app.register(broken)
    caplog.set_level(logging.INFO)
    token = "s3cret-manage-token-987"

    response = await client.get(path.format(token=token) + "?token=another-secret")

    assert response.status_code == 500
    lines = [logging.Formatter().format(record) for record in caplog.records]
    logged = "\n".join(lines)
    assert "Uncaught exception" in logged and "RuntimeError: a bug on " in logged  # the crash was logged
    assert token not in logged
    assert "another-secret" not in logged
    assert path.format(token="…") in logged


@pytest.mark.engine_independent
@pytest.mark.parametrize(("text", "expected"), [
    ("GET /api/v1/sessions/3/registrations 201 4.2ms", "GET /api/v1/sessions/3/registrations 201 4.2ms"),
    ("GET /manage/abc.def/cancel 200", "GET /manage/…/cancel 200"),
    ("GET /staff/password-reset/tok3n 200", "GET /staff/password-reset/… 200"),
    ("GET /reset/tok3n", "GET /reset/…"),
    ("GET /unsubscribe/u-1?x=1", "GET /unsubscribe/…?x=1"),
    ("GET /a?x=1&key=s3cret&code=9 200", "GET /a?x=1&key=…&code=… 200"),
    ("GET /a?token=s3cret", "GET /a?token=…"),
    ("keys= codes tokens /managed/ /reset", "keys= codes tokens /managed/ /reset"),
])
def test_redact_secrets_hides_every_token_and_leaves_other_text_as_it_is(text, expected):
    assert redact_secrets(text) == expected
