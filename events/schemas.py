"""JSON shapes of series and sessions (msgspec). Unknown fields are refused; text lengths are bounded here,
rules that need more than a type (zones, language codes, end after start) live in ``events.validation``."""

from __future__ import annotations

__all__ = [
    "AgendaItemIn",
    "AgendaItemOut",
    "ConflictWarning",
    "JoinDetails",
    "Provision",
    "Reschedule",
    "SessionCancel",
    "SeriesCreate",
    "SeriesOut",
    "SeriesUpdate",
    "SessionCreate",
    "SessionList",
    "SessionOut",
    "SessionPublicOut",
    "SessionUpdate",
]

from datetime import datetime
from enum import Enum
from typing import Annotated

import msgspec
import pycountry
from msgspec import UNSET, Meta, UnsetType

from events.tables import Session
from server.schemas import (
    DATE_TIME,
    IN_RANGE_IDS,
    LINE_TEXT,
    MULTILINE_TEXT,
    NON_BLANK_LINE,
    ZONE_NAMES,
    Count,
    RowId,
    stated,
)

Title = Annotated[str, Meta(max_length=300)]
LongText = Annotated[str, Meta(max_length=20000)]
#: A language code as ``events.validation.is_language_code`` reads it (its shape; the primary subtag must also be an
#: ISO 639 language).
LANGUAGE_CODE = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"
_LANGUAGE_KEY = {"type": "string", "maxLength": 35, "pattern": LANGUAGE_CODE}


def _multilingual(max_length: int, text_pattern: str) -> Meta:
    """What msgspec and ``events.validation.multilingual_errors`` check in ``{"en": "…", "fr": "…"}``, stated in the
    document (Litestar documents no bound nested in a dict): the keys' length and shape, each text's length and
    characters."""
    return stated(property_names=_LANGUAGE_KEY,
                  additional_properties={"type": "string", "maxLength": max_length, "pattern": text_pattern})


#: ``{"en": "…", "fr": "…"}``; keys are BCP 47 codes (checked in events.validation).
MultilingualTitle = Annotated[dict[Annotated[str, Meta(max_length=35)], Title], Meta(max_length=20),
                              _multilingual(300, LINE_TEXT)]
MultilingualText = Annotated[dict[Annotated[str, Meta(max_length=35)], LongText], Meta(max_length=20),
                             _multilingual(20000, MULTILINE_TEXT)]
#: A date-time with its offset, in a year people may enter (``server.dates``: 2000 to 2100).
AwareDatetime = Annotated[datetime, Meta(tz=True), stated(pattern=DATE_TIME["pattern"])]
LanguageCode = Annotated[str, Meta(max_length=35), stated(pattern=LANGUAGE_CODE)]
ZoneName = Annotated[str, Meta(max_length=64), stated(enum=ZONE_NAMES)]
#: Minutes before the start a reminder goes out: from one minute to 60 days.
_LANGUAGE_ITEMS = stated(items=_LANGUAGE_KEY)
#: ISO 639-3 codes of sign languages (``events.validation.is_sign_language``: pycountry's, named "… Sign Language").
_SIGN_LANGUAGES = stated(items={"type": "string", "enum": sorted(
    language.alpha_3 for language in pycountry.languages if "sign language" in language.name.lower())})
Venue = Annotated[str, Meta(max_length=2000), stated(pattern=MULTILINE_TEXT)]
SignLanguages = Annotated[list[Annotated[str, Meta(max_length=3)]], Meta(max_length=20), _SIGN_LANGUAGES]
ReminderOffsets = Annotated[list[Annotated[int, Meta(ge=1, le=60 * 24 * 60)]], Meta(max_length=5),
                            stated(items={"type": "integer", "minimum": 1, "maximum": 60 * 24 * 60})]
Minutes = Annotated[int, Meta(ge=0, le=60 * 24 * 366)]


class Provision(str, Enum):
    """Accessibility provisions a session can offer (DESIGN.md)."""

    captions_cart = "captions_cart"
    captions_auto = "captions_auto"
    international_sign = "international_sign"
    national_sign_language = "national_sign_language"
    accessible_documents = "accessible_documents"
    easy_read = "easy_read"
    other = "other"


class Strict(msgspec.Struct, forbid_unknown_fields=True):
    """Base of every request body: unknown fields are an error, not silently dropped."""


class JoinDetails(Strict):
    """How to join online; shown to staff and confirmed participants only."""

    url: Annotated[str, Meta(max_length=2000)] = ""
    meeting_id: Annotated[str, Meta(max_length=100), stated(pattern=LINE_TEXT)] = ""
    passcode: Annotated[str, Meta(max_length=100), stated(pattern=LINE_TEXT)] = ""
    dial_in: Annotated[str, Meta(max_length=2000), stated(pattern=MULTILINE_TEXT)] = ""


class AgendaItemIn(Strict):
    title: MultilingualTitle
    speakers: Annotated[str, Meta(max_length=1000), stated(pattern=LINE_TEXT)] = ""
    minutes: Minutes | None = None


class AgendaItemOut(msgspec.Struct):
    position: int
    title: dict[str, str]
    speakers: str
    minutes: int | None


