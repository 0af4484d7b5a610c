"""The staff outbox page: queued, sent and failed mail with the error, a retry button and a preview."""

from __future__ import annotations

__all__ = ["route_handlers"]

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from server.auth import Me, require_staff
from server.errors import Conflict
from server.i18n import gettext as _
from server.mail import outbox
from server.mail.render import build_mime, render_message
from server.schemas import PathId

# The rendered HTML of a message is shown on its own, with nothing allowed to run or load; its inline styles (the
# renderer inlines them, as mail clients need) apply, so staff see the message as its recipient does.
PREVIEW_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


async def visible_sessions(request: Request, me: Me) -> set[int] | None:
    """The sessions whose mail ``me`` may see, None for all (an admin): events decides, through the function the
    composition root (server.app) hands over as ``app.state.managed_session_ids``."""
    ids = await request.app.state.managed_session_ids(me)
    return None if ids is None else set(ids)


#: A handler parameter: the sessions whose mail the signed-in staff member may see.
Sessions = NamedDependency[set[int] | None]


def _kept(row: dict) -> dict:
    """The row, unless retention erased its address and facts (then there is nothing to render)."""
    if outbox.is_forgotten(row):
        raise Conflict(_("The address and content of this message were erased under the retention rules."))
    return row


class OutboxPages(Controller):
    """What mail was decided, and what became of it."""

    path = "/staff/outbox"
    guards = [require_staff]
    dependencies = {"sessions": Provide(visible_sessions)}
    include_in_schema = False

    @get("/")
    async def messages(self, me: Me, sessions: Sessions, status: FromQuery[str | None] = None) -> Template:
        """Newest first, filtered by status; organisers see their sessions' mail only."""
        rows = await outbox.list_outbox(sessions, status or None)
        context = {"user": me, "messages": rows, "status": status or "", "retryable": outbox.is_retryable}
        return Template("pages/staff/outbox.html", context=context)

    @get("/{message_id:int}")
    async def preview(self, request: Request, me: Me, sessions: Sessions, message_id: PathId) -> Template:
        """The message as its recipient gets it (rendered now, in their language and time zone)."""
        row = await outbox.visible_message(sessions, message_id)
        rendered, error = None, ""
        try:
            rendered = await render_message(_kept(row), request.app.state.settings, request.app.state.mail_builders)
        except Conflict as erased:
            error = erased.detail
        except Exception as failure:  # show why it cannot be rendered rather than fail the page
            error = f"{type(failure).__name__}: {failure}"
        return Template(
            "pages/staff/outbox_message.html",
            context={"user": me, "message": row, "rendered": rendered, "render_error": error,
                     "retryable": outbox.is_retryable},
        )

    @get("/{message_id:int}/message.html")
    async def preview_html(self, request: Request, sessions: Sessions, message_id: PathId) -> Response[str]:
        """The HTML part alone, sandboxed (no script, no remote content)."""
        row = _kept(await outbox.visible_message(sessions, message_id))
        rendered = await render_message(row, request.app.state.settings, request.app.state.mail_builders)
        return Response(rendered.html, media_type="text/html", headers={"Content-Security-Policy": PREVIEW_CSP})

    @get("/{message_id:int}/message.eml")
    async def download(self, request: Request, sessions: Sessions, message_id: PathId) -> Response[bytes]:
        """The whole MIME message as it would be sent, to inspect headers and the calendar."""
        row = _kept(await outbox.visible_message(sessions, message_id))
        settings = request.app.state.settings
        message = build_mime(row, await render_message(row, settings, request.app.state.mail_builders), settings)
        return Response(
            message.as_bytes(),
            media_type="message/rfc822",
            headers={"Content-Disposition": f'attachment; filename="message-{message_id}.eml"'},
        )

    @post("/{message_id:int}/retry")
    async def retry(self, sessions: Sessions, message_id: PathId) -> Redirect:
        """Queue the message again, to go at once."""
        await outbox.retry(sessions, message_id)
        return Redirect(f"/staff/outbox/{message_id}", status_code=HTTP_303_SEE_OTHER)


route_handlers: list = [OutboxPages]
