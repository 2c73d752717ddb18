"""What the fake Bot API remembers: users, chats, the bot's messages, queued updates, calls."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

BOT_ID = 900000001


@dataclass
class ApiCall:
    index: int
    method: str
    params: dict[str, Any]
    at: float
    status: int = 0
    response: dict[str, Any] = field(default_factory=dict)


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


@dataclass
class Chat:
    id: int
    type: str
    title: str | None = None
    first_name: str | None = None
    started: bool = False
    blocked: bool = False
    # message_id -> the message as it now stands (edits applied, "deleted" flag on delete)
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    # message_id -> what the user sent (copyMessage and replies look these up)
    incoming: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_message_id: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.title:
            data["title"] = self.title
        if self.first_name:
            data["first_name"] = self.first_name
        return data


def bot_user(username: str) -> dict[str, Any]:
    return {
        "id": BOT_ID,
        "is_bot": True,
        "first_name": "ClassCare",
        "username": username,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
    }


def text_entities(text: str) -> list[dict[str, Any]]:
    """A bot_command entity for text starting with a /command, as Telegram sends it."""
    if not text.startswith("/"):
        return []
    length = len(text.split(maxsplit=1)[0])
    return [{"type": "bot_command", "offset": 0, "length": length}]
