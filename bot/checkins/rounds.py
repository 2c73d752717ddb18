"""Check-in rounds: open them when due, prompt, remind and close, as the database says."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from bot.checkins import schedule, store
from bot.checkins.handoff import on_settled
from bot.checkins.schedule import slot_name
from bot.checkins.screens import header_text, nudge, temperature_screen
from bot.checkins.store import Round
from bot.core.services import Services
from bot.delivery.outbox import Lane, enqueue_many, ensure_batch, message

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
    cfg = svc.config.checkins
    # Slots from before the bot's first round are not rounds it failed to send: a fresh
    # install records neither yesterday's rounds nor a window that closed before it started.
    first = await store.first_round_at(svc.db)
    for slot in schedule.started_slots(cfg, svc.tz, now):
        if slot.opens_at < first if first is not None else now >= slot.closes_at:
            continue
        result = await _open_round(svc, slot, now)
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


async def _open_round(svc: Services, slot: schedule.SlotTimes, now: int) -> str | None:
    async with svc.db.transaction() as tx:
        if await store.round_for(tx, slot.local_date, slot.name) is not None:
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
        )
        if state == "not_sent":
            # The whole window passed while the bot was down: nobody was asked.
            count = await store.record_not_sent(tx, round_id, scheduled_at=slot.opens_at, now=now)
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
            with_screen=schedule.is_screen_slot(svc.config.checkins, slot.local_date, slot.index),
            now=now,
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
                svc.config.checkins, rnd.local_date, rnd.slot_index
            ),
            now=now,
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
            header = header_text(svc, language, slot, scheduled_at)
            screen = temperature_screen(
                svc, language, r.checkin_id, header, r.isolation_kind, kept=None
            )
            items.append(
                message(
                    f"ci:{r.checkin_id}:prompt",
                    Lane.CHECKIN,
                    r.chat_id,
                    screen.text,
                    keyboard=screen.keyboard,
                    person_id=r.student_id,
                )
            )
        count += await enqueue_many(tx, items, now=now, batch_id=batch)
        after = recipients[-1].checkin_id
        await store.link_prompts(tx, round_id, recipients[0].checkin_id, after)
    return count


async def _remind(svc: Services, rnd: Round, now: int) -> int:
    """Send the latest due reminder wave once; a wave that passed while down is not sent late."""
    minutes = svc.config.checkins.reminder_minutes
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
                    slot=slot_name(svc.catalog, language, rnd.slot),
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
        await on_settled(svc, checkin_id)
    return len(settled)


def _language(svc: Services, language: str | None) -> str:
    return language or svc.config.general.language
