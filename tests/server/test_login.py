"""Login and logout: the session cookie, CSRF on every form, the failed-login limit and its off switch."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime, timedelta

import httpx

from server.app import JOBS, create_app
from server.auth import pair_delay
from server.tables import LoginAttempt
from tests.conftest import login_cookie_client
from tests.server.helpers import browser, csrf_token, post_form, running, try_login


async def test_login_sets_httponly_samesite_lax_session_cookie(client, organiser):
    response = await post_form(
        client, "/staff/login", {"email": organiser.email, "password": organiser.password, "next": "/staff/tokens"}
    )

    assert (response.status_code, response.headers["location"]) == (302, "/staff/tokens")
    cookie = [c for c in response.headers.get_list("set-cookie") if c.startswith("convene_staff=")][0]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Max-Age=43200" in cookie


async def test_login_accepts_email_in_other_case(client, organiser):
    response = await try_login(client, " Organiser@Convene.TEST ", organiser.password)

    assert response.status_code == 302


async def test_login_with_wrong_password_shows_the_form_again(client, organiser):
    page = await try_login(client, organiser.email, "not it")

    assert page.status_code == 401
    assert '<p class="error-summary" role="alert" id="login-error">Wrong email or password.</p>' in page.text
    assert "convene_staff" not in client.cookies


async def test_login_redirects_only_within_the_site(client, organiser):
    response = await post_form(
        client, "/staff/login", {"email": organiser.email, "password": organiser.password, "next": "//evil.test/x"}
    )

    assert response.headers["location"] == "/staff"


async def test_form_post_without_csrf_token_is_403(client, organiser):
    await login_cookie_client(client, organiser)

    login = await client.post("/staff/login", data={"email": organiser.email, "password": organiser.password})
    profile = await client.post("/staff/profile", data={"name": "x", "preferred_language": "en"})
    logout = await client.post("/staff/logout")

    assert (login.status_code, profile.status_code, logout.status_code) == (403, 403, 403)
    assert (await client.get("/staff/profile")).status_code == 200


async def test_form_post_with_forged_csrf_token_is_403(client, organiser):
    await login_cookie_client(client, organiser)

    response = await client.post("/staff/tokens", data={"name": "x", "_csrf_token": "forged"})

    assert response.status_code == 403


async def test_logout_ends_the_page_session(client, organiser):
    await login_cookie_client(client, organiser)

    response = await post_form(client, "/staff/logout")

    assert (response.status_code, response.headers["location"]) == (302, "/staff/login")
    assert (await client.get("/staff/profile")).status_code == 302


async def test_logout_refuses_a_copy_of_the_cookie_kept_elsewhere(client, organiser):
    await login_cookie_client(client, organiser)
    copied = client.cookies["convene_staff"]

    await post_form(client, "/staff/logout")
    client.cookies.set("convene_staff", copied)

    assert (await client.get("/staff/profile")).status_code == 302


async def test_staff_landing_redirects_anonymous_to_login(client):
    response = await client.get("/staff")

    assert (response.status_code, response.headers["location"]) == (302, "/staff/login")


async def _age_failures(seconds: int) -> None:
    """Move every recorded failure ``seconds`` into the past (as if that much time had gone by)."""
    await LoginAttempt.update(
        {LoginAttempt.created_at: LoginAttempt.created_at - timedelta(seconds=seconds)}, force=True
    )


def _retry_after(page) -> int:
    assert page.status_code == 429, page.status_code
    return int(page.headers["retry-after"])


async def test_guessing_an_admins_password_does_not_lock_the_admin_out(app, client, admin):
    for _attempt in range(5):
        assert (await try_login(client, admin.email, "guess")).status_code == 401

    guesser = await try_login(client, admin.email, admin.password)
    async with browser(app, "198.51.100.7") as owner_client:
        owner = await try_login(owner_client, admin.email, admin.password)
        owner_page = await owner_client.get("/staff")

    # The guessing address waits (even with the right password); the owner, elsewhere, signs in.
    assert 29 <= _retry_after(guesser) <= 30
    assert "Too many failed logins; wait a while before trying again." in guesser.text
    assert '<form method="post" action="/staff/login"' in guesser.text
    assert (owner.status_code, owner_page.status_code) == (302, 200)
    assert "(Admin)." in owner_page.text


async def test_each_further_wrong_guess_from_an_address_doubles_its_wait(client, organiser):
    for _attempt in range(5):
        await try_login(client, organiser.email, "guess")
    waits = []
    for _round in range(3):
        waits.append(_retry_after(await try_login(client, organiser.email, "guess")))
        await _age_failures(waits[-1] + 1)
        assert (await try_login(client, organiser.email, "guess")).status_code == 401

    # 30, 60 and 120 seconds after the last failure, less the time the test took (under a second).
    assert [expected - 1 <= wait <= expected for wait, expected in zip(waits, (30, 60, 120), strict=True)] == [True] * 3
    assert 239 <= _retry_after(await try_login(client, organiser.email, "guess")) <= 240
    assert await LoginAttempt.count() == 8  # a refused try is no failure: it does not lengthen the wait


async def test_the_right_password_once_the_wait_is_over_clears_the_addresses_failures(client, organiser):
    for _attempt in range(6):
        await try_login(client, organiser.email, "guess")
    await _age_failures(61)

    right = await try_login(client, organiser.email, organiser.password)
    wrong_after = await try_login(client, organiser.email, "guess")

    assert (right.status_code, wrong_after.status_code) == (302, 401)
    assert await LoginAttempt.count() == 1


def test_the_wait_grows_from_30_seconds_to_at_most_an_hour():
    assert [pair_delay(n).total_seconds() for n in (4, 5, 6, 7, 10, 11, 12, 60)] == [
        0, 30, 60, 120, 960, 1920, 3600, 3600,
    ]


async def test_failed_logins_are_counted_in_the_database_without_the_email(client, organiser):
    for _attempt in range(3):
        await try_login(client, organiser.email, "guess")

    rows = await LoginAttempt.select(LoginAttempt.address, LoginAttempt.email_hash)

    expected = {"address": "127.0.0.1", "email_hash": hashlib.sha256(organiser.email.encode()).hexdigest()}
    assert rows == [expected, expected, expected]


async def test_twenty_failures_from_one_address_lock_that_address(client, organiser):
    for attempt in range(20):
        await try_login(client, f"nobody{attempt}@convene.test", "guess")

    page = await try_login(client, organiser.email, organiser.password)

    assert 899 <= _retry_after(page) <= 900


async def test_rate_limit_off_lets_every_attempt_through(settings, database, organiser):
    app = create_app(dataclasses.replace(settings, rate_limit=False))
    async with running(app) as http:
        statuses = [
            (await try_login(http, organiser.email, "guess")).status_code
            for _attempt in range(7)
        ]
        right = await try_login(http, organiser.email, organiser.password)

    assert statuses == [401] * 7
    assert right.status_code == 302
    assert await LoginAttempt.count() == 0


async def test_staff_home_greets_the_user_with_their_role_and_links(client, admin):
    await login_cookie_client(client, admin)

    page = await client.get("/staff")

    assert page.status_code == 200
    assert "(Admin)." in page.text
    assert '<li><a href="/staff/users">' in page.text
    assert '<li><a href="/staff/profile">Profile</a></li>' in page.text


async def test_failed_logins_count_the_client_behind_a_trusted_proxy_only(settings, database, organiser):
    app = create_app(dataclasses.replace(settings, trusted_proxies=("127.0.0.1",)))
    async with running(app) as http:
        forwarded = {"x-forwarded-for": "198.51.100.7, 203.0.113.9"}
        await post_form_with_headers(http, organiser.email, forwarded)

    rows = await LoginAttempt.select(LoginAttempt.address)

    assert rows == [{"address": "203.0.113.9"}]


async def test_forwarded_address_from_an_untrusted_peer_is_ignored(client, organiser):
    await post_form_with_headers(client, organiser.email, {"x-forwarded-for": "203.0.113.9"})

    rows = await LoginAttempt.select(LoginAttempt.address)

    assert rows == [{"address": "127.0.0.1"}]


async def post_form_with_headers(http, email: str, headers: dict[str, str]):
    token = await csrf_token(http)
    return await http.post(
        "/staff/login", data={"email": email, "password": "guess", "_csrf_token": token}, headers=headers
    )


async def test_session_cookie_is_secure_when_served_over_https(settings, database, organiser):
    app = create_app(dataclasses.replace(settings, public_url="https://convene.example.org"))
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50002))
    async with app.lifespan(), httpx.AsyncClient(transport=transport, base_url="https://convene.test") as http:
        await http.get("/staff/login")
        csrf = http.cookies["convene_csrf"]
        response = await http.post(
            "/staff/login", data={"email": organiser.email, "password": organiser.password, "_csrf_token": csrf}
        )

    cookie = [c for c in response.headers.get_list("set-cookie") if c.startswith("convene_staff=")][0]
    assert "Secure" in cookie


async def test_worker_job_forgets_failed_logins_older_than_the_window(database, settings):
    now = datetime.now(UTC)
    for minutes in (24 * 60 + 1, 24 * 60 - 1):
        await LoginAttempt.insert(
            LoginAttempt(address="10.0.0.1", email_hash="0" * 64, created_at=now - timedelta(minutes=minutes))
        )

    await JOBS["forget_old_login_attempts"](settings)

    remaining = await LoginAttempt.select(LoginAttempt.created_at)
    assert remaining == [{"created_at": now - timedelta(minutes=24 * 60 - 1)}]
