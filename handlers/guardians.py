"""/answerer <student> <student|guardian|either|default>: who answers a student's check-ins."""

from __future__ import annotations

from telegram import Update

from bot.guardians import consent
from bot.guardians.childview import child_view
from bot.guardians.choice import Outcome, set_answerer
from handlers.common import Context, bound_press, bound_sender, reply, staff_viewer


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


async def show_child(update: Update, context: Context) -> None:
    """Show a guardian their own children's check-ins of the last week (/child [child])."""
    bound = await bound_sender(update, context)
    if bound is None:
        return
    who, person = bound
    svc = context.svc
    if person.role != "guardian":
        await reply(update, context, svc.catalog.t(who.language, "common.not_allowed"))
        return
    query = " ".join(context.args or []).strip() or None
    text = await child_view(svc, person, who.language, query)
    if text is None:
        text = svc.catalog.t(who.language, "guardians.child_view.not_found")
    await reply(update, context, text)


async def press_consent(update: Update, context: Context) -> None:
    """Store a guardian's yes or no to health check-ins (gd:<student_id>:yes|no)."""
    press = await bound_press(update, context)
    if press is None:
        return
    svc = context.svc
    query, language = press.query, press.who.language
    student_id, choice = press.id_at(0), press.data.text(1)
    if press.data.area != consent.AREA or len(press.data) != 2 or student_id is None:
        await query.answer(svc.catalog.t(language, "common.bad_button"), show_alert=True)
        return
    if choice is None or not await consent.answer(svc, press.person, student_id, choice):
        await query.answer(svc.catalog.t(language, "guardians.consent.not_asked"), show_alert=True)
        return
    thanks = svc.catalog.t(language, f"guardians.consent.thanks_{choice}")
    await query.answer(thanks)
    await query.edit_message_text(thanks)
