"""Per-session extra questions through the API: defined by organisers, answered on registering and through the
manage link, seen on the staff list, in the CSV and in the registrant's export, cleared by erasure and the purge."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from events.tables import Session
from registrations.retention import purge_expired
from registrations.tables import Answer, Question, Registration
from tests.registrations.conftest import assign, make_session, submission

QUESTIONS = {"items": [
    {"kind": "short_text", "label": {"en": "Your position", "fr": "Votre fonction"}, "required": True},
    {"kind": "choice", "label": {"en": "Dietary needs", "fr": "Régime"}, "choices": [
        {"code": "none", "label": {"en": "None", "fr": "Aucun"}},
        {"code": "vegetarian", "label": {"en": "Vegetarian", "fr": "Végétarien"}},
    ]},
    {"kind": "choices", "label": {"en": "Topics"}, "choices": [
        {"code": "labour", "label": {"en": "Labour migration"}},
        {"code": "climate", "label": {"en": "Climate mobility"}},
    ]},
    {"kind": "yes_no", "label": {"en": "First time?"}, "required": True},
    {"kind": "long_text", "label": {"en": "Anything to add"}},
]}


async def _define(client, organiser, session_id: int, body: dict = QUESTIONS) -> list[dict]:
    response = await client.put(f"/api/v1/sessions/{session_id}/questions", json=body, headers=organiser.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def _session_with_questions(client, organiser, **overrides) -> tuple[int, list[int]]:
    session_id = await make_session(**overrides)
    await assign(session_id, organiser.id)
    return session_id, [q["id"] for q in await _define(client, organiser, session_id)]


def _answers(ids: list[int], **changes) -> dict:
    answers = {str(ids[0]): "Policy officer", str(ids[1]): "vegetarian", str(ids[2]): ["climate", "labour"],
               str(ids[3]): False}
    return {**answers, **changes}


async def _register(client, session_id: int, answers: dict, **overrides):
    return await client.post(f"/api/v1/sessions/{session_id}/registrations",
                             json=submission(answers=answers, **overrides))


async def test_questions_defined_and_read_in_order(client, organiser):
    session_id = await make_session()
    await assign(session_id, organiser.id)

    items = await _define(client, organiser, session_id)
    read = await client.get(f"/api/v1/sessions/{session_id}/questions", headers=organiser.headers)

    assert read.json()["items"] == items
    assert [(q["position"], q["kind"], q["required"]) for q in items] == [
        (1, "short_text", True), (2, "choice", False), (3, "choices", False), (4, "yes_no", True),
        (5, "long_text", False),
    ]
    assert items[1]["choices"] == [
        {"code": "none", "label": {"en": "None", "fr": "Aucun"}},
        {"code": "vegetarian", "label": {"en": "Vegetarian", "fr": "Végétarien"}},
    ]


async def test_malformed_questions_refused_naming_the_field(client, organiser):
    session_id = await make_session()
    await assign(session_id, organiser.id)
    cases = [
        ({"kind": "dropdown", "label": {"en": "Q"}}, "items.0.kind"),
        ({"kind": "choice", "label": {"en": "Q"}}, "items.0.choices"),
        ({"kind": "choices", "label": {"en": "Q"}, "choices": [{"code": "a", "label": {"en": "A"}},
                                                               {"code": "a", "label": {"en": "B"}}]},
         "items.0.choices"),
        ({"kind": "short_text", "label": {"en": "Q" * 501}}, "items.0.label"),
        ({"kind": "short_text", "label": {"en": "Line\x07bell"}}, "items.0.label"),
        ({"kind": "short_text", "label": {"xx-not a code": "Q"}}, "items.0.label"),
        ({"kind": "short_text", "label": {"en": "Q"}, "id": 999}, "items.0.id"),
    ]

    answers = [
        await client.put(f"/api/v1/sessions/{session_id}/questions", json={"items": [item]},
                         headers=organiser.headers)
        for item, _ in cases
    ]

    assert [(r.status_code, r.json()["errors"][0]["field"]) for r in answers] == [(422, f) for _, f in cases]
    assert await Question.count() == 0


async def test_register_with_answers_seen_by_staff_csv_and_export(client, organiser):
    session_id, ids = await _session_with_questions(client, organiser)

    created = await _register(client, session_id, _answers(ids))
    listed = await client.get(f"/api/v1/sessions/{session_id}/registrations", headers=organiser.headers)
    exported = await client.get(f"/api/v1/sessions/{session_id}/registrations?format=csv", headers=organiser.headers)
    manage = created.json()["manage_url"].replace("http://convene.test/manage/", "/api/v1/manage/")
    own = await client.get(manage + "/export")

    assert created.status_code == 201, created.text
    expected = {str(ids[0]): "Policy officer", str(ids[1]): "vegetarian", str(ids[2]): ["climate", "labour"],
                str(ids[3]): False}
    assert listed.json()["items"][0]["answers"] == expected
    rows = list(csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert [rows[0][label] for label in ("Your position", "Dietary needs", "Topics", "First time?",
                                         "Anything to add")] == [
        "Policy officer", "Vegetarian", "Climate mobility; Labour migration", "No", ""]
    assert own.json()["answers"] == expected
    assert own.json()["answers_worded"] == [
        {"question": "Your position", "answer": "Policy officer"},
        {"question": "Dietary needs", "answer": "Vegetarian"},
        {"question": "Topics", "answer": "Climate mobility; Labour migration"},
        {"question": "First time?", "answer": "No"},
    ]


async def test_bad_answers_refused_naming_each_and_nothing_written(client, organiser):
    session_id, ids = await _session_with_questions(client, organiser)
    answers = {str(ids[1]): "vegan", str(ids[2]): "climate", str(ids[3]): "yes", "99999": "x"}

    response = await _register(client, session_id, answers)

    assert response.status_code == 422
    assert sorted(e["field"] for e in response.json()["errors"]) == sorted(
        ["answers.99999", f"answers.{ids[0]}", f"answers.{ids[1]}", f"answers.{ids[2]}", f"answers.{ids[3]}"]
    )
    assert (await Registration.count(), await Answer.count()) == (0, 0)
    session = await Session.select(Session.seats_taken).where(Session.id == session_id).first()
    assert session["seats_taken"] == 0


async def test_too_long_and_control_characters_refused(client, organiser):
    session_id, ids = await _session_with_questions(client, organiser)

    long = await _register(client, session_id, _answers(ids, **{str(ids[0]): "x" * 301}))
    bell = await _register(client, session_id, _answers(ids, **{str(ids[4]): "a\x07b"}))

    assert [(r.status_code, [e["field"] for e in r.json()["errors"]]) for r in (long, bell)] == [
        (422, [f"answers.{ids[0]}"]), (422, [f"answers.{ids[4]}"])]


async def test_answers_changed_through_the_manage_link(client, organiser):
    session_id, ids = await _session_with_questions(client, organiser)
    created = await _register(client, session_id, _answers(ids))
    manage = created.json()["manage_url"].replace("http://convene.test/manage/", "/api/v1/manage/")

    changed = await client.patch(manage, json={"answers": {str(ids[1]): None, str(ids[4]): "See you"}})
    cleared_required = await client.patch(manage, json={"answers": {str(ids[0]): None}})

    assert changed.status_code == 200, changed.text
    assert changed.json()["answers"] == {str(ids[0]): "Policy officer", str(ids[2]): ["climate", "labour"],
                                         str(ids[3]): False, str(ids[4]): "See you"}
    assert (cleared_required.status_code, cleared_required.json()["errors"][0]["field"]) == (
        422, f"answers.{ids[0]}")


async def test_answers_not_changed_once_registration_closed(client, organiser):
    session_id, ids = await _session_with_questions(client, organiser)
    created = await _register(client, session_id, _answers(ids))
    manage = created.json()["manage_url"].replace("http://convene.test/manage/", "/api/v1/manage/")
    await Session.update({Session.registration_closes_at: datetime.now(UTC) - timedelta(minutes=1)}).where(
        Session.id == session_id)

    response = await client.patch(manage, json={"answers": {str(ids[0]): "Director"}})

    assert (response.status_code, response.json()["errors"][0]["field"]) == (409, "answers")
    assert (await client.get(manage)).json()["answers"][str(ids[0])] == "Policy officer"


async def test_removed_question_keeps_answers_in_exports(client, organiser):
    session_id, ids = await _session_with_questions(client, organiser)
    await _register(client, session_id, _answers(ids))
    kept = [{**item, "id": ids[n]} for n, item in enumerate(QUESTIONS["items"]) if n != 1]

    items = await _define(client, organiser, session_id, {"items": [kept[1], kept[0], *kept[2:]]})
    exported = await client.get(f"/api/v1/sessions/{session_id}/registrations?format=csv", headers=organiser.headers)

    assert [q["id"] for q in items] == [ids[2], ids[0], ids[3], ids[4]]
    header = next(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert header[-5:] == ["Topics", "Your position", "First time?", "Anything to add", "Dietary needs"]
    assert exported.text.rstrip().endswith("Climate mobility; Labour migration,Policy officer,No,,Vegetarian")


async def test_erasure_and_purge_clear_answers(client, organiser, settings):
    session_id, ids = await _session_with_questions(client, organiser)
    created = await _register(client, session_id, _answers(ids))
    await _register(client, session_id, _answers(ids), email="second@example.org")
    manage = created.json()["manage_url"].replace("http://convene.test/manage/", "/api/v1/manage/")

    erased = await client.post(manage + "/erase")
    left = await Answer.count()
    await Session.update({Session.ends_at: datetime.now(UTC) - timedelta(days=400),
                          Session.starts_at: datetime.now(UTC) - timedelta(days=401)}).where(Session.id == session_id)
    await purge_expired(settings)

    assert (erased.status_code, left, await Answer.count()) == (200, 4, 0)


async def test_questions_api_refuses_anonymous_and_other_organisers(client, organiser, other_organiser):
    session_id = await make_session()
    await assign(session_id, organiser.id)
    path = f"/api/v1/sessions/{session_id}/questions"

    anonymous = await client.get(path)
    other = await client.put(path, json=QUESTIONS, headers=other_organiser.headers)

    assert (anonymous.status_code, other.status_code) == (401, 403)
