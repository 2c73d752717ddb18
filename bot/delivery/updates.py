"""Concurrent update processing that keeps each chat's updates in order, and keeps one chat's
flood from holding up everyone else."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)


@dataclass
class _Turns:
    """One chat's updates: the one being handled holds the lock, the others wait on it."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Updates of this chat that have arrived and are not finished (handled or waiting).
    pending: int = 0
    # Updates dropped since the chat last had nothing pending.
    dropped: int = 0


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Different chats run concurrently; one chat's updates run one after another.

    A student typing a temperature and then tapping a button must see them handled in that
    order, while a thousand students answering at once must not wait for each other. An update
    takes its chat's turn before one of the processing slots, so updates queued behind their
    own chat hold no slot; and a chat with `max_queued_per_chat` updates waiting has any
    further ones dropped (one forward of a hundred messages must not make hundreds of tasks).
    """

    def __init__(self, max_concurrent_updates: int = 64, max_queued_per_chat: int = 20) -> None:
        super().__init__(max_concurrent_updates)
        self.max_queued_per_chat = max_queued_per_chat
        self.dropped = 0
        self._chats: dict[int, _Turns] = {}

    # BaseUpdateProcessor marks process_update final because it takes a slot before
    # do_process_update; that order is the very fault here (each update waiting for its chat
    # held a slot: 120 of one chat's updates stalled every other chat). The base's semaphore is
    # the slots still (current_concurrent_updates reads it), taken after the chat's turn.
    async def process_update(  # type: ignore[misc]
        self, update: object, coroutine: Awaitable[Any]
    ) -> None:
        """Wait for the chat's turn, then for a processing slot, then handle the update."""
        key = _chat_key(update)
        if key is None:
            async with self._semaphore:
                await self.do_process_update(update, coroutine)
            return
        turns = self._chats.setdefault(key, _Turns())
        # The update being handled is not queued: the cap counts the ones waiting behind it.
        if turns.pending - 1 >= self.max_queued_per_chat:
            if turns.dropped == 0:
                # One line per flood, and nothing of what was sent or by whom.
                log.warning(
                    "a chat has %d updates queued; dropping its further updates until it drains",
                    self.max_queued_per_chat,
                )
            turns.dropped += 1
            self.dropped += 1
            if inspect.iscoroutine(coroutine):
                coroutine.close()
            return
        turns.pending += 1
        try:
            async with turns.lock, self._semaphore:
                await self.do_process_update(update, coroutine)
        finally:
            turns.pending -= 1
            if turns.pending == 0:
                del self._chats[key]

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        await coroutine

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


def _chat_key(update: object) -> int | None:
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return update.effective_user.id
    return None
