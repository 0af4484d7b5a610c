"""Ids and offsets no column can hold, in the staff API of registrations: a 4xx naming the field, never a 500
(Schemathesis found the 500s, ``tests/server/test_api_fuzz.py``); nothing is changed."""

from __future__ import annotations

import pytest

from registrations.tables import Registration
from tests.registrations.conftest import assign, make_session, submission

HUGE = 99999999999999999999
INT4_OVERFLOW = 2**31


@pytest.mark.parametrize("decision", ["approve", "decline"])
@pytest.mark.parametrize("registration_id", [HUGE, INT4_OVERFLOW, 0])
async def test_decision_on_an_id_no_row_can_have_is_one_of_another_session(client, organiser, decision: str,
                                                                           registration_id: int) -> None:
    session_id = await make_session(capacity=5)
    await assign(session_id, organiser.id)
    registered = await client.post(f"/api/v1/sessions/{session_id}/registrations", json=submission())

    response = await client.post(f"/api/v1/sessions/{session_id}/registrations/{decision}", headers=organiser.headers,
                                 json={"registration_ids": [registered.json()["id"], registration_id], "reason": "No"})

    assert (response.status_code, response.json()["errors"]) == (422, [
        {"field": "registration_ids", "message": "Some of these registrations are not of this session."}])
    assert await Registration.select(Registration.status).output(as_list=True) == ["confirmed"]


@pytest.mark.parametrize("need_id", [HUGE, INT4_OVERFLOW, 0])
async def test_needs_decision_on_an_id_no_row_can_have_is_none_of_this_session(client, organiser,
                                                                               need_id: int) -> None:
    session_id = await make_session()
    await assign(session_id, organiser.id)

    response = await client.post(f"/api/v1/sessions/{session_id}/needs", headers=organiser.headers,
                                 json={"need_ids": [need_id], "status": "arranged"})

    assert (response.status_code, response.json()["errors"]) == (422, [
        {"field": "need_ids", "message": "Choose needs of this session from the list."}])


@pytest.mark.parametrize("offset", [HUGE, INT4_OVERFLOW])
async def test_list_with_an_offset_past_any_column_names_it(client, organiser, offset: int) -> None:
    session_id = await make_session()
    await assign(session_id, organiser.id)

    response = await client.get(f"/api/v1/sessions/{session_id}/registrations", params={"offset": offset},
                                headers=organiser.headers)

    assert (response.status_code, [e["field"] for e in response.json()["errors"]]) == (400, ["offset"])


async def test_list_with_a_negative_offset_keeps_its_own_answer(client, organiser) -> None:
    session_id = await make_session()
    await assign(session_id, organiser.id)

    response = await client.get(f"/api/v1/sessions/{session_id}/registrations", params={"offset": -1},
                                headers=organiser.headers)

    assert (response.status_code, response.json()["errors"]) == (422, [
        {"field": "offset", "message": "Give a number of 0 or more."}])
