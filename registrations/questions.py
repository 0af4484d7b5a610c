"""Per-session extra questions (as Indico and pretix have) and the registrants' answers to them.

Organisers replace a session's list at once (API ``PUT``, or the staff page). A question they remove keeps its row,
marked ``removed_at``: the answers given stay with it and appear in the exports under its last wording. Answers are
checked here against the questions asked (required ones, choices by code, kinds), with errors named
``answers.<id>``; erasure and the retention purge delete them.
"""

from __future__ import annotations

__all__ = [
    "MAX_LABEL", "MAX_LONG", "MAX_SHORT", "add_to_session_page", "answer_text", "answers_of", "check_answers",
    "english_or_floor",
    "export_questions", "floor_language", "form_answers", "form_questions", "forget_answers", "question_out",
    "replace_questions", "save_answers", "session_questions", "staff_questions", "worded_answers",
]

import json
import re
from datetime import UTC, datetime
from typing import Any

from litestar.datastructures import FormMultiDict

from events.tables import Session
from events.validation import canonical_texts, multilingual_errors
from registrations.question_schemas import QuestionChoice, QuestionIn, QuestionOut
from registrations.tables import Answer, Question
from server.db import write_transaction
from server.errors import FieldError, InvalidInput
from server.i18n import gettext as _
from server.i18n import pick_text
from server.validation import text_error

#: Longest wording of a question or a choice, and longest answers (characters).
MAX_LABEL = 500
MAX_SHORT = 300
MAX_LONG = 4000
_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}\Z")
_KINDS = tuple(kind.value for kind in Question.Kind)
_CHOICE_KINDS = (Question.Kind.choice.value, Question.Kind.choices.value)


def _loaded(row: dict[str, Any]) -> dict[str, Any]:
    """A question row with its JSON columns read (Piccolo returns them as text on both engines)."""
    for name in ("label", "choices"):
        if isinstance(row[name], str):
            row[name] = json.loads(row[name])
    return row


#: Raw, not Piccolo's select: every registration asks this, and building the select cost a third of the handler's
#: CPU on PostgreSQL (bench/registration_burst.py).
_SESSION_QUESTIONS = (
    "SELECT id, session, position, kind, required, label, choices, removed_at FROM question "
    "WHERE session = {} AND removed_at IS NULL ORDER BY position, id"
)


async def session_questions(session_id: int) -> list[dict[str, Any]]:
    """The questions the session asks now, in their order."""
    return [_loaded(row) for row in await Question.raw(_SESSION_QUESTIONS, session_id)]


def question_out(row: dict[str, Any]) -> QuestionOut:
    choices = [QuestionChoice(code=c["code"], label=c["label"]) for c in row["choices"]]
    return QuestionOut(row["id"], row["position"], row["kind"], row["required"], row["label"], choices)


# --- Organisers define them -------------------------------------------------------------------------------------


def _label_errors(field: str, label: dict[str, str]) -> list[FieldError]:
    if errors := multilingual_errors(field, label):
        return errors
    if not any(text.strip() for text in label.values()):
        return [FieldError(field, _("Give the wording in at least one language."))]
    if any(len(text) > MAX_LABEL for text in label.values()):
        return [FieldError(field, _("Keep the wording under %(count)s characters.", count=MAX_LABEL))]
    return []


def _choice_errors(field: str, choices: list[QuestionChoice]) -> list[FieldError]:
    if not choices:
        return [FieldError(field, _("A choice question needs at least one choice."))]
    errors: list[FieldError] = []
    codes = [choice.code for choice in choices]
    if any(not _CODE.match(code) for code in codes):
        errors.append(FieldError(field, _("Choice codes are lower-case letters, digits, - and _ (up to 40).")))
    elif len(set(codes)) != len(codes):
        errors.append(FieldError(field, _("Each choice needs its own code.")))
    for index, choice in enumerate(choices):
        errors += _label_errors(f"{field}.{index}.label", choice.label)
    return errors


def _question_errors(index: int, item: QuestionIn, known: set[int], seen: set[int]) -> list[FieldError]:
    field = f"items.{index}"
    errors: list[FieldError] = []
    if item.id is not None and (item.id not in known or item.id in seen):
        errors.append(FieldError(f"{field}.id", _("No such question on this session.")))
    if item.kind not in _KINDS:
        errors.append(FieldError(f"{field}.kind", _("Choose short text, long text, one choice, several choices or "
                                                    "yes/no.")))
    errors += _label_errors(f"{field}.label", item.label)
    if item.kind in _CHOICE_KINDS:
        errors += _choice_errors(f"{field}.choices", item.choices)
    return errors


