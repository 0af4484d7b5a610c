"""The rules of the speakers' list that need no database: which sessions take requests to speak and until when,
what a request must satisfy (``check_request``), and the balanced order DESIGN.md states (``balanced_order``).
The requests and the list themselves are ``registrations/speakers.py``."""

from __future__ import annotations

__all__ = [
    "DEFAULT_DEADLINE", "SPEAKING_KINDS", "SpeakerClosed", "balanced_order", "check_request", "requests_close_at",
]

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from events.tables import Session
from registrations.schemas import SpeakerOut, SpeakingRequest, SpeakingRequestUpdate
from server.errors import Conflict, FieldError, InvalidInput
from server.i18n import gettext as _
from server.validation import check_text

#: Requests to speak close this long before the start unless the organisers set another deadline.
DEFAULT_DEADLINE = timedelta(hours=48)
#: The kinds of session that have a speakers' list.
SPEAKING_KINDS = frozenset({Session.Kind.listening_session.value, Session.Kind.regional_review.value})


class SpeakerClosed(Conflict):
    """Requests to speak are closed: past the deadline, or the session is over."""


def _field_error(prefix: str, field: str, message: str) -> FieldError:
    return FieldError(f"{prefix}{field}", message)


def requests_close_at(session: dict[str, Any], settings_row: dict[str, Any] | None) -> datetime:
    """When requests to speak close: the organisers' deadline, else ``DEFAULT_DEADLINE`` before the start."""
    if settings_row and settings_row["requests_close_at"] is not None:
        return settings_row["requests_close_at"]
    return session["starts_at"] - DEFAULT_DEADLINE


def _offered_languages(session: dict[str, Any]) -> list[str]:
    return [session["floor_language"], *(session.get("interpretation_languages") or [])]


def _check_text(data: Any, prefix: str, errors: list[FieldError]) -> None:
    for name, multiline in (("topic", False), ("on_behalf_of", False), ("summary", True), ("needs", True)):
        value = getattr(data, name)
        if value is not None:
            found: list[FieldError] = []
            check_text(name, value, found, multiline=multiline)
            errors.extend(_field_error(prefix, e.field, e.message) for e in found)


def check_request(session: dict[str, Any], data: SpeakingRequest | SpeakingRequestUpdate, *, prefix: str = "",
                  now: datetime | None = None, settings_row: dict[str, Any] | None = None) -> None:
    """Refuse a request the session cannot take, naming the field (``prefix`` names it inside a registration):
    other kinds of session (409 ``kind``), a session not published or cancelled (409 ``status``), past the deadline
    (409 ``deadline``), an empty topic or a language the session does not offer (422)."""
    if session["kind"] not in SPEAKING_KINDS:
        message = _("Only listening sessions and regional reviews take requests to speak.")
        raise Conflict(message, [_field_error(prefix, "kind", message)])
    if session["status"] != Session.Status.published.value:
        message = _("The session is not open for requests to speak.")
        raise Conflict(message, [_field_error(prefix, "status", message)])
    if (now or datetime.now(UTC)) >= requests_close_at(session, settings_row):
        message = _("Requests to speak for this session have closed.")
        raise SpeakerClosed(message, [_field_error(prefix, "deadline", message)])
    errors: list[FieldError] = []
    if data.topic is not None and not data.topic.strip():
        errors.append(_field_error(prefix, "topic", _("Say what you will speak about.")))
    if data.language is not None and data.language not in _offered_languages(session):
        errors.append(_field_error(prefix, "language", _("Choose a language this session offers.")))
    _check_text(data, prefix, errors)
    if errors:
        raise InvalidInput("; ".join(f"{e.field}: {e.message}" for e in errors), errors)


def balanced_order(requests: Iterable[SpeakerOut], kind: str) -> list[SpeakerOut]:
    """DESIGN.md's balanced speakers' list over ``requests`` (the caller keeps only those not declined whose
    registration is confirmed).

    1. In a regional review, requests from member States and then observer States come first, each in request order.
    2. The others go round-robin over stakeholder categories, taken in the order of each category's earliest
       request; at its turn a category gives the request whose regional group (``none`` counts as one) has the
       fewest speakers placed so far (step 1 included), ties to the earliest request; a category with none left
       is skipped.
    """
    ordered = sorted(requests, key=lambda r: (r.requested_at, r.id))
    placed: list[SpeakerOut] = []
    by_group: Counter[str] = Counter()
    first = ("member_state", "observer_state") if kind == Session.Kind.regional_review.value else ()
    for category in first:
        for request in ordered:
            if request.stakeholder_category == category:
                placed.append(request)
                by_group[request.regional_group] += 1
    queues: dict[str, list[SpeakerOut]] = {}
    for request in ordered:
        if request.stakeholder_category not in first:
            queues.setdefault(request.stakeholder_category, []).append(request)
    while any(queues.values()):
        for queue in queues.values():
            if not queue:
                continue
            # ``min`` keeps the first of equals, and each queue is in request order: ties go to the earliest.
            chosen = min(queue, key=lambda r: by_group[r.regional_group])
            queue.remove(chosen)
            placed.append(chosen)
            by_group[chosen.regional_group] += 1
    return placed
