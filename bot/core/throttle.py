"""A per-key "at most once per interval" rule, kept in memory."""

from __future__ import annotations

# Forgetting expired keys costs a pass over all of them: done only past this many.
PRUNE_ABOVE = 1024


class OncePer:
    """Allow one event per key per `seconds`; remembers only keys allowed recently."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._last: dict[int, float] = {}

    def allow(self, key: int, now: float) -> bool:
        """Whether an event for key may happen now (and if so, count it)."""
        last = self._last.get(key)
        if last is not None and now - last < self.seconds:
            return False
        if len(self._last) >= PRUNE_ABOVE:
            self._last = {k: t for k, t in self._last.items() if now - t < self.seconds}
        self._last[key] = now
        return True
