"""Repeating jobs whose work is read from the database: a late run is allowed and late runs
coalesce (a busy loop delays a run, never skips one, and a doubled run changes nothing)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram.ext import Application, ContextTypes

Callback = Callable[[ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


def run_every(
    application: Application[Any, Any, Any, Any, Any, Any],
    callback: Callback,
    *,
    seconds: float,
    first: float,
    name: str,
) -> None:
    """Run `callback` every `seconds`, the first time `first` seconds after now.

    The first run time is given outright: APScheduler treats a start date that has passed by
    the time the scheduler starts (after the migrations) as missed and waits a whole interval,
    which held the start-up round back 15 s."""
    assert application.job_queue is not None
    application.job_queue.run_repeating(
        callback,
        interval=seconds,
        first=first,
        name=name,
        job_kwargs={
            "misfire_grace_time": None,
            "coalesce": True,
            "max_instances": 1,
            "next_run_time": datetime.now(UTC) + timedelta(seconds=first),
        },
    )
