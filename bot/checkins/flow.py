"""The answer flow: apply a student's taps and typed text to their check-in, step by step."""

from __future__ import annotations

import dataclasses
import logging
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
    late_text,
    next_text,
    no_thermometer,
    refusal_text,
    said,
    screen_for,
    screen_item,
    t,
    temperature_text,
    voiced,
)
from bot.checkins.store import checkins as checkin_store
from bot.checkins.store import rounds as round_store
from bot.checkins.store.checkins import Checkin
from bot.checkins.temperature import Reading, parse_temperature
from bot.core.keyboard import Keyboard
from bot.core.services import Services
from bot.core.symptoms import SYMPTOMS
from bot.guardians import family
from bot.storage import people
from bot.storage.records import Person

log = logging.getLogger(__name__)
# Longer notes are cut (and the student told): the summary shows the note with every other
# answer, and must fit in one Telegram message (4096 UTF-16 units; an emoji takes two).
NOTE_MAX = 1000
# Steps that wait for a tap: typed text there is a temperature correction or a mistake.
BUTTON_STEPS = ("symptoms", "mood", "screen", "summary")
# Readings a thermometer rarely shows on a living child: asked once to confirm.
IMPLAUSIBLE_HIGH_C = 41.5
IMPLAUSIBLE_LOW_C = 35.0
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
        screen = await _screen_as(svc, student, language, checkin)
        await _remember(svc, checkin.id, message_id)
        return Reply(screen=screen)
    changed = await _apply(svc, checkin, known, args, message_id, now, by=_by(student))
    if not changed:
        return Reply(toast=svc.catalog.t(language, "checkin.step_done"), alert=True)
    fresh = await checkin_store.checkin_by_id(svc.db, checkin_id)
    assert fresh is not None
    screen = await _screen_as(svc, student, language, fresh)
    if known is Verb.SUBMIT:
        await on_settled(svc, checkin_id)
        return Reply(screen=screen, toast=t(svc, language, "thanks"))
    await on_answer_stored(svc, fresh, student, language, now)
    return Reply(screen=screen)


async def _may_answer(svc: Services, person: Person, c: Checkin) -> bool:
    return c.student_id == person.id or await family.cares_for(svc.db, person, c.student_id)


def _by(person: Person) -> int | None:
    """What a check-in stores as who answered: a guardian's id, or None for the student."""
    return person.id if person.role == "guardian" else None


async def _child_name(svc: Services, person: Person, c: Checkin) -> str | None:
    """The child's name when `person` answers someone else's check-in (a guardian), else None."""
    if person.id == c.student_id:
        return None
    child = await people.person_by_id(svc.db, c.student_id)
    return child.name if child else ""


async def _screen_as(svc: Services, person: Person, language: str, c: Checkin) -> Screen:
    """The check-in's current step; for a guardian, headed with the child it is about and
    asked about the child."""
    name = await _child_name(svc, person, c)
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


async def typed(
    svc: Services, student: Person, language: str, text: str, now: int
) -> Reply | None:
    """Take a typed temperature or note if the student's check-in waits for one, else None.

    A temperature typed while the check-in waits for a tap corrects the one given. A guardian's
    text goes to the child's check-in they are answering (see `_guardian_typing`)."""
    if student.role == "guardian":
        checkin = await _guardian_typing(svc, student, now)
        if checkin is None:
            return None
    else:
        checkin = await checkin_store.current_checkin(svc.db, student.id, now)
    if checkin is None or checkin.status != "open":
        return await _late_typed(svc, student, language, text, now)
    if checkin.step in ("temperature", "temp_confirm"):
        return await _typed_temperature(svc, checkin, student, language, text, now)
    if checkin.step in BUTTON_STEPS:
        if not isinstance(parse_temperature(text), Reading):
            return None
        return await _typed_temperature(svc, checkin, student, language, text, now)
    if checkin.step == "note":
        whole = text.strip()
        note = whole[:NOTE_MAX]
        async with svc.db.transaction() as tx:
            changed = await checkin_store.update_flow(
                tx,
                checkin.id,
                steps=("note",),
                now=now,
                note=note or None,
                step="summary",
                answered_by=_by(student),
            )
        if not changed:
            return None
        fresh = await checkin_store.checkin_by_id(svc.db, checkin.id)
        assert fresh is not None
        screen = await _screen_as(svc, student, language, fresh)
        if len(whole) > NOTE_MAX:
            child = await _child_name(svc, student, checkin)
            cut = said(svc, language, voiced("note_cut", student.is_staff), child, max=NOTE_MAX)
            screen = screen.with_text_above(cut)
        return Reply(screen=screen, new_message=True, checkin_id=checkin.id)
    return None


async def _guardian_typing(svc: Services, guardian: Person, now: int) -> Checkin | None:
    """The child's check-in a guardian's typing is for: the one they last answered in that
    still waits for typing, else the first child's that waits for it."""
    waiting = []
    for child in await family.children_of(svc.db, guardian):
        checkin = await checkin_store.current_checkin(svc.db, child.student.id, now)
        if checkin is not None and checkin.status == "open":
            waiting.append(checkin)
    typing = [c for c in waiting if c.step in ("temperature", "temp_confirm", "note")]
    mine = [c for c in typing if c.answered_by == guardian.id]
    found = mine or typing or waiting
    return found[0] if found else None


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


