"""Telegram Mini App sign-in: initData checked the documented way, and session tokens.

https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app: the
data-check-string is every received field but `hash`, as key=value sorted by key and joined by
newlines; the secret key is HMAC-SHA256 of the bot token keyed with "WebAppData"; `hash` is the
hex HMAC-SHA256 of the data-check-string under that key. Pure functions, no I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qsl

# Telegram's clock and ours may differ a little; an auth_date further ahead is refused.
FUTURE_SKEW_SECONDS = 60
# initData is a few hundred bytes; anything much larger is not Telegram's.
MAX_INIT_DATA = 4096


@dataclass(frozen=True)
class Launch:
    """A checked Mini App launch: who opened it, when, and the hash that names it."""

    telegram_user_id: int
    auth_date: int
    init_hash: str


@dataclass(frozen=True)
class Refused:
    """Why initData was refused: 'malformed', 'forged' (a wrong or missing signature, e.g.
    another bot's) or 'expired'."""

    reason: str


def secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def sign(fields: dict[str, str], bot_token: str) -> str:
    """The hash Telegram puts in initData for these fields (tests build launches with it)."""
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    return hmac.new(secret_key(bot_token), check.encode(), hashlib.sha256).hexdigest()


def check_init_data(init_data: str, bot_token: str, *, now: int, max_age: int) -> Launch | Refused:
    """The launch initData describes, if Telegram signed it for this bot within max_age."""
    if not init_data or len(init_data) > MAX_INIT_DATA:
        return Refused("malformed")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return Refused("malformed")
    fields = dict(pairs)
    if len(fields) != len(pairs):
        # A repeated key could mean one thing to us and another to whoever signed it.
        return Refused("malformed")
    received = fields.pop("hash", "")
    if not received or not hmac.compare_digest(sign(fields, bot_token), received.lower()):
        return Refused("forged")
    try:
        auth_date = int(fields.get("auth_date", ""))
        user = json.loads(fields.get("user", ""))
        user_id = int(user["id"])
    except (ValueError, TypeError, KeyError):
        return Refused("malformed")
    if now - auth_date > max_age or auth_date - now > FUTURE_SKEW_SECONDS:
        return Refused("expired")
    return Launch(user_id, auth_date, received.lower())


def new_token() -> str:
    """A session or login token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """How a token is stored: a copy of the database must not open a session."""
    return hashlib.sha256(token.encode()).hexdigest()
