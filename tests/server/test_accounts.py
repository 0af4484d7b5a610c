"""Staff accounts through the real app: the admin API and pages, the last-admin rule, sessions ending."""

from __future__ import annotations

from server.auth import create_api_token
from server.tables import ApiToken, User
from tests.conftest import login_cookie_client
from tests.server.helpers import browser, post_form, try_login


async def test_users_api_lists_accounts_for_admin(client, admin, organiser):
    response = await client.get("/api/v1/users", headers=admin.headers)

    assert response.status_code == 200
    assert [(u["email"], u["role"], u["active"]) for u in response.json()] == [
        ("admin@convene.test", "admin", True),
        ("organiser@convene.test", "organiser", True),
    ]
    assert "password_hash" not in response.json()[0]


async def test_users_api_is_refused_to_organiser(client, organiser):
    response = await client.get("/api/v1/users", headers=organiser.headers)

    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


async def test_users_api_adds_user_whose_generated_password_logs_in(client, app, admin):
    response = await client.post(
        "/api/v1/users", headers=admin.headers, json={"email": "New.Person@Convene.test", "role": "organiser"}
    )

    assert response.status_code == 201
    body = response.json()
    assert body["user"]["email"] == "new.person@convene.test"
    assert len(body["password"]) == 16
    async with browser(app) as other:
        login = await try_login(other, "new.person@convene.test", body["password"])
    assert login.status_code == 302


async def test_users_api_refuses_duplicate_email_naming_the_field(client, admin):
    response = await client.post("/api/v1/users", headers=admin.headers, json={"email": admin.email, "role": "admin"})

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "email", "message": "A user with this email exists already."}]


async def test_users_api_refuses_unknown_role_and_unknown_fields(client, admin):
    bad_role = await client.post("/api/v1/users", headers=admin.headers, json={"email": "a@b.test", "role": "boss"})
    unknown = await client.post(
        "/api/v1/users", headers=admin.headers, json={"email": "a@b.test", "role": "admin", "is_root": True}
    )

    assert (bad_role.status_code, bad_role.json()["errors"][0]["field"]) == (400, "role")
    assert (unknown.status_code, unknown.json()["errors"][0]["field"]) == (400, "is_root")
    assert await User.count() == 1


async def test_users_api_refuses_short_chosen_password(client, admin):
    response = await client.post(
        "/api/v1/users", headers=admin.headers, json={"email": "a@b.test", "role": "admin", "password": "short"}
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "password", "message": "Use at least 10 characters."}]


async def test_disabled_user_token_and_cookie_stop_working(client, app, admin, organiser):
    async with browser(app) as organiser_browser:
        await login_cookie_client(organiser_browser, organiser)
        assert (await organiser_browser.get("/staff/profile")).status_code == 200

        response = await client.patch(f"/api/v1/users/{organiser.id}", headers=admin.headers, json={"active": False})

        assert response.status_code == 200
        assert response.json()["active"] is False
        assert (await client.get("/api/v1/tokens", headers=organiser.headers)).status_code == 401
        page = await organiser_browser.get("/staff/profile")
        assert (page.status_code, page.headers["location"]) == (302, "/staff/login?next=%2Fstaff%2Fprofile")


async def test_enabling_user_again_does_not_revive_old_tokens(client, admin, organiser):
    await client.patch(f"/api/v1/users/{organiser.id}", headers=admin.headers, json={"active": False})

    enabled = await client.patch(f"/api/v1/users/{organiser.id}", headers=admin.headers, json={"active": True})

    assert enabled.status_code == 200
    assert (await client.get("/api/v1/tokens", headers=organiser.headers)).status_code == 401
    # The person signs in again and makes a new token, which works.
    new = await create_api_token(organiser.id, "after re-enabling")
    listed = await client.get("/api/v1/tokens", headers={"Authorization": f"Bearer {new}"})
    assert [token["name"] for token in listed.json()] == ["after re-enabling"]


async def test_reset_password_revokes_api_tokens(client, admin, organiser):
    other = await create_api_token(organiser.id, "second script")

    response = await client.post(f"/api/v1/users/{organiser.id}/password", headers=admin.headers)

    assert response.status_code == 200
    for token in (organiser.token, other):
        assert (await client.get("/api/v1/tokens", headers={"Authorization": f"Bearer {token}"})).status_code == 401
    assert await ApiToken.count().where((ApiToken.user == organiser.id) & ApiToken.revoked_at.is_null()) == 0
    assert (await client.get("/api/v1/users", headers=admin.headers)).status_code == 200  # the admin's still works


async def test_reset_password_ends_sessions_and_new_password_logs_in(client, app, admin, organiser):
    async with browser(app) as organiser_browser:
        await login_cookie_client(organiser_browser, organiser)

        response = await client.post(f"/api/v1/users/{organiser.id}/password", headers=admin.headers)

        assert response.status_code == 200
        new_password = response.json()["password"]
        assert (await organiser_browser.get("/staff/profile")).status_code == 302
        old = await try_login(organiser_browser, organiser.email, organiser.password)
        new = await try_login(organiser_browser, organiser.email, new_password)
    assert (old.status_code, new.status_code) == (401, 302)


