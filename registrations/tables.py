"""Registrations and what hangs off them: needs, the history of status changes, invitations."""

from __future__ import annotations

from enum import Enum

from piccolo.columns import (
    JSON,
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
    #: attended, partial (under the session's threshold), absent or excused once known, else null.
    attendance = Varchar(length=10, null=True, default=None, choices=Attendance)
    #: Minutes attended as the meeting platform's report counted them (rejoins merged), else null.
    minutes_attended = Integer(null=True, default=None)
    #: Came without being registered: recorded at check-in or from an import's review list (took no seat).
    walk_in = Boolean(default=False)
    #: When personal data was erased (by the registrant or retention); null while kept.
    anonymised_at = Timestamptz(null=True, default=None)
    #: When it was made.
    created_at = Timestamptz(default=TimestamptzNow())
    #: Last change.
    updated_at = Timestamptz(default=TimestamptzNow())


#: Registrations that hold or wait for a place: the ones that may still cancel, speak or be written to.
ACTIVE_STATUSES = (Registration.Status.confirmed.value, Registration.Status.waitlisted.value,
                   Registration.Status.pending.value)


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


class SpeakerList(Table):
    """The speakers' list settings of one session (a row appears when an organiser first changes them)."""

    id: Serial
    #: The listening session or regional review (one row per session; unique index in the migration).
    session = ForeignKey(references=Session, null=False, on_delete=OnDelete.cascade)
    #: When requests to speak close; null: 48 hours before the start.
    requests_close_at = Timestamptz(null=True, default=None)
    #: Minutes the speakers' list may take; null: the whole session.
    slot_minutes = Integer(null=True, default=None)
    #: Minutes after the start at which the first speaker takes the floor.
    offset_minutes = Integer(default=0)
    #: Minutes a speaker gets unless the organiser sets their own.
    default_minutes = Integer(default=3)
    #: When the list was published on the session page; null while it is not.
    published_at = Timestamptz(null=True, default=None)


class Speaker(Table):
    """A registrant's request to take the floor, and their place on the speakers' list once accepted."""

    class Status(str, Enum):
        requested = "requested"
        accepted = "accepted"
        declined = "declined"
        spoke = "spoke"
        absent = "absent"

    id: Serial
    #: The session (denormalised from the registration for the list's queries).
    session = ForeignKey(references=Session, null=False, on_delete=OnDelete.cascade, index=True)
    #: Who asks; one request per registration (unique index in the migration).
    registration = ForeignKey(references=Registration, null=False, on_delete=OnDelete.cascade)
    #: What they will speak about.
    topic = Varchar(length=300)
    #: A short summary of the intervention.
    summary = Text(default="")
    #: Language they will speak: the session's floor language or one of its interpretation languages.
    language = Varchar(length=35)
    #: The organisation or network they speak for; empty when they speak for themselves.
    on_behalf_of = Varchar(length=300, default="")
    #: What they need while speaking (e.g. sign-language interpretation of their own intervention).
    needs = Text(default="")
    #: requested, accepted, declined, spoke or absent.
    status = Varchar(length=12, choices=Status, default=Status.requested)
    #: Place on the list from 1 while accepted (and kept once they spoke or were absent); null before.
    position = Integer(null=True, default=None)
    #: Minutes given to the speaker; null: the list's default.
    minutes = Integer(null=True, default=None)
    #: Minutes they actually used, recorded during the session.
    minutes_used = Integer(null=True, default=None)
    #: The organiser's reason for a decline, sent to the requester.
    reason = Text(default="")
    #: The organiser's quotation of the intervention for the summary (attributed as consent allows).
    quote = Text(default="")
    #: The expected time the speaker was last told (accepted or moved mail); null while not told.
    notified_expected_at = Timestamptz(null=True, default=None)
    #: When they asked (the order of requests).
    requested_at = Timestamptz(default=TimestamptzNow())
    #: Last change.
    updated_at = Timestamptz(default=TimestamptzNow())


class AttendanceImport(Table):
    """One meeting platform's attendance file imported for a session (unique per session and content), with the
    summary it gave; the same file again changes nothing."""

    id: Serial
    #: The session.
    session = ForeignKey(references=Session, null=False, on_delete=OnDelete.cascade, index=True)
    #: SHA-256 (hex) of the file's bytes.
    content_sha256 = Varchar(length=64)
    #: ``zoom_webinar``, ``zoom_meeting`` or ``teams``, as detected from the content.
    layout = Varchar(length=20)
    #: IANA zone the report's times were read in.
    timezone = Varchar(length=64)
    #: Participant rows in the file (joins; waiting-room and no-show rows included).
    rows_read = Integer(default=0)
    #: Registrations the file's people were matched to.
    matched = Integer(default=0)
    #: Rows folded into an earlier row of the same person (rejoins).
    merged_rejoins = Integer(default=0)
    #: People no registration matched, put on the review list.
    unmatched = Integer(default=0)
    #: Matched registrations that are walk-ins.
    walk_ins = Integer(default=0)
    #: Hosts and panelists no registration matched (not attendees: left aside).
    hosts = Integer(default=0)
    #: Confirmed registrations the file did not find, marked absent.
    absent = Integer(default=0)
    #: Who imported it.
    imported_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.set_null)
    #: When.
    imported_at = Timestamptz(default=TimestamptzNow())


