"""Extra questions on pages: the staff page that defines them, the registration form and the manage page that ask
them, the staff list that shows the answers."""

from __future__ import annotations

import json

from registrations.tables import Answer, Question, Registration
from tests.conftest import login_cookie_client
from tests.registrations.conftest import assign, make_session, submission

QUESTIONS = {"items": [
    {"kind": "short_text", "label": {"en": "Your position", "fr": "Votre fonction"}, "required": True},
    {"kind": "choice", "label": {"en": "Dietary needs"}, "choices": [
        {"code": "none", "label": {"en": "None", "fr": "Aucun"}},
        {"code": "vegetarian", "label": {"en": "Vegetarian", "fr": "Végétarien"}},
    ]},
    {"kind": "choices", "label": {"en": "Topics"}, "choices": [
        {"code": "labour", "label": {"en": "Labour migration"}},
        {"code": "climate", "label": {"en": "Climate mobility"}},
    ]},
    {"kind": "yes_no", "label": {"en": "First time?"}},
]}


async def _questions(client, organiser, session_id: int) -> list[int]:
    response = await client.put(f"/api/v1/sessions/{session_id}/questions", json=QUESTIONS, headers=organiser.headers)
    assert response.status_code == 200, response.text
    return [q["id"] for q in response.json()["items"]]


def _form(csrf: str, **extra) -> dict:
    values = {k: ("on" if v is True else v) for k, v in submission().items() if v is not False}
    return {**values, "_csrf_token": csrf, **extra}


async def _questions_of(session_id: int) -> list[tuple]:
    rows = await Question.select().where(Question.session == session_id).order_by(Question.id)
    return [(r["position"], r["kind"], r["required"], json.loads(r["label"]), json.loads(r["choices"]),
             r["removed_at"] is None) for r in rows]


async def test_staff_page_adds_edits_reorders_and_removes(client, organiser):
    session_id = await make_session(interpretation_languages=["fr"])
    await assign(session_id, organiser.id)
    await login_cookie_client(client, organiser)
    path = f"/staff/sessions/{session_id}/questions"
    page = await client.get(path)
    csrf = client.cookies["convene_csrf"]

    added = await client.post(path, data={
        "_csrf_token": csrf, "count": "0", "q0-position": "1", "q0-kind": "choice", "q0-required": "on",
        "q0-label-en": "Dietary needs", "q0-label-fr": "Régime", "q0-choices-en": "None\r\nVegetarian",
        "q0-choices-fr": "Aucun\r\nVégétarien",
    })
    first = await _questions_of(session_id)
    question_id = (await Question.select(Question.id).first())["id"]
    changed = await client.post(path, data={
        "_csrf_token": csrf, "count": "1",
        "q0-id": str(question_id), "q0-codes": "c1,c2", "q0-position": "2", "q0-kind": "choice",
        "q0-label-en": "Diet", "q0-choices-en": "None\nVegetarian\nVegan", "q0-remove": "",
        "q1-position": "1", "q1-kind": "yes_no", "q1-label-en": "First time?",
    })
    removed = await client.post(path, data={
        "_csrf_token": csrf, "count": "2", "q0-id": str(question_id + 1), "q0-kind": "yes_no", "q0-position": "1",
        "q0-label-en": "First time?", "q0-remove": "on",
        "q1-id": str(question_id), "q1-kind": "choice", "q1-position": "2", "q1-codes": "c1,c2,c3",
        "q1-label-en": "Diet", "q1-choices-en": "None\nVegetarian\nVegan",
        "q2-kind": "short_text", "q2-position": "3",
    })

    assert page.status_code == 200
    assert '<label for="field-q0-label">Wording in English</label>' in page.text
    assert '<label for="field-q0-label-fr">Wording in French</label>' in page.text
    assert (added.status_code, added.headers["location"]) == (303, f"{path}?done=saved")
    assert first == [(1, "choice", True, {"en": "Dietary needs", "fr": "Régime"}, [
        {"code": "c1", "label": {"en": "None", "fr": "Aucun"}},
        {"code": "c2", "label": {"en": "Vegetarian", "fr": "Végétarien"}}], True)]
    assert changed.status_code == 303
    assert removed.status_code == 303
    assert await _questions_of(session_id) == [
        (1, "choice", False, {"en": "Diet"}, [
            {"code": "c1", "label": {"en": "None"}}, {"code": "c2", "label": {"en": "Vegetarian"}},
            {"code": "c3", "label": {"en": "Vegan"}}], True),
        (1, "yes_no", False, {"en": "First time?"}, [], False),
    ]