def _values(item: QuestionIn, position: int) -> dict[Any, Any]:
    choices = [
        {"code": c.code, "label": canonical_texts({k: v.strip() for k, v in c.label.items() if v.strip()})}
        for c in item.choices
    ] if item.kind in _CHOICE_KINDS else []
    label = canonical_texts({k: v.strip() for k, v in item.label.items() if v.strip()})
    return {Question.position: position, Question.kind: item.kind, Question.required: item.required,
            Question.label: json.dumps(label), Question.choices: json.dumps(choices), Question.removed_at: None}


async def replace_questions(session_id: int, items: list[QuestionIn]) -> list[dict[str, Any]]:
    """Make ``items`` the session's questions, in this order: those with an ``id`` change (their answers stay),
    the others are added, and the questions not listed are removed (kept with their answers for the exports).
    Every item is checked first; one InvalidInput names each field refused, and nothing is written."""
    known = {row["id"] for row in await Question.select(Question.id).where(Question.session == session_id)}
    errors: list[FieldError] = []
    seen: set[int] = set()
    for index, item in enumerate(items):
        errors += _question_errors(index, item, known, seen)
        if item.id is not None:
            seen.add(item.id)
    if errors:
        raise InvalidInput("; ".join(f"{e.field}: {e.message}" for e in errors), errors)
    async with write_transaction(Question._meta.db):
        await Question.update({Question.removed_at: datetime.now(UTC)}).where(
            (Question.session == session_id) & Question.removed_at.is_null() & Question.id.not_in([*seen, 0])
        )
        for position, item in enumerate(items, start=1):
            values = _values(item, position)
            if item.id is None:
                await Question.insert(Question(session=session_id, **{c._meta.name: v for c, v in values.items()}))
            else:
                await Question.update(values).where(Question.id == item.id)
    return await session_questions(session_id)


# --- Registrants answer them ------------------------------------------------------------------------------------


def _value_error(question: dict[str, Any], value: Any) -> str | None:
    """Why ``value`` (not empty) is no answer to ``question``; None when it is one."""
    kind = question["kind"]
    codes = {choice["code"] for choice in question["choices"]}
    if kind in (Question.Kind.short_text.value, Question.Kind.long_text.value):
        if not isinstance(value, str):
            return _("Answer with a text.")
        limit = MAX_SHORT if kind == Question.Kind.short_text.value else MAX_LONG
        if len(value) > limit:
            return _("Keep your answer under %(count)s characters.", count=limit)
        return text_error(value, multiline=kind == Question.Kind.long_text.value)
    if kind == Question.Kind.choice.value:
        return None if isinstance(value, str) and value in codes else _("Choose one of the choices offered.")
    if kind == Question.Kind.choices.value:
        fits = isinstance(value, list) and all(code in codes for code in value) and len(set(value)) == len(value)
        return None if fits else _("Choose among the choices offered, each once.")
    return None if isinstance(value, bool) else _("Answer yes or no.")


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or (isinstance(value, str) and not value.strip())


def _clean(value: Any) -> Any:
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


def check_answers(questions: list[dict[str, Any]], answers: dict[str, Any]) -> dict[int, Any]:
    """The answers to keep, by question id, once every one is checked: answers to questions not asked, missing
    required answers and answers of the wrong kind are refused in one InvalidInput naming ``answers.<id>``."""
    asked = {str(question["id"]): question for question in questions}
    errors = [FieldError(f"answers.{key}", _("No such question.")) for key in answers if key not in asked]
    kept: dict[int, Any] = {}
    for key, question in asked.items():
        value = _clean(answers.get(key))
        if _empty(value):
            if question["required"]:
                errors.append(FieldError(f"answers.{key}", _("Answer this question.")))
        elif message := _value_error(question, value):
            errors.append(FieldError(f"answers.{key}", message))
        else:
            kept[question["id"]] = value
    if errors:
        raise InvalidInput("; ".join(f"{e.field}: {e.message}" for e in errors), errors)
    return kept


async def save_answers(registration_id: int, questions: list[dict[str, Any]], answers: dict[int, Any]) -> None:
    """Replace the registration's answers to ``questions`` by ``answers`` (in the caller's transaction); answers
    to questions since removed stay."""
    asked = [question["id"] for question in questions]
    if asked:
        await Answer.delete().where((Answer.registration == registration_id) & Answer.question.is_in(asked))
    if answers:
        await Answer.insert(*[
            Answer(registration=registration_id, question=question_id, value=json.dumps(value))
            for question_id, value in answers.items()
        ])


