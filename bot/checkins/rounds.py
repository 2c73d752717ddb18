"""Check-in rounds: open them when due, prompt, remind and close, as the database says."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.checkins import schedule
from bot.checkins.handoff import on_settled
from bot.checkins.schedule import slot_name
from bot.checkins.screens import for_child, header_text, nudge, temperature_screen
from bot.checkins.store import checkins as checkin_store
from bot.checkins.store import rounds as round_store
from bot.checkins.store.rounds import Prompted, Recipient, Round
from bot.core.config import Checkins
from bot.core.services import Services
from bot.delivery.outbox import Lane, Outgoing, enqueue_many, ensure_batch, message
from bot.guardians import family
from bot.storage.db import Database
from bot.storage.records import Scope

log = logging.getLogger(__name__)
# Prompts are built and queued this many at a time, all in the round's one transaction, so a
# 60,000-student round never holds every prompt in memory at once.
PROMPT_PAGE = 2000


@dataclass(frozen=True)
class RoundsReport:
    opened: int = 0
    not_sent: int = 0
    prompts: int = 0
    reminders: int = 0
    closed: int = 0


async def run_rounds(svc: Services, now: int) -> RoundsReport:
    """Open due rounds, send due reminders and close due windows, as of now.

    Used at start-up to reconcile and then every few seconds; each part decides inside its
    own transaction from what the database says, so overlapping runs are harmless.
    """
    opened = not_sent = prompts = reminders = closed = 0
    # Slots from before the bot's first round are not rounds it failed to send: a fresh
    # install records neither yesterday's rounds nor a window that closed before it started.
    first = await round_store.first_round_at(svc.db)
    # Each school with a plan of its own (一校一策) has its own rounds, at its own times.
    for plan, cfg in schedule.plans(svc.config):
        for slot in schedule.started_slots(cfg, svc.tz, now):
            if slot.opens_at < first if first is not None else now >= slot.closes_at:
                continue
            result = await _open_round(svc, plan, cfg, slot, now)
            opened += result == "opened"
            not_sent += result == "not_sent"
    async with svc.db.transaction() as tx:
        rounds = await round_store.unclosed_rounds(tx)
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
        if await round_store.round_for(tx, slot.local_date, slot.name, plan) is not None:
            return None
        state = "opened" if now < slot.closes_at else "not_sent"
        round_id = await round_store.insert_round(
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
            count = await round_store.record_not_sent(
                tx, round_id, scheduled_at=slot.opens_at, now=now, plan=plan, plans=plans
            )
            log.warning(
                "round %s %s passed while the bot was down: %d check-ins not sent",
                slot.local_date,
                slot.name,
                count,
            )
            return state
        await round_store.add_isolated_students(
            tx,
            round_id,
            scheduled_at=slot.opens_at,
            with_screen=schedule.is_screen_slot(cfg, slot.local_date, slot.index),
            consent_required=svc.config.guardians.consent_waits,
            now=now,
            plan=plan,
            plans=plans,
        )
        await _enqueue_prompts(svc, tx, round_id, slot.local_date, slot.name, slot.opens_at, now)
    return state


async def _prompt_stragglers(svc: Services, rnd: Round, now: int) -> int:
    """Add students whose isolation was back-dated over an already open round, and prompt them."""
    async with svc.db.transaction() as tx:
        await round_store.add_isolated_students(
            tx,
            rnd.id,
            scheduled_at=rnd.scheduled_at,
            with_screen=schedule.is_screen_slot(
                svc.config.checkins_for(rnd.plan), rnd.local_date, rnd.slot_index
            ),
            consent_required=svc.config.guardians.consent_waits,
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
    while recipients := await round_store.unprompted(tx, round_id, after=after, limit=PROMPT_PAGE):
        if batch is None:
            batch = await ensure_batch(tx, "round", f"{local_date}:{slot}", now)
        items = []
        chats = await family.prompts(
            tx, svc.config.guardians, [(r.student_id, r.chat_id, r.language) for r in recipients]
        )
        for r in recipients:
            for n, asked in enumerate(chats.get(r.student_id, ())):
                language = _language(svc, asked.language)
                header = header_text(svc, language, slot, scheduled_at)
                if asked.by_guardian:
                    header = f"{for_child(svc, language, r.name)}\n{header}"
                screen = temperature_screen(
                    svc,
                    language,
                    r.checkin_id,
                    header,
                    r.isolation_kind,
                    kept=None,
                    child=r.name if asked.by_guardian else None,
                )
                # The first chat's prompt is the check-in's own (link_prompts finds it by key).
                key = f"ci:{r.checkin_id}:prompt" + (f":{asked.person_id}" if n else "")
                items.append(
                    message(
                        key,
                        Lane.CHECKIN,
                        asked.chat_id,
                        screen.text,
                        keyboard=screen.keyboard,
                        person_id=asked.person_id,
                    )
                )
        count += await enqueue_many(tx, items, now=now, batch_id=batch)
        after = recipients[-1].checkin_id
        await round_store.link_prompts(tx, round_id, recipients[0].checkin_id, after)
    return count


async def _remind(svc: Services, rnd: Round, now: int) -> int:
    """Send the latest due reminder wave once; a wave that passed while down is not sent late."""
    minutes = svc.config.checkins_for(rnd.plan).reminder_minutes
    wave = sum(1 for m in minutes if rnd.scheduled_at + m * 60 <= now)
    if wave <= rnd.reminders_sent:
        return 0
    async with svc.db.transaction() as tx:
        recipients = await round_store.unfinished(tx, rnd.id, wave)
        count = 0
        if recipients:
            batch = await ensure_batch(tx, "reminder", f"{rnd.local_date}:{rnd.slot}:{wave}", now)
            items = []
            students = [(r.student_id, r.chat_id, r.language) for r in recipients]
            chats = await family.prompts(tx, svc.config.guardians, students)
            # At the configured wave the primary guardian hears too, before it counts as missed.
            nudged = (
                await family.primary_guardians(tx, [r.student_id for r in recipients])
                if wave == _nudge_wave(svc, svc.config.checkins_for(rnd.plan))
                else {}
            )
            for r in recipients:
                asked = chats.get(r.student_id, [])
                for n, chat in enumerate(asked):
                    key = f"ci:{r.checkin_id}:remind:{wave}" + (f":{chat.person_id}" if n else "")
                    items.append(_reminder(svc, rnd, r, chat, key))
                guardian = nudged.get(r.student_id)
                if guardian is not None and all(c.person_id != guardian.person_id for c in asked):
                    key = f"ci:{r.checkin_id}:guardian_nudge"
                    items.append(_reminder(svc, rnd, r, guardian, key))
            count = await enqueue_many(tx, items, now=now, batch_id=batch)
        await round_store.mark_reminded(tx, rnd.id, wave)
    return count


def _nudge_wave(svc: Services, timetable: Checkins) -> int:
    """The reminder that also nudges the primary guardian: the configured one, or the last
    when the timetable has fewer reminders; 0 never."""
    wanted = svc.config.guardians.nudge_at_reminder
    return min(wanted, len(timetable.reminder_minutes))


def _reminder(svc: Services, rnd: Round, r: Prompted, chat: family.Asked, key: str) -> Outgoing:
    """A reminder in one chat: the student's own, or a guardian's naming the child."""
    language = _language(svc, chat.language)
    params = {
        "slot": slot_name(svc.catalog, language, rnd.slot),
        "closes": schedule.clock_time(rnd.closes_at, svc.tz),
        "name": r.name,
    }
    text_key = "checkin.reminder_guardian" if chat.by_guardian else "checkin.reminder"
    text = svc.catalog.t(language, text_key, **params)
    # The reminder's row belongs to whoever receives it: a guardian's 403 is not the child's.
    to = Recipient(r.checkin_id, chat.person_id, chat.chat_id, chat.language)
    return nudge(svc, key, to, language, text)


async def _close(svc: Services, rnd: Round, now: int) -> int:
    async with svc.db.transaction() as tx:
        settled = await round_store.close_round(tx, rnd.id, now)
    for checkin_id in settled:
        await on_settled(svc, checkin_id)
    return len(settled)


def _language(svc: Services, language: str | None) -> str:
    return language or svc.config.general.language


async def stop_for_ended_isolation(tx: aiosqlite.Connection, isolation_id: int, now: int) -> int:
    """Stop the check-ins of an ended isolation that nobody answered to the end.

    One submitted before and being edited is open again but was answered: it goes back to
    answered with the answers it has, as closing its window would do, and stays for closing.
    Returns how many were cancelled.
    """
    await checkin_store.settle_edited(tx, isolation_id)
    return await checkin_store.cancel_open(tx, isolation_id, now)


async def day_rounds(db: Database, local_date: str, plan: str | None = "") -> list[Round]:
    """The rounds of a day as /today, the dashboard and the digest count them: one plan's (the
    county's '' or a school's own, 一校一策), or every plan's with None."""
    return await round_store.rounds_on(db, local_date, plan)


async def unfinished_nudges(svc: Services, rnd: Round, scope: Scope) -> list[Outgoing]:
    """A reminder for each reachable student of the scope who has not submitted the round's
    check-in, saying when it closes, with the button back to it."""
    closes = schedule.clock_time(rnd.closes_at, svc.tz)
    items = []
    for s in await round_store.unanswered(svc.db, rnd.id, scope):
        language = s.language or svc.catalog.default
        slot = slot_name(svc.catalog, language, rnd.slot)
        text = svc.catalog.t(language, "today.nudge", slot=slot, closes=closes)
        items.append(nudge(svc, f"ci:{s.checkin_id}:nudge", s, language, text))
    return items