async def test_staff_page_refuses_a_choice_question_without_choices(client, organiser):
    session_id = await make_session()
    await assign(session_id, organiser.id)
    await login_cookie_client(client, organiser)
    path = f"/staff/sessions/{session_id}/questions"
    await client.get(path)

    response = await client.post(path, data={
        "_csrf_token": client.cookies["convene_csrf"], "count": "0", "q0-kind": "choices", "q0-position": "1",
        "q0-label-en": "Topics <b>",
    })

    assert response.status_code == 400
    assert '<a href="#field-q0-choices">A choice question needs at least one choice.</a>' in response.text
    assert 'aria-describedby="hint-choices error-q0-choices" aria-invalid="true"' in response.text
    assert 'value="Topics &lt;b&gt;"' in response.text
    assert await Question.count() == 0


async def test_staff_session_page_links_to_questions(client, organiser):
    session_id = await make_session()
    await assign(session_id, organiser.id)
    await login_cookie_client(client, organiser)

    page = await client.get(f"/staff/sessions/{session_id}")

    assert f'<a href="/staff/sessions/{session_id}/questions">Extra questions</a>' in page.text


async def test_form_asks_questions_in_the_readers_language(client, organiser):
    session_id = await make_session()
    await assign(session_id, organiser.id)
    ids = await _questions(client, organiser, session_id)
    client.cookies.set("convene_lang", "fr")

    page = await client.get(f"/sessions/{session_id}")

    html = page.text
    assert f'<label for="field-answers.{ids[0]}"><span>Votre fonction</span> <span class="required">' in html
    # No French wording: the floor language (English), marked as such.
    assert f'<label for="field-answers.{ids[1]}"><span lang="en" dir="ltr">Dietary needs</span></label>' in html
    assert '<option value="vegetarian">Végétarien</option>' in html
    assert f'id="field-answers.{ids[2]}-climate" name="answer-{ids[2]}" value="climate"' in html


async def test_form_registers_with_answers_and_refuses_missing_required(client, organiser):
    session_id = await make_session()
    await assign(session_id, organiser.id)
    ids = await _questions(client, organiser, session_id)
    await client.get(f"/sessions/{session_id}")
    csrf = client.cookies["convene_csrf"]

    missing = await client.post(f"/sessions/{session_id}/register", data=_form(
        csrf, **{f"answer-{ids[1]}": "vegan", f"answer-{ids[2]}": ["climate"]}))
    registered = await client.post(f"/sessions/{session_id}/register", data=_form(csrf, **{
        f"answer-{ids[0]}": "Policy officer", f"answer-{ids[1]}": "vegetarian",
        f"answer-{ids[2]}": ["climate", "labour"], f"answer-{ids[3]}": "yes"}))

    assert missing.status_code == 400
    assert f'<a href="#field-answers.{ids[0]}">Answer this question.</a>' in missing.text
    assert f'<a href="#field-answers.{ids[1]}">Choose one of the choices offered.</a>' in missing.text
    assert f'id="field-answers.{ids[2]}-climate" name="answer-{ids[2]}" value="climate" checked' in missing.text
    assert registered.status_code == 303
    rows = await Answer.select(Answer.question, Answer.value).order_by(Answer.question)
    assert [(r["question"], json.loads(r["value"])) for r in rows] == [
        (ids[0], "Policy officer"), (ids[1], "vegetarian"), (ids[2], ["climate", "labour"]), (ids[3], True)]


async def test_manage_page_changes_answers_and_staff_list_shows_them(client, organiser):
    session_id = await make_session()
    await assign(session_id, organiser.id)
    ids = await _questions(client, organiser, session_id)
    await client.get(f"/sessions/{session_id}")
    csrf = client.cookies["convene_csrf"]
    location = (await client.post(f"/sessions/{session_id}/register", data=_form(csrf, **{
        f"answer-{ids[0]}": "Policy officer", f"answer-{ids[1]}": "vegetarian"}))).headers["location"]
    manage_path = location.split("?")[0]

    shown = await client.get(manage_path)
    saved = await client.post(f"{manage_path}/update", data={
        "_csrf_token": csrf, "preferred_language": "en", "timezone": "UTC", "answers_shown": "1",
        f"answer-{ids[0]}": "Director", f"answer-{ids[1]}": "", f"answer-{ids[3]}": "no"})
    await login_cookie_client(client, organiser)
    staff_page = await client.get(f"/staff/sessions/{session_id}/registrations")

    assert 'value="Policy officer"' in shown.text
    assert saved.status_code == 303
    registration = await Registration.select(Registration.id).first()
    rows = await Answer.select(Answer.question, Answer.value).where(
        Answer.registration == registration["id"]).order_by(Answer.question)
    assert [(r["question"], json.loads(r["value"])) for r in rows] == [(ids[0], "Director"), (ids[3], False)]
    assert "<dt>Your position</dt>\n  <dd>Director</dd>" in staff_page.text
    assert "<dt>First time?</dt>\n  <dd>No</dd>" in staff_page.text
