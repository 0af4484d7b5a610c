"""Sample contexts for every mail template, as the context builders give them: each template with every optional
value present ("full") and with none ("bare"), to render all the branches of its body."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from server.mail.render import MailContent

EMAIL_TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "emails"
LANGUAGES = ("en", "fr", "es", "ru", "zh", "ar")

SESSION = {
    "session_title": "Migration data for policy",
    "session_title_language": "en",
    "session_when": "Thursday 3 December 2037, 14:00–15:30 (Europe/Zurich)",
    "session_url": "http://convene.test/sessions/7",
}
SESSION_FULL = {
    **SESSION,
    "session_when_own": "Thursday 3 December 2037, 14:00–15:30 CET",
    "venue": "Palais des Nations, Room XVIII",
}
JOIN = {
    "join_details": True,
    "join_url": "https://meet.example.org/j/123456789",
    "join_meeting_id": "123 456 789",
    "join_passcode": "gcm-2020",
    "join_dial_in": "+41 22 000 00 00\n+1 212 000 0000",
}
PERSON = {"name": "Ana Pérez", "manage_url": "http://convene.test/manage/abc.def"}
CALENDAR_LINKS = {
    "google_calendar_url": "https://calendar.google.com/calendar/render?action=TEMPLATE&text=Migration",
    "outlook_calendar_url": "https://outlook.office.com/calendar/0/deeplink/compose?rru=addevent&subject=M",
}
SPEAKER = {"topic": "Data for returns", "position": 3, "minutes": 5,
           "expected_when": "Thursday 3 December 2037, 14:25"}

#: template → {variant: values}; templates sent with an invite also get the add-to-calendar links.
SAMPLES: dict[str, dict[str, dict[str, Any]]] = {
    "data_erased": {"full": SESSION_FULL, "bare": SESSION},
    "invitation_sent": {
        "full": {**SESSION_FULL, "register_url": "http://convene.test/sessions/7/register?i=xyz"},
        "bare": {**SESSION, "register_url": "http://convene.test/sessions/7"},
    },
    "manage_link_resent": {
        "full": {**SESSION_FULL, **PERSON, "registration_cancelled": True},
        "bare": {**SESSION, **PERSON, "registration_cancelled": False},
    },
    "need_arranged": {
        "full": {**SESSION_FULL, **PERSON, "need_label": "International Sign interpretation",
                 "note": "An interpreter sits by the podium."},
        "bare": {**SESSION, **PERSON, "need_label": "automatic captions", "note": ""},
    },
    "need_not_possible": {
        "full": {**SESSION_FULL, **PERSON, "need_label": "easy-read documents", "note": "None exist yet."},
        "bare": {**SESSION, **PERSON, "need_label": "automatic captions", "note": ""},
    },
    "password_reset": {
        "full": {"name": "Sam Staff", "reset_url": "http://convene.test/staff/password-reset/tok123",
                 "valid_minutes": 30},
        "bare": {"name": "", "reset_url": "http://convene.test/staff/password-reset/tok123", "valid_minutes": 30},
    },
    "registrants_message": {
        "full": {**SESSION_FULL, **PERSON, "message_subject": "Room change",
                 "message_body": "The room is now XVIII.\nBring your badge.\n\nSee you there.",
                 "message_language": "en"},
        "bare": {**SESSION, **PERSON, "message_subject": "Documents", "message_body": "The documents are online.",
                 "message_language": "fr"},
    },
    "registration_approved": {
        "full": {**SESSION_FULL, **PERSON, **JOIN, "status": "confirmed"},
        "bare": {**SESSION, **PERSON, "status": "waitlisted", "position": 4},
    },
    "registration_cancelled": {
        "full": {**SESSION_FULL, **PERSON, "had_invite": True},
        "bare": {**SESSION, **PERSON, "had_invite": False},
    },
    "registration_confirmed": {
        "full": {**SESSION_FULL, **PERSON, **JOIN},
        "bare": {**SESSION, **PERSON, "join_details": False},
    },
    "registration_declined": {
        "full": {**SESSION_FULL, **PERSON, "reason": "The session is for delegates only.", "had_invite": True},
        "bare": {**SESSION, **PERSON, "had_invite": False},
    },
    "registration_pending": {"full": {**SESSION_FULL, **PERSON}, "bare": {**SESSION, **PERSON}},
    "registration_promoted": {"full": {**SESSION_FULL, **PERSON, **JOIN}, "bare": {**SESSION, **PERSON}},
    "registration_waitlisted": {
        "full": {**SESSION_FULL, **PERSON, "position": 2, "had_invite": True},
        "bare": {**SESSION, **PERSON, "position": 12, "had_invite": False},
    },
    "reminder": {
        "full": {**SESSION_FULL, **PERSON, **JOIN},
        "bare": {**SESSION, **PERSON, "join_details": True, "join_url": "https://meet.example.org/j/1"},
    },
    "session_cancelled": {
        "full": {**SESSION_FULL, **PERSON, "had_invite": True, "cancellation_reason": "The speakers cannot come."},
        "bare": {**SESSION, **PERSON, "had_invite": False},
    },
    "session_rescheduled": {
        "full": {**SESSION_FULL, **PERSON, **JOIN, "previous_when": "Wednesday 2 December 2037, 10:00–11:30"},
        "bare": {**SESSION, **PERSON},
    },
    "session_rescheduled_waiting": {
        "full": {**SESSION_FULL, **PERSON, "previous_when": "Wednesday 2 December 2037, 10:00–11:30"},
        "bare": {**SESSION, **PERSON},
    },
    "session_updated": {
        "full": {**SESSION_FULL, **PERSON, **JOIN, "changes_text": ["the title", "the venue"]},
        "bare": {**SESSION, **PERSON, "changes_text": []},
    },
    "speaker_accepted": {"full": {**SESSION_FULL, **PERSON, **SPEAKER}, "bare": {**SESSION, **PERSON, **SPEAKER}},
    "speaker_declined": {
        "full": {**SESSION_FULL, **PERSON, "topic": "Data for returns", "reason": "The list is full."},
        "bare": {**SESSION, **PERSON, "topic": "Data for returns", "reason": ""},
    },
    "speaker_moved": {
        "full": {**SESSION_FULL, **PERSON, **SPEAKER, "previous_expected_when": "Thursday 3 December 2037, 14:10"},
        "bare": {**SESSION, **PERSON, **SPEAKER},
    },
    "staff_approval_needed": {
        "full": {**SESSION, "registrant_name": "Ana Pérez", "registrant_organisation": "Migrants' Forum",
                 "registrations_url": "http://convene.test/staff/sessions/7/registrations",
                 "profile_url": "http://convene.test/staff/profile"},
        "bare": {**SESSION, "registrant_name": "Ana Pérez", "registrant_organisation": "",
                 "registrations_url": "http://convene.test/staff/sessions/7/registrations",
                 "profile_url": "http://convene.test/staff/profile"},
    },
    "summary": {
        "full": {**SESSION, "name": "Ana Pérez", "summary_language": "en",
                 "summary_text": "We looked at census data.\nAnd at surveys.\n\nBoth have gaps.",
                 "outcomes": "A working group is formed.\n\nIt reports in March.",
                 "speakers": [{"label": "Ana Pérez (Migrants' Forum)", "topic": "Census data",
                               "quote": "Count everyone."},
                              {"label": "Li Wei", "topic": "Surveys", "quote": ""}],
                 "recording_url": "https://video.example.org/rec/7",
                 "links": [{"title": "Slides", "url": "https://docs.example.org/slides.pdf"},
                           {"title": "Report", "url": "https://docs.example.org/report"}],
                 "unsubscribe_url": "http://convene.test/summaries/unsubscribe/tok"},
        "bare": {**SESSION, "name": "Ana Pérez", "summary_language": "fr", "summary_text": "Un résumé.",
                 "outcomes": "", "speakers": [], "recording_url": "", "links": [],
                 "unsubscribe_url": "http://convene.test/summaries/unsubscribe/tok"},
    },
}

#: Templates whose mail carries an invite (their full sample gets the add-to-calendar links).
WITH_INVITE = {"registration_confirmed", "registration_approved", "registration_promoted", "session_rescheduled",
               "session_updated"}


def sample_content(template: str, variant: str) -> MailContent:
    values = dict(SAMPLES[template][variant])
    if template in WITH_INVITE and variant == "full":
        return MailContent(values={**values, **CALENDAR_LINKS}, calendar=b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
                           calendar_method="REQUEST")
    return MailContent(values=values)


def template_names() -> list[str]:
    """Every message template (the files not starting with an underscore)."""
    return sorted(path.stem for path in EMAIL_TEMPLATES.glob("*.html") if not path.name.startswith("_"))
