"""Consent to health check-ins, asked once of the primary guardian where the roster has none."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.core.clock import from_epoch
from bot.core.i18n import Catalog
from bot.core.keyboard import Button, Keyboard, callback
from bot.core.services import Services
from bot.delivery.outbox import Lane, enqueue, message
from bot.guardians import store
from bot.storage import audit
from bot.storage.records import Person

AREA = "gd"
ANSWERS = ("yes", "no")


async def ask_consents(
    tx: aiosqlite.Connection, svc: Services, now: int, guardian: Person | None = None
) -> int:
    """Queue the consent question for every child who needs one (of this guardian, if given);
    asking is recorded, so each child's primary guardian is asked once."""
    asked = 0
    for parent, child in await store.consents_to_ask(tx, guardian.id if guardian else None):
        assert parent.chat_id is not None
        language = parent.language or svc.config.general.language
        row = message(
            f"consent:{child.id}",
            Lane.ALERT,
            parent.chat_id,
            question(svc, language, child),
            keyboard=Keyboard.of(
                [
                    Button(svc.catalog.t(language, f"guardians.consent.{a}"), data(child.id, a))
                    for a in ANSWERS
                ]
            ),
            person_id=parent.id,
        )
        await enqueue(tx, row, now=now)
        await store.record_asked(tx, child.id, parent.id, now)
        asked += 1
    return asked


async def ask_pending(svc: Services, guardian: Person | None = None) -> int:
    """ask_consents in a transaction of its own, waking delivery when anyone was asked."""
    async with svc.db.transaction() as tx:
        asked = await ask_consents(tx, svc, svc.now(), guardian)
    if asked:
        svc.wake_outbox()
    return asked


def data(student_id: int, answer: str) -> str:
    return callback(AREA, student_id, answer)


def question(svc: Services, language: str, child: Person) -> str:
    """The configured question, or the built-in one, naming the child."""
    own = (
        svc.config.guardians.consent_text_en
        if language == "en"
        else svc.config.guardians.consent_text_zh_cn
    )
    text = own.strip() or svc.catalog.t(language, "guardians.consent.question")
    return text.replace("{name}", child.name)


async def answer(svc: Services, guardian: Person, student_id: int, choice: str) -> bool:
    """Store the asked guardian's answer with its time; False if they were not asked."""
    if guardian.role != "guardian" or choice not in ANSWERS:
        return False
    now = svc.now()
    async with svc.db.transaction() as tx:
        if not await store.record_answer(tx, student_id, guardian.id, choice, now):
            return False
        await audit.record(
            tx, actor_id=guardian.id, action=f"consent_{choice}", now=now, student_id=student_id
        )
    return True


async def consent_line(
    svc: Services, catalog: Catalog, language: str, student: Person
) -> str | None:
    """Where the child's consent stands, for /student; None when the roster has it (the usual
    case says nothing)."""
    found = await store.consent_of(svc.db, student.id)
    if found.roster:
        return None
    if found.answer is not None and found.answered_at is not None:
        when = _when(svc, found.answered_at)
        return catalog.t(language, f"guardians.consent.state.{found.answer}", when=when)
    if found.asked_at is not None:
        when = _when(svc, found.asked_at)
        return catalog.t(language, "guardians.consent.state.asked", when=when)
    return catalog.t(language, "guardians.consent.state.none")


def _when(svc: Services, seconds: int) -> str:
    local: datetime = from_epoch(seconds).astimezone(svc.tz)
    return local.strftime("%Y-%m-%d %H:%M")
