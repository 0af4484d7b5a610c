"""Helpers for the server tests: more browsers on the same running app, and form posts with the CSRF token."""

from __future__ import annotations

from contextlib import asynccontextmanager

import httpx
from litestar import Litestar


@asynccontextmanager
async def running(app: Litestar):
    """Run an extra app's lifespan (engine pool) in this test's loop, for apps made with other settings."""
    async with app.lifespan():
        async with browser(app) as http:
            yield http


@asynccontextmanager
async def browser(app: Litestar, address: str = "127.0.0.1"):
    """Another client with its own cookie jar, on the app the ``client`` fixture keeps running."""
    transport = httpx.ASGITransport(app=app, client=(address, 50001))
    async with httpx.AsyncClient(transport=transport, base_url="http://convene.test") as http:
        yield http


async def csrf_token(client: httpx.AsyncClient) -> str:
    """The CSRF cookie, fetched from the login page when the client has none yet."""
    if not client.cookies.get("convene_csrf"):
        await client.get("/staff/login")
    return client.cookies["convene_csrf"]


async def post_form(client: httpx.AsyncClient, path: str, data: dict | None = None) -> httpx.Response:
    """POST a page form the way a browser does, CSRF token included."""
    return await client.post(path, data={**(data or {}), "_csrf_token": await csrf_token(client)})


async def try_login(client: httpx.AsyncClient, email: str, password: str, **extra: str) -> httpx.Response:
    """Submit the login form."""
    return await post_form(client, "/staff/login", {"email": email, "password": password, **extra})
