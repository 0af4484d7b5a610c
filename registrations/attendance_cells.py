"""The cells of meeting platforms' attendance exports, read: text encodings, lines and cells, names, dates and
durations, header rows. Pure; used by registrations.attendance_import. What cannot be read raises ReportError,
saying what and on which line (in the reader's language)."""

from __future__ import annotations

__all__ = [
    "Clock", "Header", "ReportError", "blank", "cell", "decode", "duration", "lines", "names", "normalise_name",
    "value",
]

import codecs
import csv
import re
import unicodedata
from datetime import datetime

from server.i18n import gettext as _


class ReportError(ValueError):
    """The file cannot be read: ``message`` says what and where (in the reader's language)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


# --- Text ----------------------------------------------------------------------------------------------------

def decode(data: bytes) -> str:
    """UTF-8 or UTF-16, by byte-order mark or, without one, by content; anything else is refused."""
    if not data.strip():
        raise ReportError(_("The file is empty."))
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif b"\x00" in data[:200]:
        encoding = "utf-16-le" if data[1:2] == b"\x00" else "utf-16-be"
    else:
        encoding = "utf-8"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1 if encoding == "utf-8" else None
        raise ReportError(
            _("The file is not in a text encoding we read (UTF-8 or UTF-16): unreadable bytes on line %(line)s.",
              line=line or "?"),
            line,
        ) from error


def lines(text: str) -> list[tuple[int, list[str]]]:
    """(line number, cells) of every line; tabs separate cells when a line has two of them (Teams), else commas."""
    raw = text.splitlines()
    delimiter = "\t" if any(line.count("\t") >= 2 for line in raw) else ","
    rows = []
    for number, cells in enumerate(csv.reader(raw, delimiter=delimiter), start=1):
        rows.append((number, [cell.strip() for cell in cells]))
    return rows


def blank(cells: list[str]) -> bool:
    return not any(cells)


def value(cell: str) -> str:
    """``--`` is how exports write an empty value."""
    return "" if cell in ("--", "-") else cell


_GUEST_LABEL = re.compile(r"\s*\((?:unverified|external|guest|host|co-host)\)\s*$", re.IGNORECASE)
_ORIGINAL = re.compile(r"^(.*\S)\s*\(([^()]+)\)$")


def normalise_name(name: str) -> str:
    """A name as compared: NFC, spaces collapsed, case folded."""
    return " ".join(unicodedata.normalize("NFC", name).split()).casefold()


def names(cell: str) -> tuple[str, tuple[str, ...], bool]:
    """Shown name, other names (Zoom's ``Current (Original)``, Teams' ``Last, First``), and whether a host label
    was on it."""
    host = bool(re.search(r"\((?:host|co-host)\)\s*$", cell, re.IGNORECASE))
    name = _GUEST_LABEL.sub("", cell).strip()
    others: list[str] = []
    if match := _ORIGINAL.match(name):
        others.append(match.group(2).strip())
    if name.count(",") == 1:
        last, first = (part.strip() for part in name.split(","))
        others.append(f"{first} {last}")
    return name, tuple(others), host


# --- Times ---------------------------------------------------------------------------------------------------

_FORMATS = (
    "%m/%d/%y, %I:%M:%S %p", "%m/%d/%y, %H:%M:%S", "%m/%d/%Y, %I:%M:%S %p", "%m/%d/%Y, %H:%M:%S",
    "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M",
    "%m/%d/%y %I:%M:%S %p", "%m/%d/%y %H:%M:%S",
    "%b %d, %Y %I:%M:%S %p", "%b %d, %Y %I:%M %p", "%B %d, %Y %I:%M:%S %p", "%b %d, %Y %H:%M:%S",
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M",
)
_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/\d{2,4}")
_NUMERIC = re.compile(
    r"^(\d{1,2})/(\d{1,2})/(\d{4}|\d{2}),? (\d{1,2}):(\d{2})(?::(\d{2}))?(?: ?([AaPp][Mm]))?$"
)


class Clock:
    """Reads a file's dates; day-first when any date of the file has a first number above 12."""

    def __init__(self, text: str) -> None:
        firsts = [int(m.group(1)) for m in (_SLASHED.match(c.strip()) for c in re.split(r"[\t,\"]", text)) if m]
        day_first = any(first > 12 for first in firsts)
        self.day_first = day_first
        self.patterns = [("%d/%m" + p[5:]) if day_first and p.startswith("%m/%d") else p for p in _FORMATS]
        self.last = self.patterns[0]

    def _numeric(self, text: str) -> datetime | None:
        """The numeric forms (``3/18/26, 2:01:05 PM``, ``12/03/2026 02:00:11 PM``, ``15/11/22, 09:30:47``) read
        without strptime, which is slow for thousands of rows; None when the text is not one of them."""
        match = _NUMERIC.match(text)
        if match is None:
            return None
        first, second, year, hour, minute, second_of_minute, half = match.groups()
        month, day = (int(second), int(first)) if self.day_first else (int(first), int(second))
        hour = int(hour)
        if half:
            if not 1 <= hour <= 12:
                return None
            hour = hour % 12 + (12 if half.upper() == "PM" else 0)
        year = int(year) + (2000 if len(year) == 2 else 0)
        try:
            return datetime(year, month, day, hour, int(minute), int(second_of_minute or 0))
        except ValueError:
            return None

    def read(self, cell: str, line: int, column: str) -> datetime:
        text = " ".join(cell.replace("\u202f", " ").replace("\u00a0", " ").split())
        if (quick := self._numeric(text)) is not None:
            return quick
        # A file writes all its dates alike: the pattern that read the last one goes first.
        for pattern in (self.last, *self.patterns):
            try:
                found = datetime.strptime(text, pattern)  # month names and AM/PM: any case
            except ValueError:
                continue
            self.last = pattern
            return found
        raise ReportError(
            _("Line %(line)s: “%(value)s” in the column %(column)s is not a date and time we can read.",
              line=line, value=cell, column=column),
            line,
        )


_DURATION = re.compile(r"^(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*(?:(\d+)\s*s)?$", re.IGNORECASE)


def duration(cell: str, line: int, column: str) -> int:
    """Seconds of ``1h 2m 10s`` (Teams) or of a number of minutes (Zoom)."""
    text = cell.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return round(float(text) * 60)
    match = _DURATION.match(text)
    if text and match and any(match.groups()):
        hours, minutes, seconds = (int(group or 0) for group in match.groups())
        return hours * 3600 + minutes * 60 + seconds
    raise ReportError(
        _("Line %(line)s: “%(value)s” in the column %(column)s is not a duration we can read.",
          line=line, value=cell, column=column),
        line,
    )


# --- Columns -------------------------------------------------------------------------------------------------

class Header:
    """A header row: finds columns by any of their names, without regard to case."""

    def __init__(self, cells: list[str], line: int) -> None:
        self.index = {cell.casefold(): i for i, cell in enumerate(cells) if cell}
        self.line = line

    def find(self, *names: str) -> int | None:
        return next((self.index[n.casefold()] for n in names if n.casefold() in self.index), None)

    def need(self, *names: str) -> int:
        found = self.find(*names)
        if found is None:
            raise ReportError(
                _("Line %(line)s: the column %(column)s is missing.", line=self.line, column=names[0]), self.line
            )
        return found


def cell(cells: list[str], index: int | None) -> str:
    return value(cells[index]) if index is not None and index < len(cells) else ""