class SessionCreate(Strict):
    kind: Session.Kind
    title: MultilingualTitle
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    timezone: ZoneName
    floor_language: LanguageCode
    series_id: RowId | None = None
    description: MultilingualText = {}
    capacity: Count | None = None
    audience: Session.Audience = Session.Audience.open
    interpretation_languages: Annotated[list[LanguageCode], Meta(max_length=30), _LANGUAGE_ITEMS] = []
    accessibility_provisions: Annotated[list[Provision], Meta(max_length=10)] = []
    sign_languages: SignLanguages = []
    region: Session.Region = Session.Region.global_
    registration_opens_at: AwareDatetime | None = None
    registration_closes_at: AwareDatetime | None = None
    inputs_close_at: AwareDatetime | None = None
    organiser_ids: Annotated[list[RowId], Meta(max_length=50), IN_RANGE_IDS] = []
    join: JoinDetails | None = None
    venue: Venue = ""
    agenda: Annotated[list[AgendaItemIn], Meta(max_length=100)] = []
    in_person_capacity: Count | None = None
    waitlist_cutoff_minutes: Minutes = 120
    reminder_offsets: ReminderOffsets = msgspec.field(default_factory=lambda: [1440, 60])
    retention_days: Annotated[int, Meta(ge=1, le=3650)] = 365


class SessionUpdate(Strict):
    """A PATCH: only the fields sent change (status has its own routes)."""

    kind: Session.Kind | UnsetType = UNSET
    title: MultilingualTitle | UnsetType = UNSET
    starts_at: AwareDatetime | UnsetType = UNSET
    ends_at: AwareDatetime | UnsetType = UNSET
    timezone: ZoneName | UnsetType = UNSET
    floor_language: LanguageCode | UnsetType = UNSET
    series_id: RowId | None | UnsetType = UNSET
    description: MultilingualText | UnsetType = UNSET
    capacity: Count | None | UnsetType = UNSET
    audience: Session.Audience | UnsetType = UNSET
    interpretation_languages: Annotated[list[LanguageCode], Meta(max_length=30), _LANGUAGE_ITEMS] | UnsetType = UNSET
    accessibility_provisions: Annotated[list[Provision], Meta(max_length=10)] | UnsetType = UNSET
    sign_languages: SignLanguages | UnsetType = UNSET
    region: Session.Region | UnsetType = UNSET
    registration_opens_at: AwareDatetime | None | UnsetType = UNSET
    registration_closes_at: AwareDatetime | None | UnsetType = UNSET
    inputs_close_at: AwareDatetime | None | UnsetType = UNSET
    organiser_ids: Annotated[list[RowId], Meta(max_length=50), IN_RANGE_IDS] | UnsetType = UNSET
    join: JoinDetails | UnsetType = UNSET
    venue: Venue | UnsetType = UNSET
    agenda: Annotated[list[AgendaItemIn], Meta(max_length=100)] | UnsetType = UNSET
    in_person_capacity: Count | None | UnsetType = UNSET
    waitlist_cutoff_minutes: Minutes | UnsetType = UNSET
    reminder_offsets: ReminderOffsets | UnsetType = UNSET
    retention_days: Annotated[int, Meta(ge=1, le=3650)] | UnsetType = UNSET


class Reschedule(Strict):
    starts_at: AwareDatetime
    ends_at: AwareDatetime


ReasonText = Annotated[str, Meta(max_length=2000)]


class SessionCancel(Strict):
    """Why the session is cancelled, in the session's languages: every cancellation mail carries it in its
    reader's language (else the floor language, English, any)."""

    reason: Annotated[dict[Annotated[str, Meta(max_length=35)], ReasonText], Meta(max_length=20),
                      _multilingual(2000, LINE_TEXT)] = {}


class ConflictWarning(msgspec.Struct):
    """The session overlaps another one that shares its series or an organiser."""

    code: str
    session_id: int
    reason: str


class SessionPublicOut(msgspec.Struct, forbid_unknown_fields=True):
    """What anyone may read about a published session: never the join details. Exactly these fields (the schema
    says so), so that the staff view, a superset, is told apart from it."""

    id: int
    series_id: int | None
    kind: str
    title: dict[str, str]
    description: dict[str, str]
    starts_at: datetime
    ends_at: datetime
    timezone: str
    capacity: int | None
    seats_taken: int
    audience: str
    floor_language: str
    interpretation_languages: list[str]
    accessibility_provisions: list[str]
    sign_languages: list[str]
    region: str
    status: str
    registration_opens_at: datetime | None
    registration_closes_at: datetime
    inputs_close_at: datetime
    sequence: int
    venue: str
    in_person_capacity: int | None
    agenda: list[AgendaItemOut]


class SessionOut(SessionPublicOut):
    """The staff view: everything, join details and organisers included, plus conflict warnings."""

    organiser_ids: list[int]
    join: JoinDetails
    waitlist_cutoff_minutes: int
    reminder_offsets: list[int]
    retention_days: int
    warnings: list[ConflictWarning] = []


class SessionList(msgspec.Struct):
    items: list[SessionPublicOut]
    total: int


#: A series' title: one text at least, not blank (``events.series`` drops blank ones; the document asks for none).
_SERIES_TITLE = stated(min_properties=1, property_names=_LANGUAGE_KEY,
                       additional_properties={"type": "string", "maxLength": 300, "pattern": NON_BLANK_LINE})


class SeriesCreate(Strict):
    title: Annotated[MultilingualTitle, _SERIES_TITLE]
    description: MultilingualText = {}


class SeriesUpdate(Strict):
    title: Annotated[MultilingualTitle, _SERIES_TITLE] | UnsetType = UNSET
    description: MultilingualText | UnsetType = UNSET


class SeriesOut(msgspec.Struct):
    id: int
    title: dict[str, str]
    description: dict[str, str]