async def answers_of(registration_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Every answer of these registrations (to questions asked now or removed): ``{registration: {"<id>": v}}``."""
    if not registration_ids:
        return {}
    rows = await Answer.select(Answer.registration, Answer.question, Answer.value).where(
        Answer.registration.is_in(registration_ids)
    ).order_by(Answer.question)
    found: dict[int, dict[str, Any]] = {}
    for row in rows:
        value = json.loads(row["value"]) if isinstance(row["value"], str) else row["value"]
        found.setdefault(row["registration"], {})[str(row["question"])] = value
    return found


async def forget_answers(registration_id: int) -> None:
    """Erasure and the retention purge: the registration's answers go (in the caller's transaction)."""
    await Answer.delete().where(Answer.registration == registration_id)


# --- Reading them: pages, exports ----------------------------------------------------------------------------


def _choice_labels(question: dict[str, Any], pick: Any) -> dict[str, str]:
    return {choice["code"]: pick(choice["label"]) for choice in question["choices"]}


def answer_text(question: dict[str, Any], value: Any, pick: Any) -> str:
    """An answer as words: texts as written, choices by their wording (``pick`` chooses the language; a code no
    longer offered shows as itself), yes/no in the current language."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    labels = _choice_labels(question, pick)
    if isinstance(value, list):
        return "; ".join(labels.get(code, code) for code in value)
    return labels.get(value, value) if question["kind"] in _CHOICE_KINDS else str(value)


async def export_questions(session_id: int) -> list[dict[str, Any]]:
    """The questions whose answers exports show: those asked now, in order, then the removed ones that have
    answers (under their last wording)."""
    rows = [_loaded(row) for row in await Question.select().where(Question.session == session_id).order_by(
        Question.position, Question.id)]
    answered = {row["question"] for row in await Answer.select(Answer.question).where(
        Answer.question.is_in([row["id"] for row in rows] or [0])
    ).distinct()}
    asked = [row for row in rows if row["removed_at"] is None]
    return asked + [row for row in rows if row["removed_at"] is not None and row["id"] in answered]


def english_or_floor(floor_language: str) -> Any:
    """A picker of multilingual text for exports: English, else the floor language, else any."""
    def pick(texts: dict[str, str]) -> str:
        return texts.get("en") or texts.get(floor_language) or next(iter(texts.values()), "")
    return pick


async def floor_language(session_id: int) -> str:
    row = await Session.select(Session.floor_language).where(Session.id == session_id).first()
    return row["floor_language"] if row else "en"


async def form_questions(session_id: int) -> list[dict[str, Any]]:
    """The questions as the form shows them, each in the reader's language, else the floor language, else
    English: ``id``, ``kind``, ``required``, ``label``, ``lang`` (the wording's language), ``choices`` as
    ``(code, wording, its language)`` and ``words`` (code → wording)."""
    floor = await floor_language(session_id)
    shown = []
    for question in await session_questions(session_id):
        label, language = pick_text(question["label"], floor)
        choices = [(c["code"], *pick_text(c["label"], floor)) for c in question["choices"]]
        shown.append({"id": question["id"], "kind": question["kind"], "required": question["required"],
                      "label": label, "lang": language, "choices": choices,
                      "words": {code: text for code, text, _language in choices}})
    return shown


def form_answers(form: FormMultiDict, questions: list[dict[str, Any]]) -> dict[str, Any]:
    """The answers a submitted form holds (fields ``answer-<id>``), shaped as the API takes them; an empty field
    is ``None`` (no answer)."""
    answers: dict[str, Any] = {}
    for question in questions:
        name = f"answer-{question['id']}"
        if question["kind"] == Question.Kind.choices.value:
            value: Any = [str(v) for v in form.getall(name, []) if v]
        elif question["kind"] == Question.Kind.yes_no.value:
            value = {"yes": True, "no": False}.get(str(form.get(name) or ""))
        else:
            value = str(form.get(name) or "").replace("\r\n", "\n")
        answers[str(question["id"])] = value if not _empty(value) else None
    return answers


async def worded_answers(registration_id: int, session_id: int) -> list[dict[str, str]]:
    """The registrant's answers in words, for their own export: each question's wording and the answer (English,
    else the floor language), removed questions included."""
    pick = english_or_floor(await floor_language(session_id))
    given = (await answers_of([registration_id])).get(registration_id, {})
    return [
        {"question": pick(q["label"]), "answer": answer_text(q, given[str(q["id"])], pick)}
        for q in await export_questions(session_id) if str(q["id"]) in given
    ]


async def staff_questions(session_id: int) -> list[dict[str, Any]]:
    """The questions whose answers the staff list shows (as the exports), each worded in the reader's language:
    ``id``, ``kind``, ``label``, ``lang``, ``choices`` (code → wording) and ``removed``."""
    floor = await floor_language(session_id)
    shown = []
    for question in await export_questions(session_id):
        label, language = pick_text(question["label"], floor)
        choices = {c["code"]: pick_text(c["label"], floor)[0] for c in question["choices"]}
        shown.append({"id": question["id"], "kind": question["kind"], "label": label, "lang": language,
                      "choices": choices, "removed": question["removed_at"] is not None})
    return shown


# --- Pages of other packages (server.app connects these to the events package's signals) ---------------------------

async def add_to_session_page(session_id: int, context: dict[str, Any], **_: Any) -> None:
    """On ``session_page_shown``: the registration form on the session page asks the session's extra questions."""
    context["questions"] = await form_questions(session_id)
