"""Series of sessions, sessions, their agenda and organisers."""

from __future__ import annotations

from enum import Enum

from piccolo.columns import (
    JSON,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.tables import User


class Series(Table):
    """A run of related sessions ("Mobility in the Time of COVID-19")."""

    id: Serial
    #: Multilingual title, ``{"en": "…", "fr": "…"}``.
    title = JSON(default="{}")
    #: Multilingual description.
    description = JSON(default="{}")
    #: When it was made.
    created_at = Timestamptz(default=TimestamptzNow())


class Session(Table, tablename="event_session"):
    """One meeting: a webinar, listening session, regional review, briefing or meeting."""

    class Kind(str, Enum):
        webinar = "webinar"
        listening_session = "listening_session"
        regional_review = "regional_review"
        briefing = "briefing"
        meeting = "meeting"

    class Audience(str, Enum):
        open = "open"
        approval = "approval"
        invitation = "invitation"

    class Status(str, Enum):
        draft = "draft"
        published = "published"
        cancelled = "cancelled"
        completed = "completed"

    class Region(str, Enum):
        global_ = "global"
        ECA = "ECA"
        ECE = "ECE"
        ECLAC = "ECLAC"
        ESCAP = "ESCAP"
        ESCWA = "ESCWA"

    id: Serial
    #: The series it belongs to, if any.
    series = ForeignKey(references=Series, null=True, default=None)
    #: What sort of meeting (Kind).
    kind = Varchar(length=32, choices=Kind)
    #: Multilingual title, ``{"en": "…"}``; falls back to the floor language.
    title = JSON(default="{}")
    #: Multilingual description.
    description = JSON(default="{}")
    #: Start, aware.
    starts_at = Timestamptz()
    #: End, aware, after the start.
    ends_at = Timestamptz()
    #: The session's own IANA time zone, in which it is shown besides the viewer's.
    timezone = Varchar(length=64)
    #: Online seats; null means no limit.
    capacity = Integer(null=True, default=None)
    #: Online seats claimed by confirmed registrations (guarded: never above capacity).
    seats_taken = Integer(default=0)
    #: In-person seats of a hybrid session; null when there is no venue or no limit.
    in_person_capacity = Integer(null=True, default=None)
    #: In-person seats claimed.
    in_person_seats_taken = Integer(default=0)
    #: Registrations waiting for an online seat; kept by the database itself (triggers on ``registration``, see
    #: ``registrations.seats``), so a newcomer's place in line is read, not counted.
    waiting = Integer(default=0)
    #: Registrations waiting for an in-person seat, kept the same way.
    in_person_waiting = Integer(default=0)
    #: Who may register: ``open``, ``approval`` or ``invitation``.
    audience = Varchar(length=16, choices=Audience, default=Audience.open)
    #: The language spoken on the floor (BCP 47).
    floor_language = Varchar(length=35)
    #: Spoken languages interpreted into (BCP 47 codes).
    interpretation_languages = JSON(default="[]")
    #: Accessibility provision codes offered (DESIGN.md), e.g. ``["captions_cart", "international_sign"]``.
    accessibility_provisions = JSON(default="[]")
    #: ISO 639-3 codes of national sign languages offered (with ``national_sign_language``).
    sign_languages = JSON(default="[]")
    #: ``global`` or a UN Regional Commission.
    region = Varchar(length=8, choices=Region, default=Region.global_)
    #: draft → published → completed, or cancelled.
    status = Varchar(length=16, choices=Status, default=Status.draft, index=True)
    #: Registration opens; null means from publishing.
    registration_opens_at = Timestamptz(null=True, default=None)
    #: Registration closes; null means at the start.
    registration_closes_at = Timestamptz(null=True, default=None)
    #: Registrants' written inputs are taken until then; null means until the start.
    inputs_close_at = Timestamptz(null=True, default=None)
    #: Calendar SEQUENCE, raised on every change participants can see (RFC 5545).
    sequence = Integer(default=0)
    #: Meeting platform link: revealed only to confirmed participants.
    join_url = Varchar(length=2000, default="")
    #: Meeting id on the platform.
    join_meeting_id = Varchar(length=100, default="")
    #: Meeting passcode.
    join_passcode = Varchar(length=100, default="")
    #: Dial-in numbers, one per line.
    join_dial_in = Text(default="")
    #: Venue of a hybrid session (address); empty for online-only.
    venue = Text(default="")
    #: Minutes before the start after which the waitlist no longer promotes.
    waitlist_cutoff_minutes = Integer(default=120)
    #: Minutes before the start at which reminders go out.
    reminder_offsets = JSON(default="[1440, 60]")
    #: Days after the end that personal data is kept.
    retention_days = Integer(default=365)
    #: Attendance under this many minutes is ``partial``; null means half the scheduled length.
    attendance_threshold_minutes = Integer(null=True, default=None)
    #: Days before the start by which needs must be booked, per kind (``sign_language``, ``captioning``,
    #: ``interpretation``, ``accessible_documents``); a kind not set keeps the default (planning board).
    need_lead_days = JSON(default="{}")
    #: Who made it.
    created_by = ForeignKey(references=User, null=True, default=None)
    #: When it was made.
    created_at = Timestamptz(default=TimestamptzNow())
    #: Last change.
    updated_at = Timestamptz(default=TimestamptzNow())
    #: When it was first published.
    published_at = Timestamptz(null=True, default=None)


class AgendaItem(Table):
    """One item of a session's agenda, in order."""

    id: Serial
    #: The session.
    session = ForeignKey(references=Session, null=False)
    #: Order within the agenda, from 1.
    position = Integer(default=1)
    #: Multilingual title.
    title = JSON(default="{}")
    #: Speakers, as shown.
    speakers = Text(default="")
    #: Planned length in minutes.
    minutes = Integer(null=True, default=None)


class SessionOrganiser(Table):
    """A staff user assigned to run a session."""

    id: Serial
    #: The session.
    session = ForeignKey(references=Session, null=False, index=True)
    #: The organiser.
    user = ForeignKey(references=User, null=False, index=True)


class SessionSummary(Table):
    """What the organisers write after a session, in one language: one row per session and language (unique
    index in the migration). Participants get it in their language, else the floor language."""

    id: Serial
    #: The session.
    session = ForeignKey(references=Session, null=False, index=True)
    #: One of the six UN languages.
    language = Varchar(length=8)
    #: What was said and decided, as plain text.
    summary = Text(default="")
    #: Outcomes and next steps, as plain text.
    outcomes = Text(default="")
    #: Link to the recording, or empty.
    recording_url = Varchar(length=2000, default="")
    #: Documents and links: ``[{"title": "…", "url": "https://…"}]``.
    links = JSON(default="[]")
    #: Who last changed it.
    updated_by = ForeignKey(references=User, null=True, default=None)
    #: Last change.
    updated_at = Timestamptz(default=TimestamptzNow())


class SummarySending(Table):
    """One sending of a session's summary to an audience (attendees, all registrants or absentees)."""

    class Audience(str, Enum):
        attendees = "attendees"
        registrants = "registrants"
        absentees = "absentees"

    id: Serial
    #: The session.
    session = ForeignKey(references=Session, null=False, index=True)
    #: Who it went to (Audience).
    audience = Varchar(length=16, choices=Audience)
    #: Messages queued by it (each person gets a session's summary once).
    recipients = Integer(default=0)
    #: Who sent it.
    sent_by = ForeignKey(references=User, null=True, default=None)
    #: When.
    sent_at = Timestamptz(default=TimestamptzNow())


class SummaryOptOut(Table):
    """An address that unsubscribed from post-session summaries (List-Unsubscribe); only its SHA-256 is kept."""

    id: Serial
    #: SHA-256 hex digest of the lower-cased address.
    email_hash = Varchar(length=64, unique=True)
    #: When it unsubscribed.
    created_at = Timestamptz(default=TimestamptzNow())
