"""Registrations and what hangs off them: needs, the history of status changes, invitations."""

from __future__ import annotations

from enum import Enum

from piccolo.columns import (
    Boolean,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from events.tables import Session
from server.tables import User


class Registration(Table):
    """One person registered for one session (unique per session and email)."""

    class Status(str, Enum):
        pending = "pending"
        confirmed = "confirmed"
        waitlisted = "waitlisted"
        declined = "declined"
        cancelled = "cancelled"

    class Mode(str, Enum):
        online = "online"
        in_person = "in_person"

    class DelegationRole(str, Enum):
        head_of_delegation = "head_of_delegation"
        member = "member"

    class Attendance(str, Enum):
        attended = "attended"
        partial = "partial"
        absent = "absent"
        excused = "excused"

    id: Serial
    #: The session registered for.
    session = ForeignKey(references=Session, null=False, on_delete=OnDelete.cascade, index=True)
    #: Full name as given.
    name = Varchar(length=200)
    #: Address, validated and lower-cased; unique per session (index in the migration).
    email = Varchar(length=254)
    #: Organisation, delegation or institution.
    organisation = Varchar(length=300, default="")
    #: Stakeholder category code (DESIGN.md list).
    stakeholder_category = Varchar(length=32)
    #: ISO 3166-1 alpha-2 country code; regional group and Commissions derive from it.
    country = Varchar(length=2)
    #: Language for mail and pages: one of the six UN languages.
    preferred_language = Varchar(length=8, default="en")
    #: IANA time zone in which the registrant reads dates.
    timezone = Varchar(length=64, default="UTC")
    #: Self-described gender code, or null when not given.
    gender = Varchar(length=20, null=True, default=None)
    #: ``head_of_delegation`` or ``member`` for delegations, else null.
    delegation_role = Varchar(length=20, null=True, default=None, choices=DelegationRole)
    #: ``online`` or ``in_person`` (hybrid sessions); each mode has its own capacity and waitlist.
    participation_mode = Varchar(length=10, default=Mode.online, choices=Mode)
    #: Language (BCP 47) they want to listen in; recorded even when not offered, as demand.
    interpretation_language = Varchar(length=35, null=True, default=None)
    #: Whether a personal assistant comes along (the assistant takes no seat).
    personal_assistant = Boolean(default=False)
    #: Consent to processing (required) with the privacy notice.
    consent_processing = Boolean(default=False)
    #: May appear in the participant and speakers' lists.
    consent_listed = Boolean(default=False)
    #: May be recorded and quoted by name (listening sessions).
    consent_recorded = Boolean(default=False)
    #: When the consents were last given or changed.
    consented_at = Timestamptz(default=TimestamptzNow())
    #: Version of the privacy notice and consent texts shown.
    consent_text_version = Varchar(length=32, default="")
    #: pending, confirmed, waitlisted, declined or cancelled.
    status = Varchar(length=12, choices=Status, index=True)
    #: Place in the waitlist of its mode, increasing in order of arrival; null when not waitlisted.
    waitlist_order = Integer(null=True, default=None)
    #: Random nonce signed into the manage link; replacing it revokes every earlier link.
    manage_nonce = Varchar(length=64)
    #: Attendance once known (later issue), else null.
    attendance = Varchar(length=10, null=True, default=None, choices=Attendance)
    #: Minutes attended once known, else null.
    minutes_attended = Integer(null=True, default=None)
    #: When personal data was erased (by the registrant or retention); null while kept.
    anonymised_at = Timestamptz(null=True, default=None)
    #: When it was made.
    created_at = Timestamptz(default=TimestamptzNow())
    #: Last change.
    updated_at = Timestamptz(default=TimestamptzNow())


class Need(Table):
    """Something a registrant asks for, tracked to fulfilment: requested → arranged | not_possible."""

    class Kind(str, Enum):
        interpretation = "interpretation"
        accessibility = "accessibility"
        other = "other"

    class Status(str, Enum):
        requested = "requested"
        arranged = "arranged"
        not_possible = "not_possible"

    id: Serial
    #: Whose need it is.
    registration = ForeignKey(references=Registration, null=False, on_delete=OnDelete.cascade, index=True)
    #: interpretation, accessibility or other.
    kind = Varchar(length=16, choices=Kind)
    #: Language code (interpretation) or provision code (accessibility); empty for free text.
    code = Varchar(length=35, default="")
    #: Free text (``other`` provision, details).
    text = Text(default="")
    #: requested, arranged or not_possible.
    status = Varchar(length=12, choices=Status, default=Status.requested)
    #: Organiser's note to the registrant.
    note = Text(default="")
    #: Last change.
    updated_at = Timestamptz(default=TimestamptzNow())


class StatusChange(Table):
    """One change of a registration's status: who, when and why."""

    id: Serial
    #: The registration.
    registration = ForeignKey(references=Registration, null=False, on_delete=OnDelete.cascade, index=True)
    #: Status before; empty for the first.
    from_status = Varchar(length=12, default="")
    #: Status after.
    to_status = Varchar(length=12)
    #: ``registrant``, ``system`` or ``staff``.
    actor = Varchar(length=12)
    #: The staff member, when ``actor`` is ``staff``.
    staff_user = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.set_null)
    #: Why: an organiser's words (a decline reason), or a code of Convene's own (``seat_freed``…, see labels.REASONS).
    reason = Text(default="")
    #: When.
    created_at = Timestamptz(default=TimestamptzNow())


