"""Every form POST of every page refuses a request without the CSRF token (403), whoever sends it.

Generic like the route walk: page routes added later are covered. The JSON API never reads cookies and is
exempt, as is one-click unsubscribe (RFC 8058: mail clients post it without a form).
"""

from __future__ import annotations

import pytest
from litestar import post

from server.auth import require_staff
from tests.conftest import login_cookie_client
from tests.server.test_staff_routes import every_route, fill, published_session

#: Paths whose POSTs need no CSRF token, and why.
CSRF_EXEMPT = ("/api/", "/unsubscribe/")
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def form_routes(app) -> list[tuple[str, str]]:
    return [
        (method, path)
        for method, path in every_route(app)
        if method in UNSAFE_METHODS and not path.startswith(CSRF_EXEMPT)
    ]


async def csrf_failures(app, client, admin, organiser, form: dict) -> list[str]:
    """The page form routes that did not answer 403 to ``form`` from a logged-in admin."""
    session_id = await published_session(organiser)
    await login_cookie_client(client, admin)
    failures = []
    for method, path in form_routes(app):
        response = await client.request(method, fill(path, session_id), data=form)
        if response.status_code != 403:
            failures.append(f"{method} {path} -> {response.status_code}")
    return failures


async def test_every_page_form_refuses_a_post_without_the_csrf_token(app, client, admin, organiser):
    assert await csrf_failures(app, client, admin, organiser, {"name": "x"}) == []
    assert ("POST", "/staff/users") in form_routes(app)


async def test_every_page_form_refuses_a_wrong_csrf_token(app, client, admin, organiser):
    assert await csrf_failures(app, client, admin, organiser, {"_csrf_token": "forged"}) == []


@pytest.mark.parametrize("path", ["/staff/api/v1/probe-for-test", "/staff/health/probe-for-test",
                                  "/staff/x/unsubscribe/probe-for-test", "/staff/schema/probe-for-test"])
async def test_csrf_exemptions_are_prefixes_not_anywhere_in_the_path(app, client, admin, path):
    @post(path, guards=[require_staff], sync_to_thread=False)
    def probe() -> str:
        """A page form that only a logged-in staff member's browser may post."""
        return "done"

    app.register(probe)
    await login_cookie_client(client, admin)

    refused = await client.post(path, data={"name": "x"})
    allowed = await client.post(path, data={"name": "x", "_csrf_token": client.cookies["convene_csrf"]})

    assert (refused.status_code, allowed.status_code) == (403, 201)


@pytest.mark.parametrize("path", ["/api/v1/tokens", "/unsubscribe/not-a-real-token"])
async def test_csrf_exempt_prefixes_still_pass_without_a_token(client, organiser, path):
    response = await client.post(path, json={"name": "script"}, headers=organiser.headers)

    assert response.status_code != 403
