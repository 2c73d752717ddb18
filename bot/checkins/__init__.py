"""Check-ins: open rounds, remind, close, and move a student through the answer flow.

Everything is driven by the database, so a restart resumes where it was and running any step
twice changes nothing. Handlers call `press`, `typed` and `resume`; the rounds job calls
`run_rounds`. A settled check-in is handed to the alert rules through `_settled`.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any

from bot.alerts import rules
from bot.checkins import schedule, store
from bot.checkins.store import Checkin, Recipient, Round
from bot.checkins.temperature import Reading, parse_temperature
from bot.core.config import Checkins
from bot.core.i18n import Catalog
from bot.core.services import Services
from bot.core.symptoms import KEYBOARD_ORDER, SYMPTOMS
from bot.delivery.outbox import Lane, Outgoing, enqueue, enqueue_many, ensure_batch
from bot.isolation import store as isolation_store
from bot.storage import people
from bot.storage.records import Person

log = logging.getLogger(__name__)
# Prompts are built and queued this many at a time, all in the round's one transaction, so a
# 60,000-student round never holds every prompt in memory at once.
PROMPT_PAGE = 2000

MOODS = ("😣", "🙁", "😐", "🙂", "😄")
SCREEN_ITEMS = 4
SCREEN_OPTIONS = 4
# Longer notes are cut (and the student told): the summary shows the note with every other
# answer, and must fit in one Telegram message (4096 UTF-16 units; an emoji takes two).
NOTE_MAX = 1000
# What of a kept note its button shows: about a phone's width of Chinese text.
NOTE_PREVIEW = 16
# Steps that wait for a tap: typed text there is a temperature correction or a mistake.
BUTTON_STEPS = ("symptoms", "mood", "screen", "summary")
# Readings a thermometer rarely shows on a living child: asked once to confirm.
IMPLAUSIBLE_HIGH_C = 41.5
IMPLAUSIBLE_LOW_C = 35.0

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


@dataclass(frozen=True)
class Reply:
    """What the handler shows: a toast for a button, and a screen to edit in or send anew."""

    screen: Screen | None = None
    toast: str | None = None
    alert: bool = False
    new_message: bool = False
    # Remember the sent message as the check-in's flow message.
    checkin_id: int | None = None


@dataclass(frozen=True)
class RoundsReport:
    opened: int = 0
    not_sent: int = 0
    prompts: int = 0
    reminders: int = 0
    closed: int = 0


# --- rounds -------------------------------------------------------------------------------


async def run_rounds(svc: Services, now: int) -> RoundsReport:
    """Open due rounds, send due reminders and close due windows, as of now.

    Used at start-up to reconcile and then every few seconds; each part decides inside its
    own transaction from what the database says, so overlapping runs are harmless.
    """
    opened = not_sent = prompts = reminders = closed = 0
    # Slots from before the bot's first round are not rounds it failed to send: a fresh
    # install records neither yesterday's rounds nor a window that closed before it started.
    first = await store.first_round_at(svc.db)
    # Each school with a plan of its own (一校一策) has its own rounds, at its own times.
    for plan, cfg in schedule.plans(svc.config):
        for slot in schedule.started_slots(cfg, svc.tz, now):
            if slot.opens_at < first if first is not None else now >= slot.closes_at:
                continue
            result = await _open_round(svc, plan, cfg, slot, now)
            opened += result == "opened"
            not_sent += result == "not_sent"
    async with svc.db.transaction() as tx:
        rounds = await store.unclosed_rounds(tx)
    for rnd in rounds:
        if now < rnd.closes_at:
            prompts += await _prompt_stragglers(svc, rnd, now)
            reminders += await _remind(svc, rnd, now)
        else:
            closed += await _close(svc, rnd, now)
    if opened or prompts or reminders:
        svc.wake_outbox()
    report = RoundsReport(opened, not_sent, prompts, reminders, closed)
    if report != RoundsReport():
        log.info(
            "rounds: %d opened, %d not sent, %d prompts, %d reminders, %d closed",
            opened,
            not_sent,
            prompts,
            reminders,
            closed,
        )
    return report


async def _open_round(
    svc: Services, plan: str, cfg: Checkins, slot: schedule.SlotTimes, now: int
) -> str | None:
    plans = [p.name for p in svc.config.schools]
    async with svc.db.transaction() as tx:
        if await store.round_for(tx, slot.local_date, slot.name, plan) is not None:
            return None
        state = "opened" if now < slot.closes_at else "not_sent"
        round_id = await store.insert_round(
            tx,
            local_date=slot.local_date,
            slot=slot.name,
            slot_index=slot.index,
            scheduled_at=slot.opens_at,
            closes_at=slot.closes_at,
            state=state,
            now=now,
            plan=plan,
        )
        if state == "not_sent":
            # The whole window passed while the bot was down: nobody was asked.
            count = await store.record_not_sent(
                tx, round_id, scheduled_at=slot.opens_at, now=now, plan=plan, plans=plans
            )
            log.warning(
                "round %s %s passed while the bot was down: %d check-ins not sent",
                slot.local_date,
                slot.name,
                count,
            )
            return state
        await store.add_isolated_students(
            tx,
            round_id,
            scheduled_at=slot.opens_at,
            with_screen=schedule.is_screen_slot(cfg, slot.local_date, slot.index),
            now=now,
            plan=plan,
            plans=plans,
        )
        await _enqueue_prompts(svc, tx, round_id, slot.local_date, slot.name, slot.opens_at, now)
    return state


async def _prompt_stragglers(svc: Services, rnd: Round, now: int) -> int:
    """Add students whose isolation was back-dated over an already open round, and prompt them."""
    async with svc.db.transaction() as tx:
        await store.add_isolated_students(
            tx,
            rnd.id,
            scheduled_at=rnd.scheduled_at,
            with_screen=schedule.is_screen_slot(
                svc.config.checkins_for(rnd.plan), rnd.local_date, rnd.slot_index
            ),
            now=now,
            plan=rnd.plan,
            plans=[p.name for p in svc.config.schools],
        )
        return await _enqueue_prompts(
            svc, tx, rnd.id, rnd.local_date, rnd.slot, rnd.scheduled_at, now
        )


async def _enqueue_prompts(
    svc: Services,
    tx: Any,
    round_id: int,
    local_date: str,
    slot: str,
    scheduled_at: int,
    now: int,
) -> int:
    batch = None
    count = 0
    after = 0
    while recipients := await store.unprompted(tx, round_id, after=after, limit=PROMPT_PAGE):
        if batch is None:
            batch = await ensure_batch(tx, "round", f"{local_date}:{slot}", now)
        items = []
        for r in recipients:
            language = _language(svc, r.language)
            header = _header(svc, language, slot, scheduled_at)
            screen = _temperature_screen(
                svc, language, r.checkin_id, header, r.isolation_kind, kept=None
            )
            items.append(
                Outgoing(
                    dedup_key=f"ci:{r.checkin_id}:prompt",
                    lane=Lane.CHECKIN,
                    chat_id=r.chat_id,
                    method="sendMessage",
                    payload=screen.payload(),
                    person_id=r.student_id,
                )
            )
        count += await enqueue_many(tx, items, now=now, batch_id=batch)
        after = recipients[-1].checkin_id
        await store.link_prompts(tx, round_id, recipients[0].checkin_id, after)
    return count


async def _remind(svc: Services, rnd: Round, now: int) -> int:
    """Send the latest due reminder wave once; a wave that passed while down is not sent late."""
    minutes = svc.config.checkins_for(rnd.plan).reminder_minutes
    wave = sum(1 for m in minutes if rnd.scheduled_at + m * 60 <= now)
    if wave <= rnd.reminders_sent:
        return 0
    async with svc.db.transaction() as tx:
        recipients = await store.unfinished(tx, rnd.id, wave)
        count = 0
        if recipients:
            batch = await ensure_batch(tx, "reminder", f"{rnd.local_date}:{rnd.slot}:{wave}", now)
            items = []
            for r in recipients:
                language = _language(svc, r.language)
                text = svc.catalog.t(
                    language,
                    "checkin.reminder",
                    slot=_slot_name(svc, language, rnd.slot),
                    closes=schedule.clock_time(rnd.closes_at, svc.tz),
                )
                items.append(nudge(svc, f"ci:{r.checkin_id}:remind:{wave}", r, language, text))
            count = await enqueue_many(tx, items, now=now, batch_id=batch)
        await store.mark_reminded(tx, rnd.id, wave)
    return count


async def _close(svc: Services, rnd: Round, now: int) -> int:
    async with svc.db.transaction() as tx:
        settled = await store.close_round(tx, rnd.id, now)
    for checkin_id in settled:
        await _settled(svc, checkin_id)
    return len(settled)


async def _answer_stored(
    svc: Services, c: Checkin, student: Person, language: str, now: int
) -> None:
    """Hand a stored answer to the alert rules at once (a fever typed and then abandoned still
    alerts), and tell a student who ticked an emergency symptom what to do now."""
    from bot.alerts import evaluate_answers

    flags = rules.red_flags(
        frozenset(c.symptoms or ()), rules.Thresholds.from_config(svc.config.alerts)
    )
    if flags and student.chat_id is not None:
        async with svc.db.transaction() as tx:
            await enqueue(
                tx,
                Outgoing(
                    dedup_key=f"ci:{c.id}:red_flag:{','.join(flags)}",
                    lane=Lane.URGENT,
                    chat_id=student.chat_id,
                    method="sendMessage",
                    payload={"text": _t(svc, language, "red_flag_advice")},
                    person_id=student.id,
                ),
                now=now,
            )
        svc.wake_outbox()
    try:
        await evaluate_answers(svc, c.id)
    except Exception:
        # The answer is committed; submitting (or closing) evaluates it again.
        log.exception("evaluating the answers of check-in %d failed", c.id)


async def _settled(svc: Services, checkin_id: int) -> None:
    """Hand a finished or missed check-in to the alert rules (the one outcome hook)."""
    from bot.alerts import evaluate_checkin

    try:
        await evaluate_checkin(svc, checkin_id)
    except Exception:
        # The answer is committed; the alerts job re-evaluates whatever evaluated_at misses.
        log.exception("evaluating check-in %d failed; left for the alerts job", checkin_id)


# --- the flow -----------------------------------------------------------------------------


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
    """Apply one button press to the student's check-in and say what to show next."""
    checkin = await store.checkin_by_id(svc.db, checkin_id)
    if checkin is None or checkin.student_id != student.id:
        return Reply(toast=svc.catalog.t(language, "checkin.not_yours"), alert=True)
    refusal = await _refusal(svc, language, checkin, now)
    if refusal is not None:
        return Reply(toast=refusal, alert=True)
    if verb == "go":
        # "Continue" under a reminder: show the current step in that message.
        screen = _screen_for(svc, language, checkin)
        await _remember(svc, checkin.id, message_id)
        return Reply(screen=screen)
    changed = await _apply(svc, checkin, verb, args, message_id, now)
    if not changed:
        return Reply(toast=svc.catalog.t(language, "checkin.step_done"), alert=True)
    fresh = await store.checkin_by_id(svc.db, checkin_id)
    assert fresh is not None
    if verb == "ok":
        await _settled(svc, checkin_id)
        return Reply(screen=_screen_for(svc, language, fresh), toast=_t(svc, language, "thanks"))
    await _answer_stored(svc, fresh, student, language, now)
    return Reply(screen=_screen_for(svc, language, fresh))


