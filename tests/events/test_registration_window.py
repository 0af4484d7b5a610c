"""The one rule of the registration window: open from its opening instant itself until just before it closes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from events.queries import RegistrationPhase, RegistrationWindow, registration_window

pytestmark = pytest.mark.engine_independent

OPENS = datetime(2030, 3, 1, 9, 0, tzinfo=UTC)
CLOSES = datetime(2030, 3, 10, 9, 0, tzinfo=UTC)
STARTS = datetime(2030, 3, 12, 9, 0, tzinfo=UTC)
PUBLISHED_AT = datetime(2030, 2, 1, 9, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)


@pytest.mark.parametrize(("at", "phase"), [
    (OPENS - TICK, RegistrationPhase.not_yet),
    (OPENS, RegistrationPhase.open),
    (CLOSES - TICK, RegistrationPhase.open),
    (CLOSES, RegistrationPhase.closed),
])
def test_window_phase_at_its_edges(at, phase):
    assert RegistrationWindow(OPENS, CLOSES).phase("published", at) == phase


def test_window_without_an_opening_is_open_until_it_closes():
    window = RegistrationWindow(None, CLOSES)

    assert [window.phase("published", at) for at in (datetime(2000, 1, 1, tzinfo=UTC), CLOSES)] == [
        RegistrationPhase.open, RegistrationPhase.closed]


@pytest.mark.parametrize("status", ["draft", "cancelled", "completed"])
def test_window_of_an_unpublished_session_is_unavailable_even_while_open(status):
    assert RegistrationWindow(OPENS, CLOSES).phase(status, OPENS) == RegistrationPhase.unavailable


def test_window_without_dates_opens_at_publishing_and_closes_at_the_start():
    row = {"registration_opens_at": None, "registration_closes_at": None, "starts_at": STARTS,
           "published_at": PUBLISHED_AT}

    assert registration_window(row) == RegistrationWindow(PUBLISHED_AT, STARTS)


def test_window_without_dates_of_a_draft_has_no_opening_yet():
    row = {"registration_opens_at": None, "registration_closes_at": None, "starts_at": STARTS}

    assert registration_window(row) == RegistrationWindow(None, STARTS)


def test_window_with_dates_keeps_them():
    row = {"registration_opens_at": OPENS, "registration_closes_at": CLOSES, "starts_at": STARTS,
           "published_at": PUBLISHED_AT}

    assert registration_window(row) == RegistrationWindow(OPENS, CLOSES)
