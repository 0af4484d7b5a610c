"""Who may manage which session: admins every session, organisers the sessions they are assigned to.

Other packages call ``ensure_can_manage`` for their session-scoped staff routes.
"""

from __future__ import annotations

__all__ = ["can_manage", "ensure_can_manage", "managed_session_ids"]


from events.tables import Session, SessionOrganiser
from server.auth import StaffUser
from server.errors import Forbidden, NotFound
from server.i18n import gettext as _


async def can_manage(user: StaffUser, session_id: int) -> bool:
    """True for admins and the session's organisers (the session is assumed to exist)."""
    if user.is_admin:
        return True
    return await SessionOrganiser.exists().where(
        (SessionOrganiser.session == session_id) & (SessionOrganiser.user == user.id)
    )


async def ensure_can_manage(user: StaffUser, session_id: int) -> None:
    """Raise NotFound when there is no such session, Forbidden when ``user`` may not manage it."""
    if not await Session.exists().where(Session.id == session_id):
        raise NotFound(_("No session with id %(id)s.", id=session_id))
    if not await can_manage(user, session_id):
        raise Forbidden(_("You are not an organiser of this session."))


async def managed_session_ids(user: StaffUser) -> list[int] | None:
    """The ids of the sessions ``user`` organises; None for admins, who manage all."""
    if user.is_admin:
        return None
    rows = await SessionOrganiser.select(SessionOrganiser.session).where(SessionOrganiser.user == user.id)
    return [row["session"] for row in rows]

