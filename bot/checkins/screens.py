"""What each step of a check-in looks like: the texts and buttons the flow shows."""

from __future__ import annotations

import dataclasses
from enum import StrEnum
from typing import Any

from bot.alerts import rules
from bot.checkins import schedule
from bot.checkins.schedule import slot_name
from bot.checkins.store import checkins as checkin_store
from bot.checkins.store import rounds as round_store
from bot.checkins.store.checkins import Checkin
from bot.checkins.store.rounds import Recipient
from bot.core.keyboard import Button, Keyboard, Screen, callback
from bot.core.services import Services
from bot.core.symptoms import KEYBOARD_ORDER, SYMPTOMS
from bot.delivery.outbox import Lane, Outgoing, message

MOODS = ("😣", "🙁", "😐", "🙂", "😄")
SCREEN_ITEMS = 4
SCREEN_OPTIONS = 4
# What of a kept note its button shows: about a phone's width of Chinese text.
NOTE_PREVIEW = 16

AREA = "ci"


class Verb(StrEnum):
    """What a check-in button does; its value travels in the callback data."""

    NO_THERMOMETER = "no_thermometer"
    KEEP_TEMP = "keep_temp"
    TEMP_YES = "temp_yes"
    TEMP_RETYPE = "temp_retype"
    SYMPTOM = "symptom"
    NO_SYMPTOMS = "no_symptoms"
    SYMPTOMS_DONE = "symptoms_done"
    MOOD = "mood"
    SCREEN = "screen"
    KEEP_NOTE = "keep_note"
    DELETE_NOTE = "delete_note"
    SUBMIT = "submit"
    EDIT = "edit"
    RESUME = "resume"


def button(label: str, checkin_id: int, verb: Verb, *args: int) -> Button:
    """A check-in button: ci:<check-in>:<verb>[:<arg>…]."""
    return Button(label, callback(AREA, checkin_id, verb.value, *args))


async def refusal_text(svc: Services, language: str, c: Checkin, now: int) -> str | None:
    if c.status == "cancelled":
        return t(svc, language, "cancelled")
    if c.status in ("missed", "not_sent") or now >= c.closes_at:
        if c.status == "not_sent" and now < c.closes_at:
            return t(svc, language, "use_command")
        return await late_text(svc, language, c, now)
    return None


async def late_text(svc: Services, language: str, c: Checkin, now: int) -> str:
    """A closed check-in's answer: the round open now if there is one, else the next."""
    closed = schedule.clock_time(c.closes_at, svc.tz)
    plan = await round_store.plan_of(svc.db, c.student_id, [p.name for p in svc.config.schools])
    current = await round_store.open_round_now(svc.db, now, plan)
    if current is not None and current.id != c.round_id:
        return t(
            svc,
            language,
            "late_open_now",
            closed=closed,
            slot=_slot_name(svc, language, current.slot),
            closes=schedule.clock_time(current.closes_at, svc.tz),
        )
    nxt = schedule.next_slot(svc.config.checkins_for(plan), svc.tz, now)
    return next_text(svc, language, "late", nxt, now, closed=closed)


def next_text(
    svc: Services, language: str, key: str, nxt: schedule.SlotTimes, now: int, **extra: str
) -> str:
    today = schedule.same_day(nxt.opens_at, now, svc.tz)
    when = t(
        svc,
        language,
        "when.today" if today else "when.tomorrow",
        time=schedule.clock_time(nxt.opens_at, svc.tz),
    )
    return t(svc, language, key, next=when, **extra)


