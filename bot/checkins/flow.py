"""The answer flow: apply a student's taps to their check-in, step by step, and start or resume
it; what they type is taken in typed_text."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from bot.checkins import schedule
from bot.checkins.handoff import on_answer_stored, on_settled
from bot.checkins.screens import (
    MOODS,
    SCREEN_ITEMS,
    SCREEN_OPTIONS,
    Screen,
    Verb,
    for_child,
    next_text,
    refusal_text,
    screen_for,
    screen_item,
    t,
)
from bot.checkins.store import checkins as checkin_store
from bot.checkins.store import rounds as round_store
from bot.checkins.store.checkins import Checkin
from bot.core.services import Services
from bot.core.symptoms import SYMPTOMS
from bot.guardians import family
from bot.storage import people
from bot.storage.records import Person

VERBS = frozenset(v.value for v in Verb)


@dataclass(frozen=True)
class Reply:
    """What the handler shows: a toast for a button, and a screen to edit in or send anew."""

    screen: Screen | None = None
    toast: str | None = None
    alert: bool = False
    new_message: bool = False
    # Remember the sent message as the check-in's flow message.
    checkin_id: int | None = None


async def press(
    svc: Services,
    student: Person,
    language: str,
    checkin_id: int,
    verb: str,
    args: list[str],
    message_id: int | None,
    now: int,
) -> Reply:
    """Apply one button press to a check-in and say what to show next.

    `student` is whoever pressed: the student, or a guardian answering for their child."""
    checkin = await checkin_store.checkin_by_id(svc.db, checkin_id)
    if checkin is None or not await _may_answer(svc, student, checkin):
        return Reply(toast=svc.catalog.t(language, "checkin.not_yours"), alert=True)
    refusal = await refusal_text(svc, language, checkin, now)
    if refusal is not None:
        return Reply(toast=refusal, alert=True)
    known = Verb(verb) if verb in VERBS else None
    if known is None or known is Verb.RESUME:
        # "Continue" under a reminder shows the current step in that message; so does a button
        # the bot no longer makes (ci:<id>:md:4 from before the verbs were renamed, still in
        # students' chats), rather than an error for a tap that did nothing wrong.
        screen = await screen_as(svc, student, language, checkin)
        await _remember(svc, checkin.id, message_id)
        return Reply(screen=screen)
    changed = await _apply(svc, checkin, known, args, message_id, now, by=by(student))
    if not changed:
        return Reply(toast=svc.catalog.t(language, "checkin.step_done"), alert=True)
    fresh = await checkin_store.checkin_by_id(svc.db, checkin_id)
    assert fresh is not None
    screen = await screen_as(svc, student, language, fresh)
    if known is Verb.SUBMIT:
        await on_settled(svc, checkin_id)
        return Reply(screen=screen, toast=t(svc, language, "thanks"))
    await on_answer_stored(svc, fresh, student, language, now)
    return Reply(screen=screen)


async def _may_answer(svc: Services, person: Person, c: Checkin) -> bool:
    return c.student_id == person.id or await family.cares_for(svc.db, person, c.student_id)


def by(person: Person) -> int | None:
    """What a check-in stores as who answered: a guardian's id, or None for the student."""
    return person.id if person.role == "guardian" else None


async def child_name(svc: Services, person: Person, c: Checkin) -> str | None:
    """The child's name when `person` answers someone else's check-in (a guardian), else None."""
    if person.id == c.student_id:
        return None
    child = await people.person_by_id(svc.db, c.student_id)
    return child.name if child else ""


async def screen_as(svc: Services, person: Person, language: str, c: Checkin) -> Screen:
    """The check-in's current step; for a guardian, headed with the child it is about and
    asked about the child."""
    name = await child_name(svc, person, c)
    screen = screen_for(svc, language, c, staff=person.is_staff, child=name)
    if name is None:
        return screen
    return screen.with_text_above(for_child(svc, language, name))


