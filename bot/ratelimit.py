"""One message budget for every Bot API call the bot makes, with priorities.

A request may start when the requests in flight plus those completed in the last second stay
under the budget. Telegram counts a request when it arrives, which is after it started and before
it completed, so this count is never below Telegram's own and the budget is never broken, yet in
steady state it admits budget / (1 + latency) requests per second: nearly all of it. Pacing on
start times alone draws 429s from jitter, and a token bucket lets a full burst through at start.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.clock import monotonic
from bot.config import Delivery

log = logging.getLogger(__name__)

# Methods that Telegram counts as messages; edits and callback answers ride outside the budget.
COUNTED = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "copyMessage", "forwardMessage", "sendMediaGroup"}
)
# A request that is not told its lane is a reply to someone waiting: it goes first.
REPLY_LANE = 0
WINDOW = 1.0
GROUP_WINDOW = 60.0


@dataclass
class _Window:
    """In-flight count and completion times of one budget (global, paid, or one chat)."""

    limit: float
    span: float = WINDOW
    in_flight: int = 0
    done: deque[float] = field(default_factory=deque)

    def used(self, now: float) -> int:
        while self.done and self.done[0] <= now - self.span:
            self.done.popleft()
        return self.in_flight + len(self.done)

    def free_at(self, now: float) -> float:
        """When the next slot frees up if it is full now (a completion leaves the window)."""
        if self.used(now) < self.limit:
            return now
        return self.done[0] + self.span if self.done else now + self.span


class SharedBudget(BaseRateLimiter[dict[str, Any]]):
    """Global, per-chat and per-group limits shared by direct replies and the outbox worker."""

    def __init__(self, settings: Delivery) -> None:
        self._settings = settings
        self._global = _Window(settings.rate_per_second)
        self._paid = _Window(settings.paid_rate_per_second)
        self._chats: dict[int, _Window] = {}
        self._waiting: list[tuple[int, int, int | None]] = []
        self._tickets = itertools.count()
        self._changed: asyncio.Condition | None = None
        self._paused_until = 0.0
        self.retry_after_count = 0

    async def initialize(self) -> None:
        self._changed = asyncio.Condition()

    async def shutdown(self) -> None:
        """Nothing to release."""

    @property
    def paused_for(self) -> float:
        return max(0.0, self._paused_until - monotonic())

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict[str, Any] | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        options = rate_limit_args or {}
        if endpoint not in COUNTED:
            await self._wait_out_pause()
            return await self._call(callback, args, kwargs)
        chat_id = _chat_id(data.get("chat_id"))
        paid = bool(options.get("paid"))
        lane = int(options.get("lane", REPLY_LANE))
        windows = await self._admit(lane, chat_id, paid)
        try:
            return await self._call(callback, args, kwargs)
        finally:
            now = monotonic()
            for window in windows:
                window.in_flight -= 1
                window.done.append(now)
            await self._notify()

    async def _call(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as exc:
            # One 429 means Telegram wants silence from the whole bot for a while.
            delay = exc.retry_after
            seconds = delay.total_seconds() if isinstance(delay, timedelta) else float(delay)
            self._paused_until = max(self._paused_until, monotonic() + seconds)
            self.retry_after_count += 1
            log.warning("Telegram asked to wait %.1f s; pausing every send", seconds)
            raise

    async def _wait_out_pause(self) -> None:
        pause = self.paused_for
        if pause > 0:
            await asyncio.sleep(pause)

    def _windows(self, chat_id: int | None, paid: bool) -> list[_Window]:
        windows = [self._paid if paid else self._global]
        if chat_id is not None:
            window = self._chats.get(chat_id)
            if window is None:
                if chat_id < 0:
                    window = _Window(self._settings.group_per_minute, GROUP_WINDOW)
                else:
                    window = _Window(self._settings.per_chat_per_second)
                self._chats[chat_id] = window
            windows.append(window)
        return windows

    async def _admit(self, lane: int, chat_id: int | None, paid: bool) -> list[_Window]:
        """Wait until this request is the most urgent one that may start, then start it."""
        assert self._changed is not None, "SharedBudget.initialize() was not called"
        ticket = (lane, next(self._tickets), chat_id)
        self._waiting.append(ticket)
        try:
            async with self._changed:
                self._changed.notify_all()
                while True:
                    now = monotonic()
                    wait = self._blocked_for(ticket, paid, now)
                    if wait == 0.0:
                        windows = self._windows(chat_id, paid)
                        for window in windows:
                            window.in_flight += 1
                        self._forget_idle_chats(now)
                        return windows
                    with suppress(TimeoutError):
                        await asyncio.wait_for(self._changed.wait(), timeout=wait)
        finally:
            self._waiting.remove(ticket)
            await self._notify()

    def _blocked_for(self, ticket: tuple[int, int, int | None], paid: bool, now: float) -> float:
        """0 if the ticket may start now, else how long before it is worth looking again."""
        if (pause := self._paused_until - now) > 0:
            return pause
        lane, order, chat_id = ticket
        ready = self._windows(chat_id, paid)
        free_at = max(w.free_at(now) for w in ready)
        if free_at > now:
            return max(free_at - now, 0.001)
        # A more urgent waiter whose own chat is free goes first.
        for other in self._waiting:
            if other[:2] < (lane, order) and all(
                w.free_at(now) <= now for w in self._windows(other[2], paid)
            ):
                return WINDOW
        return 0.0

    def _forget_idle_chats(self, now: float) -> None:
        if len(self._chats) > 10_000:
            idle = [c for c, w in self._chats.items() if w.used(now) == 0]
            for chat_id in idle:
                del self._chats[chat_id]

    async def _notify(self) -> None:
        if self._changed is not None:
            async with self._changed:
                self._changed.notify_all()


def _chat_id(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
