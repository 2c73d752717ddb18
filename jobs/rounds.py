"""The rounds job: open due check-in rounds, send due reminders, close due windows, then queue
the digests and reports that the closed rounds and the clock make due."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, ContextTypes

from bot.checkins import rounds
from bot.core.services import get_services
from bot.isolation import periods as isolation
from bot.reports import digest
from bot.returns import opening, release
from jobs.every import run_every

INTERVAL_SECONDS = 15


async def run_rounds(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Bring rounds in line with the clock; the first run after start-up reconciles."""
    svc = get_services(context.bot_data)
    now = svc.now()
    # First, so a student released on the planned end date (or cleared for a return on this
    # day) is not asked that morning.
    await isolation.release_due(svc, now)
    await release.release_due(svc, now)
    await release.warn_due(svc, now)
    # A return whose opening stopped part-way is finished here, as are the declarations of
    # people who linked an account after it opened.
    await opening.ask_waiting(svc, now)
    await rounds.run_rounds(svc, now)
    # Right after closing, so the day's digest follows its last round without a second job.
    await digest.send_due(svc, now)


def schedule(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """One repeating job; it runs at start-up too, so a round due while down is handled then."""
    run_every(application, run_rounds, seconds=INTERVAL_SECONDS, first=0, name="rounds")
