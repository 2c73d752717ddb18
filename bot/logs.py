"""Logging set-up that keeps the bot token out of every record."""

from __future__ import annotations

import logging


class RedactingFilter(logging.Filter):
    """Replace secrets in a record's rendered message before any handler sees it."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = message
        for secret in self._secrets:
            redacted = redacted.replace(secret, "[redacted]")
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True


def configure_logging(level: str, token: str) -> None:
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    redactor = RedactingFilter([token])
    for handler in logging.getLogger().handlers:
        handler.addFilter(redactor)
    quiet_libraries()


# Loggers whose detail carries what students wrote: python-telegram-bot logs whole updates at
# DEBUG, aiosqlite every statement with its parameters, httpx every URL (with the token) at INFO.
# They stay at WARNING whatever level the bot itself logs at.
CHATTY = ("telegram", "httpx", "httpcore", "aiosqlite", "apscheduler", "aiohttp")


def quiet_libraries() -> None:
    for name in CHATTY:
        logging.getLogger(name).setLevel(logging.WARNING)
