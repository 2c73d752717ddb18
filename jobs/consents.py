"""Every minute: ask primary guardians for consent where the roster has none (once per child).

Binding asks at once; this catches a guardians file imported after the guardian bound."""

from __future__ import annotations

import logging
from typing import Any

from telegram.ext import Application, ContextTypes

from bot.core.services import get_services
from bot.guardians.consent import ask_pending
from jobs.every import run_every

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 60


async def run_consents(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Queue the consent questions nobody has been asked yet."""
    asked = await ask_pending(get_services(context.bot_data))
    if asked:
        log.info("consent job: %d guardian(s) asked", asked)


def schedule(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """A doubled run asks nobody twice."""
    run_every(application, run_consents, seconds=INTERVAL_SECONDS, first=10, name="consents")
