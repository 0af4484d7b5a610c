"""Post-session summaries: organisers write them per language, preview them, and send them to attendees, all
registrants or absentees; recipients can unsubscribe without an account (List-Unsubscribe, RFC 8058).

Who receives a summary, and which speakers it lists, are the registrations package's business: the composition
root (server.app) hands its functions over as ``app.state.notify_summary`` (queues one message per person, in
the sending's transaction) and ``app.state.summary_speakers``. The staff page still announces
``summary_page_shown`` so that package can add what feeds the summary.
"""

from __future__ import annotations

__all__ = [
    "NotifySummary",
    "SummarySpeakers",
    "is_opted_out",
    "opt_out",
    "route_handlers",
    "save_summary",
    "send_summary",
    "summary_for",
    "summary_values",
    "unsubscribe_token",
]

import hashlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from itsdangerous import BadSignature, URLSafeSerializer
from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_422_UNPROCESSABLE_ENTITY

from events.access import ensure_can_manage
from events.calendar import clean_text, session_mail_values
from events.tables import Session, SessionSummary, SummaryOptOut, SummarySending
from server import signals
from server.auth import Me, StaffUser, require_session_manager
from server.db import write_transaction
from server.errors import Conflict, FieldError, InvalidInput, NotFound
from server.i18n import LANGUAGES, pick_text, use_locale
from server.i18n import gettext as _
from server.mail.render import MailContent, RenderedMessage, render_content
from server.schemas import PathId
from server.settings import Settings
from server.validation import is_web_link

NotifySummary = Callable[[int, str], Awaitable[int]]
"""Queue the summary of a session for an audience; returns how many messages were queued."""
SummarySpeakers = Callable[[int], Awaitable[list[dict[str, Any]]]]
"""The speakers a session's summary lists, as the current language's reader sees them: ``{"label",
"consent_recorded", "topic", "quote", …}`` each, the label a name only for those who consented to be recorded and
quoted by name."""

_UNSUBSCRIBE_SALT = "convene-summary-unsubscribe"
MAX_TEXT = 20_000
MAX_LINKS = 30

LongText = Annotated[str, msgspec.Meta(max_length=MAX_TEXT)]
Url = Annotated[str, msgspec.Meta(max_length=2000)]


class SummaryForm(msgspec.Struct):
    """The summary form of one language. ``links``: one per line, ``title | https://…``."""

    language: Annotated[str, msgspec.Meta(max_length=8)] = "en"
    summary: LongText = ""
    outcomes: LongText = ""
    recording_url: Url = ""
    links: LongText = ""


class SendForm(msgspec.Struct):
    audience: Annotated[str, msgspec.Meta(max_length=16)] = ""


# --- Services --------------------------------------------------------------------------------------------

def _parse_links(text: str) -> list[dict[str, str]]:
    links = []
    for number, line in enumerate(line for line in text.splitlines() if line.strip()):
        title, _sep, url = line.rpartition("|") if "|" in line else ("", "", line)
        url = url.strip()
        if not is_web_link(url):
            raise InvalidInput.field("links", _("Line %(n)s: not an http(s) link.", n=number + 1))
        links.append({"title": clean_text(title.strip()) or url, "url": url})
    if len(links) > MAX_LINKS:
        raise InvalidInput.field("links", _("At most %(n)s links.", n=MAX_LINKS))
    return links


def _links_text(links: list[dict[str, str]]) -> str:
    return "\n".join(f"{link['title']} | {link['url']}" for link in links)


async def save_summary(user: StaffUser, session_id: int, form: SummaryForm) -> None:
    """Write the summary of one language (replacing what was there)."""
    await ensure_can_manage(user, session_id)
    if form.language not in LANGUAGES:
        raise InvalidInput.field("language", _("Choose one of the six UN languages."))
    if form.recording_url and not is_web_link(form.recording_url):
        raise InvalidInput.field("recording_url", _("Not an http(s) link."))
    values = {
        SessionSummary.summary: clean_text(form.summary),
        SessionSummary.outcomes: clean_text(form.outcomes),
        SessionSummary.recording_url: form.recording_url.strip(),
        SessionSummary.links: _parse_links(form.links),
        SessionSummary.updated_by: user.id,
        SessionSummary.updated_at: datetime.now(UTC),
    }
    where = (SessionSummary.session == session_id) & (SessionSummary.language == form.language)
    async with write_transaction(SessionSummary._meta.db):
        if await SessionSummary.exists().where(where):
            await SessionSummary.update(values).where(where)
        else:
            await SessionSummary.insert(
                SessionSummary(session=session_id, language=form.language,
                               **{column._meta.name: value for column, value in values.items()})
            )