def screen_for(
    svc: Services, language: str, c: Checkin, *, staff: bool, child: str | None = None
) -> Screen:
    """The check-in's current step; `staff` words it for an isolated staff member, `child`
    (the child's name) for a guardian answering for them: to the parent, about the child."""
    header = header_text(svc, language, c.slot, c.scheduled_at)
    step = c.step
    if step == "temperature":
        return temperature_screen(
            svc, language, c.id, header, c.isolation_kind, kept=c, child=child
        )
    if step == "temp_confirm":
        if c.pending_f is None:
            text = t(svc, language, "implausible_confirm", celsius=number(c.pending_c))
        else:
            text = t(
                svc,
                language,
                "fahrenheit_confirm",
                typed=number(c.pending_f),
                celsius=number(c.pending_c),
            )
        return Screen(
            f"{header}\n\n{text}",
            Keyboard.of(
                (
                    button(t(svc, language, "btn.yes"), c.id, Verb.TEMP_YES),
                    button(t(svc, language, "btn.retype"), c.id, Verb.TEMP_RETYPE),
                )
            ),
        )
    if step == "symptoms":
        ticked = set(c.symptoms or ())
        buttons = [
            button(
                ("✅ " if code in ticked else "") + t(svc, language, f"symptom.{code}"),
                c.id,
                Verb.SYMPTOM,
                i,
            )
            for code in KEYBOARD_ORDER
            for i in (SYMPTOMS.index(code),)
        ]
        rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        rows.append(
            [
                button(t(svc, language, "btn.no_symptoms"), c.id, Verb.NO_SYMPTOMS),
                button(t(svc, language, "btn.done"), c.id, Verb.SYMPTOMS_DONE),
            ]
        )
        ask = said(svc, language, "ask.symptoms", child)
        return Screen(f"{header}\n\n{ask}", Keyboard.of(*rows))
    if step == "mood":
        faces = (
            button(("·" + face + "·") if c.mood == i + 1 else face, c.id, Verb.MOOD, i + 1)
            for i, face in enumerate(MOODS)
        )
        ask = said(svc, language, "ask.mood", child)
        return Screen(f"{header}\n\n{ask}", Keyboard.of(faces))
    if step == "screen":
        item = screen_item(c)
        question = said(
            svc,
            language,
            "ask.screen",
            child,
            n=item + 1,
            total=SCREEN_ITEMS,
            item=t(svc, language, f"screen.item{item + 1}"),
        )
        options = Keyboard.column(
            button(
                ("✅ " if c.screen[item] == v else "") + t(svc, language, f"screen.option{v}"),
                c.id,
                Verb.SCREEN,
                item,
                v,
            )
            for v in range(SCREEN_OPTIONS)
        )
        if item == 0:
            intro = said(svc, language, "ask.screen_intro", child)
            question = f"{intro}\n\n{question}"
        return Screen(f"{header}\n\n{question}", options)
    if step == "note":
        if c.note:
            return Screen(
                f"{header}\n\n{said(svc, language, voiced('ask.note_kept', staff), child)}",
                Keyboard.column(
                    (
                        button(
                            t(svc, language, "btn.keep", value=_preview(c.note)),
                            c.id,
                            Verb.KEEP_NOTE,
                        ),
                        button(t(svc, language, "btn.delete_note"), c.id, Verb.DELETE_NOTE),
                    )
                ),
            )
        return Screen(
            f"{header}\n\n{said(svc, language, voiced('ask.note', staff), child)}",
            Keyboard.of((button(t(svc, language, "btn.skip"), c.id, Verb.KEEP_NOTE),)),
        )
    return _summary_screen(svc, language, c, header, staff, child)


def temperature_screen(
    svc: Services,
    language: str,
    checkin_id: int,
    header: str,
    kind: str,
    kept: Checkin | None,
    child: str | None = None,
) -> Screen:
    row: list[Button] = [no_thermometer(svc, language, checkin_id, kind)]
    if kept is not None and kept.temperature_status is not None:
        row.append(
            button(
                t(svc, language, "btn.keep", value=temperature_text(svc, language, kept)),
                checkin_id,
                Verb.KEEP_TEMP,
            )
        )
    ask = said(svc, language, f"ask.temperature.{kind}", child)
    return Screen(f"{header}\n\n{ask}", Keyboard.of(row))


def no_thermometer(svc: Services, language: str, checkin_id: int, kind: str) -> Button:
    """Worded for where the student is: at home, in a quarantine hotel or a school dorm."""
    return button(t(svc, language, f"btn.no_thermometer.{kind}"), checkin_id, Verb.NO_THERMOMETER)


