"""What the registration API reads and answers (msgspec): unknown fields refused, text bounded."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType

Name = Annotated[str, msgspec.Meta(max_length=200)]
Email = Annotated[str, msgspec.Meta(max_length=254)]
Code = Annotated[str, msgspec.Meta(max_length=40)]
LongText = Annotated[str, msgspec.Meta(max_length=2000)]
Reason = Annotated[str, msgspec.Meta(max_length=2000)]


class RegistrationCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A registrant's submission (DESIGN.md field names). Codes are checked by the service, which names the field."""

    name: Name
    email: Email
    stakeholder_category: Code
    country: Code
    consent_processing: bool
    organisation: Annotated[str, msgspec.Meta(max_length=300)] = ""
    preferred_language: Code = "en"
    timezone: Annotated[str, msgspec.Meta(max_length=64)] = "UTC"
    consent_listed: bool = False
    consent_recorded: bool = False
    gender: Code | None = None
    delegation_role: Code | None = None
    participation_mode: Code | None = None
    interpretation_language: Code | None = None
    accessibility_needs: Annotated[list[Code], msgspec.Meta(max_length=10)] = msgspec.field(default_factory=list)
    sign_language: Code | None = None
    accessibility_other: LongText = ""
    personal_assistant: bool = False


class RegistrationCreated(msgspec.Struct):
    """The reply to a registration: ``manage_url`` is null on a repeat (the link is mailed instead)."""

    id: int
    status: str
    manage_url: str | None
    waitlist_position: int | None
    participation_mode: str


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


class RegistrationPage(msgspec.Struct):
    items: list[RegistrationOut]
    total: int
    counts: dict[str, int]


class RegistrationUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """What a registrant may change through their link: language, time zone, needs, optional consents.

    A need field left out keeps what was stated; ``null`` clears it (an empty list, for ``accessibility_needs``).
    """

    preferred_language: Code | None = None
    timezone: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    interpretation_language: Code | None | UnsetType = UNSET
    accessibility_needs: Annotated[list[Code], msgspec.Meta(max_length=10)] | None | UnsetType = UNSET
    sign_language: Code | None | UnsetType = UNSET
    accessibility_other: LongText | None | UnsetType = UNSET
    personal_assistant: bool | None = None
    consent_listed: bool | None = None
    consent_recorded: bool | None = None


class BulkDecision(msgspec.Struct, forbid_unknown_fields=True):
    """Approve or decline several registrations at once; a decline needs a reason."""

    registration_ids: Annotated[list[int], msgspec.Meta(min_length=1, max_length=1000)]
    reason: Reason = ""


class Move(msgspec.Struct, forbid_unknown_fields=True):
    """Move a registration between the waitlist and the confirmed list (``to``: confirmed or waitlisted)."""

    to: Code


class NeedDecision(msgspec.Struct, forbid_unknown_fields=True):
    """An organiser marks a need ``arranged`` or ``not_possible``, with a note to the registrant."""

    status: Code
    note: LongText = ""


class InvitationCreate(msgspec.Struct, forbid_unknown_fields=True):
    """Addresses to invite to an ``invitation`` session."""

    emails: Annotated[list[Email], msgspec.Meta(min_length=1, max_length=5000)]


class InvitationResult(msgspec.Struct):
    invited: int
    already_invited: int


class DecisionResult(msgspec.Struct):
    updated: int


class InputCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A written input sent as JSON text (a file comes as multipart with the same fields, the file in ``file``).
    ``registration_id`` (staff only) links an input received by other means to its registrant."""

    title: Annotated[str, msgspec.Meta(max_length=300)]
    language: Code
    text: Annotated[str, msgspec.Meta(max_length=20000)] = ""
    registration_id: int | None = None


class InputOut(msgspec.Struct):
    """A written input: ``kind`` is ``text``, ``pdf``, ``docx`` or ``odt``; a file's ``download_url`` is set."""

    id: int
    session_id: int
    registration_id: int | None
    source: str
    title: str
    language: str
    kind: str
    text: str
    file_name: str
    size: int
    published: bool
    for_summary: bool
    created_at: datetime
    download_url: str | None


class InputList(msgspec.Struct):
    items: list[InputOut]
    total: int


class InputChange(msgspec.Struct, forbid_unknown_fields=True):
    """Organisers publish an input on the session page or mark it for the summary; fields left out stay."""

    published: bool | UnsetType = UNSET
    for_summary: bool | UnsetType = UNSET
