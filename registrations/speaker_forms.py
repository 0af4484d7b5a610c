"""The forms of the organisers' speakers' list page as Structs, each read by ``staff_forms.read_form``: a reason
or quotation longer than the API takes, minutes that are not a whole number, and a speaker id no row can have are
refused beside the field, as the API refuses them."""

from __future__ import annotations

__all__ = ["DeclineForm", "ListSettingsForm", "MinutesForm", "OrderForm", "SpeakerForm", "SpokeForm"]

import msgspec

from registrations.schemas import LongText, Reason
from server.schemas import RowId


class SpeakerForm(msgspec.Struct):
    """One request of the list: move it up or down, accept it, take it off the list, mark its speaker absent."""

    speaker_id: RowId


class DeclineForm(msgspec.Struct):
    """Decline one request with the reason the requester reads (the list requires one)."""

    speaker_id: RowId
    reason: Reason = ""


class SpokeForm(msgspec.Struct):
    """Mark one speaker as having spoken, with the minutes they used if known."""

    speaker_id: RowId
    minutes_used: int | None = None


class MinutesForm(msgspec.Struct):
    """The minutes given to one speaker and the quotation the summary keeps of them."""

    speaker_id: RowId
    minutes: int
    quote: LongText = ""


class OrderForm(msgspec.Struct):
    """The list's new order, as dragging writes it: speaker ids separated by commas."""

    ids: str = ""

    @property
    def speaker_ids(self) -> list[int]:
        # Only this page's script writes the field: anything not a number is left out, the list checks the rest.
        return [int(part) for part in self.ids.split(",") if part.strip().isdecimal()]


class ListSettingsForm(msgspec.Struct):
    """The list's settings; the deadline as the page's local date and time (``YYYY-MM-DDTHH:MM``)."""

    requests_close_at: str = ""
    slot_minutes: int | None = None
    offset_minutes: int | None = None
    default_minutes: int | None = None
