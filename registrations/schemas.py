"""What the registration API reads and answers (msgspec): unknown fields refused, text bounded. The written inputs'
schemas are in ``input_schemas.py``, the extra questions' in ``question_schemas.py``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, UnsetType

from registrations.reference import GENDERS, LANGUAGE_TAG, PROVISIONS, STAKEHOLDER_CATEGORIES, country_codes
from registrations.tables import Need, Registration, Speaker
from server.i18n import LANGUAGES
from server.schemas import IN_RANGE_IDS, LINE_TEXT, MULTILINE_TEXT, NON_BLANK_LINE, UN_LANGUAGES, ZONE_NAMES, stated

Name = Annotated[str, msgspec.Meta(max_length=200)]
Email = Annotated[str, msgspec.Meta(max_length=254)]
Code = Annotated[str, msgspec.Meta(max_length=40)]
LongText = Annotated[str, msgspec.Meta(max_length=2000)]
Reason = Annotated[str, msgspec.Meta(max_length=2000)]
#: A note or reason the registrant is sent: line breaks pass, other control characters are refused (``approvals``).
SentText = Annotated[str, msgspec.Meta(max_length=2000), stated(pattern=MULTILINE_TEXT)]
#: One answer to an extra question: a text, a choice's code, several codes, or yes/no (``null`` clears it on a
#: change). Lengths are checked by the service, which names ``answers.<id>``.
AnswerText = Annotated[str, msgspec.Meta(max_length=20000)]
AnswerValue = AnswerText | Annotated[list[Code], msgspec.Meta(max_length=100)] | bool
_NULL = {"type": "null"}
#: What msgspec checks inside ``answers`` (Litestar documents no bound nested in a dict), stated in the document.
_ANSWER = [{"type": "string", "maxLength": 20000},
           {"type": "array", "items": {"type": "string", "maxLength": 40}, "maxItems": 100},
           {"type": "boolean"}]
_ANSWER_KEY = {"type": "string", "maxLength": 20}
#: Answers keyed by the question's id (as a string, as JSON keys are).
Answers = Annotated[
    dict[Annotated[str, msgspec.Meta(max_length=20)], AnswerValue], msgspec.Meta(max_length=100),
    stated(property_names=_ANSWER_KEY, additional_properties={"oneOf": _ANSWER}),
]
AnswerChanges = Annotated[
    dict[Annotated[str, msgspec.Meta(max_length=20)], AnswerValue | None], msgspec.Meta(max_length=100),
    stated(property_names=_ANSWER_KEY, additional_properties={"oneOf": [*_ANSWER, _NULL]}),
]
#: A list of accessibility provision codes, each once (the service checks it, naming ``accessibility_needs``).
_PROVISION_LIST = {"type": "array", "items": {"type": "string", "enum": list(PROVISIONS)}, "uniqueItems": True,
                   "maxItems": 10}
_LANGUAGE_TAG = {"type": "string", "pattern": LANGUAGE_TAG, "maxLength": 40}


class SpeakingRequest(msgspec.Struct, forbid_unknown_fields=True):
    """A request to take the floor (listening sessions and regional reviews): ``language`` is one the session
    offers (its floor language or an interpretation language); ``on_behalf_of`` names the organisation or network
    spoken for (empty: in one's own name); ``needs`` is what the speaker needs while speaking."""

    topic: Annotated[str, msgspec.Meta(max_length=300)]
    language: Code
    summary: LongText = ""
    on_behalf_of: Annotated[str, msgspec.Meta(max_length=300)] = ""
    needs: LongText = ""


class RegistrationCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A registrant's submission (DESIGN.md field names). Codes are checked by the service, which names the field."""

    name: Annotated[Name, stated(pattern=NON_BLANK_LINE)]
    email: Annotated[Email, stated(format="email")]
    stakeholder_category: Annotated[Code, stated(enum=list(STAKEHOLDER_CATEGORIES))]
    country: Annotated[Code, stated(enum=country_codes())]
    #: Must be true: the registration is refused (422, naming the field) without it.
    consent_processing: Annotated[bool, stated(enum=[True])]
    organisation: Annotated[str, msgspec.Meta(max_length=300), stated(pattern=LINE_TEXT)] = ""
    preferred_language: Annotated[Code, UN_LANGUAGES] = "en"
    timezone: Annotated[str, msgspec.Meta(max_length=64), stated(enum=ZONE_NAMES)] = "UTC"
    consent_listed: bool = False
    consent_recorded: bool = False
    gender: Annotated[Code | None, stated(enum=[*GENDERS, None])] = None
    delegation_role: Annotated[Code | None, stated(enum=[*Registration.DelegationRole._value2member_map_, None])] \
        = None
    #: ``online`` or none in an online session; ``in_person`` or ``online`` in a hybrid one (a session with a venue).
    participation_mode: Annotated[Code | None, stated(enum=[*Registration.Mode._value2member_map_, None])] = None
    interpretation_language: Annotated[Code | None, stated(one_of=[_LANGUAGE_TAG, _NULL])] = None
    accessibility_needs: Annotated[list[Code], msgspec.Meta(max_length=10),
                                   stated(items=_PROVISION_LIST["items"], unique_items=True)] = \
        msgspec.field(default_factory=list)
    sign_language: Code | None = None
    accessibility_other: Annotated[LongText, stated(pattern=MULTILINE_TEXT)] = ""
    personal_assistant: bool = False
    #: The token of the invitation link (``?invitation=`` on the session page): required by ``invitation`` sessions.
    invitation: Annotated[str, msgspec.Meta(max_length=500)] | None = None
    speaking_request: SpeakingRequest | None = None
    #: Answers to the session's extra questions, ``{"<question id>": value}``.
    answers: Answers = msgspec.field(default_factory=dict)


class RegistrationCreated(msgspec.Struct):
    """The reply to a registration. Every field is null on a repeat of an address: the link is mailed to the
    address instead, and the answer tells nothing of the existing registration."""

    id: int | None
    status: str | None
    manage_url: str | None
    waitlist_position: int | None
    participation_mode: str | None


class NeedOut(msgspec.Struct):
    id: int
    kind: str
    code: str
    text: str
    status: str
    note: str


class StatusChangeOut(msgspec.Struct, omit_defaults=True):
    """One line of history; ``staff_name`` (the organiser who acted) only in staff views, never the registrant's."""

    from_status: str
    to_status: str
    actor: str
    reason: str
    created_at: datetime
    staff_name: str | None = None


class RegistrationOut(msgspec.Struct):
    """A registration as its registrant sees it (manage link) and as staff see it (plus the staff fields)."""

    id: int
    session_id: int
    status: str
    waitlist_position: int | None
    name: str
    email: str
    organisation: str
    stakeholder_category: str
    country: str
    preferred_language: str
    timezone: str
    gender: str | None
    delegation_role: str | None
    participation_mode: str
    interpretation_language: str | None
    personal_assistant: bool
    consent_processing: bool
    consent_listed: bool
    consent_recorded: bool
    consented_at: datetime
    consent_text_version: str
    created_at: datetime
    needs: list[NeedOut]
    history: list[StatusChangeOut]
    regional_group: str
    commissions: list[str]
    attendance: str | None
    minutes_attended: int | None
    walk_in: bool = False
    #: Answers to the session's extra questions, ``{"<question id>": value}``.
    answers: dict[str, Any] = msgspec.field(default_factory=dict)


class RegistrationPage(msgspec.Struct):
    items: list[RegistrationOut]
    total: int
    counts: dict[str, int]


class RegistrationUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """What a registrant may change through their link: language, time zone, needs, optional consents.

    A need field left out keeps what was stated; ``null`` clears it (an empty list, for ``accessibility_needs``).
    """

    preferred_language: Annotated[Code | None, stated(enum=[*LANGUAGES, None])] = None
    timezone: Annotated[Annotated[str, msgspec.Meta(max_length=64)] | None, stated(enum=[*ZONE_NAMES, None])] = None
    interpretation_language: Annotated[Code | None, stated(one_of=[_LANGUAGE_TAG, _NULL])] | UnsetType = UNSET
    accessibility_needs: Annotated[Annotated[list[Code], msgspec.Meta(max_length=10)] | None,
                                   stated(one_of=[_PROVISION_LIST, _NULL])] | UnsetType = UNSET
    sign_language: Code | None | UnsetType = UNSET
    accessibility_other: Annotated[LongText | None, stated(pattern=MULTILINE_TEXT)] | UnsetType = UNSET
    personal_assistant: bool | None = None
    consent_listed: bool | None = None
    consent_recorded: bool | None = None
    #: Answers to change, by question id; a question left out keeps its answer, ``null`` clears it.
    answers: AnswerChanges | UnsetType = UNSET


class BulkDecision(msgspec.Struct, forbid_unknown_fields=True):
    """Approve or decline several registrations at once; a decline needs a reason."""

    registration_ids: Annotated[list[int], msgspec.Meta(min_length=1, max_length=1000), IN_RANGE_IDS]
    reason: SentText = ""


class Move(msgspec.Struct, forbid_unknown_fields=True):
    """Move a registration between the waitlist and the confirmed list (``to``: confirmed or waitlisted)."""

    to: Code


class NeedDecision(msgspec.Struct, forbid_unknown_fields=True):
    """An organiser marks a need ``arranged`` or ``not_possible``, with a note to the registrant."""

    status: Annotated[Code, stated(enum=[Need.Status.arranged.value, Need.Status.not_possible.value])]
    note: SentText = ""


class InvitationCreate(msgspec.Struct, forbid_unknown_fields=True):
    """Addresses to invite to an ``invitation`` session."""

    emails: Annotated[list[Email], msgspec.Meta(min_length=1, max_length=5000),
                      stated(items={"type": "string", "format": "email", "maxLength": 254})]


class InvitationResult(msgspec.Struct):
    invited: int
    already_invited: int


class DecisionResult(msgspec.Struct):
    updated: int


class SpeakingRequestUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """The registrant changes their request to speak: fields left out stay as they were."""

    topic: Annotated[str, msgspec.Meta(max_length=300)] | None = None
    language: Code | None = None
    summary: LongText | None = None
    on_behalf_of: Annotated[str, msgspec.Meta(max_length=300)] | None = None
    needs: LongText | None = None


class SpeakingCreated(msgspec.Struct):
    id: int
    status: str


class SpeakingOut(msgspec.Struct):
    """A request to speak as its registrant sees it: where it stands, and when they are expected to speak."""

    id: int
    status: str
    topic: str
    summary: str
    language: str
    on_behalf_of: str
    needs: str
    position: int | None
    minutes: int | None
    expected_at: datetime | None
    reason: str
    requested_at: datetime
    counts: bool


class SpeakerOut(msgspec.Struct):
    """One request on the speakers' list (DESIGN.md fields, then what organisers see besides)."""

    id: int
    registration_id: int
    name: str
    stakeholder_category: str
    country: str
    regional_group: str
    language: str
    topic: str
    status: str
    position: int | None
    minutes: int | None
    requested_at: datetime
    summary: str
    on_behalf_of: str
    needs: str
    gender: str | None
    registration_status: str
    consent_listed: bool
    consent_recorded: bool
    minutes_used: int | None
    reason: str
    quote: str
    expected_at: datetime | None


class SpeakerPage(msgspec.Struct):
    items: list[SpeakerOut]
    total: int


class SpeakerSuggestion(msgspec.Struct):
    items: list[SpeakerOut]


class SpeakerOrder(msgspec.Struct, forbid_unknown_fields=True):
    """Accept these requests, in this order (positions 1, 2, …); requests accepted before and not listed leave
    the list."""

    ids: Annotated[list[int], msgspec.Meta(max_length=1000)]


#: Minutes a speaker is given or used: 1 to ``speaker_decisions.MAX_MINUTES`` (240), checked there.
_SPEAKING_MINUTES = stated(minimum=1, maximum=240)


class SpeakerChange(msgspec.Struct, forbid_unknown_fields=True):
    """An organiser changes one request: ``status`` (requested, accepted, declined, spoke, absent), ``minutes``
    given, ``reason`` (required to decline), ``position`` on the list, ``minutes_used`` and ``quote``."""

    status: Annotated[Code | None, stated(enum=[*Speaker.Status._value2member_map_, None])] = None
    minutes: Annotated[int | None, _SPEAKING_MINUTES] = None
    reason: Reason | None = None
    position: Annotated[int | None, stated(minimum=1)] = None
    minutes_used: Annotated[int | None, _SPEAKING_MINUTES] = None
    quote: LongText | None = None


class SpeakerListSettings(msgspec.Struct, forbid_unknown_fields=True):
    """The list's settings: when requests close, the slot, where it starts, default minutes, publication."""

    requests_close_at: datetime | None | UnsetType = UNSET
    slot_minutes: Annotated[int | None, stated(minimum=1, maximum=24 * 60)] | UnsetType = UNSET
    offset_minutes: Annotated[int | None, stated(minimum=0, maximum=24 * 60)] = None
    default_minutes: Annotated[int | None, _SPEAKING_MINUTES] = None
    published: bool | None = None


class SpeakerListSettingsOut(msgspec.Struct):
    """The list's settings as they apply (defaults filled in) and the time the accepted speakers take."""

    requests_close_at: datetime
    slot_minutes: int
    offset_minutes: int
    default_minutes: int
    published: bool
    minutes_on_list: int


class AttendanceImportOut(msgspec.Struct):
    """What an attendance import did: ``rows_read`` (participant rows of the file), ``matched`` (registrations
    found), ``merged_rejoins`` (rows folded into the same person's earlier row), ``unmatched`` (put on the review
    list), ``walk_ins`` (matched registrations that are walk-ins), ``hosts`` (hosts and panelists matched to no
    registration, left aside), ``absent`` (confirmed registrations the file did not find); ``already_imported``
    when this very file was imported before (nothing changed; the counts are the first import's)."""

    id: int
    layout: str
    timezone: str
    rows_read: int
    matched: int
    merged_rejoins: int
    unmatched: int
    walk_ins: int
    hosts: int
    absent: int
    already_imported: bool