class Invitation(Table):
    """An email invited to register for an ``invitation`` session (unique per session and email)."""

    id: Serial
    #: The session.
    session = ForeignKey(references=Session, null=False, on_delete=OnDelete.cascade, index=True)
    #: Invited address, lower-cased.
    email = Varchar(length=254)
    #: When the invitation was made.
    invited_at = Timestamptz(default=TimestamptzNow())
    #: Whether a registration used it.
    used = Boolean(default=False)


class WrittenInput(Table):
    """A written input to a session: a text or a file (PDF, DOCX, ODT), from a registrant or uploaded by staff."""

    class Source(str, Enum):
        registrant = "registrant"
        staff = "staff"

    id: Serial
    #: The session it is an input to.
    session = ForeignKey(references=Session, null=False, on_delete=OnDelete.cascade, index=True)
    #: The registrant who sent it, or the one staff linked it to; null for inputs staff received from no registrant.
    registration = ForeignKey(references=Registration, null=True, default=None, on_delete=OnDelete.cascade,
                              index=True)
    #: ``registrant`` (through the manage link) or ``staff`` (received by other means and uploaded).
    source = Varchar(length=12, choices=Source)
    #: The staff member who uploaded it, when ``source`` is ``staff``.
    uploaded_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.set_null)
    #: Its title, as given.
    title = Varchar(length=300)
    #: The language it is written in (BCP 47).
    language = Varchar(length=35)
    #: The text of a text input; empty for a file.
    text = Text(default="")
    #: The generated name of its file under the uploads folder (``<32 hex>.<pdf|docx|odt>``); empty for a text.
    stored_name = Varchar(length=64, default="")
    #: The file's name as sent (checked: no path, no control or bidirectional characters), for downloads.
    file_name = Varchar(length=255, default="")
    #: The file's type found from its content: ``pdf``, ``docx`` or ``odt``; empty for a text.
    file_kind = Varchar(length=8, default="")
    #: The file's size in bytes; 0 for a text.
    size = Integer(default=0)
    #: Shown and downloadable on the public session page.
    published = Boolean(default=False)
    #: Marked by organisers to feed into the session's summary.
    for_summary = Boolean(default=False)
    #: When it was received.
    created_at = Timestamptz(default=TimestamptzNow())
