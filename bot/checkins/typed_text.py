"""Typed answers to a check-in: a temperature (or a correction of it), a note, a hint to tap a
button, and what the open check-in waits for the student to type. Taps are in flow."""

from __future__ import annotations

import logging

from bot.checkins.flow import Reply, by, child_name, screen_as
from bot.checkins.handoff import on_answer_stored
from bot.checkins.screens import (
    Screen,
    late_text,
    no_thermometer,
    said,
    t,
    temperature_text,
    voiced,
)
from bot.checkins.store import checkins as checkin_store
from bot.checkins.store.checkins import Checkin
from bot.checkins.temperature import Reading, parse_temperature
from bot.core.keyboard import Keyboard
from bot.core.services import Services
from bot.guardians import family
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
                answered_by=by(student),
            )
        if not changed:
            return None
        fresh = await checkin_store.checkin_by_id(svc.db, checkin.id)
        assert fresh is not None
        screen = await screen_as(svc, student, language, fresh)
        if len(whole) > NOTE_MAX:
            child = await child_name(svc, student, checkin)
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
        child = await child_name(svc, student, checkin)
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
                answered_by=by(student),
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
                answered_by=by(student),
            )
    if not changed:
        log.info("check-in %d moved on before its temperature was stored", checkin.id)
    fresh = await checkin_store.checkin_by_id(svc.db, checkin.id)
    assert fresh is not None
    if changed:
        await on_answer_stored(svc, fresh, student, language, now)
    screen = await screen_as(svc, student, language, fresh)
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


async def waiting_for(svc: Services, student: Person, now: int) -> str | None:
    """What the student's open check-in waits for them to type: "temperature", "note", or
    None when it waits for no typing (or there is none)."""
    checkin = await checkin_store.current_checkin(svc.db, student.id, now)
    if checkin is None or checkin.status != "open":
        return None
    if checkin.step in ("temperature", "temp_confirm"):
        return "temperature"
    return "note" if checkin.step == "note" else None


def _fahrenheit(reading: Reading) -> float:
    original = reading.original
    if isinstance(original, int | float):
        return float(original)
    return round(reading.celsius * 9 / 5 + 32, 1)