async def _apply(
    svc: Services, c: Checkin, verb: str, args: list[str], message_id: int | None, now: int
) -> bool:
    """Store one answer if the check-in waits for it; False if it is stale or malformed."""
    nxt = _after_symptoms(c)
    updates: dict[str, Any] = {}
    steps: tuple[str, ...]
    if verb == "nt":
        steps = ("temperature", "temp_confirm")
        updates = dict(
            temperature_status="not_measured",
            temperature_c=None,
            fahrenheit_original=None,
            pending_c=None,
            pending_f=None,
            step="symptoms",
        )
    elif verb == "kt":
        if c.temperature_status is None:
            return False
        steps = ("temperature",)
        updates = dict(step="symptoms")
    elif verb == "fy":
        steps = ("temp_confirm",)
        updates = dict(
            temperature_c=c.pending_c,
            fahrenheit_original=c.pending_f,
            temperature_status="measured",
            pending_c=None,
            pending_f=None,
            step="symptoms",
        )
    elif verb == "fn":
        steps = ("temp_confirm",)
        updates = dict(pending_c=None, pending_f=None, step="temperature")
    elif verb == "sy":
        index = _int_arg(args, 0, len(SYMPTOMS) - 1)
        if index is None:
            return False
        ticked = set(c.symptoms or ())
        ticked ^= {SYMPTOMS[index]}
        steps = ("symptoms",)
        updates = dict(symptoms=",".join(s for s in SYMPTOMS if s in ticked))
    elif verb == "sn":
        steps = ("symptoms",)
        updates = dict(symptoms="", step=nxt)
    elif verb == "sd":
        steps = ("symptoms",)
        updates = dict(symptoms=",".join(c.symptoms or ()), step=nxt)
    elif verb == "md":
        value = _int_arg(args, 1, len(MOODS))
        if value is None:
            return False
        steps = ("mood",)
        updates = dict(mood=value, step="note")
    elif verb == "sc":
        item = _int_arg(args, 0, SCREEN_ITEMS - 1)
        value = _int_arg(args[1:], 0, SCREEN_OPTIONS - 1)
        if item is None or value is None or item != _screen_item(c):
            return False
        steps = ("screen",)
        updates = {f"screen_{item + 1}": value}
        if item == SCREEN_ITEMS - 1:
            updates["step"] = "note"
    elif verb == "sk":
        # Skip, or Keep when editing: either way the note already given stays. Deleting it is
        # its own button, so a Skip tapped out of habit never loses what was written.
        steps = ("note",)
        updates = dict(step="summary")
    elif verb == "dn":
        steps = ("note",)
        updates = dict(note=None, step="summary")
    elif verb == "ok":
        if c.status != "open":
            return False
        steps = ("summary",)
        updates = dict(status="answered", answered_at=c.answered_at or now, evaluated_at=None)
    elif verb == "ed":
        steps = ("summary",)
        # Answers stay until given again; a re-submission is evaluated again.
        updates = dict(status="open", step="temperature", evaluated_at=None)
    else:
        return False
    if message_id is not None:
        updates["message_id"] = message_id
    async with svc.db.transaction() as tx:
        return await store.update_flow(tx, c.id, steps=steps, now=now, **updates)


