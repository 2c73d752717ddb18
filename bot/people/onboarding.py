"""Invite links: issue single-use codes, redeem them to bind a Telegram account."""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass

import aiosqlite

from bot.core.i18n import Catalog
from bot.delivery.outbox import Lane, Outgoing, enqueue, withdraw_for_person
from bot.people.store import invites
from bot.storage import audit, people
from bot.storage.db import Database
from bot.storage.records import Person

# 16 random bytes = 128 bits; token_urlsafe gives 22 characters of [A-Za-z0-9_-], well inside
# Telegram's 64-character deep-link payload.
CODE_BYTES = 16
THROTTLE_WINDOW = 3600


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode("ascii", "replace")).hexdigest()


def invite_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"


class Refusal(enum.StrEnum):
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    REVOKED = "revoked"
    THROTTLED = "throttled"
    ACCOUNT_TAKEN = "account_taken"


@dataclass(frozen=True)
class Bound:
    person: Person


async def issue_invites(
    db: Database, persons: list[Person], *, now: int, ttl_days: int
) -> list[tuple[Person, str]]:
    """One fresh code per person; older open codes of theirs stop working."""
    issued = []
    async with db.transaction() as tx:
        for person in persons:
            code = new_code()
            await invites.replace_invite(
                tx, person.id, hash_code(code), now, now + ttl_days * 86400
            )
            issued.append((person, code))
    return issued


async def redeem(
    db: Database,
    code: str,
    *,
    telegram_user_id: int,
    chat_id: int,
    language: str,
    now: int,
    max_failures_per_hour: int,
    catalog: Catalog,
) -> Bound | Refusal:
    """Bind the account to the invite's person, or say why not (and count the failure). When
    the person was bound to another account, that account and the adults responsible are told
    in the same transaction."""
    if await invites.failures_since(db, telegram_user_id, now - THROTTLE_WINDOW) >= (
        max_failures_per_hour
    ):
        return Refusal.THROTTLED
    async with db.transaction() as tx:
        invite = await invites.invite_by_hash(tx, hash_code(code))
        refusal = _refusal(invite, now)
        if refusal is None and invite is not None:
            taken_by = await invites.account_taken(tx, telegram_user_id)
            if taken_by is not None and taken_by != invite.person_id:
                refusal = Refusal.ACCOUNT_TAKEN
            else:
                old_user, old_chat = await people.binding(tx, invite.person_id)
                await invites.mark_used(tx, invite.id, telegram_user_id, now)
                await people.bind_account(
                    tx, invite.person_id, telegram_user_id, chat_id, language, now
                )
                person_id = invite.person_id
                if old_user is not None and old_user != telegram_user_id:
                    await _tell_moved(tx, db, catalog, person_id, old_chat, language, now)
        if refusal is not None:
            if refusal is not Refusal.ACCOUNT_TAKEN:
                await invites.record_failure(tx, telegram_user_id, now)
            return refusal
    person = await people.person_by_id(db, person_id)
    assert person is not None
    return Bound(person)


async def _tell_moved(
    tx: aiosqlite.Connection,
    db: Database,
    catalog: Catalog,
    person_id: int,
    old_chat: int | None,
    language: str,
    now: int,
) -> None:
    """A binding moved to another account: one line, with no data, to the old account, and a
    note to whoever looks after the person, so a stolen link does not go unnoticed."""
    person = await people.person_by_id(db, person_id)
    assert person is not None
    lang = person.language or language
    await audit.record(
        tx, actor_id=person.id, action="binding_moved", now=now, student_id=person.id
    )
    messages: list[tuple[int, int | None, str]] = []
    if old_chat is not None:
        # What still waited for the old account must not reach it now.
        await withdraw_for_person(tx, person.id, old_chat)
        text = catalog.t(lang, "onboarding.moved.old_account")
        messages.append((old_chat, None, text))
    for adult in await people.told_of_binding(db, person):
        assert adult.chat_id is not None
        text = catalog.t(
            adult.language or language,
            "onboarding.moved.note",
            name=person.name,
            number=person.number,
            role=catalog.t(adult.language or language, f"roles.{person.role}"),
        )
        messages.append((adult.chat_id, adult.id, text))
    for chat, recipient, text in messages:
        await enqueue(
            tx,
            Outgoing(
                dedup_key=f"rebind:{person.id}:{now}:{chat}",
                lane=Lane.ALERT,
                chat_id=chat,
                method="sendMessage",
                payload={"text": text},
                person_id=recipient,
            ),
            now=now,
        )


def _refusal(invite: invites.InviteRow | None, now: int) -> Refusal | None:
    if invite is None:
        return Refusal.UNKNOWN
    if invite.used_at is not None:
        return Refusal.USED
    if invite.revoked_at is not None:
        return Refusal.REVOKED
    if invite.expires_at <= now:
        return Refusal.EXPIRED
    return None
