"""Reference data: the code lists of DESIGN.md and each country's UN regional group and Regional Commissions
(``data/country_groups.csv``, its sources named in its header)."""

from __future__ import annotations

__all__ = [
    "COMMISSIONS",
    "GENDERS",
    "PROVISIONS",
    "REGIONAL_GROUPS",
    "LANGUAGE_TAG",
    "STAKEHOLDER_CATEGORIES",
    "commissions_of",
    "country_codes",
    "countries_in_region",
    "grouped_countries",
    "is_country",
    "is_language_tag",
    "is_sign_language",
    "regional_group_of",
]

import csv
import re
from functools import cache
from pathlib import Path

import pycountry

from events.schemas import Provision

STAKEHOLDER_CATEGORIES = (
    "member_state", "observer_state", "un_system", "igo", "migrants", "civil_society", "migrant_diaspora_org",
    "faith_based_org", "local_authority", "private_sector", "trade_union", "parliamentarian", "nhri",
    "red_cross_red_crescent", "academia", "media", "youth", "other",
)
GENDERS = ("woman", "man", "non_binary", "another", "prefer_not_to_say")
#: Accessibility provision codes (events.schemas.Provision).
PROVISIONS = tuple(provision.value for provision in Provision)
REGIONAL_GROUPS = ("african", "asia_pacific", "eastern_european", "latin_american_caribbean", "weog", "none")
COMMISSIONS = ("ECA", "ECE", "ECLAC", "ESCAP", "ESCWA")

_DATA = Path(__file__).resolve().parent / "data" / "country_groups.csv"
# BCP 47 shape: a primary language subtag, then optional script/region/variant subtags.
_LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*\Z")
#: The same shape as the OpenAPI document states it (ECMA-262, where ``$`` is the end of the text).
LANGUAGE_TAG = _LANGUAGE_TAG.pattern.removesuffix("\\Z") + "$"


@cache
def _countries() -> dict[str, tuple[str, tuple[str, ...]]]:
    with _DATA.open(encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return {
            row["country"]: (row["regional_group"], tuple(c for c in row["commissions"].split(";") if c))
            for row in rows
        }


def country_codes() -> list[str]:
    """Every code ``is_country`` accepts, sorted: the countries of the reference data."""
    return sorted(_countries())


def is_country(code: str) -> bool:
    """An ISO 3166-1 alpha-2 code (upper case)."""
    return code in _countries()


def regional_group_of(code: str | None) -> str:
    return _countries().get(code or "", ("none", ()))[0]


def commissions_of(code: str | None) -> list[str]:
    return list(_countries().get(code or "", ("none", ()))[1])


def countries_in_region(region: str) -> list[str]:
    """The countries of a regional group or a Regional Commission (``none`` has its own function below)."""
    return sorted(code for code, (group, commissions) in _countries().items()
                  if region == group or region in commissions)


def grouped_countries() -> list[str]:
    """Every country in a regional group other than ``none`` (a code not listed at all is in ``none``)."""
    return sorted(code for code, (group, _commissions) in _countries().items() if group != "none")


def is_language_tag(tag: str) -> bool:
    """A BCP 47 tag whose primary subtag is a known ISO 639 language (``fr``, ``es-419``, ``zh-Hans``)."""
    if not _LANGUAGE_TAG.match(tag):
        return False
    primary = tag.split("-", 1)[0]
    if len(primary) == 2:
        return pycountry.languages.get(alpha_2=primary) is not None
    return pycountry.languages.get(alpha_3=primary) is not None


def is_sign_language(code: str) -> bool:
    """An ISO 639-3 code (national sign languages are named by these, e.g. ``bfi``, ``ase``)."""
    return bool(re.fullmatch(r"[a-z]{3}", code)) and pycountry.languages.get(alpha_3=code) is not None