async def test_last_active_admin_cannot_demote_or_disable_self(client, admin):
    demote = await client.patch(f"/api/v1/users/{admin.id}", headers=admin.headers, json={"role": "organiser"})
    disable = await client.patch(f"/api/v1/users/{admin.id}", headers=admin.headers, json={"active": False})

    assert (demote.status_code, disable.status_code) == (409, 409)
    assert demote.json()["detail"] == "This is the last active admin; make another admin first."
    assert await User.select(User.role, User.active).where(User.id == admin.id).first() == {
        "role": "admin",
        "active": True,
    }


async def test_admin_may_step_down_when_another_admin_is_active(client, admin, organiser):
    await client.patch(f"/api/v1/users/{organiser.id}", headers=admin.headers, json={"role": "admin"})

    response = await client.patch(f"/api/v1/users/{admin.id}", headers=admin.headers, json={"role": "organiser"})

    assert (response.status_code, response.json()["role"]) == (200, "organiser")
    assert (await client.get("/api/v1/users", headers=admin.headers)).status_code == 403


async def test_users_page_lists_accounts_in_a_table(client, admin, organiser):
    await login_cookie_client(client, admin)

    page = await client.get("/staff/users")

    assert page.status_code == 200
    assert '<th scope="row"><a href="/staff/users/2">organiser@convene.test</a></th>' in page.text
    assert '<label for="field-email">Email</label>' in page.text


async def test_users_page_is_refused_to_organiser(client, organiser):
    await login_cookie_client(client, organiser)

    assert (await client.get("/staff/users")).status_code == 403


async def test_users_page_adds_user_and_shows_password_once(client, admin):
    await login_cookie_client(client, admin)

    form = {"email": "someone@convene.test", "name": "Some One", "role": "admin"}
    page = await post_form(client, "/staff/users", form)

    assert page.status_code == 201
    row = await User.select(User.name, User.role).where(User.email == "someone@convene.test").first()
    assert row == {"name": "Some One", "role": "admin"}
    assert '<code id="new-password">' in page.text
    assert '<code id="new-password">' not in (await client.get("/staff/users")).text


async def test_users_page_shows_field_error_beside_the_field(client, admin):
    await login_cookie_client(client, admin)

    page = await post_form(client, "/staff/users", {"email": "not-an-email", "role": "organiser"})

    assert page.status_code == 422
    assert '<span class="field-error" id="error-email">Enter a valid email address.</span>' in page.text
    assert 'aria-describedby="error-email" aria-invalid="true"' in page.text
    assert '<a href="#field-email">Enter a valid email address.</a>' in page.text


async def test_user_edit_page_changes_role_and_disables(client, admin, organiser):
    await login_cookie_client(client, admin)

    response = await post_form(client, f"/staff/users/{organiser.id}", {"name": "Renamed", "role": "admin"})

    assert (response.status_code, response.headers["location"]) == (303, f"/staff/users/{organiser.id}?saved=true")
    row = await User.select(User.name, User.role, User.active, User.session_version).where(
        User.id == organiser.id
    ).first()
    assert row == {"name": "Renamed", "role": "admin", "active": False, "session_version": 2}


async def test_user_edit_page_refuses_to_disable_the_last_admin(client, admin):
    await login_cookie_client(client, admin)

    page = await post_form(client, f"/staff/users/{admin.id}", {"name": "Admin", "role": "admin"})

    assert page.status_code == 409
    assert "This is the last active admin; make another admin first." in page.text
    assert await User.select(User.active).where(User.id == admin.id).first() == {"active": True}


async def test_user_edit_page_resets_password(client, admin, organiser):
    await login_cookie_client(client, admin)

    page = await post_form(client, f"/staff/users/{organiser.id}/password")

    assert page.status_code == 200
    assert '<code id="new-password">' in page.text
    assert await User.select(User.session_version).where(User.id == organiser.id).first() == {"session_version": 2}


async def test_user_api_for_unknown_user_is_404(client, admin):
    response = await client.patch("/api/v1/users/999", headers=admin.headers, json={"name": "x"})

    assert (response.status_code, response.json()["detail"]) == (404, "No such user.")


async def test_users_page_adds_user_with_a_password_the_admin_chose(client, app, admin):
    await login_cookie_client(client, admin)
    form = {"email": "chosen@convene.test", "role": "organiser", "password": "chosen-password-1"}

    page = await post_form(client, "/staff/users", form)

    assert page.status_code == 201
    assert '<code id="new-password">chosen-password-1</code>' in page.text
    async with browser(app) as other:
        assert (await try_login(other, "chosen@convene.test", "chosen-password-1")).status_code == 302