async def summaries(session_id: int) -> dict[str, dict[str, Any]]:
    """Every language's summary of a session, by language."""
    rows = await SessionSummary.select().where(SessionSummary.session == session_id).output(load_json=True)
    return {row["language"]: row for row in rows}


async def summary_for(session_id: int, language: str, floor_language: str) -> dict[str, Any] | None:
    """The summary in ``language``, else the floor language, else English, else any; None if none written."""
    written = await summaries(session_id)
    for candidate in (language, floor_language, "en", *sorted(written)):
        if candidate in written:
            return written[candidate]
    return None


async def _refuse_unless_held(session_id: int) -> None:
    """A summary follows a session that took place: not one still ahead, nor one cancelled."""
    session = await Session.select(Session.status, Session.starts_at).where(Session.id == session_id).first()
    if session["status"] == Session.Status.cancelled.value:
        message = _("The session was cancelled: there is nothing to summarise.")
        raise Conflict(message, [FieldError("status", message)])
    if session["starts_at"] > datetime.now(UTC):
        message = _("The session has not started yet: send its summary once it has taken place.")
        raise Conflict(message, [FieldError("status", message)])


async def send_summary(user: StaffUser, session_id: int, audience: str, *, notify: NotifySummary) -> int:
    """Queue the summary for ``audience`` with ``notify``, in the transaction that records the sending; each
    person gets a session's summary once. Returns how many."""
    await ensure_can_manage(user, session_id)
    if audience not in {a.value for a in SummarySending.Audience}:
        raise InvalidInput.field("audience", _("Choose attendees, all registrants or absentees."))
    if not await SessionSummary.exists().where(SessionSummary.session == session_id):
        raise Conflict(_("Write the summary first."), [FieldError("summary", _("No summary written yet."))])
    await _refuse_unless_held(session_id)
    async with write_transaction(SummarySending._meta.db):
        sending = (await SummarySending.insert(
            SummarySending(session=session_id, audience=audience, sent_by=user.id)
        ).returning(SummarySending.id))[0]["id"]
        queued = await notify(session_id, audience)
        await SummarySending.update({SummarySending.recipients: queued}).where(SummarySending.id == sending)
    return queued


def email_hash(address: str) -> str:
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()


def unsubscribe_token(secret_key: str, address: str) -> str:
    """Signed, carrying only the address's hash (no personal data in the link)."""
    return URLSafeSerializer(secret_key, salt=_UNSUBSCRIBE_SALT).dumps(email_hash(address))


def _token_hash(secret_key: str, token: str) -> str:
    try:
        value = URLSafeSerializer(secret_key, salt=_UNSUBSCRIBE_SALT).loads(token) if len(token) < 300 else None
    except BadSignature:
        value = None
    if not isinstance(value, str) or len(value) != 64:
        raise NotFound(_("This unsubscribe link is not valid."))
    return value


async def opt_out(secret_key: str, token: str) -> None:
    """Record that the address of ``token`` wants no more summaries (idempotent)."""
    digest = _token_hash(secret_key, token)
    await SummaryOptOut.insert(SummaryOptOut(email_hash=digest)).on_conflict(
        target=SummaryOptOut.email_hash, action="DO NOTHING"
    )


async def is_opted_out(address: str) -> bool:
    return await SummaryOptOut.exists().where(SummaryOptOut.email_hash == email_hash(address))


def summary_values(summary: dict[str, Any]) -> dict[str, Any]:
    """What the summary template shows of a summary row."""
    return {
        "summary_language": summary["language"],
        "summary_text": summary["summary"],
        "outcomes": summary["outcomes"],
        "recording_url": summary["recording_url"],
        "links": summary["links"] or [],
    }


