"""Inline keyboards, their callback data and the screens that carry them: one type for every
capability, one codec.

Callback data is `area:part:part…`, ids and short verbs, never text; Telegram refuses more than
64 bytes, so `callback()` checks the limit where the data is made rather than where it fails.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

MAX_CALLBACK_BYTES = 64
SEPARATOR = ":"


def callback(area: str, *parts: str | int) -> str:
    """Callback data for a button; raises ValueError on a separator in a part or over 64 bytes."""
    words = [area, *(str(p) for p in parts)]
    if any(not w or SEPARATOR in w for w in words):
        raise ValueError(f"callback parts must be non-empty and free of {SEPARATOR!r}: {words}")
    data = SEPARATOR.join(words)
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {data!r}")
    return data


def pattern(area: str) -> str:
    """The CallbackQueryHandler pattern of an area's buttons: the registry and the buttons read
    the same constant."""
    return f"^{re.escape(area)}{SEPARATOR}"


@dataclass(frozen=True)
class Callback:
    """Callback data read back: its area and parts, with typed access that never raises."""

    area: str
    parts: tuple[str, ...]

    def text(self, index: int) -> str | None:
        return self.parts[index] if 0 <= index < len(self.parts) else None

    def number(self, index: int) -> int | None:
        value = self.text(index)
        if value is None or not value.isascii() or not value.lstrip("-").isdigit():
            return None
        return int(value)

    def __len__(self) -> int:
        return len(self.parts)


def parse(data: str | None, area: str | None = None) -> Callback | None:
    """The callback data a button press carried; None when it is malformed or of another area."""
    if not data or len(data.encode()) > MAX_CALLBACK_BYTES:
        return None
    head, *rest = data.split(SEPARATOR)
    if area is not None and head != area:
        return None
    return Callback(head, tuple(rest))


@dataclass(frozen=True)
class Button:
    """One inline button: it either sends callback data or opens a URL."""

    label: str
    data: str | None = None
    url: str | None = None

    def json(self) -> dict[str, str]:
        if self.url is not None:
            return {"text": self.label, "url": self.url}
        return {"text": self.label, "callback_data": self.data or ""}


@dataclass(frozen=True)
class Keyboard:
    """Rows of inline buttons, as capabilities hand them to handlers and to the outbox."""

    rows: tuple[tuple[Button, ...], ...] = ()

    @classmethod
    def of(cls, *rows: Iterable[Button]) -> Keyboard:
        return cls(tuple(tuple(row) for row in rows if row))

    @classmethod
    def column(cls, buttons: Iterable[Button]) -> Keyboard:
        """One button per row."""
        return cls(tuple((b,) for b in buttons))

    def __bool__(self) -> bool:
        return any(self.rows)

    def without(self, data: str) -> Keyboard:
        """The same buttons less those that send `data` (a button that has done its work)."""
        return Keyboard.of(*(tuple(b for b in row if b.data != data) for row in self.rows))

    def markup(self) -> dict[str, Any] | None:
        """The Bot API's reply_markup, or None for no buttons."""
        if not self:
            return None
        return {"inline_keyboard": [[b.json() for b in row] for row in self.rows]}


@dataclass(frozen=True)
class Screen:
    """A message as a capability hands it to handlers: its text and its buttons."""

    text: str
    keyboard: Keyboard = field(default_factory=Keyboard)

    def with_text_above(self, text: str) -> Screen:
        """The same screen with a line (a correction taken, a note cut) above its text."""
        return Screen(f"{text}\n\n{self.text}", self.keyboard)
