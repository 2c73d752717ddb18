"""Withdrawing a notice: stop what is not sent, delete what Telegram still lets the bot delete."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.core.i18n import Catalog
from bot.core.keyboard import Button, Keyboard, Screen, callback
from bot.core.services import Services
from bot.delivery import outbox
from bot.delivery.outbox import Lane, Outgoing
from bot.notices.render import AREA, button, open_button
from bot.notices.store import receipts as receipt_store
from bot.notices.store.notices import Notice

log = logging.getLogger(__name__)

# A bot may delete its messages for 48 h; leave the queued deletion a few minutes to go out.
DELETE_WINDOW_SECONDS = 48 * 3600 - 10 * 60


@dataclass(frozen=True)
class WithdrawOutcome:
    status: str  # withdrawn | already
    stopped: int = 0
    deleting: int = 0
    too_old: int = 0
    unknown: int = 0


async def withdraw(svc: Services, notice: Notice) -> WithdrawOutcome:
    """Stop copies not yet sent and delete those Telegram still lets the bot delete."""
    now = svc.now()
    async with svc.db.transaction() as tx:
        batch_id = await outbox.ensure_batch(tx, "notice_withdraw", str(notice.id), now)
        if not await receipt_store.mark_withdrawn(tx, notice.id, now, batch_id):
            return WithdrawOutcome("already")
        stopped = await outbox.cancel_pending(tx, notice.batch_id)
        for reminders in await receipt_store.reminder_batches(tx, notice.id):
            await outbox.cancel_pending(tx, reminders)
        deletions = []
        too_old = unknown = 0
        for outbox_id, person_id, chat_id, status, sent_at in await receipt_store.sent_copies(
            tx, notice.id
        ):
            if status == "unknown":
                # Timed out after the request left: there is no message id to delete by.
                unknown += 1
            elif sent_at is not None and now - sent_at > DELETE_WINDOW_SECONDS:
                too_old += 1
            else:
                # A copy still in flight is deleted once it is recorded as sent (edit_of waits).
                deletions.append(
                    Outgoing(
                        dedup_key=f"nt:{notice.id}:del:{outbox_id}",
                        lane=Lane.BULK,
                        chat_id=chat_id,
                        method="deleteMessage",
                        payload={"edit_of": outbox_id},
                        person_id=person_id,
                    )
                )
        await outbox.enqueue_many(tx, deletions, now=now, batch_id=batch_id)
        await receipt_store.add_messages(tx, notice.id, "delete", batch_id)
    log.info(
        "notice %d withdrawn: %d stopped, %d to delete, %d too old, %d unknown",
        notice.id,
        stopped,
        len(deletions),
        too_old,
        unknown,
    )
    svc.wake_outbox()
    return WithdrawOutcome("withdrawn", stopped, len(deletions), too_old, unknown)


def ask_screen(catalog: Catalog, language: str, notice: Notice) -> Screen:
    """The question before withdrawing: withdraw, or keep it and go back to the report."""
    keep = Button(
        catalog.t(language, "notices.button.keep"), callback(AREA, notice.id, "rep", "1")
    )
    return Screen(
        catalog.t(language, "notices.withdraw.ask", id=notice.id),
        Keyboard.of([button(catalog, language, "wdy", notice.id), keep]),
    )


def outcome_screen(
    catalog: Catalog, language: str, notice: Notice, outcome: WithdrawOutcome
) -> Screen:
    """What withdrawing did: copies stopped and deleted, and those it could not reach."""
    t = catalog.t
    if outcome.status == "already":
        return Screen(t(language, "notices.withdraw.already", id=notice.id))
    lines = [
        t(
            language,
            "notices.withdraw.done",
            id=notice.id,
            stopped=outcome.stopped,
            deleting=outcome.deleting,
        )
    ]
    if outcome.too_old:
        lines.append(t(language, "notices.withdraw.too_old", count=outcome.too_old))
    if outcome.unknown:
        lines.append(t(language, "notices.withdraw.unknown", count=outcome.unknown))
    return Screen("\n".join(lines), Keyboard.of([open_button(catalog, language, notice.id)]))
