"""Staff accounts over HTTP: the admin pages and API for users, everyone's own API tokens and profile; thin
controllers over the rules in ``server/staff.py`` (a session's registrations as staff see them are
``registrations/staff.py``)."""

from __future__ import annotations

__all__ = ["route_handlers"]

from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_303_SEE_OTHER, HTTP_422_UNPROCESSABLE_ENTITY

from server import password_reset, staff
from server.auth import STAFF_SECURITY, Me, StaffUser, require_admin, require_staff, session_cookie
from server.controllers import ONE_YEAR
from server.errors import STAFF_PROBLEMS, Conflict, InvalidInput
from server.schemas import (
    PasswordOut,
    PathId,
    TokenCreate,
    TokenCreated,
    TokenOut,
    UserCreate,
    UserCreated,
    UserOut,
    UserUpdate,
)
from server.validation import form_errors
from server.web import LANGUAGE_COOKIE, client_address

Short = Annotated[str, msgspec.Meta(max_length=254)]
Secret = Annotated[str, msgspec.Meta(max_length=1000)]




class UserForm(msgspec.Struct):
    email: Short = ""
    name: Short = ""
    role: Short = "organiser"
    password: Secret = ""


class UserEditForm(msgspec.Struct):
    name: Short = ""
    role: Short = ""
    active: Short = ""


class TokenForm(msgspec.Struct):
    name: Short = ""


class ProfileForm(msgspec.Struct):
    name: Short = ""
    preferred_language: Short = "en"
    notify_staff: Short = ""


class PasswordForm(msgspec.Struct):
    current_password: Secret = ""
    new_password: Secret = ""


class ResetRequestForm(msgspec.Struct):
    email: Short = ""


class NewPasswordForm(msgspec.Struct):
    password: Secret = ""


def _see_other(path: str) -> Redirect:
    return Redirect(path, status_code=HTTP_303_SEE_OTHER)


class UsersPages(Controller):
    """Admins add, disable, re-role users and reset their passwords."""

    path = "/staff/users"
    guards = [require_admin]
    include_in_schema = False

    async def _list(self, me: StaffUser, status: int = HTTP_200_OK, **context: object) -> Template:
        context = {"user": me, "users": await staff.list_users(), "form": {}, "errors": {}, **context}
        return Template("pages/staff/users.html", context=context, status_code=status)

    @get("/")
    async def users(self, me: Me) -> Template:
        """Every staff account, and the form to add one."""
        return await self._list(me)

    @post("/")
    async def add_user(self, me: Me, data: URLEncodedBody[UserForm]) -> Template:
        """Add an account; its password is shown this once."""
        try:
            created = await staff.add_user(
                UserCreate(email=data.email, role=data.role, name=data.name, password=data.password or None)  # type: ignore[arg-type]
            )
        except InvalidInput as error:
            form = {"email": data.email, "name": data.name, "role": data.role}
            return await self._list(me, HTTP_422_UNPROCESSABLE_ENTITY, form=form, errors=form_errors(error))
        return await self._list(me, HTTP_201_CREATED, created=created)

    async def _edit(self, me: StaffUser, user_id: int, status: int = HTTP_200_OK, **context: object) -> Template:
        context = {"user": me, "account": await staff.get_user(user_id), "error": None, **context}
        return Template("pages/staff/user_edit.html", context=context, status_code=status)

    @get("/{user_id:int}")
    async def user(self, me: Me, user_id: PathId, saved: FromQuery[bool] = False) -> Template:
        """One account: name, role, active, password reset."""
        return await self._edit(me, user_id, saved=saved)

    @post("/{user_id:int}")
    async def update_user(self, me: Me, user_id: PathId, data: URLEncodedBody[UserEditForm]) -> Response:
        """Change name, role and whether the account is active."""
        role = data.role if data.role in ("admin", "organiser") else None
        try:
            await staff.update_user(user_id, UserUpdate(name=data.name, role=role, active=data.active == "on"))  # type: ignore[arg-type]
        except Conflict as error:
            return await self._edit(me, user_id, error.status_code, error=error.detail)
        return _see_other(f"/staff/users/{user_id}?saved=true")

    @post("/{user_id:int}/password")
    async def reset_password(self, me: Me, user_id: PathId) -> Template:
        """Give the account a new generated password, shown this once; its open sessions end."""
        password = await staff.reset_password(user_id)
        return await self._edit(me, user_id, new_password=password)


