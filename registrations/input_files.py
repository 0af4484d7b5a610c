"""The files of written inputs on disk: which documents are taken and how they are recognised (by content, never
by name), what a sent file's name may be, and removing the files rows no longer name. The rows and the rules of
sending are ``registrations/inputs.py``."""

from __future__ import annotations

__all__ = [
    "FILE_TYPES", "STORED_NAME", "check_kind", "checked_file_name", "remove_files", "sniff", "sweep_orphan_files",
]

import re
import time
import unicodedata
import zipfile
import zlib
from pathlib import Path

from registrations.tables import WrittenInput
from server.errors import InvalidInput
from server.i18n import gettext as _

#: The file types taken, by the kind found in the content: (media type, the name's extension).
FILE_TYPES = {
    "pdf": ("application/pdf", "pdf"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "odt": ("application/vnd.oasis.opendocument.text", "odt"),
}
_ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
#: What generated file names look like: nothing else is ever opened under the uploads folder.
STORED_NAME = re.compile(r"^[0-9a-f]{32}\.(pdf|docx|odt)$")
#: Crash leftovers younger than this are left alone by the sweep (an upload may be under way).
_SWEEP_GRACE_SECONDS = 3600


def checked_file_name(name: str | None) -> str:
    """The file's name as sent, when it is a plain name: no path, no control, invisible or bidirectional
    characters (an RTL override can make ``exe.pdf`` read as ``fdp.exe``); else 422 naming ``file``."""
    name = name or ""
    hostile = (
        not name.strip() or len(name) > 255 or name.startswith(".") or "/" in name or "\\" in name
        or any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name)
    )
    if hostile:
        raise InvalidInput.field(
            "file", _("Rename the file: its name may not hold a path, control characters or direction marks.")
        )
    return name


def sniff(path: Path) -> str | None:
    """The kind of document in the file, from its content: ``pdf`` (the ``%PDF-`` header), ``docx`` (a zip with
    ``[Content_Types].xml`` and ``word/document.xml``), ``odt`` (a zip whose ``mimetype`` entry says so); None
    for anything else. Only the zip's directory and its tiny ``mimetype`` entry are read, never the documents."""
    with path.open("rb") as file:
        head = file.read(5)
    if head == b"%PDF-":
        return "pdf"
    if not head.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if {"[Content_Types].xml", "word/document.xml"} <= names:
                return "docx"
            if "mimetype" in names and archive.getinfo("mimetype").file_size <= 100:
                return "odt" if archive.read("mimetype").strip() == _ODT_MIMETYPE else None
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError, NotImplementedError, ValueError):
        return None
    return None


def check_kind(kind: str | None, name: str) -> None:
    """The content must be one of the types taken, and the name's extension must say what the content is."""
    if kind is None:
        raise InvalidInput.field("file", _("Only PDF, DOCX and ODT documents are taken; this file is none of them."))
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    if extension != FILE_TYPES[kind][1]:
        raise InvalidInput.field("file", _(
            "The file's name ends in “%(extension)s” but it holds a %(kind)s document: rename it to end in .%(right)s.",
            extension=f".{extension}" if extension else "", kind=kind.upper(), right=FILE_TYPES[kind][1],
        ))


def remove_files(names: list[str], directory: Path) -> None:
    """Remove these generated files from the uploads folder (names of any other shape are ignored)."""
    for name in names:
        if STORED_NAME.match(name or ""):
            (directory / name).unlink(missing_ok=True)


async def sweep_orphan_files(directory: Path) -> int:
    """Remove files no row names (a crash between moving a file into place and committing, or between deleting
    a row and its file), once older than an hour. Returns how many went."""
    known = {row["stored_name"] for row in await WrittenInput.select(WrittenInput.stored_name)}
    return _sweep(directory, known, time.time() - _SWEEP_GRACE_SECONDS)


def _sweep(directory: Path, known: set[str], cutoff: float) -> int:
    if not directory.is_dir():
        return 0
    removed = 0
    for path in directory.iterdir():
        generated = STORED_NAME.match(path.name) or (path.name.startswith(".") and path.name.endswith(".part"))
        if generated and path.name not in known and path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
