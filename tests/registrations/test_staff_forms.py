"""The staff registration list's forms as Structs: what each keeps of what was typed, and what it refuses."""

from __future__ import annotations

import pytest
from litestar.datastructures import FormMultiDict

from registrations import staff_forms
from registrations.staff_forms import DecisionForm, InviteForm, MoveForm, NeedForm, RotateForm, read_form
from server.errors import FieldError, InvalidInput
from server.i18n import use_locale

pytestmark = pytest.mark.engine_independent


def _form(*pairs: tuple[str, str]) -> FormMultiDict:
    return FormMultiDict(list(pairs))


def test_decision_form_reads_every_ticked_id_and_cuts_a_long_reason():
    data = read_form(_form(("registration_ids", "3"), ("registration_ids", "1"), ("registration_ids", "3"),
                           ("reason", "x" * 2500), ("_csrf_token", "t")), DecisionForm)

    assert (data.registration_ids, len(data.reason)) == ([3, 1, 3], 2000)
    assert staff_forms.decision_ids(data) == [3, 1]


def test_decision_form_without_ids_is_refused_by_its_ids():
    with pytest.raises(InvalidInput) as refused:
        staff_forms.decision_ids(read_form(_form(("reason", "Full")), DecisionForm))

    assert refused.value.errors == [FieldError("registration_ids", "Choose at least one registration.")]


@pytest.mark.parametrize(("target", "pairs", "field"), [
    (DecisionForm, [("registration_ids", "1"), ("registration_ids", "99999999999999999999")], "registration_ids"),
    (DecisionForm, [("registration_ids", "one")], "registration_ids"),
    (MoveForm, [("registration_id", "0"), ("to", "confirmed")], "registration_id"),
    (MoveForm, [("to", "confirmed")], "registration_id"),
    (NeedForm, [("need_id", "2147483648")], "need_id"),
    (RotateForm, [("registration_id", "")], "registration_id"),
])
def test_ids_no_row_can_have_are_refused_as_choices_not_from_the_list(target, pairs, field):
    with use_locale("fr"), pytest.raises(InvalidInput) as refused:
        read_form(_form(*pairs), target)

    expected = "Choisissez des inscriptions dans la liste." if field == "registration_ids" else \
        "Choisissez dans la liste."
    assert refused.value.errors == [FieldError(field, expected)]


def test_need_form_cuts_a_long_note():
    data = read_form(_form(("need_id", "7"), ("status", "arranged"), ("note", "n" * 2001)), NeedForm)

    assert (data.need_id, data.status, data.note) == (7, "arranged", "n" * 2000)


def test_invite_form_splits_addresses_on_commas_spaces_and_lines():
    data = read_form(_form(("emails", "a@example.org, b@example.org\r\nc@example.org  d@example.org,,")), InviteForm)

    assert data.addresses == ["a@example.org", "b@example.org", "c@example.org", "d@example.org"]


def test_invite_form_left_empty_has_no_addresses():
    assert read_form(_form(), InviteForm).addresses == []
