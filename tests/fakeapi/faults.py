"""Faults a test can inject, and Telegram's sending limits as sliding windows."""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field

from tests.fakeapi.state import ApiError

SENDING = frozenset({"sendMessage", "sendPhoto", "sendDocument", "copyMessage", "forwardMessage"})


@dataclass
class Fault:
    kind: str
    method: str | None = None
    chat_id: int | None = None
    count: int | None = None
    probability: float | None = None
    retry_after: int = 1
    delay: float = 0.0
    cancelled: bool = False
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    def cancel(self) -> None:
        self.cancelled = True

    def applies(self, method: str, chat_id: int | None) -> bool:
        if self.cancelled or (self.count is not None and self.count <= 0):
            return False
        if self.method is not None and self.method != method:
            return False
        if self.chat_id is not None and self.chat_id != chat_id:
            return False
        if self.probability is not None and self.rng.random() >= self.probability:
            return False
        if self.count is not None:
            self.count -= 1
        return True

    def error(self) -> ApiError | None:
        """The error this fault answers with before processing, if it is that kind of fault."""
        if self.kind == "429":
            return ApiError(
                429, f"Too Many Requests: retry after {self.retry_after}", self.retry_after
            )
        if self.kind == "403":
            return ApiError(403, "Forbidden: bot was blocked by the user")
        if self.kind == "400":
            return ApiError(400, "Bad Request: injected fault")
        if self.kind in ("500", "502"):
            return ApiError(int(self.kind), "Internal Server Error")
        return None


class Limits:
    """Telegram's limits: global messages per second, per private chat, per group per minute."""

    def __init__(self, global_rate: float, per_chat_rate: float, group_per_minute: int) -> None:
        self.global_rate = global_rate
        self.per_chat_rate = per_chat_rate
        self.group_per_minute = group_per_minute
        self._all: deque[float] = deque()
        self._chats: dict[int, deque[float]] = {}

    def check(self, now: float, chat_id: int, is_group: bool) -> None:
        """Record a send at monotonic time now, or raise the 429 Telegram would answer."""
        window = 60.0 if is_group else 1.0
        allowed = self.group_per_minute if is_group else self.per_chat_rate
        while self._all and self._all[0] <= now - 1.0:
            self._all.popleft()
        chat = self._chats.setdefault(chat_id, deque())
        while chat and chat[0] <= now - window:
            chat.popleft()
        if len(self._all) + 1 > self.global_rate or len(chat) + 1 > allowed:
            raise ApiError(429, "Too Many Requests: retry after 1", 1)
        self._all.append(now)
        chat.append(now)