async def typed(
    svc: Services, student: Person, language: str, text: str, now: int
) -> Reply | None:
    """Take a typed temperature or note if the student's check-in waits for one, else None.

    A temperature typed while the check-in waits for a tap corrects the one given."""
    checkin = await store.current_checkin(svc.db, student.id, now)
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
            changed = await store.update_flow(
                tx, checkin.id, steps=("note",), now=now, note=note or None, step="summary"
            )
        if not changed:
            return None
        fresh = await store.checkin_by_id(svc.db, checkin.id)
        assert fresh is not None
        screen = _screen_for(svc, language, fresh)
        if len(whole) > NOTE_MAX:
            cut = _t(svc, language, "note_cut", max=NOTE_MAX)
            screen = Screen(f"{cut}\n\n{screen.text}", screen.buttons)
        return Reply(screen=screen, new_message=True, checkin_id=checkin.id)
    return None


async def button_hint(svc: Services, student: Person, language: str, now: int) -> str | None:
    """For text nobody took while the check-in waits for a tap: say to tap a button."""
    checkin = await store.current_checkin(svc.db, student.id, now)
    if checkin is None or checkin.status != "open" or checkin.step not in BUTTON_STEPS:
        return None
    return _t(svc, language, "tap_buttons")


def implausible(celsius: float) -> bool:
    """A reading a thermometer rarely shows on a living child: asked once to confirm."""
    return celsius >= IMPLAUSIBLE_HIGH_C or celsius <= IMPLAUSIBLE_LOW_C


