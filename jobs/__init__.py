"""Scheduled entry points, all scheduled in one place."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application

from bot.core.config import Config
from jobs import consents, escalation, purge, rounds, trends


def schedule_jobs(application: Application[Any, Any, Any, Any, Any, Any], config: Config) -> None:
    """Register the recurring jobs; each one reads what is due from the database."""
    rounds.schedule(application)
    escalation.schedule(application)
    purge.schedule(application, config)
    consents.schedule(application)
    trends.schedule(application, config)
