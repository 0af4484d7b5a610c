"""Human, translated names for the codes registrations use."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "ATTENDANCE", "CATEGORIES", "DELEGATION_ROLES", "GENDERS", "INPUT_KINDS", "LAYOUTS", "MESSAGE_KINDS", "MODES",
    "NEED_STATUSES", "REASONS", "REGIONAL_GROUPS", "SPEAKER_STATUSES", "STATUSES",
    "country_choices", "country_name", "describe_need", "reason_label",
]

from babel import Locale

from registrations.reference import is_country
from registrations.tables import Need
from server.i18n import current_locale
from server.i18n import lazy_gettext as _l

CATEGORIES = {
    "member_state": _l("Member State"),
    "observer_state": _l("Observer State"),
    "un_system": _l("United Nations system"),
    "igo": _l("Intergovernmental organisation"),
    "migrants": _l("Migrants"),
    "civil_society": _l("Civil society"),
    "migrant_diaspora_org": _l("Migrant and diaspora organisation"),
    "faith_based_org": _l("Faith-based organisation"),
    "local_authority": _l("Local authority"),
    "private_sector": _l("Private sector"),
    "trade_union": _l("Trade union"),
    "parliamentarian": _l("Parliamentarian"),
    "nhri": _l("National human rights institution"),
    "red_cross_red_crescent": _l("Red Cross and Red Crescent"),
    "academia": _l("Academia"),
    "media": _l("Media"),
    "youth": _l("Youth"),
    "other": _l("Other"),
}
GENDERS = {
    "woman": _l("Woman"),
    "man": _l("Man"),
    "non_binary": _l("Non-binary"),
    "another": _l("Another gender"),
    "prefer_not_to_say": _l("Prefer not to say"),
}
DELEGATION_ROLES = {"head_of_delegation": _l("Head of delegation"), "member": _l("Member of a delegation")}
MODES = {"online": _l("Online"), "in_person": _l("In person")}
STATUSES = {
    "pending": _l("Awaiting approval"),
    "confirmed": _l("Confirmed"),
    "waitlisted": _l("On the waitlist"),
    "declined": _l("Declined"),
    "cancelled": _l("Cancelled"),
}
SPEAKER_STATUSES = {
    "requested": _l("Requested"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
    "spoke": _l("Spoke"),
    "absent": _l("Absent"),
}
ATTENDANCE = {
    "attended": _l("Attended"),
    "partial": _l("Attended in part"),
    "absent": _l("Absent"),
    "excused": _l("Excused"),
}
LAYOUTS = {
    "zoom_webinar": _l("Zoom webinar attendee report"),
    "zoom_meeting": _l("Zoom meeting participants export"),
    "teams": _l("Microsoft Teams attendance report"),
}
NEED_STATUSES = {"requested": _l("Requested"), "arranged": _l("Arranged"), "not_possible": _l("Not possible")}
#: Reasons Convene itself records in a registration's history (stored as these codes, shown translated). Organisers'
#: own words (a decline reason) are stored and shown as they wrote them. The spelled-out keys are rows written
#: before the codes.
REASONS = {
    "seat_freed": _l("A seat was freed"),
    "moved_by_organiser": _l("Moved by an organiser"),
    "erased": _l("Personal data erased"),
    "registered_again": _l("Registered again"),
    "walk_in": _l("Came without registering (walk-in)"),
    "seat freed": _l("A seat was freed"),
    "moved by organiser": _l("Moved by an organiser"),
}
REGIONAL_GROUPS = {
    "african": _l("African Group"),
    "asia_pacific": _l("Asia-Pacific Group"),
    "eastern_european": _l("Eastern European Group"),
    "latin_american_caribbean": _l("Latin American and Caribbean Group"),
    "weog": _l("Western European and Others Group"),
    "none": _l("No regional group"),
}


def reason_label(reason: str) -> str:
    """Why a status changed, in the viewer's language: Convene's own reasons translated, organisers' words as is."""
    return str(REASONS[reason]) if reason in REASONS else reason


def describe_need(kind: str, code: str, text: str) -> str:
    """A need in the viewer's language: the language to listen in, the provision (with the sign language asked
    for), or the free text."""
    from events.labels import PROVISIONS, sign_language_name
    from server.i18n import gettext, language_name

    if kind == Need.Kind.interpretation:
        return gettext("Interpretation into %(language)s", language=language_name(code))
    name = str(PROVISIONS.get(code or "other", code))
    if code == "national_sign_language" and text:
        return f"{name}: {sign_language_name(text)}"
    return f"{name}: {text}" if text else name


def country_name(code: str) -> str:
    """The country's name in the viewer's language (CLDR, through Babel)."""
    return Locale.parse(current_locale()).territories.get(code, code)


def country_choices() -> list[tuple[str, str]]:
    """Every ISO 3166-1 country as (code, name), sorted by name in the viewer's language."""
    names = Locale.parse(current_locale()).territories
    return sorted(((code, name) for code, name in names.items() if is_country(code)), key=lambda c: c[1])


def _choices(labels: dict) -> list[tuple[str, str]]:
    return [(code, str(text)) for code, text in labels.items()]


