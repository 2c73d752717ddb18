"""Faults a test can inject into the fake Bot API."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from tests.fakeapi.state import ApiError

# Answered instead of processing the request.
ERROR_KINDS = {
    "429": None,
    "403": "Forbidden: bot was blocked by the user",
    "400": "Bad Request: injected fault",
    "500": "Internal Server Error",
    "502": "Bad Gateway",
}
# Acting around processing: "timeout" and "drop" deliver the message, then fail the answer.
TIMING_KINDS = frozenset({"timeout", "drop", "latency"})
KINDS = frozenset(ERROR_KINDS) | TIMING_KINDS
# A "timeout" without a delay must still outlast any client's read timeout.
DEFAULT_TIMEOUT_DELAY = 60.0


@dataclass
class Fault:
    """A rule: requests matching method and chat fail this way, `count` times or forever."""

    kind: str
    method: str | None = None
    chat_id: int | None = None
    count: int | None = None
    probability: float | None = None
    retry_after: int = 1
    delay: float = 0.0
    cancelled: bool = False
    hits: int = 0
    rng: random.Random = field(default_factory=lambda: random.Random(7), repr=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {sorted(KINDS)}")
        if self.kind == "timeout" and not self.delay:
            self.delay = DEFAULT_TIMEOUT_DELAY

    def cancel(self) -> None:
        self.cancelled = True

    @property
    def spent(self) -> bool:
        return self.cancelled or (self.count is not None and self.count <= 0)

    def applies(self, method: str, chat_id: int | None) -> bool:
        """Whether this request is hit; a hit uses up one of `count`."""
        if self.spent:
            return False
        if self.method is not None and self.method != method:
            return False
        if self.chat_id is not None and self.chat_id != chat_id:
            return False
        if self.probability is not None and self.rng.random() >= self.probability:
            return False
        if self.count is not None:
            self.count -= 1
        self.hits += 1
        return True

    def error(self) -> ApiError | None:
        """The error this fault answers with before processing, if it is that kind of fault."""
        if self.kind == "429":
            return ApiError(
                429, f"Too Many Requests: retry after {self.retry_after}", self.retry_after
            )
        description = ERROR_KINDS.get(self.kind)
        return None if description is None else ApiError(int(self.kind), description)