async def _typed_temperature(
    svc: Services, checkin: Checkin, student: Person, language: str, text: str, now: int
) -> Reply:
    reading = parse_temperature(text)
    if not isinstance(reading, Reading):
        code = getattr(reading, "code", "not_a_number")
        screen = Screen(
            _t(svc, language, f"temp_error.{code}"),
            ((_no_thermometer(svc, language, checkin.id, checkin.isolation_kind),),),
        )
        return Reply(screen=screen, new_message=True)
    celsius = round(reading.celsius, 1)
    confirmed = checkin.step == "temp_confirm" and checkin.pending_c == celsius
    at_buttons = checkin.step in BUTTON_STEPS
    steps = (checkin.step,) if at_buttons else ("temperature", "temp_confirm")
    async with svc.db.transaction() as tx:
        if reading.from_fahrenheit or (implausible(celsius) and not confirmed):
            changed = await store.update_flow(
                tx,
                checkin.id,
                steps=steps,
                now=now,
                pending_c=celsius,
                pending_f=_fahrenheit(reading) if reading.from_fahrenheit else None,
                step="temp_confirm",
            )
        else:
            changed = await store.update_flow(
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
            )
    if not changed:
        log.info("check-in %d moved on before its temperature was stored", checkin.id)
    fresh = await store.checkin_by_id(svc.db, checkin.id)
    assert fresh is not None
    if changed:
        await _answer_stored(svc, fresh, student, language, now)
    screen = _screen_for(svc, language, fresh)
    if changed and at_buttons and fresh.step != "temp_confirm":
        value = _temperature_text(svc, language, fresh)
        done = _t(svc, language, "temperature_changed", value=value)
        screen = Screen(f"{done}\n\n{screen.text}", screen.buttons)
    return Reply(screen=screen, new_message=True, checkin_id=checkin.id)


