"""What the extra questions API reads and answers (msgspec): a session's questions as organisers write them and as
they are read back."""

from __future__ import annotations

from typing import Annotated

import msgspec

MultilingualLabel = Annotated[
    dict[Annotated[str, msgspec.Meta(max_length=35)], Annotated[str, msgspec.Meta(max_length=5000)]],
    msgspec.Meta(max_length=20),
]


class QuestionChoice(msgspec.Struct, forbid_unknown_fields=True):
    """One choice of a choice question: its code (what answers hold) and its wording in the session's languages."""

    code: Annotated[str, msgspec.Meta(max_length=200)]
    label: MultilingualLabel


class QuestionIn(msgspec.Struct, forbid_unknown_fields=True):
    """An extra question as organisers write it; ``id`` names a question kept (its answers stay with it), none
    adds one. ``kind``: ``short_text``, ``long_text``, ``choice``, ``choices`` or ``yes_no``."""

    kind: Annotated[str, msgspec.Meta(max_length=40)]
    label: MultilingualLabel
    id: int | None = None
    required: bool = False
    choices: Annotated[list[QuestionChoice], msgspec.Meta(max_length=200)] = msgspec.field(default_factory=list)


class QuestionsIn(msgspec.Struct, forbid_unknown_fields=True):
    """The session's questions in their order; questions not listed are removed (their answers are kept)."""

    items: Annotated[list[QuestionIn], msgspec.Meta(max_length=100)]


class QuestionOut(msgspec.Struct):
    id: int
    position: int
    kind: str
    required: bool
    label: dict[str, str]
    choices: list[QuestionChoice]


class QuestionList(msgspec.Struct):
    items: list[QuestionOut]
