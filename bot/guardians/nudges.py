"""What the bot tells a guardian about their child: never health answers, only that the child
could not be reached."""

from __future__ import annotations

import aiosqlite

from bot.core.i18n import Catalog
from bot.delivery.outbox import Lane, enqueue, message
from bot.guardians import store
from bot.storage.records import Person


async def tell_unreachable(
    tx: aiosqlite.Connection,
    catalog: Catalog,
    default_language: str,
    student: Person,
    since: int,
    now: int,
) -> bool:
    """Tell the child's primary guardian the bot can no longer reach the child; False when
    there is no primary guardian with a linked account."""
    guardian = (await store.primary_chats(tx, [student.id])).get(student.id)
    if guardian is None or guardian.chat_id is None:
        return False
    language = guardian.language or default_language
    text = catalog.t(language, "guardians.unreachable", name=student.name)
    row = message(
        f"unreachable:{student.id}:{since}:guardian",
        Lane.ALERT,
        guardian.chat_id,
        text,
        person_id=guardian.id,
    )
    await enqueue(tx, row, now=now)
    return True
