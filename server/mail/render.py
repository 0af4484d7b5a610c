"""Rendering an outbox row into a MIME message, in the recipient's language and time zone.

Templates live in ``templates/emails/<template>.html``, one per message, with a ``subject`` block and a
``body`` block written once in the structures of ``emails/_parts.html``: the body is rendered twice, as the
plain-text part (``part="text"``, no autoescape) and as the HTML part (``part="html"``).

Each template has a context builder, found by its exact name in the :data:`MailBuilders` the composition root
(server.app) hands the worker and the staff pages (server imports no domain): the builder loads the session and
registration data the template shows and, for invites, the calendar.
"""

from __future__ import annotations

__all__ = [
    "ContextBuilder",
    "MailBuilders",
    "MailContent",
    "MessageObsolete",
    "MissingContextBuilder",
    "RenderedMessage",
    "build_mime",
    "builder_for",
    "from_row_only",
    "render_content",
    "render_message",
]

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate
from functools import cache
from typing import Any

import css_inline
from jinja2 import Environment, Template
from markupsafe import Markup

from server.i18n import text_direction, use_locale
from server.settings import Settings
from server.web import template_environment


class MessageObsolete(Exception):
    """The facts a message was about are gone (a registration erased): it is marked failed with this reason."""


@dataclass
class MailContent:
    """What a context builder gives the template: values, and for invites the calendar."""

    values: dict[str, Any] = field(default_factory=dict)
    calendar: bytes | None = None
    """The VCALENDAR of an invite (CRLF line ends)."""
    calendar_method: str | None = None
    """``REQUEST`` or ``CANCEL``: the calendar part's ``method`` parameter, equal to its METHOD."""
    headers: dict[str, str] = field(default_factory=dict)
    """Extra headers, e.g. List-Unsubscribe."""


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    text: str
    html: str
    calendar: bytes | None = None
    calendar_method: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


ContextBuilder = Callable[[str, dict[str, Any], Settings], Awaitable[MailContent]]
"""Gets the template name, the outbox row's ``context`` and the settings, runs in the recipient's locale, and
returns :class:`MailContent` (raises :class:`MessageObsolete` if the message makes no sense any more)."""
MailBuilders = Mapping[str, ContextBuilder]
"""The context builder of every mail template, by its exact name (``registration_confirmed``)."""
_HEADER_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


class MissingContextBuilder(LookupError):
    """A template has no context builder: a wiring mistake, never a message rendered without its facts."""


def builder_for(builders: MailBuilders, template: str) -> ContextBuilder:
    """The builder registered under exactly ``template``."""
    try:
        return builders[template]
    except KeyError:
        raise MissingContextBuilder(f"no mail context builder for the template {template!r}") from None


async def from_row_only(template: str, context: dict[str, Any], settings: Settings) -> MailContent:
    """The builder of a template that shows only what its outbox row carries (a password reset link)."""
    return MailContent()


@cache
def _environments() -> tuple[Environment, Environment]:
    """The page environment for HTML (autoescaped) and an overlay without escaping for subject and text."""
    html = template_environment()  # mail templates use no domain's globals
    html.globals["text_direction"] = text_direction
    # Its own cache: a shared one would hand the text overlay the HTML-escaping compilation of a template.
    text = html.overlay(autoescape=False, cache_size=200)
    return html, text


def _render_block(template: Template, block: str, values: dict[str, Any]) -> str:
    context = template.new_context(values)
    return "".join(template.blocks[block](context)).strip()


_TRAILING_SPACE = re.compile(r"[ \t]+$", re.MULTILINE)
_BLANK_LINES = re.compile(r"\n{3,}")


def tidy_text(text: str) -> str:
    """The text part's blocks each end in a blank line, and conditional ones leave empty lines: one blank line
    between paragraphs, none at the ends, no spaces ending a line."""
    return _BLANK_LINES.sub("\n\n", _TRAILING_SPACE.sub("", text)).strip()


