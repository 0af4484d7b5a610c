"""What the extra questions API reads and answers (msgspec): a session's questions as organisers write them and as
they are read back."""

from __future__ import annotations

from typing import Annotated

import msgspec

from events.schemas import LANGUAGE_CODE
from registrations.tables import Question
from server.schemas import NON_BLANK_LINE, stated

#: What ``questions`` checks in a wording, stated in the document: texts keyed by language code, one at least, each
#: on one line, not blank, and under 500 characters (``questions.MAX_LABEL``).
_LABEL = stated(min_properties=1, property_names={"type": "string", "maxLength": 35, "pattern": LANGUAGE_CODE},
                additional_properties={"type": "string", "maxLength": 500, "pattern": NON_BLANK_LINE})
MultilingualLabel = Annotated[
    dict[Annotated[str, msgspec.Meta(max_length=35)], Annotated[str, msgspec.Meta(max_length=5000)]],
    msgspec.Meta(max_length=20), _LABEL,
]


class QuestionChoice(msgspec.Struct, forbid_unknown_fields=True):
    """One choice of a choice question: its code (what answers hold) and its wording in the session's languages."""

    code: Annotated[str, msgspec.Meta(max_length=200), stated(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
    label: MultilingualLabel


class QuestionIn(msgspec.Struct, forbid_unknown_fields=True):
    """An extra question as organisers write it; ``id`` names a question kept (its answers stay with it), none
    adds one. ``kind``: ``short_text``, ``long_text``, ``choice``, ``choices`` or ``yes_no``."""

    kind: Annotated[str, msgspec.Meta(max_length=40), stated(enum=[kind.value for kind in Question.Kind])]
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
