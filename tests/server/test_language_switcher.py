"""The language and time-zone switcher on every page comes back to a page that answers GET."""

from __future__ import annotations

import re

from tests.registrations.conftest import make_session, submission


def _next_of(html: str) -> str:
    return re.search(r'<input type="hidden" name="next" value="([^"]*)">', html).group(1)


async def test_switcher_on_a_page_comes_back_to_it_with_its_query(client):
    session_id = await make_session()

    page = await client.get(f"/sessions/{session_id}?tz=1")

    assert _next_of(page.text) == f"/sessions/{session_id}?tz=1"


async def test_switcher_on_a_form_error_page_comes_back_to_the_form_page(client):
    session_id = await make_session()
    await client.get(f"/sessions/{session_id}")
    form = {**submission(), "consent_processing": "", "_csrf_token": client.cookies["convene_csrf"]}

    errors = await client.post(f"/sessions/{session_id}/register", data=form)
    switched = await client.post(
        "/preferences", data={"language": "fr", "timezone": "", "next": _next_of(errors.text),
                              "_csrf_token": client.cookies["convene_csrf"]},
    )

    assert (errors.status_code, _next_of(errors.text)) == (400, f"/sessions/{session_id}")
    assert (switched.status_code, switched.headers["location"]) == (302, f"/sessions/{session_id}")
    assert (await client.get(switched.headers["location"])).status_code == 200
