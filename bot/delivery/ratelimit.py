"""One message budget for every Bot API call the bot makes, with priorities.

A request may start when the requests in flight plus those completed in the last second stay
under the budget. Telegram counts a request when it arrives, which is after it started and before
it completed, so this count is never below Telegram's own and the budget is never broken, yet in
steady state it admits budget / (1 + latency) requests per second: nearly all of it. Pacing on
start times alone draws 429s from jitter, and a token bucket lets a full burst through at start.

Within that, the shared budgets also space starts evenly, one every 1/budget s: without it, a
window that frees up admits a second's worth at once, and a kill -9 just after such a burst
leaves all of it sent but unrecorded, to be sent again after the restart.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.core.clock import monotonic
from bot.core.config import Delivery

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
    """In-flight count and completion times of one budget (global, paid, or one chat); a paced
    budget also spaces its starts span / limit apart."""

    limit: float
    span: float = WINDOW
    paced: bool = False
    in_flight: int = 0
    done: deque[float] = field(default_factory=deque)
    next_start: float = 0.0

    def used(self, now: float) -> int:
        while self.done and self.done[0] <= now - self.span:
            self.done.popleft()
        return self.in_flight + len(self.done)

    def free_at(self, now: float) -> float:
        """When the next slot frees up if it is full now (a completion leaves the window)."""
        if self.used(now) >= self.limit:
            return self.done[0] + self.span if self.done else now + self.span
        return max(now, self.next_start) if self.paced else now

    def start(self, now: float) -> None:
        self.in_flight += 1
        if self.paced:
            interval = self.span / self.limit
            # On the schedule, not from now: a timer that fires a little late lets the next
            # start follow sooner rather than slow the round, but never more than one behind.
            self.next_start = max(self.next_start, now - interval) + interval


class SharedBudget(BaseRateLimiter[dict[str, Any]]):
    """Global, per-chat and per-group limits shared by direct replies and the outbox worker.

    Waiting requests sit in one priority queue; a single dispatch step admits the most urgent
    ones whose budgets have room whenever something changes, and sets a timer for the moment
    the next slot frees up, so no waiter polls.
    """

    def __init__(self, settings: Delivery) -> None:
        self._settings = settings
        self._global = _Window(settings.rate_per_second, paced=True)
        self._paid = _Window(settings.paid_rate_per_second, paced=True)
        self._chats: dict[int, _Window] = {}
        self._waiting: list[tuple[int, int, int | None, bool, asyncio.Future[list[_Window]]]] = []
        self._tickets = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        self._paused_until = 0.0
        self.retry_after_count = 0

    async def initialize(self) -> None:
        """Nothing to set up: the queue is created empty."""

    async def shutdown(self) -> None:
        if self._timer is not None:
            self._timer.cancel()

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
            pause = self.paused_for
            if pause > 0:
                await asyncio.sleep(pause)
            return await self._call(callback, args, kwargs)
        chat_id = _chat_id(data.get("chat_id"))
        paid = bool(options.get("paid"))
        lane = int(options.get("lane", REPLY_LANE))
        future: asyncio.Future[list[_Window]] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (lane, next(self._tickets), chat_id, paid, future))
        self._dispatch()
        try:
            windows = await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self._release(future.result())
            raise
        try:
            return await self._call(callback, args, kwargs)
        finally:
            self._release(windows)

    def _release(self, windows: list[_Window]) -> None:
        now = monotonic()
        for window in windows:
            window.in_flight -= 1
            window.done.append(now)
        self._dispatch()

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

    def _window(self, chat_id: int | None, paid: bool) -> list[_Window]:
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

    def _dispatch(self) -> None:
        """Admit waiters in priority order while their budgets have room; else set a timer."""
        now = monotonic()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if now < self._paused_until:
            self._arm(self._paused_until)
            return
        blocked: list[tuple[int, int, int | None, bool, asyncio.Future[list[_Window]]]] = []
        wake_at: float | None = None
        shared_full = {False: False, True: False}
        while self._waiting:
            entry = heapq.heappop(self._waiting)
            _, _, chat_id, paid, future = entry
            if future.done():
                continue
            if shared_full[paid]:
                blocked.append(entry)
                continue
            windows = self._window(chat_id, paid)
            free_at = max(w.free_at(now) for w in windows)
            if free_at > now:
                blocked.append(entry)
                wake_at = free_at if wake_at is None else min(wake_at, free_at)
                # When the shared budget itself is full, nobody behind can start either.
                if windows[0].free_at(now) > now:
                    shared_full[paid] = True
                continue
            for window in windows:
                window.start(now)
            future.set_result(windows)
        for entry in blocked:
            heapq.heappush(self._waiting, entry)
        if len(self._chats) > 10_000:
            for key in [c for c, w in self._chats.items() if w.used(now) == 0]:
                del self._chats[key]
        if wake_at is not None:
            self._arm(wake_at)

    def _arm(self, when: float) -> None:
        loop = asyncio.get_running_loop()
        delay = max(0.0, when - monotonic()) + 0.001
        self._timer = loop.call_later(delay, self._dispatch)


def _chat_id(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
