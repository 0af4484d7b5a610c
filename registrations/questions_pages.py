"""The staff page of a session's extra questions: add, edit, reorder and remove them in one form (no JavaScript).

Each question is a numbered group of fields ``q<n>-…``; one empty group adds a question. Choices are written one
per line in each language, the lines of the languages matching by place; a choice keeps its code by its place, so
answers follow the line they were given to (the API sets codes explicitly).
"""

from __future__ import annotations

__all__ = ["QuestionPages"]

import re
from typing import Any

from litestar import Controller, MediaType, Request, get, post
from litestar.datastructures import FormMultiDict
from litestar.params import FromPath
from litestar.response import Redirect, Template

from events.queries import load_row
from registrations import questions
from registrations.question_schemas import QuestionChoice, QuestionIn
from registrations.tables import Question
from server.auth import Me, StaffUser, require_session_manager
from server.errors import ConveneError
from server.i18n import pick_text
from server.validation import form_errors

_ITEM_ERROR = re.compile(r"^items\.(\d+)\.(\w+)")


def _languages(session: dict[str, Any], slots: list[dict[str, Any]]) -> list[str]:
    """The languages the wording is written in: the floor language, the interpretation languages, and any other
    language a question already has."""
    languages = [session["floor_language"], *(session["interpretation_languages"] or [])]
    for slot in slots:
        languages += [language for language in slot["label"] if language not in languages]
    return list(dict.fromkeys(languages))


def _slot(row: dict[str, Any]) -> dict[str, Any]:
    """A question as the form's fields show it."""
    languages = {language for choice in row["choices"] for language in choice["label"]}
    return {
        "id": row["id"], "position": row["position"], "kind": row["kind"], "required": row["required"],
        "label": dict(row["label"]), "codes": [choice["code"] for choice in row["choices"]],
        "choices": {lang: "\n".join(c["label"].get(lang, "") for c in row["choices"]) for lang in languages},
    }


def _read_slots(form: FormMultiDict, languages: list[str]) -> list[dict[str, Any]]:
    """The questions as submitted, the removed ones and an untouched empty group left out."""
    slots = []
    count = str(form.get("count") or "")
    for index in range(min(int(count) if count.isdigit() and len(count) < 4 else 0, 100) + 1):
        prefix = f"q{index}-"
        if form.get(prefix + "kind") is None or form.get(prefix + "remove"):
            continue
        label = {lang: str(form.get(f"{prefix}label-{lang}") or "").strip() for lang in languages}
        choices = {lang: str(form.get(f"{prefix}choices-{lang}") or "").replace("\r\n", "\n") for lang in languages}
        known = str(form.get(prefix + "id") or "")
        if not known and not any(label.values()):
            continue
        position = str(form.get(prefix + "position") or "")
        slots.append({
            "index": index, "id": int(known) if known.isdigit() else None, "kind": str(form.get(prefix + "kind")),
            "required": bool(form.get(prefix + "required")), "label": label, "choices": choices,
            "codes": [code for code in str(form.get(prefix + "codes") or "").split(",") if code],
            "position": int(position) if position.isdigit() and len(position) < 6 else 1000 + index,
        })
    return sorted(slots, key=lambda slot: (slot["position"], slot["index"]))


def _choices(slot: dict[str, Any]) -> list[QuestionChoice]:
    """The choices of a slot: line n of each language is choice n; it keeps the code it had, new ones get one."""
    lines = {
        lang: [line.strip() for line in text.split("\n") if line.strip()] for lang, text in slot["choices"].items()
    }
    count = max((len(found) for found in lines.values()), default=0)
    codes = list(slot["codes"][:count])
    number = 1
    while len(codes) < count:
        if f"c{number}" not in slot["codes"] and f"c{number}" not in codes:
            codes.append(f"c{number}")
        number += 1
    return [
        QuestionChoice(code=codes[n], label={lang: found[n] for lang, found in lines.items() if n < len(found)})
        for n in range(count)
    ]


def _item(slot: dict[str, Any]) -> QuestionIn:
    return QuestionIn(kind=slot["kind"], label={k: v for k, v in slot["label"].items() if v}, id=slot["id"],
                      required=slot["required"], choices=_choices(slot))


def _slot_errors(error: ConveneError, slots: list[dict[str, Any]]) -> dict[str, str]:
    """The service's errors (``items.<n>.label``…) renamed after the form's fields (``q<index>-label``)."""
    named: dict[str, str] = {}
    for field, message in form_errors(error).items():
        found = _ITEM_ERROR.match(field)
        if found and int(found[1]) < len(slots):
            field = f"q{slots[int(found[1])]['index']}-{found[2]}"
        named.setdefault(field, message)
    return named


class QuestionPages(Controller):
    """Organisers' page of a session's extra questions."""

    path = "/staff/sessions/{session_id:int}/questions"
    include_in_schema = False
    guards = [require_session_manager]

    async def _page(self, request: Request, me: StaffUser, session: dict[str, Any], slots: list[dict[str, Any]],
                    status: int = 200, errors: dict[str, str] | None = None) -> Template:
        languages = _languages(session, slots)
        for number, slot in enumerate(slots):
            slot["index"] = number
        blank = {"index": len(slots), "id": None, "position": len(slots) + 1, "kind": "short_text", "required": False,
                 "label": {}, "choices": {}, "codes": []}
        context = {
            "user": me, "session_row": session,
            "title": pick_text(session["title"], session["floor_language"]), "slots": [*slots, blank],
            "languages": languages, "kinds": [kind.value for kind in Question.Kind], "errors": errors or {},
            "done": request.query_params.get("done"),
        }
        return Template("pages/staff/questions.html", context=context, status_code=status, media_type=MediaType.HTML)

    @get("")
    async def show(self, request: Request, me: Me, session_id: FromPath[int]) -> Template:
        """The session's questions in order, each editable, with an empty group to add one."""
        session = await load_row(session_id)
        slots = [_slot(row) for row in await questions.session_questions(session_id)]
        return await self._page(request, me, session, slots)

    @post("")
    async def save(self, request: Request, me: Me, session_id: FromPath[int]) -> Template | Redirect:
        """Replace the questions by those submitted, in the order of their positions; on errors the form again
        with the messages beside the fields (400), nothing saved."""
        session = await load_row(session_id)
        form = await request.form()
        languages = _languages(session, [_slot(row) for row in await questions.session_questions(session_id)])
        slots = _read_slots(form, languages)
        for number, slot in enumerate(slots):
            slot["index"] = number  # the fields are numbered again in their new order
        try:
            await questions.replace_questions(session_id, [_item(slot) for slot in slots])
        except ConveneError as error:
            if error.status_code == 404:
                raise
            return await self._page(request, me, session, slots, 400, _slot_errors(error, slots))
        return Redirect(f"/staff/sessions/{session_id}/questions?done=saved", status_code=303)