def registration_choices(
    session: dict, held: Iterable[str] = (), held_sign_language: str | None = None
) -> dict[str, list[tuple[str, str]]]:
    """The registration form's option lists, translated for the viewer (the session page includes the form).

    Needs are offered as the session offers them: its interpretation languages, its accessibility provisions
    (with ``other``, and any provision in ``held``, the codes a registration already asks for), its sign
    languages by name (and ``held_sign_language``); the form and the manage page show the same lists."""
    from events.labels import PROVISIONS, sign_language_name
    from server.i18n import LANGUAGES, autonym, language_name

    offered = list(session.get("interpretation_languages") or [])
    provisions = {*(session.get("accessibility_provisions") or ()), *held, "other"}
    signs = list(session.get("sign_languages") or ())
    if held_sign_language and held_sign_language not in signs:
        signs.append(held_sign_language)
    return {
        "categories": _choices(CATEGORIES),
        "countries": country_choices(),
        "delegation_roles": _choices(DELEGATION_ROLES),
        "genders": _choices(GENDERS),
        "modes": _choices(MODES),
        "languages": [(code, autonym(code)) for code in LANGUAGES],
        "interpretation": [(code, language_name(code)) for code in offered],
        "provisions": [(code, str(text)) for code, text in PROVISIONS.items() if code in provisions],
        "sign_languages": [(code, sign_language_name(code)) for code in signs],
    }


def staff_filter_choices(session: dict) -> dict[str, list[tuple[str, str]]]:
    """The staff list's filters as lists of words (the values stay the codes the filters take): categories,
    regional groups and Commissions, languages (the six and the session's interpretation languages), needs."""
    from events.labels import PROVISIONS, REGIONS
    from server.i18n import LANGUAGES, gettext, language_name

    spoken = list(dict.fromkeys([*LANGUAGES, *(session.get("interpretation_languages") or [])]))
    return {
        "categories": _choices(CATEGORIES),
        "regional_groups": _choices(REGIONAL_GROUPS),
        "commissions": [(code, str(text)) for code, text in REGIONS.items() if code != "global"],
        "languages": sorted(((code, language_name(code)) for code in spoken), key=lambda c: c[1].casefold()),
        "needs": [
            *((code, gettext("Interpretation into %(language)s", language=language_name(code)))
              for code in session.get("interpretation_languages") or []),
            ("interpretation", gettext("Any interpretation")),
            *_choices(PROVISIONS),
            ("accessibility", gettext("Any accessibility provision")),
        ],
    }


#: The mail templates under templates/emails/, as the staff outbox page names them.
MESSAGE_KINDS = {
    "data_erased": _l("Data erased, invite withdrawn"),
    "invitation_sent": _l("Invitation to register"),
    "manage_link_resent": _l("Manage link sent again"),
    "need_arranged": _l("Need arranged"),
    "password_reset": _l("Password reset link (to staff)"),
    "need_not_possible": _l("Need not possible"),
    "registrants_message": _l("Message from the organisers"),
    "registration_approved": _l("Registration approved"),
    "registration_cancelled": _l("Registration cancelled"),
    "registration_confirmed": _l("Registration confirmed"),
    "registration_declined": _l("Registration declined"),
    "registration_pending": _l("Registration awaiting approval"),
    "registration_promoted": _l("Promoted from the waitlist"),
    "registration_waitlisted": _l("Placed on the waitlist"),
    "reminder": _l("Reminder"),
    "session_cancelled": _l("Session cancelled"),
    "session_rescheduled": _l("Session rescheduled"),
    "session_rescheduled_waiting": _l("Session rescheduled (to those waiting)"),
    "session_updated": _l("Session details changed"),
    "speaker_accepted": _l("Request to speak accepted"),
    "speaker_declined": _l("Request to speak declined"),
    "speaker_moved": _l("Speaking time changed"),
    "staff_approval_needed": _l("Approval needed (notice to staff)"),
    "summary": _l("Post-session summary"),
}


#: What a written input is: a text, or a document of one of these types.
INPUT_KINDS = {
    "": _l("Text"),
    "pdf": _l("PDF document"),
    "docx": _l("Word document (DOCX)"),
    "odt": _l("OpenDocument text (ODT)"),
}


def template_globals() -> dict:
    """Loaded by server.app into every template."""
    return {
        "registration_choices": registration_choices,
        "staff_filter_choices": staff_filter_choices,
        "registration_status_label": lambda code: str(STATUSES.get(code, code)),
        "need_status_label": lambda code: str(NEED_STATUSES.get(code, code)),
        "speaker_status_label": lambda code: str(SPEAKER_STATUSES.get(code, code)),
        "attendance_label": lambda code: str(ATTENDANCE[code]) if code in ATTENDANCE else str(_l("Not recorded")),
        "layout_label": lambda code: str(LAYOUTS.get(code, code)),
        "reason_label": reason_label,
        "describe_need": lambda need: describe_need(need.kind, need.code, need.text),
        "category_label": lambda code: str(CATEGORIES.get(code, code)),
        "regional_group_label": lambda code: str(REGIONAL_GROUPS.get(code, code)),
        "mode_label": lambda code: str(MODES.get(code, code)),
        "message_kind_label": lambda code: str(MESSAGE_KINDS.get(code, code)),
        "country_name": country_name,
        "input_kind_label": lambda kind: str(INPUT_KINDS.get(kind or "", kind)),
    }
