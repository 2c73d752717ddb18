"""Logging set-up that keeps the bot token (and the webhook secret) out of every record."""

from __future__ import annotations

import logging
import traceback
from datetime import datetime
from zoneinfo import ZoneInfo


class RedactingFilter(logging.Filter):
    """Replace secrets in a record's rendered message and traceback before any handler sees
    them; below DEBUG a traceback shrinks to one line (what failed, and where)."""

    def __init__(self, secrets: list[str], *, tracebacks: bool = True) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]
        self._tracebacks = tracebacks

    def filter(self, record: logging.LogRecord) -> bool:
        original = message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None and not self._tracebacks:
            message = f"{original} ({_one_line(record.exc_info[1])})"
            record.exc_info = None
            record.exc_text = None
        redacted = self._redact(message)
        if redacted != original:
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


def _one_line(error: BaseException) -> str:
    """The exception's type and message, and the last frame it passed through."""
    text = " ".join(str(error).split())
    frames = traceback.extract_tb(error.__traceback__)
    where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    return f"{type(error).__name__}: {text}{where}"


class LocalTimeFormatter(logging.Formatter):
    """Timestamps in the configured time zone, with its offset: a school reads 07:30 as 07:30."""

    def __init__(self, fmt: str, tz: ZoneInfo) -> None:
        super().__init__(fmt)
        self._tz = tz

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        local = datetime.fromtimestamp(record.created, self._tz)
        return local.strftime(datefmt or "%Y-%m-%d %H:%M:%S%z")


def configure_logging(level: str, token: str, *secrets: str, tz: ZoneInfo | None = None) -> None:
    """Log to stderr through the redacting filter, stamped in the school's time zone; full
    tracebacks only at DEBUG, since an operator reading the log wants one line per failure and
    the traceback is for a developer."""
    fmt = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    logging.basicConfig(level=level.upper(), format=fmt)
    redactor = RedactingFilter([token, *secrets], tracebacks=level.upper() == "DEBUG")
    for handler in logging.getLogger().handlers:
        # Called again with more secrets (webhook mode), the new filter replaces the old one.
        for old in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
            handler.removeFilter(old)
        handler.addFilter(redactor)
        if tz is not None:
            handler.setFormatter(LocalTimeFormatter(fmt, tz))
    quiet_libraries()


# Loggers whose detail carries what students wrote: python-telegram-bot logs whole updates at
# DEBUG, aiosqlite every statement with its parameters, httpx every URL (with the token) at INFO,
# tornado (the webhook server) every request with its secret path at INFO.
# They stay at WARNING whatever level the bot itself logs at.
CHATTY = ("telegram", "httpx", "httpcore", "aiosqlite", "apscheduler", "aiohttp", "tornado")


def quiet_libraries() -> None:
    for name in CHATTY:
        logging.getLogger(name).setLevel(logging.WARNING)
