"""The public rate limiter counts per address and keeps its memory bounded: idle addresses are forgotten, and past
its bound the address idle longest gives way, never one still sending."""

from __future__ import annotations

import pytest

from registrations.ratelimit import SlidingWindow

pytestmark = pytest.mark.engine_independent


def test_an_address_is_refused_past_the_limit_until_its_requests_leave_the_window():
    window = SlidingWindow(limit=2, window=60.0)

    answers = [window.allow("203.0.113.1", now=t) for t in (0.0, 1.0, 2.0, 59.9, 60.5)]

    assert answers == [True, True, False, False, True]


def test_addresses_idle_for_a_window_are_forgotten():
    window = SlidingWindow(limit=5, window=60.0)
    for n in range(1000):
        window.allow(f"198.51.100.{n}", now=n / 100)

    window.allow("203.0.113.1", now=70.0)

    assert list(window.hits) == ["203.0.113.1"]


def test_past_its_bound_the_address_idle_longest_gives_way_and_a_flooder_stays_counted():
    window = SlidingWindow(limit=2, window=60.0, max_keys=3)
    flood = [window.allow("203.0.113.66", now=t) for t in (0.0, 1.0, 2.0)]
    window.allow("198.51.100.1", now=3.0)
    window.allow("198.51.100.2", now=4.0)
    still_refused = window.allow("203.0.113.66", now=5.0)

    window.allow("198.51.100.3", now=6.0)

    assert flood == [True, True, False]
    assert still_refused is False
    assert list(window.hits) == ["198.51.100.2", "203.0.113.66", "198.51.100.3"]
    assert window.allow("203.0.113.66", now=7.0) is False
    assert [len(hits) for hits in window.hits.values()] == [1, 1, 2]


def test_memory_stays_bounded_under_a_stream_of_new_addresses():
    window = SlidingWindow(limit=60, window=60.0, max_keys=100)

    for n in range(10_000):
        window.allow(f"2001:db8::{n:x}", now=n / 1000)

    assert len(window.hits) == 100
    assert list(window.hits)[0] == f"2001:db8::{10_000 - 100:x}"