async def _late_typed(
    svc: Services, student: Person, language: str, text: str, now: int
) -> Reply | None:
    """A temperature typed just after closing gets the kind refusal; other text is not ours."""
    if not isinstance(parse_temperature(text), Reading):
        return None
    latest = await store.latest_checkin(svc.db, student.id)
    if latest is None or latest.status not in ("open", "missed"):
        return None
    # Only soon after closing: later, a number is more likely a message meant for someone.
    window = svc.config.checkins.window_minutes * 60
    if not latest.closes_at <= now < latest.closes_at + window:
        return None
    return Reply(screen=Screen(await _late_text(svc, language, latest, now)), new_message=True)


async def resume(svc: Services, student: Person, language: str, now: int) -> Reply:
    """/checkin: show the open check-in at its current step, starting it if need be."""
    checkin = await store.current_checkin(svc.db, student.id, now)
    episode = await isolation_store.open_isolation(svc.db, student.id)
    if checkin is None or checkin.status == "not_sent":
        plan = await plan_of(svc, student.id)
        rnd = await store.open_round_now(svc.db, now, plan)
        if episode is None:
            return Reply(screen=Screen(_t(svc, language, "not_isolated")), new_message=True)
        if rnd is None:
            nxt = schedule.next_slot(svc.config.checkins_for(plan), svc.tz, now)
            return Reply(
                screen=Screen(_next_text(svc, language, "none_open", nxt, now)), new_message=True
            )
        async with svc.db.transaction() as tx:
            await store.add_one(
                tx,
                rnd.id,
                student.id,
                episode.id,
                with_screen=schedule.is_screen_slot(
                    svc.config.checkins_for(plan), rnd.local_date, rnd.slot_index
                ),
                now=now,
            )
        checkin = await store.current_checkin(svc.db, student.id, now)
        if checkin is None:
            return Reply(screen=Screen(_t(svc, language, "not_isolated")), new_message=True)
    return Reply(
        screen=_screen_for(svc, language, checkin), new_message=True, checkin_id=checkin.id
    )


