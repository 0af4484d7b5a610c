"""The profile page: name, language, staff notices, and changing one's own password."""

from __future__ import annotations

from server.tables import User
from tests.conftest import login_cookie_client
from tests.server.helpers import browser, post_form


async def test_profile_saves_name_language_and_notices(client, organiser):
    await login_cookie_client(client, organiser)

    response = await post_form(
        client, "/staff/profile", {"name": "Ana Lima", "preferred_language": "es", "notify_staff": "on"}
    )

    assert (response.status_code, response.headers["location"]) == (303, "/staff/profile?saved=profile")
    columns = (User.name, User.preferred_language, User.notify_staff)
    row = await User.select(*columns).where(User.id == organiser.id).first()
    assert row == {"name": "Ana Lima", "preferred_language": "es", "notify_staff": True}
    assert client.cookies["convene_lang"] == "es"
    assert '<html lang="es"' in (await client.get("/staff/profile")).text


async def test_staff_notices_are_off_by_default(client, organiser):
    await login_cookie_client(client, organiser)

    page = await client.get("/staff/profile")

    assert page.status_code == 200
    assert '<input id="field-notify_staff" name="notify_staff" type="checkbox">' in page.text


async def test_profile_refuses_language_outside_the_six(client, organiser):
    await login_cookie_client(client, organiser)

    page = await post_form(client, "/staff/profile", {"name": "X", "preferred_language": "de"})

    assert page.status_code == 422
    assert '<span class="field-error" id="error-preferred_language">Choose one of the six UN languages.</span>' in (
        page.text
    )


async def test_password_change_needs_the_current_password(client, organiser):
    await login_cookie_client(client, organiser)

    page = await post_form(
        client, "/staff/profile/password", {"current_password": "wrong", "new_password": "a-new-password-123"}
    )

    assert page.status_code == 422
    assert 'id="error-current_password">The current password is not right.</span>' in page.text


async def test_password_change_keeps_this_session_and_ends_the_others(client, app, organiser):
    await login_cookie_client(client, organiser)
    async with browser(app) as elsewhere:
        await login_cookie_client(elsewhere, organiser)

        response = await post_form(
            client,
            "/staff/profile/password",
            {"current_password": organiser.password, "new_password": "a-new-password-123"},
        )

        assert response.status_code == 303
        assert (await client.get("/staff/profile")).status_code == 200
        assert (await elsewhere.get("/staff/profile")).status_code == 302
        relogin = await post_form(
            elsewhere, "/staff/login", {"email": organiser.email, "password": "a-new-password-123"}
        )
        assert relogin.status_code == 302


async def test_password_change_refuses_short_password(client, organiser):
    await login_cookie_client(client, organiser)

    page = await post_form(
        client, "/staff/profile/password", {"current_password": organiser.password, "new_password": "short"}
    )

    assert page.status_code == 422
    assert 'id="error-new_password">Use at least 10 characters.</span>' in page.text
