"""The privacy notice (``GET /privacy``): the default text in the reader's language, or the deployment's own.

A deployment replaces it with ``PRIVACY_NOTICE_DIR``: a folder of ``<language>.html`` fragments (``en.html``,
``fr.html``…), trusted HTML shown inside the page; a language without its file gets ``en.html``, and without that
the default text.
"""

from __future__ import annotations

__all__ = ["notice_override", "route_handlers"]

from pathlib import Path

from litestar import Request, get
from litestar.response import Template
from markupsafe import Markup

from server.i18n import DEFAULT_LANGUAGE, current_locale


def notice_override(folder: Path | None, language: str) -> Markup | None:
    """The deployment's notice for ``language`` (else its English one), or None to show the default text."""
    if folder is None:
        return None
    for name in (language, DEFAULT_LANGUAGE):
        path = folder / f"{name}.html"
        if path.is_file():
            return Markup(path.read_text(encoding="utf-8"))  # noqa: S704 (the deployment's own file, trusted)
    return None


@get("/privacy", include_in_schema=False, cache=False)
async def privacy_notice(request: Request) -> Template:
    """What is collected, why, for how long, the registrant's rights and whom to write to, in the reader's
    language (linked from every consent and every message)."""
    settings = request.app.state.settings
    return Template("pages/privacy.html", context={
        "secretariat": settings.secretariat, "override": notice_override(settings.privacy_dir, current_locale()),
    })


route_handlers = [privacy_notice]