async def plan_of(svc: Services, person_id: int) -> str:
    """The plan (一校一策) whose rounds the person is asked in: their school's, or ''."""
    if not svc.config.schools:
        return ""
    info = await people.student_info(svc.db, person_id)
    return schedule.plan_name(svc.config, info.school_name if info is not None else None)


async def remember_message(svc: Services, checkin_id: int, message_id: int) -> None:
    """Store the message the flow now edits, so a resumed flow and closing can find it."""
    await _remember(svc, checkin_id, message_id)


async def _remember(svc: Services, checkin_id: int, message_id: int | None) -> None:
    if message_id is None:
        return
    async with svc.db.transaction() as tx:
        await store.set_message(tx, checkin_id, message_id)


# --- what each step looks like --------------------------------------------------------------


async def _refusal(svc: Services, language: str, c: Checkin, now: int) -> str | None:
    if c.status == "cancelled":
        return _t(svc, language, "cancelled")
    if c.status in ("missed", "not_sent") or now >= c.closes_at:
        if c.status == "not_sent" and now < c.closes_at:
            return _t(svc, language, "use_command")
        return await _late_text(svc, language, c, now)
    return None


async def _late_text(svc: Services, language: str, c: Checkin, now: int) -> str:
    """A closed check-in's answer: the round open now if there is one, else the next."""
    closed = schedule.clock_time(c.closes_at, svc.tz)
    plan = await plan_of(svc, c.student_id)
    current = await store.open_round_now(svc.db, now, plan)
    if current is not None and current.id != c.round_id:
        return _t(
            svc,
            language,
            "late_open_now",
            closed=closed,
            slot=_slot_name(svc, language, current.slot),
            closes=schedule.clock_time(current.closes_at, svc.tz),
        )
    nxt = schedule.next_slot(svc.config.checkins_for(plan), svc.tz, now)
    return _next_text(svc, language, "late", nxt, now, closed=closed)


def _next_text(
    svc: Services, language: str, key: str, nxt: schedule.SlotTimes, now: int, **extra: str
) -> str:
    today = schedule.same_day(nxt.opens_at, now, svc.tz)
    when = _t(
        svc,
        language,
        "when.today" if today else "when.tomorrow",
        time=schedule.clock_time(nxt.opens_at, svc.tz),
    )
    return _t(svc, language, key, next=when, **extra)


