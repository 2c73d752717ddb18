"""/web: a single-use link that opens the staff dashboard in a desktop browser."""

from __future__ import annotations

from telegram import Update

from bot.dashboard import sessions
from handlers.common import Context, reply, staff_viewer


async def send_web_link(update: Update, context: Context) -> None:
    """Send the staff member a login link to the dashboard, valid a few minutes, once."""
    found = await staff_viewer(update, context)
    if found is None:
        return
    who, viewer = found
    svc = context.svc
    if not svc.config.dashboard.enabled:
        await reply(update, context, svc.catalog.t(who.language, "dashboard.web.disabled"))
        return
    await sessions.send_login_link(svc, viewer.person, who.language)
