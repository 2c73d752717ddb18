"""/answerer <student> <student|guardian|either|default>: who answers a student's check-ins."""

from __future__ import annotations

from telegram import Update

from bot.guardians.choice import Outcome, set_answerer
from handlers.common import Context, reply, staff_viewer


async def choose_answerer(update: Update, context: Context) -> None:
    """Set who answers one student's check-ins: the student, a guardian, or either."""
    found = await staff_viewer(update, context, roles=("teacher", "admin"))
    if found is None:
        return
    who, viewer = found
    svc = context.svc
    done = await set_answerer(svc, viewer, list(context.args or []))
    t = svc.catalog.t
    if done.outcome is Outcome.SET:
        assert done.student is not None
        text = t(
            who.language,
            "guardians.answerer.set_by_rule" if done.by_rule else "guardians.answerer.set",
            name=done.student.name,
            answerer=t(who.language, f"guardians.answerer.is.{done.answerer}"),
        )
    elif done.outcome is Outcome.NOT_ALLOWED:
        text = t(who.language, "common.not_allowed")
    else:
        text = t(who.language, f"guardians.answerer.{done.outcome}")
    await reply(update, context, text)