async def preview(
    session_id: int, language: str, settings: Settings, speakers: list[dict[str, Any]]
) -> RenderedMessage | None:
    """The summary message as a participant reading ``language`` would get it (sample name and link), listing
    ``speakers`` (as that reader sees them)."""
    session = await Session.select().where(Session.id == session_id).output(load_json=True).first()
    summary = await summary_for(session_id, language, session["floor_language"])
    if summary is None:
        return None
    with use_locale(language, session["timezone"]):  # as the worker would: the reader's words, dates and title
        values = {
            **session_mail_values(session, settings.public_url, with_join_details=False),
            **summary_values(summary),
            "name": _("Participant"),
            "unsubscribe_url": f"{settings.public_url}/unsubscribe/preview",
            "speakers": speakers,
        }
    return render_content("summary", MailContent(values=values), language=language, timezone=session["timezone"],
                          settings=settings)


# --- Controllers -----------------------------------------------------------------------------------------

class SummaryPages(Controller):
    """Organisers write, preview and send a session's summary."""

    path = "/staff/sessions/{session_id:int}/summary"
    guards = [require_session_manager]  # before the body is read: someone else's organiser gets 403 whatever it is
    include_in_schema = False

    async def _page(self, request: Request, me: StaffUser, session_id: int, language: str, status: int = 200,
                    **context: Any) -> Template:
        await ensure_can_manage(me, session_id)
        language = language if language in LANGUAGES else "en"
        session = await Session.select().where(Session.id == session_id).output(load_json=True).first()
        written = await summaries(session_id)
        current = written.get(language)
        values = context.pop("values", None) or {
            "summary": current["summary"] if current else "",
            "outcomes": current["outcomes"] if current else "",
            "recording_url": current["recording_url"] if current else "",
            "links": _links_text(current["links"]) if current else "",
        }
        sendings = await SummarySending.select().where(SummarySending.session == session_id).order_by(
            SummarySending.id)
        title, _lang = pick_text(session["title"], session["floor_language"])
        with use_locale(language, session["timezone"]):  # the speakers as the chosen language's reader sees them
            speakers = await request.app.state.summary_speakers(session_id)
        page = {
            "speakers": speakers,
            "user": me, "session": session, "session_title": title, "language": language, "written": written,
            "values": values, "errors": {}, "sendings": sendings,
            "preview": await preview(session_id, language, request.app.state.settings, speakers), **context,
        }
        # The registrations package adds what feeds the summary (the written inputs marked for it).
        await signals.send("summary_page_shown", session_id=session_id, context=page)
        return Template("pages/staff/summary.html", status_code=status, context=page)

    @get("/")
    async def summary_page(self, request: Request, me: Me, session_id: PathId,
                           language: FromQuery[str] = "en") -> Template:
        """The summary form of one language, its preview, and the send buttons."""
        return await self._page(request, me, session_id, language)

    @post("/")
    async def save(self, request: Request, me: Me, session_id: PathId,
                   data: URLEncodedBody[SummaryForm]) -> Template | Redirect:
        """Save the summary of one language."""
        try:
            await save_summary(me, session_id, data)
        except InvalidInput as error:
            errors = {e.field: e.message for e in error.errors}
            return await self._page(request, me, session_id, data.language, HTTP_422_UNPROCESSABLE_ENTITY,
                                    errors=errors, values=msgspec.structs.asdict(data))
        return Redirect(f"/staff/sessions/{session_id}/summary?language={data.language}&saved=1",
                        status_code=HTTP_303_SEE_OTHER)

    @post("/send")
    async def send(self, request: Request, me: Me, session_id: PathId,
                   data: URLEncodedBody[SendForm]) -> Template:
        """Send the summary to the chosen audience."""
        queued = await send_summary(me, session_id, data.audience, notify=request.app.state.notify_summary)
        return await self._page(request, me, session_id, "en", sent=queued)


class UnsubscribePages(Controller):
    """Unsubscribing from summaries without an account: GET asks, POST (also one-click, RFC 8058) does it."""

    path = "/unsubscribe/{token:str}"
    include_in_schema = False

    @get("/")
    async def confirm(self, request: Request, token: FromPath[str]) -> Template:
        """Ask before unsubscribing (a link prefetched by a mail scanner must not unsubscribe)."""
        _token_hash(request.app.state.settings.secret_key, token)
        return Template("pages/unsubscribe.html", context={"token": token, "done": False})

    @post("/", status_code=200)
    async def unsubscribe(self, request: Request, token: FromPath[str]) -> Template:
        """Unsubscribe the address from summaries."""
        await opt_out(request.app.state.settings.secret_key, token)
        return Template("pages/unsubscribe.html", context={"token": token, "done": True})


route_handlers: list = [SummaryPages, UnsubscribePages]
