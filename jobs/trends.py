"""The dashboard's nightly count: yesterday's totals for the 14-day trends, ahead of the day's
first view."""

from __future__ import annotations

import logging
from typing import Any

from telegram.ext import Application, ContextTypes

from bot.core.config import Config
from bot.core.services import get_services
from bot.dashboard.views import trends as trends_view

log = logging.getLogger(__name__)


async def count_trends(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Count the closed days the trend view has not counted yet."""
    svc = get_services(context.bot_data)
    counted = await trends_view.count_closed_days(svc, svc.now())
    if counted:
        log.info("dashboard trends: %d day(s) counted", counted)


def schedule(application: Application[Any, Any, Any, Any, Any, Any], config: Config) -> None:
    """At the purge time, when the day's rounds have closed; a day missed while the bot was
    down is counted by the next run, or by the trend view itself."""
    if not config.dashboard.enabled:
        return
    assert application.job_queue is not None
    application.job_queue.run_daily(
        count_trends,
        time=config.retention.purge_time.replace(tzinfo=config.general.tz),
        name="dashboard_trends",
        job_kwargs={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
    )