def _screen_for(svc: Services, language: str, c: Checkin) -> Screen:
    header = _header(svc, language, c.slot, c.scheduled_at)
    step = c.step
    if step == "temperature":
        return _temperature_screen(svc, language, c.id, header, c.isolation_kind, kept=c)
    if step == "temp_confirm":
        if c.pending_f is None:
            text = _t(svc, language, "implausible_confirm", celsius=_number(c.pending_c))
        else:
            text = _t(
                svc,
                language,
                "fahrenheit_confirm",
                typed=_number(c.pending_f),
                celsius=_number(c.pending_c),
            )
        return Screen(
            f"{header}\n\n{text}",
            (
                (
                    (_t(svc, language, "btn.yes"), f"ci:{c.id}:fy"),
                    (_t(svc, language, "btn.retype"), f"ci:{c.id}:fn"),
                ),
            ),
        )
    if step == "symptoms":
        ticked = set(c.symptoms or ())
        rows: list[tuple[Button, ...]] = []
        buttons = [
            (
                ("✅ " if code in ticked else "") + _t(svc, language, f"symptom.{code}"),
                f"ci:{c.id}:sy:{i}",
            )
            for code in KEYBOARD_ORDER
            for i in (SYMPTOMS.index(code),)
        ]
        rows = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
        rows.append(
            (
                (_t(svc, language, "btn.no_symptoms"), f"ci:{c.id}:sn"),
                (_t(svc, language, "btn.done"), f"ci:{c.id}:sd"),
            )
        )
        return Screen(f"{header}\n\n{_t(svc, language, 'ask.symptoms')}", tuple(rows))
    if step == "mood":
        faces = tuple(
            (("·" + face + "·") if c.mood == i + 1 else face, f"ci:{c.id}:md:{i + 1}")
            for i, face in enumerate(MOODS)
        )
        return Screen(f"{header}\n\n{_t(svc, language, 'ask.mood')}", (faces,))
    if step == "screen":
        item = _screen_item(c)
        question = _t(
            svc,
            language,
            "ask.screen",
            n=item + 1,
            total=SCREEN_ITEMS,
            item=_t(svc, language, f"screen.item{item + 1}"),
        )
        options = tuple(
            (
                (
                    ("✅ " if c.screen[item] == v else "")
                    + _t(svc, language, f"screen.option{v}"),
                    f"ci:{c.id}:sc:{item}:{v}",
                ),
            )
            for v in range(SCREEN_OPTIONS)
        )
        if item == 0:
            question = f"{_t(svc, language, 'ask.screen_intro')}\n\n{question}"
        return Screen(f"{header}\n\n{question}", options)
    if step == "note":
        if c.note:
            return Screen(
                f"{header}\n\n{_t(svc, language, 'ask.note_kept')}",
                (
                    ((_t(svc, language, "btn.keep", value=_preview(c.note)), f"ci:{c.id}:sk"),),
                    ((_t(svc, language, "btn.delete_note"), f"ci:{c.id}:dn"),),
                ),
            )
        return Screen(
            f"{header}\n\n{_t(svc, language, 'ask.note')}",
            (((_t(svc, language, "btn.skip"), f"ci:{c.id}:sk"),),),
        )
    return _summary_screen(svc, language, c, header)


def _temperature_screen(
    svc: Services, language: str, checkin_id: int, header: str, kind: str, kept: Checkin | None
) -> Screen:
    row: list[Button] = [_no_thermometer(svc, language, checkin_id, kind)]
    if kept is not None and kept.temperature_status is not None:
        row.append(
            (
                _t(svc, language, "btn.keep", value=_temperature_text(svc, language, kept)),
                f"ci:{checkin_id}:kt",
            )
        )
    return Screen(f"{header}\n\n{_t(svc, language, f'ask.temperature.{kind}')}", (tuple(row),))


def _no_thermometer(svc: Services, language: str, checkin_id: int, kind: str) -> Button:
    """Worded for where the student is: at home, in a quarantine hotel or a school dorm."""
    return (_t(svc, language, f"btn.no_thermometer.{kind}"), f"ci:{checkin_id}:nt")


def _summary_screen(svc: Services, language: str, c: Checkin, header: str) -> Screen:
    sep = _t(svc, language, "list_separator")
    if c.symptoms is None:
        symptoms = "—"
    elif not c.symptoms:
        symptoms = _t(svc, language, "summary.no_symptoms")
    else:
        symptoms = sep.join(_t(svc, language, f"symptom.{s}") for s in c.symptoms)
    if c.with_screen:
        wellbeing_key, wellbeing = "summary.screen", _t(svc, language, "summary.screen_done")
    else:
        wellbeing_key, wellbeing = "summary.mood", MOODS[c.mood - 1] if c.mood else "—"
    lines = [
        header,
        "",
        _t(svc, language, "summary.temperature", value=_temperature_text(svc, language, c)),
        _t(svc, language, "summary.symptoms", value=symptoms),
        _t(svc, language, wellbeing_key, value=wellbeing),
        _t(svc, language, "summary.note", value=c.note or "—"),
        "",
    ]
    closes = schedule.clock_time(c.closes_at, svc.tz)
    if c.status == "answered":
        lines.append(_t(svc, language, "summary.submitted", closes=closes))
        lines += _in_touch(svc, language, c)
        buttons: tuple[Button, ...] = ((_t(svc, language, "btn.edit"), f"ci:{c.id}:ed"),)
    else:
        lines.append(_t(svc, language, "summary.check", closes=closes))
        buttons = (
            (_t(svc, language, "btn.submit"), f"ci:{c.id}:ok"),
            (_t(svc, language, "btn.edit"), f"ci:{c.id}:ed"),
        )
    return Screen("\n".join(lines), (buttons,))


