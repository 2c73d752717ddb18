"""What the fake Bot API remembers: calls, chats, the bot's messages and uploaded files."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

BOT_ID = 900000001
# Keys kept beside a stored message for tests; never sent back to the bot.
PRIVATE_KEYS = frozenset({"seq", "file_bytes", "deleted"})
COMMAND = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{5,32})?(?![\w/])")


@dataclass
class ApiCall:
    """One request the bot made: what it asked for and what it was answered."""

    index: int
    method: str
    params: dict[str, Any]
    at: float
    status: int = 0
    response: dict[str, Any] = field(default_factory=dict)
    # The injected fault that shaped this call, if any ("timeout", "drop", "429", ...).
    fault: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def result(self) -> Any:
        return self.response.get("result")

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        try:
            return None if value is None else int(value)
        except (TypeError, ValueError):
            return None


class ApiError(Exception):
    """An answer Telegram would give instead of a result."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


@dataclass(frozen=True)
class Upload:
    """A file that arrived as a multipart part rather than as a file_id."""

    filename: str
    data: bytes
    content_type: str = "application/octet-stream"

    def __repr__(self) -> str:
        return f"Upload({self.filename!r}, {len(self.data)} bytes)"


@dataclass
class Chat:
    id: int
    type: str
    title: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    started: bool = False
    blocked: bool = False
    # A group, supergroup or channel the bot has left (leaveChat) or was never added to.
    left: bool = False
    # message_id -> the bot's message as it now stands (edits applied, "deleted" flag on delete)
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    # message_id -> what people sent (copy, forward and replies look these up)
    incoming: dict[int, dict[str, Any]] = field(default_factory=dict)
    # One sequence for both directions, as in a real chat.
    next_message_id: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def is_private(self) -> bool:
        return self.type == "private"

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        for key in ("title", "first_name", "last_name", "username"):
            if value := getattr(self, key):
                data[key] = value
        return data

    def find(self, message_id: int) -> dict[str, Any] | None:
        """A live message in this chat, the bot's or a person's."""
        message = self.messages.get(message_id) or self.incoming.get(message_id)
        return None if message is None or message.get("deleted") else message


def bot_user(username: str, *, full: bool = False) -> dict[str, Any]:
    """The bot as Telegram shows it: in full from getMe, shortly as a message's sender."""
    user: dict[str, Any] = {
        "id": BOT_ID,
        "is_bot": True,
        "first_name": "ClassCare",
        "username": username,
    }
    if full:
        user.update(
            can_join_groups=True,
            can_read_all_group_messages=False,
            supports_inline_queries=False,
        )
    return user


def utf16_len(text: str) -> int:
    """Telegram measures entity offsets in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def text_entities(text: str) -> list[dict[str, Any]]:
    """The bot_command entities Telegram attaches to a text, with UTF-16 offsets."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: match.start()]),
            "length": utf16_len(match.group()),
        }
        for match in COMMAND.finditer(text)
    ]


def public(message: dict[str, Any]) -> dict[str, Any]:
    """A stored message as Telegram would send it back, without the fake's own keys."""
    return {k: v for k, v in message.items() if k not in PRIVATE_KEYS}
