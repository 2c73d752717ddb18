"""The retention job: purge what has been kept long enough, daily at the configured time."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, ContextTypes

from bot.core.config import Config
from bot.core.services import get_services
from bot.retention import purge as retention


async def purge_expired(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Blank answers, notes and relayed texts of isolations that ended long enough ago."""
    await retention.purge_due(get_services(context.bot_data))


def schedule(application: Application[Any, Any, Any, Any, Any, Any], config: Config) -> None:
    """A day late at worst if the bot was down at purge time: the next run catches up."""
    assert application.job_queue is not None
    application.job_queue.run_daily(
        purge_expired,
        time=config.retention.purge_time.replace(tzinfo=config.general.tz),
        name="purge",
        job_kwargs={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
    )
