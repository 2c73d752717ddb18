"""/stats and /audit [student number or name | staff number] for school and bureau admins."""

from __future__ import annotations

from telegram import Update

from bot import adminviews
from handlers.common import Context, reply, services, staff_viewer


async def show_stats(update: Update, context: Context) -> None:
    """Send the admin's scope in figures: isolated now, rounds, alerts and delivery lately."""
    found = await staff_viewer(update, context, roles=("admin",))
    if found is None:
        return
    who, viewer = found
    await reply(
        update, context, await adminviews.stats_text(services(context), viewer, who.language)
    )


async def show_audit(update: Update, context: Context) -> None:
    """Send the newest audit entries of the admin's scope, of one student, or of one staff."""
    found = await staff_viewer(update, context, roles=("admin",))
    if found is None:
        return
    who, viewer = found
    query = " ".join(context.args or []).strip()
    text = await adminviews.audit_text(services(context), viewer, who.language, query)
    await reply(update, context, text)
