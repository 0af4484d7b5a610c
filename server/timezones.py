"""Time zones in words: the list people choose from (city — country (IANA name)) and a suggestion for a name
typed that is no zone ("Europe/Geneva" → Europe/Zurich).

Names come from CLDR through Babel, in the reader's language; the values stay IANA names, as the API takes them.
"""

from __future__ import annotations

__all__ = ["timezone_choices", "timezone_error", "timezone_label", "timezone_suggestion"]

import difflib
from functools import cache
from zoneinfo import available_timezones

from babel import Locale
from babel.core import get_global
from babel.dates import get_timezone_location

from server.i18n import current_locale
from server.i18n import gettext as _

#: Cities people name that have no zone of their own (seats of the UN system and capitals among them), with the
#: zone whose clocks they keep. CLDR names a zone after one city only.
CITY_ZONES = {
    "Geneva": "Europe/Zurich", "Bern": "Europe/Zurich", "Washington": "America/New_York",
    "Ottawa": "America/Toronto", "The_Hague": "Europe/Amsterdam", "Bonn": "Europe/Berlin",
    "Canberra": "Australia/Sydney", "Beijing": "Asia/Shanghai", "New_Delhi": "Asia/Kolkata",
    "Delhi": "Asia/Kolkata", "Mumbai": "Asia/Kolkata", "Brasilia": "America/Sao_Paulo",
    "Rio_de_Janeiro": "America/Sao_Paulo", "Montreal": "America/Toronto", "Quebec": "America/Toronto",
    "Pretoria": "Africa/Johannesburg", "Cape_Town": "Africa/Johannesburg", "Islamabad": "Asia/Karachi",
    "Ankara": "Europe/Istanbul", "Rabat": "Africa/Casablanca", "Wellington": "Pacific/Auckland",
    "Hanoi": "Asia/Bangkok", "Strasbourg": "Europe/Paris", "Milan": "Europe/Rome", "Barcelona": "Europe/Madrid",
    "Munich": "Europe/Berlin", "Frankfurt": "Europe/Berlin", "Turin": "Europe/Rome", "Florence": "Europe/Rome",
    "Abuja": "Africa/Lagos", "Nur-Sultan": "Asia/Almaty", "Astana": "Asia/Almaty",
}
_ZONES = frozenset(available_timezones())


@cache
def _territories() -> dict[str, str]:
    """Zone → ISO 3166-1 country (CLDR), for zones that keep one country's clocks."""
    return {zone: territory for zone, territory in get_global("zone_territories").items()
            if zone in _ZONES and territory != "001" and not zone.startswith("Etc/")}


def timezone_label(zone: str) -> str:
    """``Zurich — Switzerland (Europe/Zurich)`` in the reader's language; ``UTC`` alone."""
    territory = _territories().get(zone)
    if territory is None:
        return zone
    locale = Locale.parse(current_locale())
    city = get_timezone_location(zone, locale=locale, return_city=True)
    country = locale.territories.get(territory, territory)
    return f"{city} — {country} ({zone})"


@cache
def _choices(language: str) -> list[tuple[str, list[tuple[str, str, bool]]]]:
    locale = Locale.parse(language)
    groups: dict[str, list[tuple[str, str]]] = {}
    for zone, territory in _territories().items():
        city = get_timezone_location(zone, locale=locale, return_city=True)
        country = locale.territories.get(territory, territory)
        groups.setdefault(country, []).append((zone, f"{city} — {country} ({zone})", False))
    for name, zone in CITY_ZONES.items():  # listed too, so a search by the name people know finds them
        country = locale.territories.get(_territories()[zone], "")
        groups[country].append((zone, f"{name.replace('_', ' ')} — {country} ({zone})", True))
    return [("", [("UTC", _("UTC (Coordinated Universal Time)"), False)])] + [
        (country, sorted(zones, key=lambda option: option[1])) for country, zones in sorted(groups.items())
    ]


def timezone_choices() -> list[tuple[str, list[tuple[str, str, bool]]]]:
    """Every zone people live in as ``(country, [(zone, label, alias), …])``, countries sorted by their name in
    the reader's language, UTC first (without a country): the groups and options of a plain ``<select>``. An
    ``alias`` option names a city without a zone of its own (Geneva) with the zone it keeps (Europe/Zurich)."""
    return _choices(current_locale())


def _suggest(text: str) -> tuple[str, str | None] | None:
    """``(zone, city)`` for ``text``; ``city`` is set when the name typed is a city without a zone of its own."""
    typed = text.strip().replace(" ", "_")
    if not typed:
        return None
    city = typed.rsplit("/", 1)[-1].casefold()
    for name, zone in CITY_ZONES.items():
        if name.casefold() == city:
            return zone, name.replace("_", " ")
    # Only zones people live in are suggested (not Factory, localtime or a legacy alias).
    canonical = {zone.casefold(): zone for zone in _territories()} | {"utc": "UTC"}
    if typed.casefold() in canonical and canonical[typed.casefold()] != typed:
        return canonical[typed.casefold()], None
    by_city = {zone.rsplit("/", 1)[-1].casefold(): zone for zone in _territories()}
    if city in by_city:
        return by_city[city], None
    close = difflib.get_close_matches(typed.casefold(), list(canonical), n=1, cutoff=0.8)
    return (canonical[close[0]], None) if close else None


def timezone_suggestion(text: str) -> str | None:
    """The zone someone typing ``text`` most likely meant: a city without a zone of its own (``Europe/Geneva``,
    ``geneva``), a zone written in another case or with spaces, or the closest zone name; None if nothing is close."""
    found = _suggest(text)
    return found[0] if found else None


def timezone_error(text: str | None) -> str:
    """The message beside a time zone field holding ``text``, which is no zone: the suggestion, if any
    (``Unknown time zone. Did you mean Geneva — Switzerland (Europe/Zurich)?``)."""
    found = _suggest(text or "")
    if found is None:
        return _("Unknown time zone: choose one from the list, such as Zurich — Switzerland (Europe/Zurich).")
    zone, city = found
    label = timezone_label(zone)
    if city:
        label = f"{city} — {label.split(' — ', 1)[1]}"
    return _("Unknown time zone. Did you mean %(zone)s?", zone=label)
