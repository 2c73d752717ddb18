"""The retention purge: health data of a minor is kept only so long after isolation ends, and
nothing health-related is kept longer than that period, isolated or not."""

from __future__ import annotations

import logging
from typing import Any

import aiosqlite

from bot.core.services import Services
from bot.delivery import outbox
from bot.delivery.outbox import Lane, Outgoing
from bot.retention import store as retention
from bot.retention.store import Recall

log = logging.getLogger(__name__)

# Telegram lets a bot delete its own messages for 48 hours; a margin for the queue.
DELETE_WITHIN_SECONDS = 47 * 3600


async def purge_due(svc: Services) -> int:
    """Purge every episode that ended more than the configured days ago, then whatever else is
    older than that (crisis review examples included), overwrite the staff copies, and leave no
    trace in the file; returns how many episodes."""
    now = svc.now()
    cutoff = now - svc.config.retention.days_after_isolation * 86400
    episodes = await retention.isolations_to_purge(svc.db, cutoff)
    for isolation_id in episodes:
        async with svc.db.transaction() as tx:
            checkins, recalls = await retention.purge_isolation(tx, isolation_id, now)
            await _recall(svc, tx, recalls, now)
        log.info("purged isolation %d: %d check-ins blanked", isolation_id, checkins)
    async with svc.db.transaction() as tx:
        letters, recalls = await retention.blank_reports(tx, cutoff)
        await _recall(svc, tx, recalls, now)
    if letters:
        log.info("blanked %d digests and school reports", letters)
    async with svc.db.transaction() as tx:
        examples = await retention.purge_examples(tx, cutoff)
    if examples:
        log.info("deleted %d crisis review examples", examples)
    async with svc.db.transaction() as tx:
        checkins, alerts, recalls = await retention.purge_by_age(tx, cutoff)
        await _recall(svc, tx, recalls, now)
    if checkins or alerts or recalls:
        log.info(
            "purged by age: %d check-ins, %d alerts, %d staff copies overwritten",
            checkins,
            alerts,
            len(recalls),
        )
    # The old text may still sit in the WAL (secure_delete zeroes only the database's pages):
    # copy the purged pages into the database and cut the WAL to nothing.
    await svc.db.checkpoint()
    svc.wake_outbox()
    return len(episodes)


async def _recall(
    svc: Services, tx: aiosqlite.Connection, recalls: list[Recall], now: int
) -> None:
    """Queue, for each staff copy, its deletion while Telegram allows it, else an edit to a
    neutral line; a photo keeps its picture and loses its caption."""
    items = []
    for recall in recalls:
        payload: dict[str, Any]
        language = recall.language or svc.config.general.language
        text = svc.catalog.t(language, "common.purged")
        if recall.sent_at is not None and now - recall.sent_at < DELETE_WITHIN_SECONDS:
            method, payload = "deleteMessage", {"edit_of": recall.outbox_id}
        elif recall.method == "sendPhoto":
            method, payload = "editMessageCaption", {"edit_of": recall.outbox_id, "caption": text}
        else:
            method, payload = "editMessageText", {"edit_of": recall.outbox_id, "text": text}
        items.append(
            Outgoing(
                dedup_key=f"recall:{recall.outbox_id}",
                lane=Lane.BULK,
                chat_id=recall.chat_id,
                method=method,
                payload=payload,
                person_id=recall.person_id,
            )
        )
    await outbox.enqueue_many(tx, items, now=now)
