"""Manage links and invitation links: signed, unguessable.

The link carries ``[registration id, nonce]`` signed with ``SECRET_KEY`` (itsdangerous). Only the random
nonce is stored; signing is deterministic, so the URL can be rebuilt from the row at any time (mail sent
later), and replacing the nonce (``rotate``) revokes every earlier link.

An invitation link carries ``[invitation id, session id]`` signed the same way under its own salt: it is the
invitee's proof of having received the invitation mail, so knowing an invited address is not enough to register.
Removing the invitation (or erasing it with its registration) makes its link useless.
"""

from __future__ import annotations

__all__ = [
    "invitation_token", "invitation_url", "manage_path", "manage_token", "manage_url", "new_nonce",
    "read_invitation_token", "read_token",
]

import functools
import secrets

from itsdangerous import BadSignature, URLSafeSerializer

_SALT = "convene-manage-link"
_INVITATION_SALT = "convene-invitation-link"


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


@functools.lru_cache(maxsize=8)
def _serializer(secret_key: str, salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=salt)


@functools.lru_cache(maxsize=256)
def manage_token(secret_key: str, registration_id: int, nonce: str) -> str:
    """Cached: a registration builds its link twice (its message and its answer), and signing is deterministic."""
    return _serializer(secret_key, _SALT).dumps([registration_id, nonce])


def manage_path(secret_key: str, registration_id: int, nonce: str) -> str:
    return f"/manage/{manage_token(secret_key, registration_id, nonce)}"


def manage_url(settings, registration_id: int, nonce: str) -> str:
    """The registrant's page, absolute (for mail): ``PUBLIC_URL/manage/<token>``."""
    return settings.public_url.rstrip("/") + manage_path(settings.secret_key, registration_id, nonce)


def read_token(secret_key: str, token: str) -> tuple[int, str] | None:
    """``(registration id, nonce)`` from a token, or None when it is forged or malformed."""
    if len(token) > 500:
        return None
    try:
        value = _serializer(secret_key, _SALT).loads(token)
    except BadSignature:
        return None
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], int) and isinstance(value[1], str)):
        return None
    return value[0], value[1]


def invitation_token(secret_key: str, invitation_id: int, session_id: int) -> str:
    return URLSafeSerializer(secret_key, salt=_INVITATION_SALT).dumps([invitation_id, session_id])


def invitation_url(settings, invitation_id: int, session_id: int) -> str:
    """The session page with the invitation's token (``?invitation=``), which its registration form carries."""
    token = invitation_token(settings.secret_key, invitation_id, session_id)
    return f"{settings.public_url.rstrip('/')}/sessions/{session_id}?invitation={token}"


def read_invitation_token(secret_key: str, token: str, session_id: int) -> int | None:
    """The invitation id a token proves for this session, or None when it is forged, malformed or another
    session's."""
    if not token or len(token) > 500:
        return None
    try:
        value = URLSafeSerializer(secret_key, salt=_INVITATION_SALT).loads(token)
    except BadSignature:
        return None
    if not (isinstance(value, list) and len(value) == 2 and all(type(v) is int for v in value)):
        return None
    return value[0] if value[1] == session_id else None
