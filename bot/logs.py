"""Logging set-up that keeps the bot token out of every record."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo


class RedactingFilter(logging.Filter):
    """Replace secrets in a record's rendered message and traceback before any handler sees
    them."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self._redact(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        if record.exc_info and not record.exc_text:
            # Formatters print exc_text when it is set: a traceback, and the messages of every
            # exception chained in it, are redacted the same way.
            record.exc_text = self._redact(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = self._redact(record.stack_info)
        return True

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text


class LocalTimeFormatter(logging.Formatter):
    """Timestamps in the configured time zone, with its offset: a school reads 07:30 as 07:30."""

    def __init__(self, fmt: str, tz: ZoneInfo) -> None:
        super().__init__(fmt)
        self._tz = tz

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        local = datetime.fromtimestamp(record.created, self._tz)
        return local.strftime(datefmt or "%Y-%m-%d %H:%M:%S%z")


def configure_logging(level: str, token: str, tz: ZoneInfo | None = None) -> None:
    fmt = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    logging.basicConfig(level=level.upper(), format=fmt)
    redactor = RedactingFilter([token])
    for handler in logging.getLogger().handlers:
        handler.addFilter(redactor)
        if tz is not None:
            handler.setFormatter(LocalTimeFormatter(fmt, tz))
    quiet_libraries()


# Loggers whose detail carries what students wrote: python-telegram-bot logs whole updates at
# DEBUG, aiosqlite every statement with its parameters, httpx every URL (with the token) at INFO.
# They stay at WARNING whatever level the bot itself logs at.
CHATTY = ("telegram", "httpx", "httpcore", "aiosqlite", "apscheduler", "aiohttp")


def quiet_libraries() -> None:
    for name in CHATTY:
        logging.getLogger(name).setLevel(logging.WARNING)