async def _apply(
    svc: Services,
    c: Checkin,
    verb: Verb,
    args: list[str],
    message_id: int | None,
    now: int,
    *,
    by: int | None,
) -> bool:
    """Store one answer if the check-in waits for it; False if it is stale or malformed."""
    nxt = _after_symptoms(c)
    updates: dict[str, Any] = {}
    steps: tuple[str, ...]
    if verb is Verb.NO_THERMOMETER:
        steps = ("temperature", "temp_confirm")
        updates = dict(
            temperature_status="not_measured",
            temperature_c=None,
            fahrenheit_original=None,
            pending_c=None,
            pending_f=None,
            step="symptoms",
        )
    elif verb is Verb.KEEP_TEMP:
        if c.temperature_status is None:
            return False
        steps = ("temperature",)
        updates = dict(step="symptoms")
    elif verb is Verb.TEMP_YES:
        steps = ("temp_confirm",)
        updates = dict(
            temperature_c=c.pending_c,
            fahrenheit_original=c.pending_f,
            temperature_status="measured",
            pending_c=None,
            pending_f=None,
            step="symptoms",
        )
    elif verb is Verb.TEMP_RETYPE:
        steps = ("temp_confirm",)
        updates = dict(pending_c=None, pending_f=None, step="temperature")
    elif verb is Verb.SYMPTOM:
        index = _int_arg(args, 0, len(SYMPTOMS) - 1)
        if index is None:
            return False
        ticked = set(c.symptoms or ())
        ticked ^= {SYMPTOMS[index]}
        steps = ("symptoms",)
        updates = dict(symptoms=",".join(s for s in SYMPTOMS if s in ticked))
    elif verb is Verb.NO_SYMPTOMS:
        steps = ("symptoms",)
        updates = dict(symptoms="", step=nxt)
    elif verb is Verb.SYMPTOMS_DONE:
        steps = ("symptoms",)
        updates = dict(symptoms=",".join(c.symptoms or ()), step=nxt)
    elif verb is Verb.MOOD:
        value = _int_arg(args, 1, len(MOODS))
        if value is None:
            return False
        steps = ("mood",)
        updates = dict(mood=value, step="note")
    elif verb is Verb.SCREEN:
        item = _int_arg(args, 0, SCREEN_ITEMS - 1)
        value = _int_arg(args[1:], 0, SCREEN_OPTIONS - 1)
        if item is None or value is None or item != screen_item(c):
            return False
        steps = ("screen",)
        updates = {f"screen_{item + 1}": value}
        if item == SCREEN_ITEMS - 1:
            updates["step"] = "note"
    elif verb is Verb.KEEP_NOTE:
        # Skip, or Keep when editing: either way the note already given stays. Deleting it is
        # its own button, so a Skip tapped out of habit never loses what was written.
        steps = ("note",)
        updates = dict(step="summary")
    elif verb is Verb.DELETE_NOTE:
        steps = ("note",)
        updates = dict(note=None, step="summary")
    elif verb is Verb.SUBMIT:
        if c.status != "open":
            return False
        steps = ("summary",)
        updates = dict(status="answered", answered_at=c.answered_at or now, evaluated_at=None)
    elif verb is Verb.EDIT:
        steps = ("summary",)
        # Answers stay until given again; a re-submission is evaluated again.
        updates = dict(status="open", step="temperature", evaluated_at=None)
    else:
        return False
    if message_id is not None:
        updates["message_id"] = message_id
    updates["answered_by"] = by
    async with svc.db.transaction() as tx:
        return await checkin_store.update_flow(tx, c.id, steps=steps, now=now, **updates)


async def resume_for_children(
    svc: Services, guardian: Person, language: str, now: int
) -> list[Reply]:
    """/checkin from a guardian: each isolated child's check-in, one message each."""
    replies = []
    for child in await family.children_of(svc.db, guardian):
        if await checkin_store.open_isolation_id(svc.db, child.student.id) is None:
            continue
        answer = await resume(svc, child.student, language, now, child=child.student.name)
        if answer.screen is not None:
            heading = for_child(svc, language, child.student.name)
            answer = dataclasses.replace(answer, screen=answer.screen.with_text_above(heading))
        replies.append(answer)
    return replies


async def resume(
    svc: Services, student: Person, language: str, now: int, child: str | None = None
) -> Reply:
    """/checkin: show the open check-in at its current step, starting it if need be; `child`
    names the student when a guardian asks for it."""
    checkin = await checkin_store.current_checkin(svc.db, student.id, now)
    isolation_id = await checkin_store.open_isolation_id(svc.db, student.id)
    if checkin is None or checkin.status == "not_sent":
        plan = await round_store.plan_of(svc.db, student.id, [p.name for p in svc.config.schools])
        rnd = await round_store.open_round_now(svc.db, now, plan)
        if isolation_id is None:
            return Reply(screen=Screen(t(svc, language, "not_isolated")), new_message=True)
        if rnd is None:
            nxt = schedule.next_slot(svc.config.checkins_for(plan), svc.tz, now)
            return Reply(
                screen=Screen(next_text(svc, language, "none_open", nxt, now)), new_message=True
            )
        async with svc.db.transaction() as tx:
            await checkin_store.add_one(
                tx,
                rnd.id,
                student.id,
                isolation_id,
                with_screen=schedule.is_screen_slot(
                    svc.config.checkins_for(plan), rnd.local_date, rnd.slot_index
                ),
                now=now,
            )
        checkin = await checkin_store.current_checkin(svc.db, student.id, now)
        if checkin is None:
            return Reply(screen=Screen(t(svc, language, "not_isolated")), new_message=True)
    return Reply(
        screen=screen_for(svc, language, checkin, staff=student.is_staff, child=child),
        new_message=True,
        checkin_id=checkin.id,
    )


async def remember_message(svc: Services, checkin_id: int, message_id: int) -> None:
    """Store the message the flow now edits, so a resumed flow and closing can find it."""
    await _remember(svc, checkin_id, message_id)


async def _remember(svc: Services, checkin_id: int, message_id: int | None) -> None:
    if message_id is None:
        return
    async with svc.db.transaction() as tx:
        await checkin_store.set_message(tx, checkin_id, message_id)


def _after_symptoms(c: Checkin) -> str:
    """Mood, or on the weekly screen slot the screen; a screen already complete is not asked
    again after an Edit (it is about the last two weeks, not this morning)."""
    if not c.with_screen:
        return "mood"
    return "screen" if None in c.screen else "note"


def _int_arg(args: list[str], low: int, high: int) -> int | None:
    # ASCII only: str.isdigit() also takes "²", which int() refuses, and "٣", which it reads.
    if not args or not (args[0].isascii() and args[0].isdigit()):
        return None
    value = int(args[0])
    return value if low <= value <= high else None
