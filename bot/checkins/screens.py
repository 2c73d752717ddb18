"""What each step of a check-in looks like: the texts and buttons the flow shows."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from bot.alerts import rules
from bot.checkins import schedule, store
from bot.checkins.schedule import slot_name
from bot.checkins.store import Checkin, Recipient
from bot.core.services import Services
from bot.core.symptoms import KEYBOARD_ORDER, SYMPTOMS
from bot.delivery.outbox import Lane, Outgoing

MOODS = ("😣", "🙁", "😐", "🙂", "😄")
SCREEN_ITEMS = 4
SCREEN_OPTIONS = 4
# What of a kept note its button shows: about a phone's width of Chinese text.
NOTE_PREVIEW = 16

Button = tuple[str, str]


@dataclass(frozen=True)
class Screen:
    """A message of the flow: text and inline buttons as (label, callback data)."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()

    def markup(self) -> dict[str, Any] | None:
        if not self.buttons:
            return None
        return {
            "inline_keyboard": [
                [{"text": label, "callback_data": data} for label, data in row]
                for row in self.buttons
            ]
        }

    def payload(self) -> dict[str, Any]:
        markup = self.markup()
        return (
            {"text": self.text} if markup is None else {"text": self.text, "reply_markup": markup}
        )


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
    current = await store.open_round_now(svc.db, now)
    if current is not None and current.id != c.round_id:
        return t(
            svc,
            language,
            "late_open_now",
            closed=closed,
            slot=_slot_name(svc, language, current.slot),
            closes=schedule.clock_time(current.closes_at, svc.tz),
        )
    nxt = schedule.next_slot(svc.config.checkins, svc.tz, now)
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


def screen_for(svc: Services, language: str, c: Checkin) -> Screen:
    header = header_text(svc, language, c.slot, c.scheduled_at)
    step = c.step
    if step == "temperature":
        return temperature_screen(svc, language, c.id, header, c.isolation_kind, kept=c)
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
            (
                (
                    (t(svc, language, "btn.yes"), f"ci:{c.id}:fy"),
                    (t(svc, language, "btn.retype"), f"ci:{c.id}:fn"),
                ),
            ),
        )
    if step == "symptoms":
        ticked = set(c.symptoms or ())
        rows: list[tuple[Button, ...]] = []
        buttons = [
            (
                ("✅ " if code in ticked else "") + t(svc, language, f"symptom.{code}"),
                f"ci:{c.id}:sy:{i}",
            )
            for code in KEYBOARD_ORDER
            for i in (SYMPTOMS.index(code),)
        ]
        rows = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
        rows.append(
            (
                (t(svc, language, "btn.no_symptoms"), f"ci:{c.id}:sn"),
                (t(svc, language, "btn.done"), f"ci:{c.id}:sd"),
            )
        )
        return Screen(f"{header}\n\n{t(svc, language, 'ask.symptoms')}", tuple(rows))
    if step == "mood":
        faces = tuple(
            (("·" + face + "·") if c.mood == i + 1 else face, f"ci:{c.id}:md:{i + 1}")
            for i, face in enumerate(MOODS)
        )
        return Screen(f"{header}\n\n{t(svc, language, 'ask.mood')}", (faces,))
    if step == "screen":
        item = screen_item(c)
        question = t(
            svc,
            language,
            "ask.screen",
            n=item + 1,
            total=SCREEN_ITEMS,
            item=t(svc, language, f"screen.item{item + 1}"),
        )
        options = tuple(
            (
                (
                    ("✅ " if c.screen[item] == v else "") + t(svc, language, f"screen.option{v}"),
                    f"ci:{c.id}:sc:{item}:{v}",
                ),
            )
            for v in range(SCREEN_OPTIONS)
        )
        if item == 0:
            question = f"{t(svc, language, 'ask.screen_intro')}\n\n{question}"
        return Screen(f"{header}\n\n{question}", options)
    if step == "note":
        if c.note:
            return Screen(
                f"{header}\n\n{t(svc, language, 'ask.note_kept')}",
                (
                    ((t(svc, language, "btn.keep", value=_preview(c.note)), f"ci:{c.id}:sk"),),
                    ((t(svc, language, "btn.delete_note"), f"ci:{c.id}:dn"),),
                ),
            )
        return Screen(
            f"{header}\n\n{t(svc, language, 'ask.note')}",
            (((t(svc, language, "btn.skip"), f"ci:{c.id}:sk"),),),
        )
    return _summary_screen(svc, language, c, header)


def temperature_screen(
    svc: Services, language: str, checkin_id: int, header: str, kind: str, kept: Checkin | None
) -> Screen:
    row: list[Button] = [no_thermometer(svc, language, checkin_id, kind)]
    if kept is not None and kept.temperature_status is not None:
        row.append(
            (
                t(svc, language, "btn.keep", value=temperature_text(svc, language, kept)),
                f"ci:{checkin_id}:kt",
            )
        )
    return Screen(f"{header}\n\n{t(svc, language, f'ask.temperature.{kind}')}", (tuple(row),))


def no_thermometer(svc: Services, language: str, checkin_id: int, kind: str) -> Button:
    """Worded for where the student is: at home, in a quarantine hotel or a school dorm."""
    return (t(svc, language, f"btn.no_thermometer.{kind}"), f"ci:{checkin_id}:nt")


def _summary_screen(svc: Services, language: str, c: Checkin, header: str) -> Screen:
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
        lines.append(t(svc, language, "summary.submitted", closes=closes))
        lines += _in_touch(svc, language, c)
        buttons: tuple[Button, ...] = ((t(svc, language, "btn.edit"), f"ci:{c.id}:ed"),)
    else:
        lines.append(t(svc, language, "summary.check", closes=closes))
        buttons = (
            (t(svc, language, "btn.submit"), f"ci:{c.id}:ok"),
            (t(svc, language, "btn.edit"), f"ci:{c.id}:ed"),
        )
    return Screen("\n".join(lines), (buttons,))


def _in_touch(svc: Services, language: str, c: Checkin) -> list[str]:
    """An abnormal answer is not just "submitted": say who will be in touch."""
    current = dataclasses.replace(store.facts(c), screen=rules.partial_screen(c.screen))
    signals = rules.evaluate_answers(current, rules.Thresholds.from_config(svc.config.alerts))
    kinds = {s.kind for s in signals}
    lines = []
    if kinds & {rules.AlertKind.FEVER, rules.AlertKind.SYMPTOMS}:
        lines.append(t(svc, language, "summary.in_touch_health"))
    if rules.AlertKind.SCREEN in kinds:
        lines.append(t(svc, language, "summary.in_touch_counselor"))
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
    button = {
        "text": svc.catalog.t(language, "checkin.btn.resume"),
        "callback_data": f"ci:{to.checkin_id}:go",
    }
    return Outgoing(
        dedup_key=dedup_key,
        lane=Lane.CHECKIN,
        chat_id=to.chat_id,
        method="sendMessage",
        payload={"text": text, "reply_markup": {"inline_keyboard": [[button]]}},
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


def t(svc: Services, language: str, key: str, **params: Any) -> str:
    return svc.catalog.t(language, f"checkin.{key}", **params)