class TokensPages(Controller):
    """Every staff member's own API tokens."""

    path = "/staff/tokens"
    guards = [require_staff]
    include_in_schema = False

    async def _list(self, me: StaffUser, status: int = HTTP_200_OK, **context: object) -> Template:
        context = {"user": me, "tokens": await staff.list_tokens(me.id), "errors": {}, "created": None, **context}
        return Template("pages/staff/tokens.html", context=context, status_code=status)

    @get("/")
    async def tokens(self, me: Me) -> Template:
        """The person's tokens by name, created and last used, and the form to make one."""
        return await self._list(me)

    @post("/")
    async def create_token(self, me: Me, data: URLEncodedBody[TokenForm]) -> Template:
        """Make a token; it is shown this once."""
        try:
            created = await staff.create_token(me.id, data.name)
        except InvalidInput as error:
            return await self._list(me, HTTP_422_UNPROCESSABLE_ENTITY, errors=form_errors(error))
        return await self._list(me, HTTP_201_CREATED, created=created)

    @post("/{token_id:int}/revoke")
    async def revoke_token(self, me: Me, token_id: PathId) -> Redirect:
        """Revoke one of the person's tokens."""
        await staff.revoke_token(me.id, token_id)
        return _see_other("/staff/tokens")


class ProfilePages(Controller):
    """Every staff member's own name, language, notices and password."""

    path = "/staff/profile"
    guards = [require_staff]
    include_in_schema = False

    async def _page(self, me: StaffUser, status: int = HTTP_200_OK, **context: object) -> Template:
        context = {"user": me, "profile": await staff.get_user(me.id), "errors": {}, "saved": None, **context}
        return Template("pages/staff/profile.html", context=context, status_code=status)

    @get("/")
    async def profile(self, me: Me, saved: FromQuery[str | None] = None) -> Template:
        """The profile and password forms."""
        return await self._page(me, saved=saved)

    @post("/")
    async def update_profile(self, me: Me, data: URLEncodedBody[ProfileForm]) -> Response:
        """Save name, preferred language and the staff-notices choice."""
        try:
            await staff.update_profile(
                me.id,
                name=data.name,
                preferred_language=data.preferred_language,
                notify_staff=data.notify_staff == "on",
            )
        except InvalidInput as error:
            return await self._page(me, HTTP_422_UNPROCESSABLE_ENTITY, errors=form_errors(error))
        response = _see_other("/staff/profile?saved=profile")
        # The pages follow the language just chosen, as the switcher in the header would.
        response.set_cookie(LANGUAGE_COOKIE, data.preferred_language, max_age=ONE_YEAR, samesite="lax")
        return response

    @post("/password")
    async def change_password(self, request: Request, me: Me, data: URLEncodedBody[PasswordForm]) -> Response:
        """Change one's own password; other sessions end, this one gets a fresh cookie."""
        try:
            version = await staff.change_own_password(me.id, data.current_password, data.new_password)
        except InvalidInput as error:
            return await self._page(me, HTTP_422_UNPROCESSABLE_ENTITY, errors=form_errors(error))
        response = _see_other("/staff/profile?saved=password")
        response.set_cookie(session_cookie(request.app.state.settings, me.id, version))
        return response


