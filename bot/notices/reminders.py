"""Reminding the recipients who have not confirmed a notice yet."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.core.i18n import Catalog
from bot.core.services import Services
from bot.delivery import outbox
from bot.delivery.outbox import Lane
from bot.notices.render import (
    confirm_keyboard,
    excerpt,
    for_guardians,
    local_time,
    sender_line,
)
from bot.notices.store import notices as notice_store
from bot.notices.store import receipts as receipt_store
from bot.notices.store.notices import Notice
from bot.storage import people

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RemindOutcome:
    status: str  # sent | too_soon | withdrawn | not_needed
    count: int = 0
    wait_minutes: int = 0


async def remind(svc: Services, notice: Notice) -> RemindOutcome:
    """Send the unconfirmed a reminder with the button, at most once per configured interval."""
    if notice.withdrawn_at is not None:
        return RemindOutcome("withdrawn")
    if not notice.needs_confirmation:
        return RemindOutcome("not_needed")
    now = svc.now()
    interval = svc.config.notices.remind_interval_minutes * 60
    author = None
    if notice.author_id is not None:
        author = await people.person_by_id(svc.db, notice.author_id)
    default = svc.config.general.language
    async with svc.db.transaction() as tx:
        if not await receipt_store.claim_reminder(tx, notice.id, now, now - interval):
            fresh = await notice_store.notice_by_id(tx, notice.id)
            if fresh is not None and fresh.withdrawn_at is not None:
                return RemindOutcome("withdrawn")
            last = fresh.reminded_at if fresh is not None and fresh.reminded_at else now
            wait = max(1, -(-(last + interval - now) // 60))
            return RemindOutcome("too_soon", wait_minutes=wait)
        targets = await receipt_store.unconfirmed(tx, notice.id)
        batch_id = await outbox.ensure_batch(tx, "notice_reminder", f"{notice.id}:{now}", now)
        items = []
        agree = for_guardians(notice.audience)
        for person_id, chat_id, language in targets:
            lang = language or default
            text = svc.catalog.t(
                lang,
                "notices.reminder_agree" if agree else "notices.reminder",
                sender=sender_line(svc.catalog, lang, author),
                at=local_time(svc, notice.created_at),
                excerpt=excerpt(notice.text, 200),
            )
            items.append(
                outbox.message(
                    f"nt:{notice.id}:{person_id}:r{now}",
                    Lane.BULK,
                    chat_id,
                    text,
                    keyboard=confirm_keyboard(svc.catalog, lang, notice.id, agree),
                    person_id=person_id,
                )
            )
        await outbox.enqueue_many(tx, items, now=now, batch_id=batch_id)
        await receipt_store.add_messages(tx, notice.id, "reminder", batch_id)
        await receipt_store.mark_reminded(tx, notice.id, [p for p, _, _ in targets], now)
    log.info("notice %d: reminded %d", notice.id, len(targets))
    svc.wake_outbox()
    return RemindOutcome("sent", len(targets))


def outcome_text(catalog: Catalog, language: str, outcome: RemindOutcome) -> str:
    """How many were reminded, or why nobody was."""
    if outcome.status == "sent":
        key = "notices.remind.sent" if outcome.count else "notices.remind.nobody"
    else:
        key = f"notices.remind.{outcome.status}"
    return catalog.t(language, key, count=outcome.count, minutes=outcome.wait_minutes)