def _summary_screen(
    svc: Services, language: str, c: Checkin, header: str, staff: bool, child: str | None
) -> Screen:
    sep = t(svc, language, "list_separator")
    if c.symptoms is None:
        symptoms = "—"
    elif not c.symptoms:
        symptoms = t(svc, language, "summary.no_symptoms")
    else:
        symptoms = sep.join(t(svc, language, f"symptom.{s}") for s in c.symptoms)
    if c.with_screen:
        wellbeing_key, wellbeing = "summary.screen", t(svc, language, "summary.screen_done")
    else:
        wellbeing_key, wellbeing = "summary.mood", MOODS[c.mood - 1] if c.mood else "—"
    lines = [
        header,
        "",
        t(svc, language, "summary.temperature", value=temperature_text(svc, language, c)),
        t(svc, language, "summary.symptoms", value=symptoms),
        t(svc, language, wellbeing_key, value=wellbeing),
        t(svc, language, "summary.note", value=c.note or "—"),
        "",
    ]
    closes = schedule.clock_time(c.closes_at, svc.tz)
    if c.status == "answered":
        lines.append(said(svc, language, "summary.submitted", child, closes=closes))
        lines += _in_touch(svc, language, c, staff, child)
        buttons: tuple[Button, ...] = (button(t(svc, language, "btn.edit"), c.id, Verb.EDIT),)
    else:
        lines.append(t(svc, language, "summary.check", closes=closes))
        buttons = (
            button(t(svc, language, "btn.submit"), c.id, Verb.SUBMIT),
            button(t(svc, language, "btn.edit"), c.id, Verb.EDIT),
        )
    return Screen("\n".join(lines), Keyboard.of(buttons))


def _in_touch(
    svc: Services, language: str, c: Checkin, staff: bool, child: str | None
) -> list[str]:
    """An abnormal answer is not just "submitted": say who will be in touch."""
    current = dataclasses.replace(checkin_store.facts(c), screen=rules.partial_screen(c.screen))
    signals = rules.evaluate_answers(current, rules.Thresholds.from_config(svc.config.alerts))
    kinds = {s.kind for s in signals}
    lines = []
    if kinds & {rules.AlertKind.FEVER, rules.AlertKind.SYMPTOMS}:
        lines.append(said(svc, language, voiced("summary.in_touch_health", staff), child))
    if rules.AlertKind.SCREEN in kinds:
        lines.append(said(svc, language, voiced("summary.in_touch_counselor", staff), child))
    return lines


def temperature_text(svc: Services, language: str, c: Checkin) -> str:
    if c.temperature_status == "not_measured":
        return t(svc, language, "summary.not_measured")
    if c.temperature_c is None:
        return "—"
    text = f"{c.temperature_c:.1f} °C"
    if c.fahrenheit_original is not None:
        text += t(svc, language, "summary.from_fahrenheit", value=number(c.fahrenheit_original))
    return text


def header_text(svc: Services, language: str, slot: str, scheduled_at: int) -> str:
    return t(
        svc,
        language,
        "header",
        slot=_slot_name(svc, language, slot),
        time=schedule.clock_time(scheduled_at, svc.tz),
    )


def _slot_name(svc: Services, language: str, slot: str) -> str:
    return slot_name(svc.catalog, language, slot)


def nudge(svc: Services, dedup_key: str, to: Recipient, language: str, text: str) -> Outgoing:
    """A reminder to finish a check-in, with the button that takes the student back to it."""
    resume = button(svc.catalog.t(language, "checkin.btn.resume"), to.checkin_id, Verb.RESUME)
    return message(
        dedup_key,
        Lane.CHECKIN,
        to.chat_id,
        text,
        keyboard=Keyboard.of((resume,)),
        person_id=to.student_id,
    )


def screen_item(c: Checkin) -> int:
    """The screen question to ask: the first one not answered yet."""
    return next((i for i, value in enumerate(c.screen) if value is None), SCREEN_ITEMS - 1)


def _preview(note: str) -> str:
    one_line = " ".join(note.split())
    return one_line if len(one_line) <= NOTE_PREVIEW else one_line[:NOTE_PREVIEW] + "…"


def number(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def voiced(key: str, staff: bool) -> str:
    """A student's wording, or its twin in the staff table: an isolated teacher has no class
    teacher, and what they write and answer reaches the school doctor."""
    return f"staff.{key.rsplit('.', 1)[-1]}" if staff else key


def said(svc: Services, language: str, key: str, child: str | None, **params: Any) -> str:
    """A text that asks about the person checked in: as it is, or, when a guardian answers
    for a child, its twin in the guardian table, said to the parent about that child."""
    if child is None:
        return t(svc, language, key, **params)
    return t(svc, language, f"guardian.{key}", name=child, **params)


def t(svc: Services, language: str, key: str, **params: Any) -> str:
    return svc.catalog.t(language, f"checkin.{key}", **params)


def for_child(svc: Services, language: str, name: str) -> str:
    """The line heading a guardian's copy of a check-in: whose check-in it is."""
    return t(svc, language, "for_child", name=name)