class PasswordResetPages(Controller):
    """Anyone may ask for a reset link for an address; the link sets a new password once, within the hour."""

    path = "/staff/password-reset"
    include_in_schema = False

    def _page(self, state: str, status: int = HTTP_200_OK, **context: object) -> Template:
        context = {"state": state, "errors": {}, "user": None, **context}
        return Template("pages/staff/password_reset.html", context=context, status_code=status)

    @get("/")
    async def ask(self) -> Template:
        """The form asking for a link."""
        return self._page("ask")

    @post("/")
    async def send(self, request: Request, data: URLEncodedBody[ResetRequestForm]) -> Template:
        """Mail a link if the address is an account; the same answer whatever it is."""
        await password_reset.request_reset(data.email, client_address(request), settings=request.app.state.settings)
        return self._page("sent")

    @get("/{token:str}")
    async def new_password(self, token: FromPath[str]) -> Template:
        """The new password form, or (410) the news that the link no longer works."""
        if not await password_reset.link_is_valid(token):
            return self._page("invalid", 410)
        return self._page("new", token=token)

    @post("/{token:str}")
    async def set_new_password(self, token: FromPath[str], data: URLEncodedBody[NewPasswordForm]) -> Template:
        """Set the new password through the link, once; every session and API token of the account ends."""
        try:
            await password_reset.reset_password_with(token, data.password)
        except password_reset.ResetLinkInvalid:
            return self._page("invalid", 410)
        except InvalidInput as error:
            return self._page("new", HTTP_422_UNPROCESSABLE_ENTITY, token=token, errors=form_errors(error))
        return self._page("done")


class TokensApi(Controller):
    """The caller's own API tokens."""

    path = "/api/v1/tokens"
    guards = [require_staff]
    tags = ["tokens"]
    security = STAFF_SECURITY

    @get("/", responses=STAFF_PROBLEMS)
    async def list_tokens(self, me: Me) -> list[TokenOut]:
        """The caller's tokens that still work, by name."""
        return await staff.list_tokens(me.id)

    @post("/", responses=STAFF_PROBLEMS)
    async def create_token(self, me: Me, data: JSONBody[TokenCreate]) -> TokenCreated:
        """A new token for the caller; the reply is the only time it is shown."""
        return await staff.create_token(me.id, data.name)

    @delete("/{token_id:int}", responses=STAFF_PROBLEMS)
    async def revoke_token(self, me: Me, token_id: PathId) -> None:
        """Revoke one of the caller's tokens."""
        await staff.revoke_token(me.id, token_id)


class UsersApi(Controller):
    """Staff accounts, for admins."""

    path = "/api/v1/users"
    guards = [require_admin]
    tags = ["users"]
    security = STAFF_SECURITY

    @get("/", responses=STAFF_PROBLEMS)
    async def list_users(self) -> list[UserOut]:
        """Every staff account, by email."""
        return await staff.list_users()

    @post("/", responses=STAFF_PROBLEMS)
    async def add_user(self, data: JSONBody[UserCreate]) -> UserCreated:
        """Add an account; the reply carries its password this one time."""
        return await staff.add_user(data)

    @get("/{user_id:int}", responses=STAFF_PROBLEMS)
    async def get_user(self, user_id: PathId) -> UserOut:
        """One account."""
        return await staff.get_user(user_id)

    @patch("/{user_id:int}", responses=STAFF_PROBLEMS)
    async def update_user(self, user_id: PathId, data: JSONBody[UserUpdate]) -> UserOut:
        """Change role, active state or name; there is always one active admin left (409 otherwise)."""
        return await staff.update_user(user_id, data)

    @post("/{user_id:int}/password", status_code=HTTP_200_OK, responses=STAFF_PROBLEMS)
    async def reset_password(self, user_id: PathId) -> PasswordOut:
        """A new generated password, in this reply only; the account's sessions end."""
        return PasswordOut(password=await staff.reset_password(user_id))


route_handlers = [UsersPages, TokensPages, ProfilePages, PasswordResetPages, TokensApi, UsersApi]