def header_text(value: str) -> str:
    """One line: control characters (CR, LF) become spaces, so no header can be injected."""
    return _HEADER_UNSAFE.sub(" ", value).strip()


#: Inlines the layout's <style> into each element's ``style`` (many mail clients ignore <style>); links and
#: images stay as they are, and nothing is fetched.
_INLINER = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)


def render_content(
    template: str, content: MailContent, *, language: str, timezone: str, settings: Settings,
    context: dict[str, Any] | None = None,
) -> RenderedMessage:
    """Render ``templates/emails/<template>.html`` with ``content`` in ``language`` and ``timezone`` (staff
    previews call this directly with sample values)."""
    with use_locale(language, timezone):
        values = {
            "public_url": settings.public_url,
            "privacy_url": f"{settings.public_url}/privacy",
            "secretariat": settings.secretariat,
            "language": language,
            "timezone": timezone,
            "dir": text_direction(language),
            # Beside an invite, links that add the session to a web calendar (the builder gives their URLs).
            "add_to_calendar": content.calendar_method == "REQUEST" and "google_calendar_url" in content.values,
            **(context or {}),
            **content.values,
        }
        html_env, text_env = _environments()
        name = f"emails/{template}.html"
        subject = header_text(_render_block(text_env.get_template(name), "subject", values))
        text_body = tidy_text(_render_block(text_env.get_template(name), "body", {**values, "part": "text"}))
        text = text_env.get_template("emails/_layout_text.html").render(
            {**values, "part": "text", "body": text_body}
        ).strip()
        body = _render_block(html_env.get_template(name), "body", {**values, "part": "html"})
        html = html_env.get_template("emails/_layout.html").render(
            {**values, "part": "html", "subject": subject, "body": Markup(body)}  # noqa: S704 (an autoescaped block)
        )
    return RenderedMessage(
        subject=subject,
        text=text + "\n",
        html=_INLINER.inline(html) + "\n",
        calendar=content.calendar,
        calendar_method=content.calendar_method,
        headers={key: header_text(value) for key, value in content.headers.items()},
    )


async def render_message(row: dict[str, Any], settings: Settings, builders: MailBuilders) -> RenderedMessage:
    """Render ``row`` (an OutboxMessage as a dict) in its recipient's language and time zone, with the context
    its template's builder in ``builders`` gives (:class:`MissingContextBuilder` when it has none)."""
    builder = builder_for(builders, row["template"])
    with use_locale(row["language"], row["timezone"]):
        content = await builder(row["template"], row["context"], settings)
    return render_content(
        row["template"], content, language=row["language"], timezone=row["timezone"], settings=settings,
        context=row["context"],
    )


def build_mime(row: dict[str, Any], rendered: RenderedMessage, settings: Settings) -> EmailMessage:
    """The MIME message: ``multipart/alternative{text, html}``, or for an invite
    ``multipart/mixed{ multipart/alternative{ text/plain, text/html, text/calendar; method=… }, invite.ics }``."""
    message = EmailMessage(policy=SMTP)
    message["From"] = header_text(settings.mail_from)
    message["To"] = header_text(row["to_address"])
    message["Subject"] = rendered.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = header_text(row["message_id"])
    message["Auto-Submitted"] = "auto-generated"
    for key, value in rendered.headers.items():
        message[key] = value
    message.set_content(rendered.text, subtype="plain", charset="utf-8")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8")
    if rendered.calendar is not None:
        method = rendered.calendar_method or "REQUEST"
        calendar_text = rendered.calendar.decode("utf-8")
        # base64 keeps the calendar's CRLF line ends byte for byte.
        message.add_alternative(
            calendar_text, subtype="calendar", charset="utf-8", cte="base64", params={"method": method}
        )
        message.add_attachment(rendered.calendar, maintype="application", subtype="ics", filename="invite.ics")
    # Last: building the parts moves every Content-* header of the top level into the first part.
    message["Content-Language"] = header_text(row["language"])
    return message