class UnmatchedAttendee(Table):
    """A person of an imported file whom no registration matched: on the session's review list until an organiser
    matches them to a registration, records them as a walk-in or dismisses them."""

    class Outcome(str, Enum):
        matched = "matched"
        walk_in = "walk_in"
        dismissed = "dismissed"

    id: Serial
    #: The import that found them.
    attendance_import = ForeignKey(references=AttendanceImport, null=False, on_delete=OnDelete.cascade, index=True)
    #: The session (the review list is read by session).
    session = ForeignKey(references=Session, null=False, on_delete=OnDelete.cascade, index=True)
    #: First line of the file about them.
    line = Integer()
    #: Name as the file shows it.
    name = Varchar(length=200)
    #: Address as the file gives it, lower-cased; empty when none.
    email = Varchar(length=254, default="")
    #: Minutes in the meeting (rejoins merged).
    minutes = Integer(default=0)
    #: Null while on the review list; then matched, walk_in or dismissed.
    outcome = Varchar(length=10, null=True, default=None, choices=Outcome)
    #: The registration they were matched to or recorded as.
    registration = ForeignKey(references=Registration, null=True, default=None, on_delete=OnDelete.set_null)
    #: When an organiser settled it.
    settled_at = Timestamptz(null=True, default=None)


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


class Question(Table):
    """An extra question organisers ask the registrants of one session (short text, long text, one choice, several
    choices, yes/no). A question removed keeps its row (``removed_at``) so the answers given stay readable."""

    class Kind(str, Enum):
        short_text = "short_text"
        long_text = "long_text"
        choice = "choice"
        choices = "choices"
        yes_no = "yes_no"

    id: Serial
    #: The session asking it.
    session = ForeignKey(references=Session, null=False, on_delete=OnDelete.cascade, index=True)
    #: Its place on the form, from 1.
    position = Integer(default=1)
    #: short_text, long_text, choice, choices or yes_no.
    kind = Varchar(length=12, choices=Kind)
    #: Whether an answer is required.
    required = Boolean(default=False)
    #: Its wording, a multilingual text ``{"en": "…", "fr": "…"}``.
    label = JSON(default="{}")
    #: For choice questions, ``[{"code": "…", "label": {"en": "…"}}, …]`` in order; empty otherwise.
    choices = JSON(default="[]")
    #: When organisers removed it (its answers stay, under this wording); null while it is asked.
    removed_at = Timestamptz(null=True, default=None)


class Answer(Table):
    """One registrant's answer to one question (unique per registration and question, index in the migration)."""

    id: Serial
    #: Who answered.
    registration = ForeignKey(references=Registration, null=False, on_delete=OnDelete.cascade, index=True)
    #: The question answered.
    question = ForeignKey(references=Question, null=False, on_delete=OnDelete.cascade, index=True)
    #: The answer as JSON: a text, a choice's code, a list of codes, or true/false.
    value = JSON(default="null")
