"""/isolate, /release and the one-tap release (rl:<student_id>) for class teachers (own
classes) and admins (their scope)."""

from __future__ import annotations

from telegram import Update

from bot.core.access import may_manage_isolation
from bot.isolation import periods as isolation
from bot.isolation import screens, store
from bot.isolation.periods import KINDS
from bot.storage import people
from bot.storage.records import Person
from handlers.common import (
    Context,
    Sender,
    bound_press,
    bound_sender,
    reply,
    viewer_for,
)

# What a Chinese teacher types for each kind, as in the roster's 隔离方式 column.
KIND_ALIASES = {"居家": "home", "集中": "centralized", "在校": "on_campus"}


async def _target(update: Update, context: Context, who: Sender, query: str) -> Person | None:
    """The one student the query names and the sender may manage, or None after replying."""
    assert who.person is not None
    svc = context.svc
    catalog = svc.catalog
    viewer = await viewer_for(svc, who.person)
    matches = await store.find_people(svc.db, query)
    allowed = [(p, c) for p, c in matches if may_manage_isolation(viewer, p)]
    if not allowed:
        # Outside the scope and unknown read the same, so nobody learns who exists elsewhere.
        await reply(update, context, catalog.t(who.language, "common.no_student", query=query))
        return None
    if len(allowed) > 1:
        await reply(update, context, screens.ambiguous_text(catalog, who.language, query, allowed))
        return None
    return allowed[0][0]


async def _staff(update: Update, context: Context) -> Sender | None:
    bound = await bound_sender(update, context)
    if bound is None:
        return None
    who, person = bound
    catalog = context.svc.catalog
    if person.role not in ("teacher", "admin"):
        await reply(update, context, catalog.t(who.language, "common.not_allowed"))
        return None
    return who


async def isolate_student(update: Update, context: Context) -> None:
    """Start a student's isolation; the next check-in slot includes them."""
    who = await _staff(update, context)
    if who is None:
        return
    svc = context.svc
    args = list(context.args or [])
    kind = "home"
    if len(args) > 1 and KIND_ALIASES.get(args[-1], args[-1]) in KINDS:
        last = args.pop()
        kind = KIND_ALIASES.get(last, last)
    if not args:
        await reply(update, context, svc.catalog.t(who.language, "isolation.usage_isolate"))
        return
    student = await _target(update, context, who, " ".join(args))
    if student is None:
        return
    assert who.person is not None
    now = svc.now()
    outcome = await isolation.start_isolation(svc, student, kind, actor_id=who.person.id, now=now)
    text = screens.started_text(svc, who.language, student, outcome, now)
    await reply(update, context, text)


async def release_student(update: Update, context: Context) -> None:
    """End a student's isolation: check-ins stop and the student gets the return message."""
    who = await _staff(update, context)
    if who is None:
        return
    svc = context.svc
    query = " ".join(context.args or [])
    if not query:
        await reply(update, context, svc.catalog.t(who.language, "isolation.usage_release"))
        return
    student = await _target(update, context, who, query)
    if student is None:
        return
    assert who.person is not None
    outcome = await isolation.end_isolation(svc, student, actor_id=who.person.id, now=svc.now())
    text = screens.ended_text(svc.catalog, who.language, student, outcome, say_told=True)
    await reply(update, context, text)


async def press_release(update: Update, context: Context) -> None:
    """Release the student of a "due for release" button under /today, in one tap."""
    press = await bound_press(update, context)
    if press is None:
        return
    svc = context.svc
    catalog, language = svc.catalog, press.who.language
    student_id = press.id_at(0)
    if len(press.data) != 1 or student_id is None:
        await press.query.answer(catalog.t(language, "common.bad_button"), show_alert=True)
        return
    if press.person.role not in ("teacher", "admin"):
        await press.query.answer(catalog.t(language, "common.not_allowed"), show_alert=True)
        return
    student = await people.person_by_id(svc.db, student_id)
    if student is None:
        await press.query.answer(catalog.t(language, "common.bad_button"), show_alert=True)
        return
    viewer = await viewer_for(svc, press.person)
    if not may_manage_isolation(viewer, student):
        # A forged id must not tell whose it is.
        await press.query.answer(catalog.t(language, "common.not_allowed"), show_alert=True)
        return
    outcome = await isolation.end_isolation(svc, student, actor_id=press.person.id, now=svc.now())
    text = screens.ended_text(catalog, language, student, outcome, say_told=False)
    await press.query.answer(text, show_alert=True)
