"""The forms of the staff registration list as Structs, each read by ``server.validation.decode_form``, and the
list's filters as one dependency for the page, its CSV and the API.

The rules these forms keep: a reason or note longer than the API takes is cut to its length (the page's textarea
has no counter); addresses to invite may be separated by commas, spaces or lines; a row id no row can have is
refused as a choice not from the list; a field left empty takes its default (an optional number none)."""

from __future__ import annotations

__all__ = [
    "FILTERS",
    "DecisionForm",
    "Filters",
    "ImportForm",
    "InviteForm",
    "MarkForm",
    "MoveForm",
    "NeedForm",
    "RotateForm",
    "ThresholdForm",
    "WalkInForm",
    "decision_ids",
    "list_filters",
    "read_form",
]

from typing import Annotated, Any, TypeVar

import msgspec
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery, QueryParameter

from registrations import staff
from registrations.reference import COMMISSIONS, LANGUAGE_TAG, PROVISIONS, REGIONAL_GROUPS, STAKEHOLDER_CATEGORIES
from registrations.tables import Need, Registration
from server.errors import FieldError, InvalidInput
from server.i18n import gettext as _
from server.schemas import RowId
from server.validation import decode_form

T = TypeVar("T")

#: The longest reason or note kept (the API's limit); the page's forms cut longer text to it.
TEXT_LIMIT = 2000
#: The most registrations one bulk decision takes (the API's limit).
MAX_IDS = 1000


class DecisionForm(msgspec.Struct):
    """Approve or decline the ticked registrations (a decline with the reason the registrants read)."""

    registration_ids: list[RowId] = []
    reason: str = ""

    def __post_init__(self) -> None:
        self.reason = self.reason[:TEXT_LIMIT]


class MoveForm(msgspec.Struct):
    """Move one registration between the waitlist and the confirmed list."""

    registration_id: RowId
    to: str = ""


class NeedForm(msgspec.Struct):
    """Mark one need arranged or not possible, with a note to the registrant."""

    need_id: RowId
    status: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        self.note = self.note[:TEXT_LIMIT]


class InviteForm(msgspec.Struct):
    """Addresses to invite, typed one per line or separated by commas or spaces (a CSV file may come too)."""

    emails: str = ""

    @property
    def addresses(self) -> list[str]:
        return self.emails.replace(",", "\n").split()


class RotateForm(msgspec.Struct):
    """Give one registrant a new manage link (the old one stops working) and mail it."""

    registration_id: RowId


class MarkForm(msgspec.Struct):
    """Mark the ticked registrations attended, excused or absent, or clear their mark (the check-in desk)."""

    registration_ids: list[RowId] = []
    attendance: str = ""


class WalkInForm(msgspec.Struct):
    """Record someone who came without registering (the check-in desk; the desk checks the fields)."""

    name: str = ""
    email: str = ""
    organisation: str = ""


class ThresholdForm(msgspec.Struct):
    """The minutes of presence that count as attended; none for the default."""

    threshold: int | None = None


class ImportForm(msgspec.Struct):
    """The time zone of a platform's report, when its times carry none (the file comes beside it)."""

    timezone: str = ""


#: What a refused id says: ids come from the list's own buttons and boxes, so the person is told to choose there.
_ID_FIELDS = {"registration_ids", "registration_id", "need_id", "speaker_id"}


def read_form(form: FormMultiDict, target: type[T]) -> T:
    """One staff form as ``target``: its fields' texts (every value of a list field), numbers read from text, a field
    left empty as its default, and an id no row can have refused as a choice not from the list."""
    values: dict[str, Any] = {}
    for name, info in ((f.name, f) for f in msgspec.structs.fields(target)):
        if _is_list(info.type):
            if name in form:
                values[name] = [str(v) for v in form.getall(name)]
        elif str(form.get(name) or "").strip():
            values[name] = str(form.get(name))
    try:
        return decode_form(values, target, strict=False)
    except InvalidInput as error:
        raise InvalidInput(error.detail, [_choice(item) for item in error.errors]) from error


def _is_list(annotation: Any) -> bool:
    return getattr(annotation, "__origin__", None) is list


def _choice(error: FieldError) -> FieldError:
    field = error.field.partition("[")[0]
    if field == "registration_ids":
        return FieldError(field, _("Choose registrations from the list."))
    if field in _ID_FIELDS:
        return FieldError(field, _("Choose from the list."))
    return error


def decision_ids(data: DecisionForm) -> list[int]:
    """The ticked registrations, each once, at most ``MAX_IDS``; none ticked is refused."""
    ids = list(dict.fromkeys(data.registration_ids))
    if not ids:
        raise InvalidInput.field("registration_ids", _("Choose at least one registration."))
    return ids[:MAX_IDS]


def _one_of(*values: str) -> Any:
    """A filter the list checks (``staff.ListFilters.check``): empty (no filter) or one of ``values``."""
    return Annotated[str, QueryParameter(schema_extra={"enum": ["", *values]})]


_LANGUAGE_FILTER = Annotated[str, QueryParameter(schema_extra={"pattern": f"^$|{LANGUAGE_TAG}"})]
_NEED_FILTER = Annotated[str, QueryParameter(schema_extra={"any_of": [
    {"type": "string", "enum": list(dict.fromkeys(["", *Need.Kind._value2member_map_, *PROVISIONS]))},
    {"type": "string", "pattern": LANGUAGE_TAG}]})]


def list_filters(
    search: FromQuery[str] = "",
    status: _one_of(*Registration.Status._value2member_map_) = "",
    category: _one_of(*STAKEHOLDER_CATEGORIES) = "",
    region: _one_of(*REGIONAL_GROUPS, *COMMISSIONS) = "",
    language: _LANGUAGE_FILTER = "",
    need: _NEED_FILTER = "",
) -> staff.ListFilters:
    """The staff list's search and filters from the query string (unchecked: the list checks them, and says a
    refusal beside the filter on the page, as problem+json in the API)."""
    return staff.ListFilters(search, status, category, region, language, need)



#: The dependency ``filters`` of the list page, its CSV and the API's list; a handler takes ``filters: Filters``.
FILTERS = {"filters": Provide(list_filters, sync_to_thread=False)}
Filters = NamedDependency[staff.ListFilters]
