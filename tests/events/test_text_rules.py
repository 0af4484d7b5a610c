"""Text rules a type cannot say: language codes end where they end (no trailing newline), session texts refuse
control characters as registration texts do, and an agenda the API accepts survives the unchanged staff form."""

from __future__ import annotations

import html
from html.parser import HTMLParser

import httpx
import pytest

from events.tables import Series, Session
from registrations.tables import Registration
from server.i18n import gettext
from tests.conftest import Staff, login_cookie_client
from tests.events.helpers import create, session_body
from tests.registrations.conftest import make_session, submission

CONTROL = gettext("Remove line breaks and control characters.")


def problems(response: httpx.Response) -> dict[str, str]:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return {error["field"]: error["message"] for error in response.json()["errors"]}


@pytest.mark.parametrize(("overrides", "field"), [
    ({"floor_language": "en\n"}, "floor_language"),
    ({"interpretation_languages": ["fr\n"]}, "interpretation_languages"),
    ({"title": {"en": "Title", "fr\n": "Titre"}}, "title"),
    ({"description": {"en\n": "About"}}, "description"),
])
async def test_language_code_with_trailing_newline_is_refused(client: httpx.AsyncClient, organiser: Staff,
                                                              overrides: dict, field: str) -> None:
    response = await client.post("/api/v1/sessions", json=session_body(**overrides), headers=organiser.headers)

    assert response.status_code == 422
    assert list(problems(response)) == [field]
    assert await Session.count() == 0


async def test_registration_language_with_trailing_newline_is_refused(client: httpx.AsyncClient) -> None:
    session_id = await make_session()

    response = await client.post(f"/api/v1/sessions/{session_id}/registrations",
                                 json=submission(interpretation_language="pt-BR\n"))

    assert response.status_code == 422
    assert list(problems(response)) == ["interpretation_language"]
    assert await Registration.count() == 0


BAD_TEXTS = [
    ("title_nul", {"title": {"en": "Open\x00ing"}}, "title"),
    ("title_esc", {"title": {"en": "Open\x1b[31ming"}}, "title"),
    ("title_newline", {"title": {"en": "Opening\nBCC: x@example.org"}}, "title"),
    ("title_del", {"title": {"en": "Opening\x7f"}}, "title"),
    ("description_nul", {"description": {"en": "Line one\nLine\x00two"}}, "description"),
    ("agenda_title_esc", {"agenda": [{"title": {"en": "Welcome\x1b"}}]}, "agenda"),
    ("agenda_title_newline", {"agenda": [{"title": {"en": "Welcome\nand more"}}]}, "agenda"),
    ("agenda_speakers_nul", {"agenda": [{"title": {"en": "Welcome"}, "speakers": "Chair\x00"}]}, "agenda"),
    ("venue_nul", {"venue": "Palais\x00des Nations"}, "venue"),
    ("dial_in_esc", {"join": {"dial_in": "+41 22\x1b"}}, "join.dial_in"),
    ("passcode_newline", {"join": {"passcode": "12\n34"}}, "join.passcode"),
]


@pytest.mark.parametrize(("case", "overrides", "field"), BAD_TEXTS, ids=[c[0] for c in BAD_TEXTS])
async def test_session_text_with_control_characters_is_refused(client: httpx.AsyncClient, organiser: Staff,
                                                               case: str, overrides: dict, field: str) -> None:
    created = await client.post("/api/v1/sessions", json=session_body(**overrides), headers=organiser.headers)
    session = await create(client, organiser)
    patched = await client.patch(f"/api/v1/sessions/{session['id']}", json=overrides, headers=organiser.headers)

    assert (created.status_code, problems(created)) == (422, {field: CONTROL})
    assert (patched.status_code, problems(patched)) == (422, {field: CONTROL})
    assert await Session.count() == 1


async def test_multiline_texts_keep_line_breaks_and_tabs(client: httpx.AsyncClient, organiser: Staff) -> None:
    session = await create(client, organiser, description={"en": "Line one\r\nLine two\n\tindented"},
                           venue="Palais des Nations\nGeneva", join={"dial_in": "+41 22 000\n+1 212 000"})

    assert session["description"] == {"en": "Line one\r\nLine two\n\tindented"}


@pytest.mark.parametrize(("body", "field"), [
    ({"title": {"en": "Series\x00"}}, "title"),
    ({"title": {"en": "Series\nTwo"}}, "title"),
    ({"title": {"en": "Series"}, "description": {"en": "About\x1b"}}, "description"),
])
async def test_series_text_with_control_characters_is_refused(client: httpx.AsyncClient, admin: Staff,
                                                              body: dict, field: str) -> None:
    response = await client.post("/api/v1/series", json=body, headers=admin.headers)

    assert (response.status_code, problems(response)) == (422, {field: CONTROL})
    assert await Series.count() == 0


class _FormFields(HTMLParser):
    """The fields a browser would submit from the form posting to ``action`` (textareas' line breaks as CR LF)."""

    def __init__(self, action: str) -> None:
        super().__init__(convert_charrefs=True)
        self.action, self.inside, self.fields = action, False, []
        self._select: str | None = None
        self._multiple = False
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = {name: value if value is not None else "" for name, value in attrs}
        if tag == "form":
            self.inside = a.get("action") == self.action
        if not self.inside:
            return
        if tag == "input" and "name" in a:
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value", "on" if a.get("type") == "checkbox" else "")))
        elif tag == "select":
            self._select, self._multiple, self._options = a["name"], "multiple" in a, []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea":
            self._textarea, self._text = a["name"], ""

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select is not None:
            chosen = [value for value, selected in self._options if selected]
            if not self._multiple:  # a single choice sends its selected option, or else its first
                chosen = chosen[:1] or [self._options[0][0]]
            self.fields.extend((self._select, value) for value in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = self._text[1:] if self._text.startswith("\n") else self._text
            self.fields.append((self._textarea, text.replace("\n", "\r\n")))
            self._textarea = None


def browser_form(page: str, action: str) -> dict[str, list[str]]:
    parser = _FormFields(action)
    parser.feed(page)
    fields: dict[str, list[str]] = {}
    for name, value in parser.fields:
        fields.setdefault(name, []).append(value)
    return fields


AGENDA = [
    {"title": {"en": "Opening | welcome", "ar": "افتتاح"}, "speakers": "Chair | co-chair", "minutes": 0},
    {"title": {"fr": "Débat seulement en français"}, "speakers": "", "minutes": None},
    {"title": {"en": "Close"}, "speakers": "  ", "minutes": 15},
]


async def test_agenda_set_through_api_survives_the_unchanged_staff_form(client: httpx.AsyncClient,
                                                                        organiser: Staff) -> None:
    session = await create(client, organiser, agenda=AGENDA, description={"en": "One\nTwo"})
    before = (await client.get(f"/api/v1/sessions/{session['id']}", headers=organiser.headers)).json()
    await login_cookie_client(client, organiser)
    page = (await client.get(f"/staff/sessions/{session['id']}")).text

    fields = browser_form(page, f"/staff/sessions/{session['id']}")
    response = await client.post(f"/staff/sessions/{session['id']}", data=fields)

    assert response.status_code == 303, html.unescape(response.text)[-3000:]
    after = (await client.get(f"/api/v1/sessions/{session['id']}", headers=organiser.headers)).json()
    assert after["agenda"] == before["agenda"]
    assert [item["title"] for item in after["agenda"]] == [item["title"] for item in AGENDA]
    assert after["sequence"] == before["sequence"]