def _in_touch(svc: Services, language: str, c: Checkin) -> list[str]:
    """An abnormal answer is not just "submitted": say who will be in touch."""
    current = dataclasses.replace(store.facts(c), screen=rules.partial_screen(c.screen))
    signals = rules.evaluate_answers(current, rules.Thresholds.from_config(svc.config.alerts))
    kinds = {s.kind for s in signals}
    lines = []
    if kinds & {rules.AlertKind.FEVER, rules.AlertKind.SYMPTOMS}:
        lines.append(_t(svc, language, "summary.in_touch_health"))
    if rules.AlertKind.SCREEN in kinds:
        lines.append(_t(svc, language, "summary.in_touch_counselor"))
    return lines


def _temperature_text(svc: Services, language: str, c: Checkin) -> str:
    if c.temperature_status == "not_measured":
        return _t(svc, language, "summary.not_measured")
    if c.temperature_c is None:
        return "—"
    text = f"{c.temperature_c:.1f} °C"
    if c.fahrenheit_original is not None:
        text += _t(svc, language, "summary.from_fahrenheit", value=_number(c.fahrenheit_original))
    return text


def _header(svc: Services, language: str, slot: str, scheduled_at: int) -> str:
    return _t(
        svc,
        language,
        "header",
        slot=_slot_name(svc, language, slot),
        time=schedule.clock_time(scheduled_at, svc.tz),
    )


def _slot_name(svc: Services, language: str, slot: str) -> str:
    return slot_name(svc.catalog, language, slot)


def slot_name(catalog: Catalog, language: str, slot: str) -> str:
    """A slot as people read it (晨检, or its label in config); a slot named nowhere (a config
    edited since) reads as a check-in, never as its code."""
    return catalog.t_or(language, f"checkin.slot.{slot}", catalog.t(language, "checkin.slot_any"))


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


def _after_symptoms(c: Checkin) -> str:
    """Mood, or on the weekly screen slot the screen; a screen already complete is not asked
    again after an Edit (it is about the last two weeks, not this morning)."""
    if not c.with_screen:
        return "mood"
    return "screen" if None in c.screen else "note"


def _screen_item(c: Checkin) -> int:
    """The screen question to ask: the first one not answered yet."""
    return next((i for i, value in enumerate(c.screen) if value is None), SCREEN_ITEMS - 1)


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


def _preview(note: str) -> str:
    one_line = " ".join(note.split())
    return one_line if len(one_line) <= NOTE_PREVIEW else one_line[:NOTE_PREVIEW] + "…"


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def _language(svc: Services, language: str | None) -> str:
    return language or svc.config.general.language


def _t(svc: Services, language: str, key: str, **params: Any) -> str:
    return svc.catalog.t(language, f"checkin.{key}", **params)


async def waiting_for(svc: Services, student: Person, now: int) -> str | None:
    """What the student's open check-in waits for them to type: "temperature", "note", or
    None when it waits for no typing (or there is none)."""
    checkin = await store.current_checkin(svc.db, student.id, now)
    if checkin is None or checkin.status != "open":
        return None
    if checkin.step in ("temperature", "temp_confirm"):
        return "temperature"
    return "note" if checkin.step == "note" else None
