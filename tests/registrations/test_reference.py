"""Reference data: UN regional groups and Regional Commissions per country, language tags."""

from __future__ import annotations

import pytest

from registrations.reference import commissions_of, is_country, is_language_tag, regional_group_of

pytestmark = pytest.mark.engine_independent


@pytest.mark.parametrize(
    ("country", "group", "commissions"),
    [
        ("US", "weog", ["ECE", "ECLAC", "ESCAP"]),
        ("EG", "african", ["ECA", "ESCWA"]),
        ("FR", "weog", ["ECE", "ECLAC", "ESCAP"]),
        ("KI", "none", ["ESCAP"]),
        ("IL", "weog", ["ECE"]),
        ("TR", "weog", ["ECE", "ECLAC", "ESCAP"]),
        ("BR", "latin_american_caribbean", ["ECLAC"]),
        ("RU", "eastern_european", ["ECE", "ESCAP"]),
        ("SA", "asia_pacific", ["ESCWA"]),
        ("KZ", "asia_pacific", ["ECE", "ESCAP"]),
        ("AQ", "none", []),
    ],
)
def test_country_group_and_commissions(country, group, commissions):
    assert (regional_group_of(country), commissions_of(country)) == (group, commissions)


def test_every_iso_country_listed():
    import pycountry

    assert [c.alpha_2 for c in pycountry.countries if not is_country(c.alpha_2)] == []


@pytest.mark.parametrize(("tag", "valid"), [("fr", True), ("es-419", True), ("zh-Hans", True), ("pt-BR", True),
                                            ("xx", False), ("EN", False), ("fr_FR", False), ("", False)])
def test_language_tag(tag, valid):
    assert is_language_tag(tag) is valid
