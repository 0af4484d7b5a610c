"""Manage links: signed, unguessable, revocable.

The link carries ``[registration id, nonce]`` signed with ``SECRET_KEY`` (itsdangerous). Only the random
nonce is stored; signing is deterministic, so the URL can be rebuilt from the row at any time (mail sent
later), and replacing the nonce (``rotate``) revokes every earlier link.
"""

from __future__ import annotations

__all__ = ["manage_path", "manage_token", "manage_url", "new_nonce", "read_token"]

import secrets

from itsdangerous import BadSignature, URLSafeSerializer

_SALT = "convene-manage-link"


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def manage_token(secret_key: str, registration_id: int, nonce: str) -> str:
    return URLSafeSerializer(secret_key, salt=_SALT).dumps([registration_id, nonce])


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
        value = URLSafeSerializer(secret_key, salt=_SALT).loads(token)
    except BadSignature:
        return None
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], int) and isinstance(value[1], str)):
        return None
    return value[0], value[1]