async def button_hint(svc: Services, student: Person, language: str, now: int) -> str | None:
    """For text nobody took while the check-in waits for a tap: say to tap a button."""
    if student.role == "guardian":
        checkin = await _guardian_typing(svc, student, now)
        if checkin is None:
            return None
    else:
        checkin = await checkin_store.current_checkin(svc.db, student.id, now)
    if checkin is None or checkin.status != "open" or checkin.step not in BUTTON_STEPS:
        return None
    return t(svc, language, "tap_buttons")


def implausible(celsius: float) -> bool:
    """A reading a thermometer rarely shows on a living child: asked once to confirm."""
    return celsius >= IMPLAUSIBLE_HIGH_C or celsius <= IMPLAUSIBLE_LOW_C


async def _typed_temperature(
    svc: Services, checkin: Checkin, student: Person, language: str, text: str, now: int
) -> Reply:
    reading = parse_temperature(text)
    if not isinstance(reading, Reading):
        code = getattr(reading, "code", "not_a_number")
        child = await _child_name(svc, student, checkin)
        screen = Screen(
            said(svc, language, f"temp_error.{code}", child),
            Keyboard.of((no_thermometer(svc, language, checkin.id, checkin.isolation_kind),)),
        )
        return Reply(screen=screen, new_message=True)
    celsius = round(reading.celsius, 1)
    confirmed = checkin.step == "temp_confirm" and checkin.pending_c == celsius
    at_buttons = checkin.step in BUTTON_STEPS
    steps = (checkin.step,) if at_buttons else ("temperature", "temp_confirm")
    async with svc.db.transaction() as tx:
        if reading.from_fahrenheit or (implausible(celsius) and not confirmed):
            changed = await checkin_store.update_flow(
                tx,
                checkin.id,
                steps=steps,
                now=now,
                pending_c=celsius,
                pending_f=_fahrenheit(reading) if reading.from_fahrenheit else None,
                step="temp_confirm",
                answered_by=_by(student),
            )
        else:
            changed = await checkin_store.update_flow(
                tx,
                checkin.id,
                steps=steps,
                now=now,
                temperature_c=celsius,
                temperature_status="measured",
                fahrenheit_original=None,
                pending_c=None,
                pending_f=None,
                # A correction typed at a later step keeps the student where they were.
                step=checkin.step if at_buttons else "symptoms",
                answered_by=_by(student),
            )
    if not changed:
        log.info("check-in %d moved on before its temperature was stored", checkin.id)
    fresh = await checkin_store.checkin_by_id(svc.db, checkin.id)
    assert fresh is not None
    if changed:
        await on_answer_stored(svc, fresh, student, language, now)
    screen = await _screen_as(svc, student, language, fresh)
    if changed and at_buttons and fresh.step != "temp_confirm":
        value = temperature_text(svc, language, fresh)
        done = t(svc, language, "temperature_changed", value=value)
        screen = screen.with_text_above(done)
    return Reply(screen=screen, new_message=True, checkin_id=checkin.id)


async def _late_typed(
    svc: Services, student: Person, language: str, text: str, now: int
) -> Reply | None:
    """A temperature typed just after closing gets the kind refusal; other text is not ours."""
    if not isinstance(parse_temperature(text), Reading):
        return None
    latest = await checkin_store.latest_checkin(svc.db, student.id)
    if latest is None or latest.status not in ("open", "missed"):
        return None
    # Only soon after closing: later, a number is more likely a message meant for someone.
    window = svc.config.checkins.window_minutes * 60
    if not latest.closes_at <= now < latest.closes_at + window:
        return None
    return Reply(screen=Screen(await late_text(svc, language, latest, now)), new_message=True)


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


async def waiting_for(svc: Services, student: Person, now: int) -> str | None:
    """What the student's open check-in waits for them to type: "temperature", "note", or
    None when it waits for no typing (or there is none)."""
    checkin = await checkin_store.current_checkin(svc.db, student.id, now)
    if checkin is None or checkin.status != "open":
        return None
    if checkin.step in ("temperature", "temp_confirm"):
        return "temperature"
    return "note" if checkin.step == "note" else None


def _after_symptoms(c: Checkin) -> str:
    """Mood, or on the weekly screen slot the screen; a screen already complete is not asked
    again after an Edit (it is about the last two weeks, not this morning)."""
    if not c.with_screen:
        return "mood"
    return "screen" if None in c.screen else "note"


def _fahrenheit(reading: Reading) -> float:
    original = reading.original
    if isinstance(original, int | float):
        return float(original)
    return round(reading.celsius * 9 / 5 + 32, 1)


def _int_arg(args: list[str], low: int, high: int) -> int | None:
    # ASCII only: str.isdigit() also takes "²", which int() refuses, and "٣", which it reads.
    if not args or not (args[0].isascii() and args[0].isdigit()):
        return None
    value = int(args[0])
    return value if low <= value <= high else None
