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
    # httpx logs every request URL at INFO, and the Bot API URL carries the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
