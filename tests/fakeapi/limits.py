"""Telegram's sending limits as sliding windows."""

from __future__ import annotations

import math
from collections import deque

from tests.fakeapi.state import ApiError

# Calls that put a message in a chat; edits and callback answers are outside the limits.
SENDING = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup", "copyMessage", "forwardMessage"}
)


class Limits:
    """Messages per second overall, per private chat per second, per group per minute."""

    def __init__(self, global_rate: float, per_chat_rate: float, group_per_minute: int) -> None:
        self.global_rate = global_rate
        self.per_chat_rate = per_chat_rate
        self.group_per_minute = group_per_minute
        self._all: deque[float] = deque()
        self._chats: dict[int, deque[float]] = {}

    def reset(self) -> None:
        self._all.clear()
        self._chats.clear()

    def check(self, now: float, chat_id: int, is_group: bool) -> None:
        """Record a send at monotonic time `now`, or raise the 429 Telegram would answer."""
        window = 60.0 if is_group else 1.0
        allowed = self.group_per_minute if is_group else self.per_chat_rate
        _expire(self._all, now - 1.0)
        chat = self._chats.setdefault(chat_id, deque())
        _expire(chat, now - window)
        over_all = len(self._all) + 1 > self.global_rate
        over_chat = len(chat) + 1 > allowed
        if over_all or over_chat:
            # Until the oldest send that is in the way leaves its window.
            wait = 1.0
            if over_all and self._all:
                wait = self._all[0] + 1.0 - now
            if over_chat and chat:
                wait = max(wait, chat[0] + window - now)
            retry_after = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        self._all.append(now)
        chat.append(now)


def _expire(window: deque[float], cutoff: float) -> None:
    while window and window[0] <= cutoff:
        window.popleft()
