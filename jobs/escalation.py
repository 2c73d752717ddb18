"""Every 30 s: escalate alerts nobody took in time, and evaluate check-ins left unevaluated."""

from __future__ import annotations

import logging
from typing import Any

from telegram.ext import Application, ContextTypes

from bot.alerts import escalation
from bot.checkins.handoff import hand_on_unevaluated
from bot.core.services import get_services
from jobs.every import run_every

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 30


async def run_escalation(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Move overdue alerts up a step and pick up check-ins a crash left unevaluated."""
    services = get_services(context.bot_data)
    evaluated = await hand_on_unevaluated(services)
    moved = await escalation.escalate_due(services)
    if evaluated or moved:
        log.info(
            "escalation job: %d check-in(s) evaluated, %d alert(s) escalated", evaluated, moved
        )


def schedule(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    run_every(application, run_escalation, seconds=INTERVAL_SECONDS, first=5, name="escalation")
