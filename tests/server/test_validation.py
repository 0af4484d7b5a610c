"""msgspec's English validation messages become sentences in the reader's language, with the field they name."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import msgspec
import pytest
from msgspec import Meta

from server.errors import ConveneError, FieldError, InvalidInput
from server.i18n import format_number, gettext, ngettext, use_locale
from server.validation import decode_form, field_error, form_errors, normalised_email, translated_message

pytestmark = pytest.mark.engine_independent


class Colour(str, Enum):
    red = "red"


class Inner(msgspec.Struct, forbid_unknown_fields=True):
    url: Annotated[str, Meta(max_length=5)] = ""


class Shape(msgspec.Struct, forbid_unknown_fields=True):
    count: Annotated[int, Meta(ge=0, le=10)] = 0
    ratio: Annotated[float, Meta(gt=0.5)] = 1.0
    name: Annotated[str, Meta(min_length=1, max_length=3)] = "x"
    ids: Annotated[list[int], Meta(max_length=2)] = []
    colour: Colour = Colour.red
    at: Annotated[datetime, Meta(tz=True)] | None = None
    flag: bool = False
    inner: Inner | None = None


def refused(data: object, shape: type = Shape) -> msgspec.ValidationError:
    with pytest.raises(msgspec.ValidationError) as caught:
        msgspec.convert(data, shape)
    return caught.value


CASES = [
    ({"count": -1}, "count", lambda: gettext("Must be a whole number of %(min)s or more.", min=format_number(0))),
    ({"count": 11}, "count", lambda: gettext("Must be a whole number of at most %(max)s.", max=format_number(10))),
    ({"count": "3"}, "count", lambda: gettext("Enter a whole number.")),
    ({"ratio": 0.5}, "ratio", lambda: gettext("Must be a number greater than %(min)s.", min=format_number(0.5))),
    ({"name": ""}, "name", lambda: ngettext("Must be at least %(num)s character.",
                                            "Must be at least %(num)s characters.", 1)),
    ({"name": "abcd"}, "name", lambda: ngettext("Must be at most %(num)s character.",
                                                "Must be at most %(num)s characters.", 3)),
    ({"ids": [1, 2, 3]}, "ids", lambda: ngettext("Give at most %(num)s item.", "Give at most %(num)s items.", 2)),
    ({"ids": [1, "x"]}, "ids[1]", lambda: gettext("Enter a whole number.")),
    ({"colour": "blue"}, "colour", lambda: gettext("Not one of the allowed values.")),
    ({"at": "2030-01-01T10:00:00"}, "at",
     lambda: gettext("A date and time with its UTC offset is required (RFC 3339).")),
    ({"at": "soon"}, "at", lambda: gettext("A date and time with its UTC offset is required (RFC 3339).")),
    ({"flag": "yes"}, "flag", lambda: gettext("Must be true or false.")),
    ({"inner": {"url": "abcdef"}}, "inner.url", lambda: ngettext("Must be at most %(num)s character.",
                                                                 "Must be at most %(num)s characters.", 5)),
    ({"inner": {"colour": "x"}}, "inner.colour", lambda: gettext("Unknown field.")),
    ({"size": 1}, "size", lambda: gettext("Unknown field.")),
    ([], "body", lambda: gettext("Must be an object of named values.")),
]


@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize(("data", "field", "message"), CASES, ids=[c[1] + str(i) for i, c in enumerate(CASES)])
def test_field_error_names_the_field_in_the_readers_language(data, field, message, language):
    error = refused(data)

    with use_locale(language):
        assert field_error(error) == FieldError(field, message())


def test_field_error_of_one_value_goes_under_its_field():
    error = refused(["1", 2], list[int])

    assert field_error(error, "organiser_ids") == FieldError("organiser_ids[0]", "Enter a whole number.")


def test_missing_required_field_is_named():
    class Required(msgspec.Struct):
        kind: str

    assert field_error(refused({}, Required)) == FieldError("kind", "This field is required.")


def test_message_never_seen_before_is_a_plain_sentence_not_msgspecs():
    assert translated_message("Expected `int` that's a multiple of 5") == "This value is not valid."


def test_normalised_email_lower_cases_and_strips_a_valid_address() -> None:
    assert normalised_email("  Ana.Lopez@Example.TEST \n") == "ana.lopez@example.test"


@pytest.mark.parametrize("address", ["", "ana", "ana@", "ana@@example.test", "ana lopez@example.test"])
def test_normalised_email_is_none_for_what_is_not_an_address(address: str) -> None:
    assert normalised_email(address) is None
def test_decode_form_refuses_like_the_api_in_the_readers_language():
    with use_locale("es"), pytest.raises(InvalidInput) as refused:
        decode_form({"count": 11}, Shape, prefix="shape.")

    assert refused.value.errors == [FieldError("shape.count", "Debe ser un número entero igual o menor que 10.")]


def test_decode_form_reads_numbers_from_text_unless_strict():
    assert decode_form({"count": "7"}, Shape, strict=False).count == 7
    with pytest.raises(InvalidInput) as refused:
        decode_form({"count": "7"}, Shape)
    assert refused.value.errors == [FieldError("count", "Enter a whole number.")]


def test_form_errors_keep_the_first_message_of_each_field_and_say_an_unnamed_one_under_form():
    named = ConveneError("two", [FieldError("a.x", "first"), FieldError("a.x", "second"), FieldError("b", "third")])

    assert form_errors(named, rename=lambda name: name.replace(".", "_")) == {"a_x": "first", "b": "third"}
    assert form_errors(ConveneError("Registration has closed.")) == {"form": "Registration has closed."}
