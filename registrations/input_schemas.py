"""What the written inputs API reads and answers (msgspec): an input sent as text, an input as listed, the
organisers' change."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType

from registrations.schemas import Code


class InputCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A written input sent as JSON text (a file comes as multipart with the same fields, the file in ``file``).
    ``registration_id`` (staff only) links an input received by other means to its registrant."""

    title: Annotated[str, msgspec.Meta(max_length=300)]
    language: Code
    text: Annotated[str, msgspec.Meta(max_length=20000)] = ""
    registration_id: int | None = None


class InputOut(msgspec.Struct):
    """A written input: ``kind`` is ``text``, ``pdf``, ``docx`` or ``odt``; a file's ``download_url`` is set."""

    id: int
    session_id: int
    registration_id: int | None
    source: str
    title: str
    language: str
    kind: str
    text: str
    file_name: str
    size: int
    published: bool
    for_summary: bool
    created_at: datetime
    download_url: str | None


class InputList(msgspec.Struct):
    items: list[InputOut]
    total: int


class InputChange(msgspec.Struct, forbid_unknown_fields=True):
    """Organisers publish an input on the session page or mark it for the summary; fields left out stay."""

    published: bool | UnsetType = UNSET
    for_summary: bool | UnsetType = UNSET
